"""Source distributions (PEP 517, 625, 643) and wheels built from them, in-process."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Callable

import pytest
from packaging.metadata import Metadata
from support.projects import CASES, build, copy_fixture, zip_text

MakeProject = Callable[..., Path]


def members(sdist: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(sdist) as archive:
        return archive.getmembers()


def unpack(sdist: Path, dest: Path) -> Path:
    with tarfile.open(sdist) as archive:
        top = {m.name.split("/")[0] for m in archive.getmembers()}
        assert len(top) == 1
        for member in archive.getmembers():
            extracted = archive.extractfile(member)
            assert extracted is not None
            path = dest / member.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(extracted.read())
            path.chmod(member.mode)
    return dest / top.pop()


def test_sdist_layout_and_members(tmp_path: Path) -> None:
    root = copy_fixture("src-layout", tmp_path)
    (root / "src" / "srcdemo" / "trace.log").write_text("ignored\n")
    sdist = build(root, "build_sdist", tmp_path / "out")
    assert sdist.name == "srcdemo-1.0.0.tar.gz"  # PEP 625
    assert [m.name for m in members(sdist)] == [
        "srcdemo-1.0.0/.gitignore",
        "srcdemo-1.0.0/PKG-INFO",
        "srcdemo-1.0.0/README.md",
        "srcdemo-1.0.0/pyproject.toml",
        "srcdemo-1.0.0/src/srcdemo/__init__.py",
        "srcdemo-1.0.0/src/srcdemo/cli.py",
        "srcdemo-1.0.0/src/srcdemo/data/greeting.txt",
        "srcdemo-1.0.0/src/srcdemo/py.typed",
        "srcdemo-1.0.0/src/srcdemo/sub/__init__.py",
    ]
    for member in members(sdist):
        assert member.isreg()
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mode == 0o644


def test_sdist_name_is_normalised(tmp_path: Path) -> None:
    root = copy_fixture("namespace-package", tmp_path)
    sdist = build(root, "build_sdist", tmp_path / "out")
    assert sdist.name == "acme_tools-2.0.0.tar.gz"
    assert members(sdist)[0].name.startswith("acme_tools-2.0.0/")


def test_pkg_info_is_the_metadata(tmp_path: Path) -> None:
    root = copy_fixture("readme-rst", tmp_path)
    sdist = build(root, "build_sdist", tmp_path / "out")
    wheel = build(root, "build_wheel", tmp_path / "out")
    with tarfile.open(sdist) as archive:
        extracted = archive.extractfile("readmerst-1.0.0/PKG-INFO")
        assert extracted is not None
        pkg_info = extracted.read().decode()
    assert pkg_info == zip_text(wheel, "readmerst-1.0.0.dist-info/METADATA")
    parsed = Metadata.from_email(pkg_info, validate=True)
    assert parsed.description_content_type == "text/x-rst"


def test_executable_bit_kept(tmp_path: Path) -> None:
    root = copy_fixture("data-and-scripts", tmp_path)
    (root / "scripts" / "datademo-shell").chmod(0o755)
    sdist = build(root, "build_sdist", tmp_path / "out")
    modes = {m.name: m.mode for m in members(sdist)}
    assert modes["datademo-0.1.0/scripts/datademo-shell"] == 0o755
    assert modes["datademo-0.1.0/pyproject.toml"] == 0o644


def test_sdist_include_extras(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project(
        {"src/demo/__init__.py": "", "tests/test_demo.py": "", "docs/index.md": ""},
        extra='[tool.pallet.build]\nsdist-include = ["tests/"]\n',
    )
    sdist = build(root, "build_sdist", tmp_path / "out")
    names = [m.name for m in members(sdist)]
    assert "demo-1.0.0/tests/test_demo.py" in names
    assert "demo-1.0.0/docs/index.md" not in names


def test_two_sdists_are_byte_identical(tmp_path: Path) -> None:
    root = copy_fixture("license-expression", tmp_path)
    first = build(root, "build_sdist", tmp_path / "a")
    (root / "licdemo.py").touch()
    second = build(root, "build_sdist", tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


def test_source_date_epoch_sets_mtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixture("single-module", tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    sdist = build(root, "build_sdist", tmp_path / "out")
    assert {m.mtime for m in members(sdist)} == {1600000000}


@pytest.mark.parametrize("case", CASES)
def test_wheel_from_sdist_equals_wheel_from_tree(tmp_path: Path, case: str) -> None:
    root = copy_fixture(case, tmp_path / "tree")
    from_tree = build(root, "build_wheel", tmp_path / "tree-out")
    sdist = build(root, "build_sdist", tmp_path / "sdist-out")
    unpacked = unpack(sdist, tmp_path / "unpacked")
    from_sdist = build(unpacked, "build_wheel", tmp_path / "sdist-wheel")
    assert from_sdist.name == from_tree.name
    assert from_sdist.read_bytes() == from_tree.read_bytes()
    # And the sdist rebuilt from the unpacked sdist is the same sdist.
    again = build(unpacked, "build_sdist", tmp_path / "sdist-again")
    assert again.read_bytes() == sdist.read_bytes()
