"""The cached environments of ``pallet run``: PEP 723 scripts and ``--with`` overlays.

Each lives in ``<cache root>/environments-v1/<key>/``, where the key is the sha256 of what the
environment is made from (`EnvRequest`: the normalized requirements, the Python they are for,
the interpreter's identity, the indexes, an overlay's base environment, and `ENV_FORMAT`). The
folder holds a synthetic ``pyproject.toml`` (``[project] name = "run-<key8>"``, the
requirements as its dependencies, the indexes as ``[tool.pallet]``, the interpreter's platform
as the only environment: `here_only`), the ``pylock.toml`` the normal lock machinery resolves
for it, the venv ``.venv`` that ``install_lock`` fills, and
``.pallet-env.json``, written last: an environment is used only once that file holds its key,
so a second run with the same requirements neither resolves nor asks an index anything.
Building takes a file lock (``<key>.lock`` beside the folder), so two runs build once.

An overlay (``--with``) is such an environment whose site-packages holds
``_pallet_base.pth``: one ``import site; site.addsitedir(<base site-packages>)`` line, so the
base environment's packages (and its own ``.pth`` files, editable installs included) come
after the overlay's on ``sys.path``: the overlay's versions win, the base stays untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__, ui
from ..envvars import PALLET_INDEX_URL
from ..errors import PalletError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from ..project.model import IndexConfig

__all__ = [
    "ENV_FORMAT",
    "READY",
    "EnvRequest",
    "build_environment",
    "cached_environment",
    "default_indexes",
    "file_lock",
    "here_only",
    "install_into",
    "is_ready",
    "lock_folder",
    "normalized",
    "project_index_config",
    "synthetic_pyproject",
]

#: Bumped when what an environment folder holds changes meaning (part of every key).
ENV_FORMAT = 1
READY = ".pallet-env.json"
VENV = ".venv"
BASE_PTH = "_pallet_base.pth"


@dataclass(frozen=True)
class EnvRequest:
    """What one cached environment is made from."""

    requirements: tuple[Requirement, ...]
    #: the real path of the interpreter the venv is made for (a base interpreter, not a venv's)
    python: str
    #: ``implementation version`` of that interpreter, e.g. ``CPython 3.11.7``
    python_version: str
    indexes: tuple[IndexConfig, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    #: an overlay's base environment (its real path), whose site-packages it appends
    base: str | None = None
    #: the script's ``requires-python`` as written (part of the key; the lock is made for the
    #: interpreter's own minor version)
    requires_python: str = ""

    def key(self) -> str:
        """sha256 of the normalized inputs (requirement order and spelling do not matter)."""
        data = {
            "format": ENV_FORMAT,
            "pallet": __version__,
            "requirements": sorted({normalized(r) for r in self.requirements}),
            "requires-python": self.requires_python,
            "python": [self.python, self.python_version],
            "indexes": [[i.name, i.url, i.default, i.explicit, i.format] for i in self.indexes],
            "sources": sorted(self.sources.items()),
            "base": self.base,
        }
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def normalized(requirement: Requirement) -> str:
    """One spelling per meaning: the name and extras normalized (PEP 503/685), specifiers
    sorted (`SpecifierSet` prints them so), the URL and marker as packaging prints them."""
    from packaging.utils import canonicalize_name

    text: str = canonicalize_name(requirement.name)
    if requirement.extras:
        text += "[" + ",".join(sorted(canonicalize_name(e) for e in requirement.extras)) + "]"
    text += f" @ {requirement.url} " if requirement.url else str(requirement.specifier)
    if requirement.marker is not None:
        text += f"; {requirement.marker}"
    return text


def default_indexes(env: Mapping[str, str]) -> tuple[IndexConfig, ...]:
    """``PALLET_INDEX_URL`` as the one default index; () (PyPI) when it is not set."""
    from ..project.model import IndexConfig

    url = env.get(PALLET_INDEX_URL, "").strip()
    return (IndexConfig(name="default", url=url, default=True),) if url else ()


def cached_environment(
    request: EnvRequest, *, label: str, offline: bool, env: Mapping[str, str] | None = None
) -> Path:
    """The venv for `request`: reused when its folder is complete, else built (resolve, create,
    install) under the key's file lock. `label` names it in messages (``demo.py``)."""
    from ..index.cache import Cache

    env = os.environ if env is None else env
    cache = Cache.default(env)
    key = request.key()
    folder = cache.root / "environments-v1" / key
    if is_ready(folder, key, f"{VENV}/pyvenv.cfg"):
        return folder / VENV
    cache.check_writable()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(folder.parent / f"{key}.lock"):
        if is_ready(folder, key, f"{VENV}/pyvenv.cfg"):  # another run built it while we waited
            return folder / VENV
        if folder.exists():  # an earlier build that did not finish
            shutil.rmtree(folder)
        count = len(request.requirements)
        ui.info(
            f"Creating an environment for {label} ({count} requirement{'s' if count != 1 else ''})"
        )
        try:
            build_environment(folder, key, request, offline=offline, env=env)
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            where = exc.filename or folder
            raise PalletError(
                f"{where}: cannot make the environment for {label}: {exc.strerror or exc}"
            ) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return folder / VENV


