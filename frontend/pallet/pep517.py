"""PEP 517 frontend: build a project's sdist and wheel through whatever backend it declares.

The hook machinery is pypa/build's (`build.ProjectBuilder`, `build.env.DefaultIsolatedEnv`, which
run the hooks in a subprocess through `pyproject_hooks`). pallet adds three things:

- **Self-provisioning**: a build requirement that the running pallet installation already holds
  (``pallet-core`` and its dependencies, for projects built by pallet-core) is exposed to the
  isolated environment from this installation instead of being downloaded, so building a
  pallet-core project works offline and starts in milliseconds. Only distributions whose
  installed version satisfies the requirement are exposed; anything else is installed by the
  isolated environment's installer as usual.
- **Sdist first**: like pypa/build, the default builds the sdist, then the wheel *from the sdist*,
  so a wheel can never contain what the sdist forgot.
- **Errors without tracebacks**: hook output is captured; a failure shows the backend's own
  error message (the last exception of the hook's traceback) and keeps the full log for ``-v``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .errors import BuildFailed, ProjectError

if TYPE_CHECKING:
    import build

__all__ = ["BuildResult", "build_project"]

Distribution = Literal["sdist", "wheel"]

#: Build requirements pallet can provide from its own installation.
SELF_PROVIDED = frozenset({"pallet-core"})


@dataclass(frozen=True)
class BuildResult:
    """Paths of the distributions built, in the order they were built."""

    paths: tuple[Path, ...]


class _CapturingRunner:
    """A `pyproject_hooks` subprocess runner that keeps the hook's output instead of printing it."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.output = ""

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ.copy()
        if extra_environ:
            env.update(extra_environ)
        proc = subprocess.run(
            list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        text = proc.stdout.decode("utf-8", "replace")
        self.output += text
        if self.verbose and text:
            sys.stderr.write(text)
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, list(cmd), proc.stdout)


def hook_error_message(output: str) -> str:
    """The exception a failed hook raised, read from the end of its traceback.

    ``Traceback (most recent call last):`` is followed by indented frame lines, then the exception
    as ``module.Class: message`` (possibly several lines). We return the message without the
    class prefix; with no traceback, the last 20 lines of output.
    """
    marker = "Traceback (most recent call last):"
    start = output.rfind(marker)
    if start < 0:
        lines = [line for line in output.strip().splitlines() if line.strip()]
        return "\n".join(lines[-20:]) or "the build backend failed without output"
    lines = output[start + len(marker) :].splitlines()
    index = 0
    while index < len(lines) and (not lines[index] or lines[index].startswith(" ")):
        index += 1
    text = "\n".join(lines[index:]).strip()
    head, sep, rest = text.partition(": ")
    if sep and " " not in head:  # "pallet_core.errors.ConfigError: message"
        text = rest
    return text or "the build backend failed"


def _require_pyproject(project: Path) -> None:
    """Fail early, with a pallet message, when there is nothing to build."""
    if not (project / "pyproject.toml").is_file():
        raise ProjectError(
            f"{project / 'pyproject.toml'}: not found; pallet build needs a project directory "
            "with a pyproject.toml",
            path=str(project / "pyproject.toml"),
        )


@dataclass
class _Provided:
    """Where installed distributions live: entries to link, directories to put on sys.path."""

    links: set[Path]
    path_dirs: set[Path]


def _add_distribution(dist_name: str, into: _Provided) -> bool:
    """Add what makes one installed distribution importable; False when it is not installed.

    For a regular install that is the first path component of each RECORD entry (packages,
    modules, the dist-info). An editable install (PEP 660) records a ``.pth`` file instead of its
    sources: the directories that ``.pth`` names go on sys.path as the editable install does.
    """
    from importlib import metadata

    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return False
    for file in dist.files or []:
        relative = Path(str(file))
        parts = relative.parts
        if not parts or parts[0] == ".." or relative.is_absolute():
            continue
        located = Path(str(dist.locate_file(parts[0])))
        if len(parts) == 1 and relative.suffix == ".pth":
            for line in located.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith(("#", "import")) and Path(line).is_dir():
                    into.path_dirs.add(Path(line))
            continue
        into.links.add(located)
    return True


def _self_provided(requirements: Sequence[str]) -> tuple[list[str], _Provided]:
    """Which requirements this installation satisfies, and what provides them.

    A requirement is satisfied only when it is in SELF_PROVIDED, installed here in a matching
    version, and every one of its own runtime dependencies (for the isolated environment's
    Python, which is ours) is too.
    """
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    satisfied: list[str] = []
    provided = _Provided(set(), set())
    for text in requirements:
        req = Requirement(text)
        if canonicalize_name(req.name) not in SELF_PROVIDED or req.url:
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        closure = _Provided(set(), set())
        pending = [req]
        seen: set[str] = set()
        ok = True
        while pending and ok:
            current = pending.pop()
            name = canonicalize_name(current.name)
            if name in seen:
                continue
            seen.add(name)
            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                ok = False
                break
            ok = current.specifier.contains(version, prereleases=True) and _add_distribution(
                name, closure
            )
            for dep_text in metadata.requires(name) or []:
                dep = Requirement(dep_text)
                if dep.marker is None or dep.marker.evaluate({"extra": ""}):
                    pending.append(dep)
        if ok:
            satisfied.append(text)
            provided.links |= closure.links
            provided.path_dirs |= closure.path_dirs
    return satisfied, provided


