"""Core metadata of an sdist: unpack it safely and ask its PEP 517 backend, in an isolated env.

PEP 643: a PKG-INFO of Metadata-Version 2.2+ whose dependencies are not ``Dynamic`` is used
as is. Otherwise the backend's ``prepare_metadata_for_build_wheel`` runs (or ``build_wheel`` when
the hook is missing) inside a `build.env.DefaultIsolatedEnv` whose build requirements pip
installs from the project's own indexes, with no machine-wide pip configuration.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from packaging.metadata import parse_email
from packaging.version import InvalidVersion, Version

from ..errors import BuildFailed
from .metadata import read_wheel_metadata

__all__ = ["SdistMetadataBuilder", "pip_environment", "static_pkg_info", "unpack_sdist"]

logger = logging.getLogger(__name__)

_DEPENDENCY_FIELDS = {"requires-dist", "requires-python", "provides-extra"}
_DEFAULT_BACKEND = "setuptools.build_meta:__legacy__"  # PEP 517: no [build-system] table
_DEFAULT_REQUIRES = ["setuptools>=40.8.0"]
OUTPUT_LINES = 20


def _check_member(name: str, filename: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.startswith(("/", "\\")) or ":" in name:
        raise BuildFailed(f"{filename}: refusing unsafe path {name!r} in the archive")
    return path


def unpack_sdist(archive: Path, dest: Path, filename: str) -> Path:
    """Extract a .tar.gz or .zip sdist into ``dest`` and return its project directory.

    Members with absolute paths or ``..``, device files and links pointing outside the archive
    are refused.
    """
    if filename.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                _check_member(name, filename)
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            for member in members:
                path = _check_member(member.name, filename)
                if member.isdev():
                    raise BuildFailed(f"{filename}: refusing device file {member.name!r}")
                if member.issym() or member.islnk():
                    base = path.parent if member.issym() else PurePosixPath()
                    target = _check_member(str(base / member.linkname), filename)
                    del target
            if hasattr(tarfile, "data_filter"):
                tf.extractall(dest, members=members, filter="data")
            else:  # pragma: no cover - Python without PEP 706 backports
                tf.extractall(dest, members=members)
    entries = [p for p in dest.iterdir() if p.is_dir()]
    if len(entries) == 1 and not (dest / "pyproject.toml").exists():
        return entries[0]
    return dest


def static_pkg_info(project_dir: Path) -> bytes | None:
    """PKG-INFO when PEP 643 makes its dependency fields reliable (2.2+, not Dynamic)."""
    try:
        data = (project_dir / "PKG-INFO").read_bytes()
    except OSError:
        return None
    raw, _ = parse_email(data)
    try:
        if Version(raw.get("metadata_version") or "0") < Version("2.2"):
            return None
    except InvalidVersion:
        return None
    if {d.lower() for d in raw.get("dynamic", [])} & _DEPENDENCY_FIELDS:
        return None
    return data


def _read_build_system(project_dir: Path) -> tuple[list[str], str, list[str] | None]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(project_dir / "pyproject.toml", "rb") as f:
            table = tomllib.load(f).get("build-system", {})
    except FileNotFoundError:
        return list(_DEFAULT_REQUIRES), _DEFAULT_BACKEND, None
    except (OSError, ValueError) as exc:
        raise BuildFailed(f"{project_dir.name}: unreadable pyproject.toml: {exc}") from exc
    requires = [str(r) for r in table.get("requires", _DEFAULT_REQUIRES)]
    backend = str(table.get("build-backend", _DEFAULT_BACKEND))
    backend_path = table.get("backend-path")
    return requires, backend, [str(p) for p in backend_path] if backend_path else None


def pip_environment(
    index_url: str | None, find_links: Sequence[str], base: Mapping[str, str]
) -> dict[str, str]:
    """Environment for the pip that installs build requirements: only the project's indexes."""
    env = {k: v for k, v in base.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
    )
    if index_url:
        env["PIP_INDEX_URL"] = index_url
    else:
        env["PIP_NO_INDEX"] = "1"
    if find_links:
        env["PIP_FIND_LINKS"] = " ".join(find_links)
    return env


