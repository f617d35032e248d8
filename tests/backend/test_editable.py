"""Editable wheels (PEP 660): .pth or editables import hook, checked by importing from them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pallet_core.config import load_config
from pallet_core.editable import choose_mode, editable_metadata, foreign_importables
from support.projects import build, copy_fixture, run_hook, zip_names, zip_text


@pytest.mark.parametrize(
    ("case", "mode"),
    [
        ("src-layout", "pth"),
        ("multiple-packages", "pth"),
        ("namespace-package", "pth"),
        ("single-module", "pth"),  # the root holds nothing else importable
        ("stubs-package", "pth"),
        ("flat-layout", "hook"),  # tests/ and noxfile.py would become importable
        ("license-expression", "hook"),  # licenses/ is a namespace package to a .pth
    ],
)
def test_auto_mode(tmp_path: Path, case: str, mode: str) -> None:
    assert choose_mode(load_config(copy_fixture(case, tmp_path))) == mode


def test_foreign_importables(tmp_path: Path) -> None:
    root = copy_fixture("flat-layout", tmp_path)
    (root / ".venv").mkdir()
    (root / "venv").mkdir()
    (root / "venv" / "pyvenv.cfg").write_text("")
    (root / "build-output").mkdir()  # not an identifier: cannot be imported
    (root / "dist").mkdir()  # build output
    assert foreign_importables(load_config(root)) == ["noxfile.py", "tests"]


def set_mode(root: Path, mode: str) -> None:
    path = root / "pyproject.toml"
    text = path.read_text()
    setting = f'editable-mode = "{mode}"\n'
    if "[tool.pallet.build]\n" in text:
        text = text.replace("[tool.pallet.build]\n", "[tool.pallet.build]\n" + setting)
    else:
        text += "\n[tool.pallet.build]\n" + setting
    path.write_text(text)


def test_explicit_mode_wins(tmp_path: Path) -> None:
    root = copy_fixture("flat-layout", tmp_path)
    set_mode(root, "pth")
    assert choose_mode(load_config(root)) == "pth"
    set_mode(copy_fixture("src-layout", tmp_path), "hook")
    assert choose_mode(load_config(tmp_path / "src-layout")) == "hook"


def test_pth_wheel(tmp_path: Path) -> None:
    root = copy_fixture("src-layout", tmp_path)
    editable = build(root, "build_editable", tmp_path / "ed")
    wheel = build(root, "build_wheel", tmp_path / "out")
    assert editable.name == wheel.name
    names = zip_names(editable)
    assert names == [
        "_srcdemo_editable.pth",
        "srcdemo-1.0.0.dist-info/METADATA",
        "srcdemo-1.0.0.dist-info/WHEEL",
        "srcdemo-1.0.0.dist-info/entry_points.txt",
        "srcdemo-1.0.0.dist-info/RECORD",
    ]
    assert zip_text(editable, "_srcdemo_editable.pth") == f"{(root / 'src').resolve()}\n"
    # The same .dist-info as the regular wheel (RECORD aside).
    with zipfile.ZipFile(editable) as ed, zipfile.ZipFile(wheel) as wh:
        for name in names[1:-1]:
            assert ed.read(name) == wh.read(name)
    assert run_hook(root, "get_requires_for_build_editable") == []


def test_hook_wheel(tmp_path: Path) -> None:
    root = copy_fixture("flat-layout", tmp_path)
    editable = build(root, "build_editable", tmp_path / "ed")
    assert zip_names(editable)[:2] == ["_editable_impl_flatdemo.pth", "_editable_impl_flatdemo.py"]
    metadata = zip_text(editable, "flatdemo-0.3.0.dist-info/METADATA")
    assert "Requires-Dist: editables" in metadata.split("\n\n")[0]
    assert run_hook(root, "get_requires_for_build_editable") == ["editables"]
    meta = run_hook(root, "prepare_metadata_for_build_editable", str(tmp_path / "meta"))
    assert meta == "flatdemo-0.3.0.dist-info"
    assert (tmp_path / "meta" / str(meta) / "METADATA").read_text() == metadata


def test_editable_metadata_adds_once() -> None:
    class Config:
        metadata = "Metadata-Version: 2.4\nName: x\nVersion: 1\nRequires-Dist: Editables>=0.5\n"

    text = editable_metadata(Config(), ["editables"])  # type: ignore[arg-type]
    assert text == Config.metadata
    Config.metadata = "Metadata-Version: 2.4\nName: x\nVersion: 1\n\nBody\n"
    assert editable_metadata(Config(), ["editables"]) == (  # type: ignore[arg-type]
        "Metadata-Version: 2.4\nName: x\nVersion: 1\nRequires-Dist: editables\n\nBody\n"
    )


def import_from_wheel(wheel: Path, site: Path, code: str) -> str:
    """Unpack ``wheel`` into ``site`` (as an installer would), add it as a site dir, run code."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    script = f"import site, sys; site.addsitedir({str(site)!r}); {code}"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=site.parent,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("case", "mode", "module", "source"),
    [
        ("src-layout", "auto", "srcdemo", "src/srcdemo/__init__.py"),
        ("flat-layout", "auto", "flatdemo", "flatdemo/__init__.py"),
        ("namespace-package", "hook", "acme.tools", "src/acme/tools/__init__.py"),
        ("single-module", "hook", "singlemod", "singlemod.py"),
    ],
)
def test_editable_import_sees_edits(
    tmp_path: Path, case: str, mode: str, module: str, source: str
) -> None:
    root = copy_fixture(case, tmp_path)
    if mode != "auto":
        set_mode(root, mode)
    editable = build(root, "build_editable", tmp_path / "ed")
    site = tmp_path / "site"
    code = f"import {module} as m; print(m.EDITED if hasattr(m, 'EDITED') else 'no')"
    assert import_from_wheel(editable, site, code) == "no"
    with (root / source).open("a") as stream:
        stream.write("\nEDITED = 'yes'\n")
    assert import_from_wheel(editable, site, code) == "yes"
    if case == "flat-layout":  # the hook exposes only the project's own package
        hidden = "import importlib.util as u; print(u.find_spec('noxfile'))"
        assert import_from_wheel(editable, site, hidden) == "None"
