"""Wheels (PEP 427) and prepare_metadata_for_build_wheel (PEP 517), built in-process."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Callable

import pytest
from packaging.metadata import Metadata
from pallet_core import __version__
from pallet_core.errors import BuildError, ConfigError
from support.projects import CASES, build, copy_fixture, run_hook, zip_names, zip_text

MakeProject = Callable[..., Path]


@pytest.mark.parametrize("case", CASES)
def test_every_fixture_builds_a_valid_wheel(tmp_path: Path, case: str) -> None:
    root = copy_fixture(case, tmp_path)
    wheel = build(root, "build_wheel", tmp_path / "out")
    dist, version, tag = wheel.name[: -len(".whl")].split("-", 2)
    assert tag == "py3-none-any"
    dist_info = f"{dist}-{version}.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        metadata = archive.read(f"{dist_info}/METADATA")
        record = archive.read(f"{dist_info}/RECORD").decode()
        # PEP 427: every file is in RECORD with its sha256 and size; RECORD last, without.
        rows = list(csv.reader(io.StringIO(record)))
        assert [row[0] for row in rows] == names
        assert names[-1] == f"{dist_info}/RECORD" and rows[-1][1:] == ["", ""]
        for name, digest, size in rows[:-1]:
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert (digest, int(size)) == ("sha256=" + expected.decode(), len(data))
    parsed = Metadata.from_email(metadata, validate=True)
    assert parsed.version is not None and str(parsed.version) == version
    assert zip_text(wheel, f"{dist_info}/WHEEL") == (
        "Wheel-Version: 1.0\n"
        f"Generator: pallet-core {__version__}\n"
        "Root-Is-Purelib: true\n"
        "Tag: py3-none-any\n"
    )


def test_wheel_contents_src_layout(tmp_path: Path) -> None:
    root = copy_fixture("src-layout", tmp_path)
    (root / "src" / "srcdemo" / "debug.log").write_text("ignored by .gitignore\n")
    wheel = build(root, "build_wheel", tmp_path / "out")
    assert wheel.name == "srcdemo-1.0.0-py3-none-any.whl"
    assert zip_names(wheel) == [
        "srcdemo/__init__.py",
        "srcdemo/cli.py",
        "srcdemo/data/greeting.txt",
        "srcdemo/py.typed",
        "srcdemo/sub/__init__.py",
        "srcdemo-1.0.0.dist-info/METADATA",
        "srcdemo-1.0.0.dist-info/WHEEL",
        "srcdemo-1.0.0.dist-info/entry_points.txt",
        "srcdemo-1.0.0.dist-info/RECORD",
    ]


def test_entry_points_sorted(tmp_path: Path) -> None:
    root = copy_fixture("extras-and-entry-points", tmp_path)
    wheel = build(root, "build_wheel", tmp_path / "out")
    assert zip_text(wheel, "extrasdemo-0.5.0.dist-info/entry_points.txt") == (
        "[console_scripts]\n"
        "extrasdemo = extrasdemo.cli:main\n"
        "\n"
        "[extrasdemo.plugins]\n"
        "alpha = extrasdemo.plugins:alpha\n"
        "zeta = extrasdemo.plugins:zeta\n"
        "\n"
        "[gui_scripts]\n"
        "extrasdemo-gui = extrasdemo.cli:main\n"
    )


def test_no_entry_points_file_without_entry_points(tmp_path: Path) -> None:
    root = copy_fixture("stubs-package", tmp_path)
    wheel = build(root, "build_wheel", tmp_path / "out")
    assert not [n for n in zip_names(wheel) if n.endswith("entry_points.txt")]
    assert "foo-stubs/__init__.pyi" in zip_names(wheel)


def test_license_files_under_dist_info_licenses(tmp_path: Path) -> None:
    root = copy_fixture("license-expression", tmp_path)
    wheel = build(root, "build_wheel", tmp_path / "out")
    licenses = [n for n in zip_names(wheel) if "/licenses/" in n]
    # PEP 639: .dist-info/licenses/<path relative to the project root>.
    assert licenses == [
        "licdemo-1.0.0.dist-info/licenses/LICENSE-APACHE",
        "licdemo-1.0.0.dist-info/licenses/LICENSE-MIT",
        "licdemo-1.0.0.dist-info/licenses/licenses/vendored.txt",
    ]
    metadata = zip_text(wheel, "licdemo-1.0.0.dist-info/METADATA")
    assert "License-Expression: MIT OR Apache-2.0" in metadata
    assert "License-File: licenses/vendored.txt" in metadata


def test_data_scripts_are_executable(tmp_path: Path) -> None:
    root = copy_fixture("data-and-scripts", tmp_path)
    (root / "scripts" / "datademo-shell").chmod(0o644)  # a checkout without the exec bit
    wheel = build(root, "build_wheel", tmp_path / "out")
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo("datademo-0.1.0.data/scripts/datademo-shell")
        assert info.external_attr >> 16 == 0o100755
        assert archive.getinfo("datademo-0.1.0.data/headers/datademo.h").external_attr >> 16 == (
            0o100644
        )


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    root = copy_fixture("data-and-scripts", tmp_path)
    first = build(root, "build_wheel", tmp_path / "a")
    (root / "src" / "datademo" / "cli.py").touch()  # a newer mtime changes nothing
    second = build(root, "build_wheel", tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


def test_source_date_epoch_sets_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixture("single-module", tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    wheel = build(root, "build_wheel", tmp_path / "out")
    with zipfile.ZipFile(wheel) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2020, 9, 13, 12, 26, 40)}


def test_prepare_metadata_matches_the_wheel(tmp_path: Path) -> None:
    root = copy_fixture("license-expression", tmp_path)
    name = run_hook(root, "prepare_metadata_for_build_wheel", str(tmp_path / "meta"))
    assert name == "licdemo-1.0.0.dist-info"
    meta = tmp_path / "meta" / "licdemo-1.0.0.dist-info"
    written = sorted(p.relative_to(meta).as_posix() for p in meta.rglob("*") if p.is_file())
    assert written == [
        "METADATA",
        "WHEEL",
        "entry_points.txt",
        "licenses/LICENSE-APACHE",
        "licenses/LICENSE-MIT",
        "licenses/licenses/vendored.txt",
    ]
    wheel = build(root, "build_wheel", tmp_path / "out", str(tmp_path / "meta"))
    with zipfile.ZipFile(wheel) as archive:
        for rel in written:
            assert archive.read(f"licdemo-1.0.0.dist-info/{rel}") == (meta / rel).read_bytes()
    assert [p.name for p in (tmp_path / "meta").iterdir()] == ["licdemo-1.0.0.dist-info"]


def test_config_error_leaves_no_output(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"demo/__init__.py": ""}, extra='readme = "MISSING.md"\n')
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ConfigError, match=r"MISSING\.md"):
        run_hook(root, "build_wheel", str(out))
    assert list(out.iterdir()) == []


def test_failed_build_leaves_no_output(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"demo/__init__.py": ""})
    out = tmp_path / "out"
    (out / "demo-1.0.0-py3-none-any.whl").mkdir(parents=True)  # the final rename fails
    with pytest.raises(OSError):
        run_hook(root, "build_wheel", str(out))
    assert [p.name for p in out.iterdir()] == ["demo-1.0.0-py3-none-any.whl"]


def test_nothing_to_ship(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"README.md": "x"})
    with pytest.raises(BuildError, match=r"looked for src/demo/__init__.py|looked for demo/"):
        run_hook(root, "build_wheel", str(tmp_path / "out"))
