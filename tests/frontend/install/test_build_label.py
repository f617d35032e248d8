"""install.build_label: the spinner's ``Building NAME with BACKEND``, read from a tree or an
sdist; PEP 517's legacy setuptools backend where pyproject.toml names none."""

from __future__ import annotations

from pathlib import Path

import pytest
from pallet.install.build_label import project_label, sdist_label, tree_label
from support.dists import make_sdist

LEGACY = "setuptools.build_meta:__legacy__"  # PEP 517, "Source trees" / build-backend


def test_a_tree_names_its_backend_or_the_legacy_one(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n[build-system]\nbuild-backend = "hatchling.build"\n'
    )
    assert tree_label("demo", tmp_path) == "Building demo with hatchling.build"
    assert project_label(tmp_path) == "Building demo with hatchling.build"
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\n')
    assert tree_label("demo", tmp_path) == f"Building demo with {LEGACY}"
    assert project_label(tmp_path) == f"Building {tmp_path.name} with {LEGACY}"
    (tmp_path / "pyproject.toml").unlink()
    assert tree_label("demo", tmp_path) == f"Building demo with {LEGACY}"


def test_a_broken_pyproject_gives_the_name_alone(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[build-system\n")
    assert tree_label("demo", tmp_path) == "Building demo"
    assert project_label(tmp_path) == f"Building {tmp_path.name}"


@pytest.mark.parametrize("archive", ["tar.gz", "zip"])
def test_an_sdist_is_read_without_unpacking(tmp_path: Path, archive: str) -> None:
    sdist = make_sdist(tmp_path, "demo", "1.0", archive=archive)  # type: ignore[arg-type]
    assert sdist_label("demo", sdist, sdist.name) == "Building demo with intree_backend"


def test_a_corrupt_sdist_gives_the_name_alone(tmp_path: Path) -> None:
    bad = tmp_path / "demo-1.0.tar.gz"
    bad.write_bytes(b"not a tar file")
    assert sdist_label("demo", bad, bad.name) == "Building demo"