def is_ready(folder: Path, key: str, made: str) -> bool:
    """True when ``folder`` was completed for ``key`` (its `READY` file, written last, holds the
    key) and still holds what it made (``made``: a path relative to it)."""
    try:
        with open(folder / READY, encoding="utf-8") as stream:
            ready = json.load(stream)
    except (OSError, ValueError):
        return False
    return isinstance(ready, dict) and ready.get("key") == key and (folder / made).is_file()


def project_index_config(root: Path) -> tuple[tuple[IndexConfig, ...], dict[str, str]]:
    """The project's ``[[tool.pallet.index]]`` (flat paths made absolute, so that they hold from
    any folder) and its ``[tool.pallet.sources]``: what an environment made for the project
    (``run --with``, a build's requirements) resolves from."""
    import dataclasses

    from .lock import read_lock_spec

    spec = read_lock_spec(root)  # a workspace root may have no [project]
    indexes = []
    for index in spec.indexes:
        if index.format == "flat" and "://" not in index.url and not Path(index.url).is_absolute():
            index = dataclasses.replace(index, url=str(spec.root / index.url))
        indexes.append(index)
    return tuple(indexes), {str(k): v for k, v in spec.sources.items()}


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on `path` (POSIX); elsewhere nothing (the last rename wins)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+b") as stream:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)


def build_environment(
    folder: Path,
    key: str,
    request: EnvRequest,
    *,
    offline: bool,
    env: Mapping[str, str],
    refresh: bool = False,
) -> None:
    """Make the environment of `request` in `folder` (which must not exist yet): the synthetic
    pyproject.toml, its lock, the venv ``.venv`` filled by ``install_lock``, then `READY`.
    `refresh` revalidates every cached index page (``pallet lock --refresh``: a tool upgrade
    must see a release made a minute ago). The caller removes the folder when this fails
    (`cached_environment`, `cli.tool_install`)."""
    from ..install.target import venv_interpreter_for
    from ..python.facts import FactsCache
    from ..python.venv import create_venv

    folder.mkdir(parents=True)
    cache_root = FactsCache.default(env).root.parent
    interpreter = venv_interpreter_for(Path(request.python), cache_root)  # cached: no process
    minor = ".".join(map(str, interpreter.version_info[:2]))
    (folder / "pyproject.toml").write_text(
        synthetic_pyproject(
            f"run-{key[:8]}", request, f"=={minor}.*", here_only(request.python, env)
        ),
        encoding="utf-8",
    )
    venv = create_venv(folder / VENV, interpreter, prompt=f"run-{key[:8]}")
    if request.base is not None:
        _write_base_pth(venv / interpreter.purelib, Path(request.base))
    if request.requirements:
        lock_path = lock_folder(folder, offline=offline, refresh=refresh)
        install_into(lock_path, venv, offline=offline, env=env)
    ready = {
        "key": key,
        "pallet": __version__,
        "requirements": [str(r) for r in request.requirements],
    }
    (folder / READY).write_text(json.dumps(ready, indent=2) + "\n", encoding="utf-8")


