"""Isolated build environments filled by pallet itself: no pip, no pip configuration.

``pallet build`` and ``pallet version`` (a dynamic version's metadata) hand `pallet.pep517` two
things (the layers allow ``pep517`` no resolver or installer, so they are injected from here):

- `StoreEnvironments`: each hook call gets a **fresh** venv (`python.venv.create_venv`, no pip)
  for the build interpreter, in a temporary folder (``.env-*``, a temp name `pallet cache
  prune` removes once a crash left it a day) under the cache root's ``build-envs-v1/``
  (the store's filesystem, so its files can be hard links), removed when the hook returns. A
  build never sees another build's leftovers: nothing a backend writes into its environment
  outlives it.
- `StoreInstaller`: the build requirements resolved for that interpreter by the one resolver
  driver ``pallet run`` uses for its environments (`run_env`: a synthetic virtual project, the
  normal lock machinery, `run_env.lock_folder`), against the project's indexes
  (``[[tool.pallet.index]]``, else ``PALLET_INDEX_URL``, else PyPI), then installed by
  `install.sync.install_lock`: wheels unpacked once into the shared store and hard-linked in,
  as ``pallet sync`` installs. The lock is cached in ``build-locks-v1/<key>/`` by the same key
  as ``pallet run``'s environments (`run_env.EnvRequest.key`: the normalized requirements, the
  interpreter, the indexes), so a second build asks no index anything; ``pallet cache clean``
  forgets it. A second round (``get_requires_for_build_wheel``/``_sdist``) resolves the union
  of both rounds and syncs the same venv to it.

Requirements this pallet installation provides (`pep517.provided`: pallet-core) never get here:
``pallet build`` of a pallet-core project stays offline.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from .. import ui
from ..errors import PalletError, ResolutionError
from .run_env import (
    READY,
    EnvRequest,
    default_indexes,
    file_lock,
    here_only,
    install_into,
    is_ready,
    lock_folder,
    project_index_config,
    synthetic_pyproject,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..pep517.installers import IsolatedEnvironment
    from ..project.model import IndexConfig
    from ..python.venv import VenvInterpreter

__all__ = ["StoreEnvironment", "StoreEnvironments", "StoreInstaller", "project_indexes"]

ENVS = "build-envs-v1"
LOCKS = "build-locks-v1"


class StoreEnvironment:
    """One fresh pallet venv for one hook call (pypa/build's `IsolatedEnv` protocol)."""

    def __init__(self, path: Path, interpreter: VenvInterpreter) -> None:
        self.root = path
        self.interpreter = interpreter

    @property
    def path(self) -> str:
        return str(self.root)

    @property
    def python_executable(self) -> str:
        return str(self.root / self.interpreter.scripts / "python")

    @property
    def purelib(self) -> str:
        """Its site-packages (`pep517.provided.expose` links pallet-core there)."""
        return str(self.root / self.interpreter.purelib)

    def make_extra_environ(self) -> dict[str, str]:
        """Its scripts first on ``PATH``; an empty ``PYTHONPATH`` (read as unset) so that the
        caller's does not leak in, as pypa/build does."""
        scripts = str(self.root / self.interpreter.scripts)
        path = os.environ.get("PATH")
        return {"PATH": os.pathsep.join([scripts, path]) if path else scripts, "PYTHONPATH": ""}

    def install(self, requirements: object) -> None:
        raise TypeError("a pallet build environment is filled by StoreInstaller, not by pip")


class StoreEnvironments:
    """The `pep517.EnvironmentFactory` of fresh pallet venvs for `interpreter`."""

    def __init__(self, interpreter: VenvInterpreter, cache_root: Path) -> None:
        self.interpreter = interpreter
        self.parent = cache_root / ENVS

    @contextlib.contextmanager
    def __call__(self) -> Iterator[IsolatedEnvironment]:
        from ..python.venv import create_venv

        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=".env-", dir=self.parent))
        except OSError:
            # a read-only cache: the system's temp folder (a build needing nothing installed,
            # pallet-core's, still works; one that does meets the store's own error)
            try:
                folder = Path(tempfile.mkdtemp(prefix="pallet-build-env-"))
            except OSError as exc:
                raise PalletError(
                    f"{self.parent}: cannot make a build environment there: {exc.strerror or exc}"
                ) from None
        try:
            venv = create_venv(folder / "venv", self.interpreter, prompt="pallet-build")
            yield StoreEnvironment(venv, self.interpreter)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


class StoreInstaller:
    """Build requirements resolved by pallet's resolver, installed by its linking installer.

    `label` names the project in messages; `display`: the download display (off within
    ``pallet sync``'s own); `indexes` and `sources` are what the resolution may
    use (`project_indexes`). No version fitting is one `ResolutionError` line naming the
    requirements, which the builder prefixes with what it was building (`BuildFailed`, exit 1);
    an index that cannot be reached stays `IndexError_` (exit 3).
    """

    def __init__(
        self,
        interpreter: VenvInterpreter,
        *,
        label: str,
        indexes: Sequence[IndexConfig],
        sources: Mapping[str, str] | None = None,
        offline: bool = False,
        env: Mapping[str, str] | None = None,
        display: bool = True,
    ) -> None:
        self.interpreter = interpreter
        self.display = display
        self.label = label
        self.indexes = tuple(indexes)
        self.sources = dict(sources or {})
        self.offline = offline
        self.env = dict(os.environ if env is None else env)
        #: environment path -> the requirements installed there so far (both rounds)
        self._installed: dict[str, list[str]] = {}

    def install(self, env: IsolatedEnvironment, requirements: Sequence[str]) -> None:
        if not requirements:
            return
        from packaging.requirements import InvalidRequirement, Requirement

        installed = self._installed.setdefault(env.path, [])
        wanted = installed + [r for r in requirements if r not in installed]
        try:
            parsed = tuple(Requirement(r) for r in wanted)
        except InvalidRequirement as exc:
            raise ResolutionError(f"invalid build requirement: {exc}") from None
        request = EnvRequest(
            requirements=parsed,
            python=os.path.realpath(self.interpreter.base_executable),
            python_version=f"{self.interpreter.implementation} {self.interpreter.version}",
            indexes=self.indexes,
            sources=self.sources,
        )
        try:
            lock = cached_lock(request, label=self.label, offline=self.offline, env=self.env)
        except ResolutionError as exc:
            raise ResolutionError(_one_line(str(exc), request, wanted)) from None
        install_into(lock, Path(env.path), offline=self.offline, env=self.env, display=self.display)
        installed[:] = wanted


