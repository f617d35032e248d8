"""install_wheel and uninstall on real venvs, checked with pip and by recomputing RECORD."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pallet.errors import InstallError
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
        target = Path(os.path.normpath(dist_info.parent / path))
        assert str(target).startswith(f"{scheme.root}/")
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


def _installer_install(wheel_path: Path, scheme: Scheme) -> None:
    """pypa/installer's install of the same wheel into the same kind of scheme."""
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    paths = {
        "purelib": str(scheme.purelib),
        "platlib": str(scheme.platlib),
        "headers": str(scheme.headers("demo-pkg")),
        "scripts": str(scheme.scripts),
        "data": str(scheme.root),
    }
    destination = SchemeDictionaryDestination(
        paths, str(scheme.python), "posix", bytecode_optimization_levels=()
    )
    with WheelFile.open(wheel_path) as source:
        install(source, destination, {"INSTALLER": b"installer\n"})


#: files every installer writes its own way (PEP 376, 610, 627)
_OWN = ("/RECORD", "/INSTALLER", "/REQUESTED", "/direct_url.json")


def _contents(scheme: Scheme, before: set[str]) -> dict[str, bytes]:
    root = scheme.root
    return {
        rel: (root / rel).read_bytes().replace(str(root).encode(), b"<venv>")
        for rel in tree(root) - before
        if not rel.endswith(_OWN) and "__pycache__" not in rel
    }


