"""Who installs a build's requirements into its isolated environment.

`RequirementInstaller` is the small protocol the builder talks to. Two installers exist:
`MachineInstaller` (pypa/build's own, with the machine's pip configuration: what ``pallet build``
uses, like ``python -m build``) and `IndexInstaller` (pip restricted to the project's own indexes,
with no machine-wide pip configuration: what locking uses for sdists, so that a lock depends on
nothing but the project's configuration). Requirements that this pallet installation satisfies
(`provided.SELF_PROVIDED`) never reach either: the builder exposes them first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

__all__ = [
    "EnvironmentFactory",
    "IndexInstaller",
    "IsolatedEnvironment",
    "MachineInstaller",
    "RequirementInstaller",
    "hook_environment",
    "pip_environment",
]


class IsolatedEnvironment(Protocol):
    """The isolated environment a build runs in (`build.env.DefaultIsolatedEnv` is one)."""

    @property
    def path(self) -> str:
        """The environment's root directory."""

    @property
    def python_executable(self) -> str:
        """Its interpreter."""

    def make_extra_environ(self) -> Mapping[str, str] | None:
        """Variables the hooks run with inside it (its scripts folder first on ``PATH``)."""

    def install(self, requirements: Collection[str]) -> None:
        """Install with pypa/build's installer (the machine's pip configuration)."""


#: Makes one fresh isolated environment per hook call, removed when the context ends. The default
#: is pypa/build's `build.env.DefaultIsolatedEnv`; ``pallet build`` passes a pallet venv filled
#: from the store (`pallet.cli.build_env`).
EnvironmentFactory = Callable[[], AbstractContextManager[IsolatedEnvironment]]


class RequirementInstaller(Protocol):
    """Installs PEP 508 build requirements into an isolated environment.

    ``install`` raises `subprocess.CalledProcessError` (with the installer's output) on failure,
    or `ResolutionError` (one line: the requirements and why no version fits); the builder turns
    either into a `BuildFailed` naming what was being built.
    """

    def install(self, env: IsolatedEnvironment, requirements: Sequence[str]) -> None: ...


class MachineInstaller:
    """pypa/build's installer, configured by the machine (pip.conf, ``PIP_*``), as ``python -m
    build`` would; used for the project's own builds."""

    def install(self, env: IsolatedEnvironment, requirements: Sequence[str]) -> None:
        if requirements:
            env.install(list(requirements))


def pip_environment(
    index_url: str | None, find_links: Sequence[str], base: Mapping[str, str]
) -> dict[str, str]:
    """Environment for a pip that may use only the project's indexes (no pip.conf, no ``PIP_*``
    or ``UV_*`` from the caller)."""
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


def hook_environment(base: Mapping[str, str]) -> dict[str, str]:
    """Environment for hooks run on another project's sdist: no ``PIP_*`` or ``PYTHON*``
    variables of the caller, so that neither its pip configuration nor its ``PYTHONPATH``
    changes what the backend reports."""
    return {k: v for k, v in base.items() if not k.startswith(("PIP_", "PYTHON"))}


class IndexInstaller:
    """pip, given only the project's default index (credentials in the URL) and flat indexes."""

    def __init__(
        self,
        index_url: str | None,
        find_links: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.index_url = index_url
        self.find_links = tuple(find_links)
        self.env = dict(os.environ if env is None else env)

    def install(self, env: IsolatedEnvironment, requirements: Sequence[str]) -> None:
        if not requirements:
            return
        python = env.python_executable
        if _host_has_pip():
            cmd = [sys.executable, "-m", "pip", "--python", python]
        else:  # pragma: no cover - DefaultIsolatedEnv has put a pip into the environment
            cmd = [python, "-Im", "pip"]
        cmd += ["install", "--no-warn-script-location", "--no-compile", *requirements]
        pip_env = pip_environment(self.index_url, self.find_links, self.env)
        result = subprocess.run(cmd, env=pip_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if result.returncode:
            raise subprocess.CalledProcessError(result.returncode, cmd, result.stdout)


def _host_has_pip() -> bool:
    """True when this interpreter's pip can install into another (``--python``, pip 22.3+)."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.version import InvalidVersion, Version

    try:
        return Version(version("pip")) >= Version("22.3")
    except (PackageNotFoundError, InvalidVersion):
        return False