def _one_line(message: str, request: EnvRequest, wanted: Sequence[str]) -> str:
    """The resolver's explanation as one line: the build requirements its chain of causes
    starts from (``build-<key8> depends on X``: the synthetic project's own edges), else all of
    them, and the first line of the reason."""
    root = f"build-{request.key()[:8]} depends on "
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    culprits = [line[len(root) :] for line in lines if line.startswith(root)]
    reason = next((line for line in lines if not line.startswith(root)), "no solution")
    named = ", ".join(dict.fromkeys(culprits)) or ", ".join(wanted)
    return f"{named}: {reason.rstrip(':')}"


def cached_lock(request: EnvRequest, *, label: str, offline: bool, env: Mapping[str, str]) -> Path:
    """The pylock.toml of `request`'s requirements: ``build-locks-v1/<key>/pylock.toml``,
    resolved once under the key's file lock and reused while its ready file holds the key."""
    from ..index.cache import Cache

    cache = Cache.default(env)
    key = request.key()
    folder = cache.root / LOCKS / key
    lock = folder / "pylock.toml"
    if is_ready(folder, key, "pylock.toml"):
        return lock
    cache.check_writable()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(folder.parent / f"{key}.lock"):
        if is_ready(folder, key, "pylock.toml"):
            return lock
        shutil.rmtree(folder, ignore_errors=True)
        ui.info(f"Resolving the build requirements of {label}")
        try:
            folder.mkdir()
            minor = ".".join(map(str, request.python_version.split()[-1].split(".")[:2]))
            (folder / "pyproject.toml").write_text(
                synthetic_pyproject(
                    f"build-{key[:8]}", request, f"=={minor}.*", here_only(request.python, env)
                ),
                encoding="utf-8",
            )
            lock_folder(folder, offline=offline)
            ready = {"key": key, "requirements": [str(r) for r in request.requirements]}
            (folder / READY).write_text(json.dumps(ready, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise PalletError(
                f"{exc.filename or folder}: cannot resolve the build requirements of {label}: "
                f"{exc.strerror or exc}"
            ) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return lock


def project_indexes(
    root: Path, data: Mapping[str, object], env: Mapping[str, str]
) -> tuple[tuple[IndexConfig, ...], dict[str, str]]:
    """The indexes a project's build requirements come from: its ``[[tool.pallet.index]]``
    (flat paths made absolute) with its ``[tool.pallet.sources]``; without any, the one
    ``PALLET_INDEX_URL`` names, else PyPI. ``data`` is the parsed pyproject.toml. A workspace
    member's come from its workspace (the root's indexes, which every member's lock uses:
    `project.workspace.workspace_spec`), so that building a member finds them."""
    from ..project.locate import find_root

    found = find_root(str(root))
    if found is not None and Path(found[0]) != Path(found[1]):  # a member: its workspace's
        from ..project.pyproject import load_toml

        workspace = Path(found[0])
        if _names_index(load_toml(workspace / "pyproject.toml", str(workspace))) or _names_index(
            data
        ):
            return project_index_config(workspace)
        return default_indexes(env), {}
    if not _names_index(data):
        return default_indexes(env), {}
    return project_index_config(root)


def _names_index(data: Mapping[str, object]) -> bool:
    """Whether a parsed pyproject.toml has ``[[tool.pallet.index]]``."""
    tool = data.get("tool")
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    return isinstance(pallet, dict) and "index" in pallet


def store_build(
    root: Path,
    data: Mapping[str, object],
    *,
    python: str | None,
    label: str,
    offline: bool = False,
    env: Mapping[str, str] | None = None,
) -> tuple[StoreInstaller, StoreEnvironments]:
    """The installer and environment factory for building the project at `root`: the build
    interpreter is the project's (`python.discovery`: ``--python``, ``PALLET_PYTHON``,
    ``.python-version``, then the first on ``PATH`` that fits ``requires-python``), not
    necessarily the one running pallet."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from ..install.target import venv_interpreter_for
    from ..python.discovery import find_python
    from ..python.facts import FactsCache

    env = os.environ if env is None else env
    project = data.get("project")
    text = project.get("requires-python") if isinstance(project, dict) else None
    try:
        requires_python = SpecifierSet(text) if isinstance(text, str) else None
    except InvalidSpecifier:
        requires_python = None  # the backend reports it
    facts = FactsCache.default()
    path = find_python(requires_python, python, project=root, cache=facts).path
    interpreter = venv_interpreter_for(path, facts.root.parent)
    indexes, sources = project_indexes(root, data, env)
    installer = StoreInstaller(
        interpreter, label=label, indexes=indexes, sources=sources, offline=offline, env=env
    )
    return installer, StoreEnvironments(interpreter, _cache_root(env))


def _cache_root(env: Mapping[str, str]) -> Path:
    from ..index.cache import Cache

    return Cache.default(env).root
