"""Fixtures of the install tests: real venvs made by pallet, pip run on them from outside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from pallet.install.scheme import Scheme
from pallet.python.venv import VenvInterpreter, create_venv

#: pip reads no machine configuration and reaches no index (PIP_CONFIG_FILE=/dev/null).
PIP_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))},
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_NO_INDEX": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
}


@pytest.fixture(scope="session")
def interpreter() -> VenvInterpreter:
    return VenvInterpreter.probe(sys.executable)


@pytest.fixture
def make_venv(tmp_path: Path, interpreter: VenvInterpreter) -> Callable[[str], Scheme]:
    """A fresh pallet venv (no pip in it) under tmp_path, as its `Scheme`."""

    def make(name: str = "venv") -> Scheme:
        return Scheme.for_venv(create_venv(tmp_path / name, interpreter), interpreter)

    return make


def pip(scheme: Scheme, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The test environment's pip, acting on the venv of `scheme` (``pip --python``)."""
    command = [sys.executable, "-m", "pip", "--python", str(scheme.python), *args]
    proc = subprocess.run(command, capture_output=True, text=True, env=PIP_ENV, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{command} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def pip_list(scheme: Scheme) -> dict[str, str]:
    rows = json.loads(pip(scheme, "list", "--format=json").stdout)
    return {canonicalize_name(row["name"]): row["version"] for row in rows}


def tree(root: Path) -> set[str]:
    """Every file and symlink under `root`, relative, posix."""
    return {
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()
    }