def _expose(env_path: str, provided: _Provided) -> None:
    """Make what `provided` names importable (and visible to pip as installed) in the env.

    Entries are linked into one directory of symlinks; editable source directories are named as
    they are. A ``.pth`` file in the environment's site-packages adds both to sys.path; nothing
    else of this installation leaks in.
    """
    if not provided.links and not provided.path_dirs:
        return
    purelib = Path(sysconfig.get_path("purelib", vars={"base": env_path, "platbase": env_path}))
    purelib.mkdir(parents=True, exist_ok=True)
    linked = Path(env_path) / "pallet-provided"
    linked.mkdir(exist_ok=True)
    for path in sorted(provided.links):
        target = linked / path.name
        if target.exists():
            continue
        try:
            target.symlink_to(path, target_is_directory=path.is_dir())
        except OSError:  # no symlinks (some Windows setups): copy instead
            if path.is_dir():
                shutil.copytree(path, target)
            else:
                shutil.copy2(path, target)
    entries = [str(linked), *sorted(str(p) for p in provided.path_dirs)]
    pth = purelib / "_pallet_provided.pth"
    previous = pth.read_text(encoding="utf-8").splitlines() if pth.exists() else []
    lines = previous + [e for e in entries if e not in previous]
    pth.write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextmanager
def _builder(
    project: Path, *, isolation: bool, runner: _CapturingRunner
) -> Iterator[tuple[build.ProjectBuilder, object]]:
    import build
    import build.env

    if not isolation:
        yield build.ProjectBuilder(project, sys.executable, runner=runner), None
        return
    with build.env.DefaultIsolatedEnv() as env:
        builder = build.ProjectBuilder.from_isolated_env(env, project, runner=runner)
        yield builder, env


def _prepare_env(builder: build.ProjectBuilder, env: object, dist: Distribution) -> None:
    """Install the build requirements: self-provided ones first, the rest by the installer."""
    import build.env

    if env is None:
        return
    assert isinstance(env, build.env.DefaultIsolatedEnv)

    def install(requirements: Sequence[str]) -> None:
        satisfied, provided = _self_provided(requirements)
        _expose(env.path, provided)
        env.install([r for r in requirements if r not in satisfied])

    install(sorted(builder.build_system_requires))
    # The backend's own extra requirements can only be asked once the first set is in place.
    install(sorted(builder.get_requires_for_build(dist)))


def _build_one(
    project: Path,
    dist: Distribution,
    outdir: Path,
    *,
    isolation: bool,
    verbose: bool,
    config_settings: Mapping[str, str | list[str]] | None,
) -> Path:
    import build

    runner = _CapturingRunner(verbose)
    try:
        with _builder(project, isolation=isolation, runner=runner) as (builder, env):
            _prepare_env(builder, env, dist)
            built = builder.build(dist, outdir, dict(config_settings or {}))
    except build.BuildBackendException as exc:
        message = hook_error_message(runner.output)
        raise BuildFailed(f"{project}: building the {dist} failed:\n{message}") from exc
    except build.BuildException as exc:
        raise BuildFailed(f"{project}: {exc}") from exc
    except subprocess.CalledProcessError as exc:  # installing build requirements failed
        output = "".join(
            part.decode("utf-8", "replace") if isinstance(part, bytes) else part or ""
            for part in (exc.output, exc.stderr)
        )
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise BuildFailed(
            f"{project}: installing the build requirements failed:\n{tail}".rstrip()
        ) from exc
    return Path(built)


def _unpack_sdist(sdist: Path, into: Path) -> Path:
    """Extract an sdist we just built; its one top directory is the project to build from."""
    with tarfile.open(sdist) as tar:
        if sys.version_info >= (3, 12):
            tar.extractall(into, filter="data")
        else:  # our own sdist: members were just written by the backend; still refuse escapes
            for member in tar.getmembers():
                if member.name.startswith(("/", "..")) or ".." in Path(member.name).parts:
                    raise BuildFailed(f"{sdist}: unsafe member {member.name!r}")
            tar.extractall(into)
    tops = [p for p in into.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise BuildFailed(f"{sdist}: an sdist must hold exactly one top directory")
    return tops[0]


def build_project(
    project: Path,
    outdir: Path,
    *,
    distributions: Sequence[Distribution] = ("sdist", "wheel"),
    isolation: bool = True,
    verbose: bool = False,
    config_settings: Mapping[str, str | list[str]] | None = None,
) -> BuildResult:
    """Build `distributions` of the project at `project` into `outdir`.

    With both sdist and wheel asked for, the wheel is built from the unpacked sdist.
    """
    project = project.resolve()
    _require_pyproject(project)
    outdir.mkdir(parents=True, exist_ok=True)
    built: list[Path] = []

    def one(source: Path, dist: Distribution) -> Path:
        return _build_one(
            source,
            dist,
            outdir,
            isolation=isolation,
            verbose=verbose,
            config_settings=config_settings,
        )

    if "sdist" in distributions:
        sdist = one(project, "sdist")
        built.append(sdist)
        if "wheel" in distributions:
            with tempfile.TemporaryDirectory(prefix="pallet-sdist-") as tmp:
                built.append(one(_unpack_sdist(sdist, Path(tmp)), "wheel"))
    elif "wheel" in distributions:
        built.append(one(project, "wheel"))
    return BuildResult(tuple(built))
