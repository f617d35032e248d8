"""``pallet build``: the project's own sdist and wheel, through whatever backend it declares.

Like pypa/build, the default builds the sdist, then the wheel *from the sdist*, so a wheel can
never contain what the sdist forgot. The caller injects who makes the isolated environments and
installs the build requirements (``pallet build``: pallet's own resolver and linking installer,
`pallet.cli.build_env`); the default is pypa/build's environment with the machine's pip
(`MachineInstaller`), as ``python -m build`` would. Requirements pallet provides itself never
reach either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProjectError
from .hooks import Distribution, Pep517Builder
from .installers import EnvironmentFactory, MachineInstaller, RequirementInstaller

__all__ = ["BuildResult", "build_project"]


@dataclass(frozen=True)
class BuildResult:
    """Paths of the distributions built, in the order they were built."""

    paths: tuple[Path, ...]


def _require_pyproject(project: Path) -> None:
    """Fail early, with a pallet message, when there is nothing to build."""
    if not (project / "pyproject.toml").is_file():
        raise ProjectError(
            f"{project / 'pyproject.toml'}: not found; pallet build needs a project directory "
            "with a pyproject.toml",
            path=str(project / "pyproject.toml"),
        )


def build_project(
    project: Path,
    outdir: Path,
    *,
    distributions: Sequence[Distribution] = ("sdist", "wheel"),
    isolation: bool = True,
    verbose: bool = False,
    config_settings: Mapping[str, str | list[str]] | None = None,
    installer: RequirementInstaller | None = None,
    environment: EnvironmentFactory | None = None,
) -> BuildResult:
    """Build `distributions` of the project at `project` into `outdir`.

    With both sdist and wheel asked for, the wheel is built from the unpacked sdist.
    """
    project = project.resolve()
    _require_pyproject(project)
    outdir.mkdir(parents=True, exist_ok=True)
    builder = Pep517Builder(
        (installer or MachineInstaller()) if isolation else None,
        verbose=verbose,
        config_settings=config_settings,
        environment=environment,
    )
    built: list[Path] = []
    if "sdist" in distributions:
        sdist = builder.build(project, "sdist", outdir)
        built.append(sdist)
        if "wheel" in distributions:
            built.append(builder.wheel_from_sdist(sdist, outdir))
    elif "wheel" in distributions:
        built.append(builder.build(project, "wheel", outdir))
    return BuildResult(tuple(built))