class _Runner:
    """A pyproject-hooks subprocess runner that keeps the last lines of output for errors."""

    def __init__(self, extra: Mapping[str, str], base: Mapping[str, str]) -> None:
        self.extra = dict(extra)
        self.base = dict(base)
        self.output: deque[str] = deque(maxlen=OUTPUT_LINES)

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**self.base, **self.extra, **(extra_environ or {})}
        result = subprocess.run(
            list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.output.extend(result.stdout.decode("utf-8", "replace").splitlines())
        if result.returncode:
            raise subprocess.CalledProcessError(result.returncode, list(cmd))


class SdistMetadataBuilder:
    """Builds metadata for sdists; at most ``parallel`` builds run at once."""

    def __init__(
        self,
        *,
        index_url: str | None,
        find_links: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        parallel: int = 2,
    ) -> None:
        self.index_url = index_url
        self.find_links = tuple(find_links)
        self.env = dict(os.environ if env is None else env)
        self._slots = threading.Semaphore(parallel)

    def metadata(self, archive: Path, filename: str) -> bytes:
        """METADATA of the sdist at ``archive`` (``filename`` names it in errors)."""
        with tempfile.TemporaryDirectory(prefix="pallet-sdist-") as tmp:
            project_dir = unpack_sdist(archive, Path(tmp) / "src", filename)
            static = static_pkg_info(project_dir)
            if static is not None:
                logger.debug("%s: static PKG-INFO (PEP 643)", filename)
                return static
            with self._slots:
                return self._build(project_dir, Path(tmp), filename)

    def tree_metadata(self, project_dir: Path, label: str) -> bytes:
        """METADATA of a source tree (a local directory or a git checkout), built in place as
        pip and uv do; ``label`` names it in errors."""
        with tempfile.TemporaryDirectory(prefix="pallet-tree-") as tmp, self._slots:
            return self._build(project_dir, Path(tmp), label)

    def _install(self, env: object, requirements: Sequence[str], filename: str) -> None:
        if not requirements:
            return
        python = str(env.python_executable)  # type: ignore[attr-defined]
        if _host_has_pip():
            cmd = [sys.executable, "-m", "pip", "--python", python]
        else:  # pragma: no cover
            cmd = [python, "-Im", "pip"]
        cmd += ["install", "--no-warn-script-location", "--no-compile", *requirements]
        pip_env = pip_environment(self.index_url, self.find_links, self.env)
        result = subprocess.run(cmd, env=pip_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if result.returncode:
            tail = "\n".join(result.stdout.decode("utf-8", "replace").splitlines()[-OUTPUT_LINES:])
            raise BuildFailed(
                f"{filename}: installing build requirements {list(requirements)} failed:\n{tail}"
            )

    def _build(self, project_dir: Path, tmp: Path, filename: str) -> bytes:
        from build.env import DefaultIsolatedEnv
        from pyproject_hooks import BuildBackendHookCaller, HookMissing

        requires, backend, backend_path = _read_build_system(project_dir)
        with DefaultIsolatedEnv() as env:
            base = {k: v for k, v in self.env.items() if not k.startswith(("PIP_", "PYTHON"))}
            runner = _Runner(env.make_extra_environ(), base)
            hooks = BuildBackendHookCaller(
                str(project_dir),
                backend,
                backend_path=backend_path,
                runner=runner,
                python_executable=env.python_executable,
            )
            out = tmp / "out"
            out.mkdir()
            try:
                self._install(env, requires, filename)
                self._install(env, list(hooks.get_requires_for_build_wheel()), filename)
                try:
                    dist_info = hooks.prepare_metadata_for_build_wheel(
                        str(out), _allow_fallback=False
                    )
                    return (out / dist_info / "METADATA").read_bytes()
                except HookMissing:
                    logger.debug("%s: no prepare_metadata_for_build_wheel; building", filename)
                    wheel = hooks.build_wheel(str(out))
                    return read_wheel_metadata(out / wheel, wheel)
            except BuildFailed:
                raise
            except Exception as exc:
                output = "\n".join(runner.output)
                raise BuildFailed(
                    f"{filename}: the build backend {backend!r} failed to produce metadata "
                    f"({type(exc).__name__}); last output:\n{output}"
                ) from exc


def _host_has_pip() -> bool:
    """True when this interpreter's pip can install into another (``--python``, pip 22.3+);
    else `DefaultIsolatedEnv` has put a pip into the environment itself."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return Version(version("pip")) >= Version("22.3")
    except (PackageNotFoundError, InvalidVersion):
        return False
