"""A lock over a local (flat) index: PEP 751 ``path`` entries that other installers accept and
that move with the checkout (issue 10, defect 1)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from support.dists import make_wheel
from support.lock_tools import lock_pyproject, pylock_selection, run_pallet_lock, uv_install

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

UV = Path(sys.executable).parent / "uv"


#: the index is a flat folder of wheels (find-links)
FLAT = 'format = "flat"\n'


def _wheels(folder: Path) -> None:
    make_wheel(folder, "foo", "1.0", requires_dist=["bar"])
    make_wheel(folder, "foo", "2.0", requires_dist=["bar"])
    make_wheel(folder, "bar", "1.0")
    make_wheel(folder, "bar", "0.9")


def _check_valid(lock: dict[str, Any]) -> None:
    from packaging.pylock import Pylock
    from pallet.lock.validate import validate_lock

    assert validate_lock(lock) == []
    Pylock.from_dict(lock)  # raises on anything invalid


def _lock(project: Path, env: dict[str, str]) -> dict[str, Any]:
    proc = run_pallet_lock(project, env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = tomllib.loads((project / "pylock.toml").read_text(encoding="utf-8"))
    return data


def test_relative_flat_index_lock_moves_with_the_checkout(
    tmp_path: Path, env: dict[str, str]
) -> None:
    project = tmp_path / "here" / "project"
    _wheels(project / "wheels")
    (project / "pyproject.toml").write_text(
        lock_pyproject("wheels", ["foo<2"], index_keys=FLAT), encoding="utf-8"
    )
    lock = _lock(project, env)
    _check_valid(lock)
    for package in lock["packages"]:
        assert "index" not in package  # PEP 751: a URL or nothing; a folder is not a URL
        for wheel in package["wheels"]:
            assert "url" not in wheel
            assert wheel["path"] == f"wheels/{wheel['name']}"
    expected = pylock_selection(lock, [], None)
    assert expected == {"foo": "1.0", "bar": "1.0"}

    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(project, moved)
    shutil.rmtree(project)  # nothing of the first checkout is left to point at
    installed = uv_install(UV, tmp_path / "uv", moved / "pylock.toml", timeout=120)
    assert installed == expected


def test_absolute_flat_index_outside_the_project(tmp_path: Path, env: dict[str, str]) -> None:
    wheels = tmp_path / "opt" / "wheels"
    _wheels(wheels)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        lock_pyproject(str(wheels), ["foo<2"], index_keys=FLAT), encoding="utf-8"
    )
    lock = _lock(project, env)
    _check_valid(lock)
    paths = [w["path"] for p in lock["packages"] for w in p["wheels"]]
    assert paths and all(Path(p).is_absolute() and Path(p).parent == wheels for p in paths)

    moved = tmp_path / "moved"
    shutil.copytree(project, moved)
    shutil.rmtree(project)
    installed = uv_install(UV, tmp_path / "uv", moved / "pylock.toml", timeout=120)
    assert installed == pylock_selection(lock, [], None)


@pytest.mark.parametrize("url", ["missing-wheels", "/nonexistent/pallet-wheels"])
def test_missing_flat_index_folder_is_one_line(
    tmp_path: Path, env: dict[str, str], url: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        lock_pyproject(url, ["foo<2"], index_keys=FLAT), encoding="utf-8"
    )
    proc = run_pallet_lock(project, env, timeout=60)
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "does not exist" in lines[0] and Path(url).name in lines[0]
    assert not (project / "pylock.toml").exists()