def test_same_files_and_scripts_as_installer_and_pip(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    wheel_path = build_wheel(
        tmp_path / "dists",
        "Demo-Pkg",
        "1.0",
        {**DEMO_FILES, "demo_pkg-1.0.data/headers/demo.h": "int x;\n"},
        entry_points={
            "console_scripts": {"demo": "demo_pkg.cli:main"},
            "gui_scripts": {"demo-gui": "demo_pkg.cli:main"},
        },
    )
    wheel = unpack_wheel(wheel_path, tmp_path / "store" / "h", filename=wheel_path.name)
    ours, theirs, pips = make_venv("ours"), make_venv("theirs"), make_venv("pips")
    before = tree(ours.root)
    install_wheel(wheel, ours)
    _installer_install(wheel_path, theirs)
    pip(pips, "install", "--no-deps", "--no-compile", str(wheel_path))

    mine = _contents(ours, before)
    assert mine == _contents(theirs, before)  # byte for byte, scripts included
    assert set(mine) == set(_contents(pips, before))  # pip writes other script text
    for scheme in (ours, theirs):
        out = subprocess.run([str(scheme.scripts / "demo")], capture_output=True, text=True)
        assert out.stdout == "hello from demo\n"


@pytest.mark.parametrize("mode", ["hardlink", "copy", "symlink", "clone"])
def test_link_modes(tmp_path: Path, make_venv: Callable[..., Scheme], mode: str) -> None:
    wheel = _unpacked(tmp_path)
    scheme = make_venv()
    dist = install_wheel(wheel, scheme, link_mode=mode)  # type: ignore[arg-type]
    source, installed_file = wheel.root / "demo_pkg/cli.py", scheme.purelib / "demo_pkg/cli.py"
    assert installed_file.read_text() == source.read_text()
    if mode == "hardlink":
        assert os.stat(installed_file).st_ino == os.stat(source).st_ino
    elif mode == "symlink":
        assert installed_file.is_symlink() and installed_file.resolve() == source.resolve()
    else:  # copy, or clone (a reflink where the filesystem has them: a new inode either way)
        assert not installed_file.is_symlink()
        assert os.stat(installed_file).st_ino != os.stat(source).st_ino
    # scripts are written, never linked: the store's copy keeps its #!python line
    data_script = wheel.root / "demo_pkg-1.0.data/scripts/tool"
    assert data_script.read_text().startswith("#!python\n")
    assert os.stat(scheme.scripts / "tool").st_ino != os.stat(data_script).st_ino
    _check_record(dist.dist_info, scheme)
    out = subprocess.run([str(scheme.scripts / "demo")], capture_output=True, text=True)
    assert out.stdout == "hello from demo\n"
    pip(scheme, "uninstall", "-y", "demo-pkg")
    assert source.is_file()  # the store is untouched by an uninstall


def test_across_filesystems_falls_back_to_copies(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem (/dev/shm) here")
    import tempfile

    other = Path(tempfile.mkdtemp(dir=shm))
    try:
        wheel = _unpacked(other)
        scheme = make_venv()
        assert os.stat(wheel.root).st_dev != os.stat(scheme.root).st_dev
        dist = install_wheel(wheel, scheme)  # hardlink asked for: EXDEV, then clone, then copy
        installed_file = scheme.purelib / "demo_pkg/cli.py"
        assert installed_file.read_text() == (wheel.root / "demo_pkg/cli.py").read_text()
        _check_record(dist.dist_info, scheme)
    finally:
        shutil.rmtree(other, ignore_errors=True)


def test_replacing_removes_what_the_new_version_lacks(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    scheme = make_venv()
    old_files = {**DEMO_FILES, "demo_pkg/old.py": "OLD = 1\n", "demo_pkg/gone/x.py": ""}
    new_files = {**DEMO_FILES, "demo_pkg/new.py": "NEW = 1\n"}
    old = install_wheel(_unpacked(tmp_path, version="1.0", files=old_files), scheme, compile=True)
    assert list((scheme.purelib / "demo_pkg/__pycache__").glob("old.*.pyc"))
    new_files["demo_pkg-2.0.data/scripts/tool"] = new_files.pop("demo_pkg-1.0.data/scripts/tool")
    new_files.pop("demo_pkg-1.0.data/data/share/demo/x.txt")
    new = install_wheel(_unpacked(tmp_path, version="2.0", files=new_files), scheme, replaces=old)

    assert not (scheme.purelib / "demo_pkg/old.py").exists()
    assert not (scheme.purelib / "demo_pkg/gone").exists()
    assert not list((scheme.purelib / "demo_pkg/__pycache__").glob("old.*.pyc"))
    assert not list((scheme.purelib / "demo_pkg/__pycache__").glob("cli.*.pyc"))  # stale ones
    assert not (scheme.root / "share").exists()
    assert (scheme.purelib / "demo_pkg/new.py").is_file()
    assert not old.dist_info.exists() and new.dist_info.is_dir()
    assert set(installed(scheme)) == {"demo-pkg"} and installed(scheme)["demo-pkg"].version == "2.0"
    assert _check_record(new.dist_info, scheme)
    assert pip_list(scheme) == {"demo-pkg": "2.0"}
    pip(scheme, "uninstall", "-y", "demo-pkg")
    assert not (scheme.purelib / "demo_pkg").exists()


def test_namespace_packages_share_folders(tmp_path: Path, make_venv: Callable[..., Scheme]) -> None:
    scheme = make_venv()
    a = install_wheel(
        _unpacked(
            tmp_path, "ns-a", "1.0", files={"ns/a/__init__.py": "A = 1\n"}, entry_points=None
        ),
        scheme,
    )
    b = install_wheel(
        _unpacked(
            tmp_path, "ns-b", "1.0", files={"ns/b/__init__.py": "B = 2\n"}, entry_points=None
        ),
        scheme,
    )
    check = [str(scheme.python), "-c", "import ns.a, ns.b; print(ns.a.A + ns.b.B)"]
    assert subprocess.run(check, capture_output=True, text=True).stdout == "3\n"
    assert pip_list(scheme) == {"ns-a": "1.0", "ns-b": "1.0"}
    uninstall(a, scheme)
    assert (
        not (scheme.purelib / "ns/a").exists() and (scheme.purelib / "ns/b/__init__.py").is_file()
    )
    pip(scheme, "uninstall", "-y", "ns-b")
    assert not (scheme.purelib / "ns/b").exists() and installed(scheme) == {}
    assert b.dist_info.exists() is False


@pytest.mark.parametrize("where", ["with space", "long" * 40])
def test_scripts_run_from_awkward_paths(tmp_path: Path, interpreter: object, where: str) -> None:
    from pallet.python.venv import create_venv

    root = create_venv(tmp_path / where / "venv", interpreter)  # type: ignore[arg-type]
    scheme = Scheme.read(root)
    install_wheel(_unpacked(tmp_path), scheme)
    assert (scheme.scripts / "demo").read_bytes().startswith(b"#!/bin/sh\n'''exec' ")
    demo = subprocess.run([str(scheme.scripts / "demo")], capture_output=True, text=True)
    assert (demo.returncode, demo.stdout) == (3, "hello from demo\n")
    tool = subprocess.run([str(scheme.scripts / "tool")], capture_output=True, text=True)
    assert tool.stdout == "tool ran\n"


def test_direct_url_requested_and_platlib(tmp_path: Path, make_venv: Callable[..., Scheme]) -> None:
    scheme = make_venv()
    direct = {"url": "file:///src/demo", "dir_info": {"editable": True}}
    wheel = _unpacked(tmp_path, root_is_purelib=False)
    assert not wheel.root_is_purelib
    dist = install_wheel(wheel, scheme, direct_url=direct, requested=True)
    assert dist.dist_info.parent == scheme.platlib and dist.editable
    assert (dist.dist_info / "REQUESTED").is_file()
    found = installed(scheme)["demo-pkg"]
    assert found.direct_url == direct and found.editable and found.installer == "pallet"
    listed = {row[0] for row in _record_rows(dist.dist_info)}
    assert {"demo_pkg-1.0.dist-info/REQUESTED", "demo_pkg-1.0.dist-info/direct_url.json"} <= listed
    rows = json.loads(pip(scheme, "list", "--format=json", "--editable").stdout)
    assert [row["name"] for row in rows] == ["Demo-Pkg"]


def test_compile_survives_a_syntax_error_and_uninstall_drops_bytecode(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    scheme = make_venv()
    files = {**DEMO_FILES, "demo_pkg/broken.py": "def (:\n"}
    dist = install_wheel(_unpacked(tmp_path, files=files), scheme, compile=True)
    cache = scheme.purelib / "demo_pkg/__pycache__"
    assert list(cache.glob("cli.*.pyc")) and not list(cache.glob("broken.*.pyc"))
    pycs = {row[0] for row in _record_rows(dist.dist_info) if row[0].endswith(".pyc")}
    assert {f"demo_pkg/__pycache__/{p.name}" for p in cache.iterdir()} == pycs  # as pip lists them
    _check_record(dist.dist_info, scheme)
    pip(scheme, "uninstall", "-y", "demo-pkg")
    assert not (scheme.purelib / "demo_pkg").exists()


def test_uninstall_refuses_a_record_that_leaves_the_environment(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    scheme = make_venv()
    dist = install_wheel(_unpacked(tmp_path), scheme)
    victim = tmp_path / "outside.txt"
    victim.write_text("keep me")
    with open(dist.dist_info / "RECORD", "a", encoding="utf-8") as f:
        f.write("../../../../outside.txt,,\n")
    with pytest.raises(
        InstallError, match=r"RECORD: '\.\./\.\./\.\./\.\./outside\.txt' lies outside"
    ):
        uninstall(dist, scheme)
    assert victim.read_text() == "keep me" and (scheme.purelib / "demo_pkg/cli.py").is_file()


def test_uninstall_what_pip_installed(tmp_path: Path, make_venv: Callable[..., Scheme]) -> None:
    scheme = make_venv()
    before = tree(scheme.root)
    wheel_path = build_wheel(
        tmp_path / "dists",
        "Demo-Pkg",
        "1.0",
        DEMO_FILES,
        entry_points={"console_scripts": {"demo": "demo_pkg.cli:main"}},
    )
    pip(scheme, "install", "--no-deps", str(wheel_path))  # compiles, as pip does by default
    dist = installed(scheme)["demo-pkg"]
    assert dist.installer == "pip"
    uninstall(dist, scheme)
    assert tree(scheme.root) == before
    assert installed(scheme) == {}


def test_a_file_where_a_folder_goes_fails_cleanly(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    scheme = make_venv()
    (scheme.purelib / "demo_pkg").write_text("in the way")
    with pytest.raises(InstallError, match="demo_pkg"):
        install_wheel(_unpacked(tmp_path), scheme)
    assert installed(scheme) == {}
    assert not [p for p in scheme.purelib.iterdir() if p.name.startswith(".pallet")]


_KILLED_INSTALL = """
import os, sys
from pathlib import Path
from pallet.install import link
from pallet.install.scheme import Scheme
from pallet.install.wheelfile import load_unpacked
moved = []
real = link.move_into_place
def move(source, target):
    if target.endswith(".dist-info"):
        os._exit(9)  # killed before the .dist-info folder goes in
    real(source, target)
link.move_into_place = move
link.install_wheel(load_unpacked(Path(sys.argv[1])), Scheme.read(Path(sys.argv[2])))
"""


def test_a_killed_install_is_not_installed_and_its_leftovers_go(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    import sys

    from pallet.install.link import remove_leftovers

    wheel = _unpacked(tmp_path)
    scheme = make_venv()
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_INSTALL, str(wheel.root), str(scheme.root)]
    )
    assert proc.returncode == 9
    assert installed(scheme) == {} and pip_list(scheme) == {}  # no .dist-info: not installed
    left = [p.name for p in scheme.purelib.iterdir() if p.name.startswith(".pallet-stage-")]
    assert left and all(name.endswith("demo_pkg-1.0.dist-info.pallet-staged") for name in left)
    seen = subprocess.run(  # the interpreter's own view of what is installed
        [
            str(scheme.python),
            "-c",
            "import importlib.metadata as m; print(list(m.distributions()))",
        ],
        capture_output=True,
        text=True,
    )
    assert seen.stdout == "[]\n"
    assert remove_leftovers(scheme) == [scheme.purelib / name for name in left]
    assert not [p for p in scheme.purelib.iterdir() if p.name.startswith(".pallet")]
    dist = install_wheel(wheel, scheme)  # installing again over the files already moved
    _check_record(dist.dist_info, scheme)
    assert pip_list(scheme) == {"demo-pkg": "1.0"}


_TRY = """
import sys
from pathlib import Path
from pallet.errors import InstallError
from pallet.install.link import install_wheel
from pallet.install.scheme import Scheme
from pallet.install.wheelfile import load_unpacked, unpack_wheel
try:
    if sys.argv[1] == "install":
        install_wheel(load_unpacked(Path(sys.argv[2])), Scheme.read(Path(sys.argv[3])))
    else:
        unpack_wheel(Path(sys.argv[2]), Path(sys.argv[3]), filename=Path(sys.argv[2]).name)
except InstallError as exc:
    print(exc)
    sys.exit(exc.exit_code)
"""


def test_read_only_folders_give_one_line_errors(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    import sys

    from support.unprivileged import unprivileged_prefix

    prefix = unprivileged_prefix()  # root ignores file modes, except in a user namespace
    wheel = _unpacked(tmp_path)
    scheme = make_venv()
    store = tmp_path / "locked-store"
    store.mkdir()
    wheel_path = next((tmp_path / "dists").glob("*.whl"))
    for folder in (scheme.purelib, store):
        folder.chmod(0o555)
    try:
        installing = subprocess.run(
            [*prefix, sys.executable, "-c", _TRY, "install", str(wheel.root), str(scheme.root)],
            capture_output=True,
            text=True,
        )
        unpacking = subprocess.run(
            [*prefix, sys.executable, "-c", _TRY, "unpack", str(wheel_path), str(store / "h")],
            capture_output=True,
            text=True,
        )
    finally:
        for folder in (scheme.purelib, store):
            folder.chmod(0o755)
    assert installing.returncode == 1 and installing.stderr == ""
    assert installing.stdout.count("\n") == 1 and "Permission denied" in installing.stdout
    assert installing.stdout.startswith("demo_pkg-1.0.dist-info: cannot install into")
    assert unpacking.returncode == 1 and unpacking.stderr == ""
    assert unpacking.stdout.startswith(f"{wheel_path.name}: cannot unpack into {store / 'h'}")
    assert list(scheme.purelib.iterdir()) == [] and list(store.iterdir()) == []
    assert not (scheme.scripts / "demo").exists()


def test_real_wheels_install_as_pip_installs_them(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    """The wheels of tests/.wheelhouse (packaging, pathspec, tomli, ...), built by other tools:
    their RECORDs pass validation and the installed files are pip's."""
    house = Path(__file__).resolve().parents[2] / ".wheelhouse"
    wheels = sorted(house.glob("*.whl"))
    if not wheels:
        pytest.skip(f"{house} is empty (README's set-up command fills it)")
    ours, pips = make_venv("ours"), make_venv("pips")
    before = tree(ours.root)
    for wheel_path in wheels:
        unpacked = unpack_wheel(
            wheel_path, tmp_path / "store" / wheel_path.name, filename=wheel_path.name
        )
        dist = install_wheel(unpacked, ours, compile=True)
        _check_record(dist.dist_info, ours)
    pip(pips, "install", "--no-deps", *map(str, wheels))  # compiles too
    assert set(_contents(ours, before)) == set(_contents(pips, before))
    assert pip_list(ours) == pip_list(pips)
    pycs = {p for p in tree(ours.root) - before if p.endswith(".pyc")}
    assert pycs == {p for p in tree(pips.root) - before if p.endswith(".pyc")}
    assert "No broken requirements" in pip(ours, "check").stdout
    pip(ours, "uninstall", "-y", *pip_list(ours))
    assert tree(ours.root) == before
