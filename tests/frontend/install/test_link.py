"""install_wheel and uninstall on real venvs, checked with pip and by recomputing RECORD."""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from pallet.install.installed import installed
from pallet.install.link import install_wheel, uninstall
from pallet.install.scheme import Scheme
from pallet.install.wheelfile import UnpackedWheel, unpack_wheel
from support.wheels import build_wheel

from .conftest import pip, pip_list, tree

DEMO_FILES = {
    "demo_pkg/__init__.py": "VALUE = 1\n",
    "demo_pkg/cli.py": "def main():\n    print('hello from demo')\n    return 3\n",
    "demo_pkg-1.0.data/scripts/tool": "#!python\nprint('tool ran')\n",
    "demo_pkg-1.0.data/data/share/demo/x.txt": "data",
}


def _unpacked(
    tmp_path: Path, name: str = "Demo-Pkg", version: str = "1.0", **kw: object
) -> UnpackedWheel:
    files = kw.pop("files", DEMO_FILES)
    entry_points = kw.pop("entry_points", {"console_scripts": {"demo": "demo_pkg.cli:main"}})
    wheel = build_wheel(tmp_path / "dists", name, version, files, entry_points=entry_points, **kw)  # type: ignore[arg-type]
    return unpack_wheel(wheel, tmp_path / "store" / wheel.name, filename=wheel.name)


def _record_rows(dist_info: Path) -> list[list[str]]:
    with open(dist_info / "RECORD", newline="", encoding="utf-8") as f:
        return [row for row in csv.reader(f) if row]


def _check_record(dist_info: Path, scheme: Scheme) -> set[Path]:
    """Every RECORD row's hash and size recomputed (PEP 376); the files it lists."""
    files = set()
    for path, digest, size in _record_rows(dist_info):
        target = (dist_info.parent / path).resolve()
        assert str(target).startswith(str(scheme.root.resolve()))
        files.add(target)
        if path.endswith(".dist-info/RECORD"):
            assert (digest, size) == ("", "")
            continue
        data = target.read_bytes()
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={expected}"
        assert int(size) == len(data)
    return files


def test_install_then_pip_sees_runs_and_uninstalls_it(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    wheel = _unpacked(tmp_path)
    scheme = make_venv()
    before = tree(scheme.root)
    dist = install_wheel(wheel, scheme)

    assert dist.name == "demo-pkg" and dist.version == "1.0" and dist.installer == "pallet"
    assert (dist.dist_info / "INSTALLER").read_text() == "pallet\n"
    listed = _check_record(dist.dist_info, scheme)
    assert {p for p in (scheme.root / s for s in tree(scheme.root) - before)} == listed
    assert "../../../bin/demo" in {row[0] for row in _record_rows(dist.dist_info)}

    demo = subprocess.run([str(scheme.scripts / "demo")], capture_output=True, text=True)
    assert (demo.returncode, demo.stdout) == (3, "hello from demo\n")
    tool = subprocess.run([str(scheme.scripts / "tool")], capture_output=True, text=True)
    assert tool.stdout == "tool ran\n"
    assert (scheme.scripts / "tool").read_text().startswith(f"#!{scheme.python}\n")
    # hard links: the installed file is the store's file
    assert os.path.samefile(wheel.root / "demo_pkg/cli.py", scheme.purelib / "demo_pkg/cli.py")

    assert set(installed(scheme)) == {"demo-pkg"}
    assert pip_list(scheme) == {"demo-pkg": "1.0"}
    assert "No broken requirements" in pip(scheme, "check").stdout
    pip(scheme, "uninstall", "-y", "demo-pkg")
    assert installed(scheme) == {}
    assert not (scheme.purelib / "demo_pkg").exists()
    assert not (scheme.scripts / "demo").exists()
    assert (wheel.root / "demo_pkg/cli.py").read_text().startswith("def main")  # store intact


def test_uninstall_removes_what_install_added(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    wheel = _unpacked(tmp_path)
    scheme = make_venv()
    before = tree(scheme.root)
    dist = install_wheel(wheel, scheme, compile=True)
    assert list((scheme.purelib / "demo_pkg" / "__pycache__").glob("cli.*.pyc"))
    uninstall(dist, scheme)
    assert tree(scheme.root) == before
    assert not (scheme.purelib / "demo_pkg").exists()
