"""The PEP 517 build frontend: the one place pallet runs build backends.

- `Pep517Builder` (`hooks`): metadata (``prepare_metadata_for_build_wheel``, falling back to
  ``build_wheel``), wheels and sdists of a source tree, or a wheel from an sdist archive, each in
  a fresh isolated environment.
- `RequirementInstaller` (`installers`): who installs the build requirements there:
  `MachineInstaller` (the machine's pip configuration, the default) or `IndexInstaller`
  (only the project's indexes, for sdists met while locking and syncing); ``pallet build`` and
  ``pallet version`` inject pallet's own resolver and installer (`pallet.cli.build_env`) with
  an `EnvironmentFactory` making pallet venvs.
- `provided`: ``pallet-core`` comes from this installation, offline.
- `sdists`: safe unpacking and PEP 643 static metadata of sdists.
- `project`: ``pallet build`` (sdist, then the wheel from it).

Importing this package is cheap: pypa/build is imported when a hook first runs.
"""

from __future__ import annotations

from .hooks import Distribution, Pep517Builder, hook_error_message
from .installers import (
    EnvironmentFactory,
    IndexInstaller,
    IsolatedEnvironment,
    MachineInstaller,
    RequirementInstaller,
    hook_environment,
    pip_environment,
)
from .project import BuildResult, build_project
from .sdists import static_pkg_info, unpack_sdist

__all__ = [
    "BuildResult",
    "Distribution",
    "EnvironmentFactory",
    "IndexInstaller",
    "IsolatedEnvironment",
    "MachineInstaller",
    "Pep517Builder",
    "RequirementInstaller",
    "build_project",
    "hook_environment",
    "hook_error_message",
    "pip_environment",
    "static_pkg_info",
    "unpack_sdist",
]
