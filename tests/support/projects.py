"""Build-side test support: fixture projects copied to tmp_path, PEP 517 hooks run in-process,
``[project]`` tables read as pallet-core reads them.

from support.projects import CASES, copy_fixture, error_at, project_at, run_hook, write_tree
"""

from __future__ import annotations

import os
import shutil
import textwrap
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pallet_core.project import Project

PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "projects"

#: Every fixture project under fixtures/projects/, by case name.
CASES = sorted(p.name for p in PROJECTS.iterdir() if (p / "pyproject.toml").is_file())

BUILD_SYSTEM = '[build-system]\nrequires = ["pallet-core"]\nbuild-backend = "pallet_core.build"\n\n'


def copy_fixture(case: str, dest: Path) -> Path:
    """Copy fixtures/projects/<case> to ``dest/<case>`` and return that root."""
    root = dest / case
    shutil.copytree(PROJECTS / case, root)
    return root


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text, dedented) below ``root``; return ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def pyproject(name: str = "demo", version: str = "1.0.0", extra: str = "") -> str:
    """A minimal pyproject.toml with pallet-core as its backend."""
    body = f'[project]\nname = "{name}"\nversion = "{version}"\n'
    return BUILD_SYSTEM + body + textwrap.dedent(extra)


def project_at(root: Path, text: str) -> Project:
    """The ``[project]`` of pyproject.toml ``text`` (dedented), for a project at ``root``."""
    from pallet_core.project import read_project
    from pallet_core.pyproject import parse_pyproject

    return read_project(parse_pyproject(textwrap.dedent(text)), root)


def error_at(root: Path, text: str) -> str:
    """The ConfigError message ``project_at(root, text)`` must raise."""
    from pallet_core.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        project_at(root, text)
    return str(info.value)


def run_hook(root: Path, hook: str, *args: object) -> object:
    """Call ``pallet_core.build.<hook>(*args)`` with ``root`` as working directory (PEP 517)."""
    import pallet_core.build

    previous = Path.cwd()
    os.chdir(root)
    try:
        return getattr(pallet_core.build, hook)(*args)
    finally:
        os.chdir(previous)


def build(root: Path, hook: str, out: Path, *args: object) -> Path:
    """Run a build hook (``build_wheel``, ``build_sdist``, ``build_editable``); the file made."""
    name = run_hook(root, hook, str(out), *args)
    assert isinstance(name, str)
    return out / name


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def zip_text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")