def here_only(python: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """``(implementation, environment marker)`` restricting a lock to the platform of the
    interpreter at `python` (`install.target`'s cached markers: no process once seen), for an
    environment that only ever serves that interpreter; None when the lock's universe has no
    such platform (`resolve.environments`: e.g. ppc64le), whose lock then stays universal.
    PEP 508 markers cannot tell musl from glibc Linux: the universe's default (glibc) holds."""
    from ..install.target import target_for
    from ..python.facts import FactsCache
    from ..resolve.environments import EXTRA_PLATFORMS, PLATFORMS

    markers = target_for(Path(python), FactsCache.default(env).root.parent).markers
    values = (
        markers.get("implementation_name", ""),
        markers.get("sys_platform", ""),
        markers.get("platform_machine", ""),
    )
    if not any(p.marker_values == values for p in (*PLATFORMS, *EXTRA_PLATFORMS)):
        return None
    implementation, platform, machine = values
    return implementation, (
        f"implementation_name == {implementation!r} and sys_platform == {platform!r} "
        f"and platform_machine == {machine!r}"
    )


def synthetic_pyproject(
    name: str,
    request: EnvRequest,
    requires_python: str,
    here: tuple[str, str] | None = None,
) -> str:
    """The pyproject.toml of a virtual project (no ``[build-system]``: nothing of its own is
    installed) whose dependencies are the requirements; strings are quoted as JSON, which TOML
    basic strings read the same. `here` (`here_only`) restricts the resolution to one
    platform with ``[tool.pallet.resolution] environments`` (docs/lock.md), as uv's
    ``tool.uv.environments`` does: `requires-python` already names one Python minor, so the
    lock is resolved for the one environment it serves, not for every platform."""
    q = json.dumps
    lines = [
        "[project]",
        f"name = {q(name)}",
        'version = "0"',
        f"requires-python = {q(requires_python)}",
        "dependencies = [" + ", ".join(q(str(r)) for r in request.requirements) + "]",
    ]
    if here is not None:
        implementation, marker = here
        lines += ["", "[tool.pallet.resolution]", f"environments = [{q(marker)}]"]
        if implementation != "cpython":
            lines.append(f"implementations = [{q(implementation)}]")
    for index in request.indexes:
        lines += ["", "[[tool.pallet.index]]", f"name = {q(index.name)}", f"url = {q(index.url)}"]
        if index.default:
            lines.append("default = true")
        if index.explicit:
            lines.append("explicit = true")
        if index.format != "simple":
            lines.append(f"format = {q(index.format)}")
    if request.sources:
        lines += ["", "[tool.pallet.sources]"]
        lines += [f"{q(name)} = {q(index)}" for name, index in sorted(request.sources.items())]
    return "\n".join(lines) + "\n"


def _write_base_pth(site_packages: Path, base: Path) -> None:
    """``_pallet_base.pth``: the base's site-packages, added by `site.addsitedir` after the
    overlay's own (so its ``.pth`` files run too). A venv's purelib and platlib are listed
    both when they differ."""
    from ..python.venv import read_pyvenv_cfg

    read_pyvenv_cfg(base / "pyvenv.cfg")  # a readable venv, else OSError: the caller says so
    folders: dict[str, str] = {}  # real path -> the path to name (lib64 is often a link to lib)
    for found in sorted(
        base.glob("lib*/python*/site-packages"), key=lambda p: p.parents[1].is_symlink()
    ):
        if found.is_dir():
            folders.setdefault(os.path.realpath(found), str(found))
    lines = [f"import site; site.addsitedir({folder!r})" for folder in sorted(folders.values())]
    (site_packages / BASE_PTH).write_text("\n".join(lines) + "\n", encoding="utf-8")


def lock_folder(folder: Path, *, offline: bool, refresh: bool = False) -> Path:
    """Resolve the synthetic project as ``pallet lock`` does and write its pylock.toml."""
    from ..lock.fingerprint import compute_fingerprint
    from ..lock.pylock import write_lock
    from ..project.pyproject import read_project
    from .lock_inputs import exclude_newer_cutoffs
    from .lock_resolve import resolve

    spec = read_project(folder)
    lock = resolve(
        spec,
        compute_fingerprint(spec),
        {},
        False,
        offline=offline,
        cutoffs=exclude_newer_cutoffs(spec, None, False),
        refresh=refresh,
    )
    lock_path = folder / "pylock.toml"
    write_lock(lock, lock_path)
    return lock_path


def install_into(
    lock_path: Path, venv: Path, *, offline: bool, env: Mapping[str, str], display: bool = True
) -> None:
    """Install the lock's packages for this venv, through the one installer `pallet sync` uses;
    `display`: ``pallet sync``'s progress display (on a terminal only), off inside another."""
    from ..install.store import Store
    from ..install.sync import Selection, SyncOptions, install_lock
    from .progress_bars import FrameLines
    from .sync_progress import SyncDisplay

    shown = SyncDisplay() if display else None  # pallet sync's display, on a terminal only
    with (
        ui.Progress(shown.status, lines=FrameLines(shown.frame))
        if shown is not None
        else contextlib.nullcontext()
    ):
        install_lock(
            lock_path,
            venv,
            Selection(),
            SyncOptions(offline=offline),
            store=Store.default(env),
            env=env,
            progress=shown,
            phases=shown,
        )
