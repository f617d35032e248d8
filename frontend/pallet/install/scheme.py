"""Where an environment's files go: the install scheme of one virtual environment.

The paths are those of the interpreter's venv scheme (sysconfig ``venv`` from 3.11, else
``posix_prefix``; PEP 405), with pip's ``headers`` location for a venv
(``include/site/pythonX.Y/<name>``). `Scheme.read` finds them from ``pyvenv.cfg`` and the
folders on disk without running the interpreter, so a sync that changes nothing starts no
process. Windows layouts (``Scripts``, ``Lib``) are read but the installer writes POSIX scripts
only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InstallError
from ..python.venv import VenvInterpreter, read_pyvenv_cfg

__all__ = ["Scheme"]


@dataclass(frozen=True)
class Scheme:
    """The install paths of one environment (absolute)."""

    root: Path  # the venv root ("data" scheme)
    purelib: Path
    platlib: Path
    scripts: Path
    include: Path
    python: Path  # the venv's interpreter (for script shebangs)
    python_version: tuple[int, int]

    def headers(self, name: str) -> Path:
        """``include/site/pythonX.Y/<name>``: where pip puts a venv's headers."""
        major, minor = self.python_version
        return self.root / "include" / "site" / f"python{major}.{minor}" / name

    @classmethod
    def for_venv(cls, root: Path, interpreter: VenvInterpreter) -> Scheme:
        """The scheme of the venv at `root` made for `interpreter` (its probed venv paths)."""
        root = Path(root).absolute()
        scripts = root / interpreter.scripts
        exe = "python.exe" if interpreter.os_name == "nt" else "python"
        return cls(
            root=root,
            purelib=root / interpreter.purelib,
            platlib=root / interpreter.platlib,
            scripts=scripts,
            include=root / interpreter.include,
            python=scripts / exe,
            python_version=(interpreter.version_info[0], interpreter.version_info[1]),
        )

    @classmethod
    def read(cls, root: Path) -> Scheme:
        """The scheme of the venv at `root`, from ``pyvenv.cfg`` and its folders; no subprocess."""
        root = Path(root).absolute()
        cfg = root / "pyvenv.cfg"
        try:
            config = read_pyvenv_cfg(cfg)
        except (OSError, UnicodeDecodeError) as exc:
            problem = getattr(exc, "strerror", None) or exc
            raise InstallError(f"{cfg}: cannot read this virtual environment: {problem}") from None
        version = config.get("version_info") or config.get("version") or ""
        try:
            major, minor = (int(p) for p in version.split(".")[:2])
        except ValueError:
            raise InstallError(f"{cfg}: no usable version_info ({version!r})") from None
        windows = (root / "Scripts").is_dir() and not (root / "bin").is_dir()
        if windows:
            scripts, lib, include = root / "Scripts", root / "Lib" / "site-packages", "Include"
            python = scripts / "python.exe"
        else:
            scripts, python = root / "bin", root / "bin" / "python"
            lib = _posix_site_packages(root, config, major, minor)
            include = f"include/python{major}.{minor}" if (major, minor) >= (3, 11) else "include"
            if (major, minor) >= (3, 11) and config.get("implementation", "").lower() == "pypy":
                include = f"include/pypy{major}.{minor}"
        if not lib.is_dir():
            raise InstallError(f"{root}: no site-packages folder at {lib}")
        return cls(
            root=root,
            purelib=lib,
            platlib=lib,
            scripts=scripts,
            include=root / include,
            python=python,
            python_version=(major, minor),
        )


def _posix_site_packages(root: Path, config: dict[str, str], major: int, minor: int) -> Path:
    """``lib/python3.X/site-packages`` (``lib/pypy3.X`` for PyPy 3.9+'s venvs)."""
    names = [f"python{major}.{minor}", f"pypy{major}.{minor}"]
    if config.get("implementation", "").lower() == "pypy":
        names.reverse()
    for name in names:
        path = root / "lib" / name / "site-packages"
        if os.path.isdir(path):
            return path
    return root / "lib" / names[0] / "site-packages"
