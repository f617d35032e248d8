"""unpack_wheel / load_unpacked: validation before anything lands, the marker, reuse.

Expected verdicts come from pypa/installer where it has one (its RECORD validation, its refusal
to write outside the target) and from the binary distribution format spec (PEP 427/491)
elsewhere: relative posix paths, no symlinks, one .dist-info folder named as the file.
"""

from __future__ import annotations

import os
import stat
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile
from pallet.errors import InstallError
from pallet.install.wheelfile import MARKER, load_unpacked, unpack_wheel
from support.wheels import wheel_members, with_record, write_wheel

NAME, VERSION = "demo", "1.0"
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
FILENAME = f"{NAME}-{VERSION}-py3-none-any.whl"
FILES = {
    "demo/__init__.py": "X = 1\n",
    "demo/run.sh": "#!/bin/sh\necho hi\n",
    f"{NAME}-{VERSION}.data/scripts/demo-tool": "#!python\nprint('tool')\n",
}


def _members() -> dict[str, bytes]:
    return wheel_members(
        NAME, VERSION, FILES, entry_points={"console_scripts": {"demo": "demo:main"}}
    )


def _write(tmp_path: Path, members: dict[str, bytes], **kw: object) -> Path:
    return write_wheel(tmp_path / "in" / FILENAME, members, **kw)  # type: ignore[arg-type]


def _installer_validates(wheel: Path) -> bool:
    """pypa/installer's verdict on the wheel's RECORD."""
    with WheelFile.open(wheel) as source:
        try:
            source.validate_record()
        except source.validation_error:
            return False
    return True


def _installer_installs(wheel: Path, target: Path) -> bool:
    """pypa/installer's verdict on installing it (it refuses paths outside the target)."""
    from installer import install

    scheme = {k: str(target / k) for k in ("purelib", "platlib", "headers", "scripts", "data")}
    destination = SchemeDictionaryDestination(scheme, "/usr/bin/python3", "posix")
    try:
        with WheelFile.open(wheel) as source:
            install(source, destination, {})
    except Exception:  # installer raises several kinds for a bad path
        return False
    return True


def test_unpack_keeps_files_modes_and_facts(tmp_path: Path) -> None:
    wheel = _write(tmp_path, _members(), modes={"demo/run.sh": 0o100755})
    dest = tmp_path / "store" / "ab" / "abcd"
    assert _installer_validates(wheel)  # the oracle accepts the good wheel
    unpacked = unpack_wheel(wheel, dest, filename=FILENAME)

    assert (unpacked.name, unpacked.version, unpacked.dist_info) == (NAME, VERSION, DIST_INFO)
    assert unpacked.data_dir == f"{NAME}-{VERSION}.data" and unpacked.root_is_purelib
    assert unpacked.console_scripts == (("demo", "demo:main"),)
    with zipfile.ZipFile(wheel) as zf:
        assert {e.path for e in unpacked.files} == set(zf.namelist())
        for entry in unpacked.files:
            assert (dest / entry.path).read_bytes() == zf.read(entry.path)
            assert (entry.size is None) == entry.path.endswith("/RECORD")
    assert os.stat(dest / "demo/run.sh").st_mode & 0o111
    assert not os.stat(dest / "demo/__init__.py").st_mode & 0o111
    assert os.stat(dest / f"{NAME}-{VERSION}.data/scripts/demo-tool").st_mode & 0o100
    assert load_unpacked(dest) == unpacked
    assert sorted(p.name for p in dest.parent.iterdir()) == ["abcd"]  # no temp sibling left


def test_a_complete_folder_is_reused_an_incomplete_one_replaced(tmp_path: Path) -> None:
    wheel = _write(tmp_path, _members())
    dest = tmp_path / "store" / "h"
    assert load_unpacked(dest) is None
    dest.mkdir(parents=True)
    (dest / "junk").write_text("left by a killed writer")  # no marker: incomplete
    assert load_unpacked(dest) is None
    first = unpack_wheel(wheel, dest, filename=FILENAME)
    assert not (dest / "junk").exists()
    inode = os.stat(dest / "demo/__init__.py").st_ino
    assert unpack_wheel(wheel, dest, filename=FILENAME) == first
    assert os.stat(dest / "demo/__init__.py").st_ino == inode  # not extracted again


def test_concurrent_unpacks_agree(tmp_path: Path) -> None:
    wheel = _write(tmp_path, _members())
    dest = tmp_path / "store" / "h"
    results: list[object] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(unpack_wheel(wheel, dest, filename=FILENAME))
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r == results[0] for r in results)
    assert [p.name for p in dest.parent.iterdir()] == ["h"]
    assert (dest / MARKER).is_file()


# -- refusals ---------------------------------------------------------------------------------


def _add(
    path: str, data: bytes = b"x", *, record: bool = True
) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    def change(members: dict[str, bytes]) -> dict[str, bytes]:
        members = {path: data, **members}
        return with_record(members, DIST_INFO) if record else members

    return change


def _tamper(members: dict[str, bytes]) -> dict[str, bytes]:
    return {**members, "demo/__init__.py": b"X = 2\n"}  # RECORD keeps the old hash


def _unlisted(members: dict[str, bytes]) -> dict[str, bytes]:
    return {"demo/extra.py": b"", **members}


def _absent(members: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in members.items() if k != "demo/__init__.py"}


def _wrong_size(members: dict[str, bytes]) -> dict[str, bytes]:
    record = members[f"{DIST_INFO}/RECORD"].decode().replace(",6\n", ",7\n", 1)
    return {**members, f"{DIST_INFO}/RECORD": record.encode()}


def _renamed_dist_info(members: dict[str, bytes]) -> dict[str, bytes]:
    out = {k.replace(DIST_INFO, "other-1.0.dist-info"): v for k, v in members.items()}
    return with_record(out, "other-1.0.dist-info")


def _other_version(members: dict[str, bytes]) -> dict[str, bytes]:
    out = {k.replace(DIST_INFO, "demo-2.0.dist-info"): v for k, v in members.items()}
    return with_record(out, "demo-2.0.dist-info")


RECORD_CASES = {
    "hash mismatch": (_tamper, "does not match its RECORD hash"),
    "file not in RECORD": (_unlisted, "demo/extra.py is not listed in RECORD"),
    "RECORD lists an absent file": (_absent, "RECORD lists demo/__init__.py, which is not in"),
    "size mismatch": (_wrong_size, "RECORD says 7"),
}

PATH_CASES = {
    "parent traversal": (_add("../evil.py"), "member '../evil.py' leaves the wheel"),
    "deep traversal": (_add("demo/../../evil.py"), "leaves the wheel"),
    "absolute path": (_add("/tmp/evil.py"), "member '/tmp/evil.py' is absolute"),
    "drive letter": (_add("C:/evil.py"), "is absolute"),
    "backslash": (_add("demo\\..\\..\\evil.py"), "has a backslash"),
}

NAME_CASES = {
    "dist-info of another project": (_renamed_dist_info, "other-1.0.dist-info folder does not"),
    "dist-info of another version": (_other_version, "demo-2.0.dist-info folder does not"),
    "two dist-info folders": (_add("zzz-1.0.dist-info/METADATA"), "exactly one .dist-info"),
}


@pytest.mark.parametrize("case", RECORD_CASES)
def test_record_problems_are_refused(tmp_path: Path, case: str) -> None:
    change, message = RECORD_CASES[case]
    wheel = _write(tmp_path, change(_members()))
    if case != "RECORD lists an absent file":  # installer does not check this direction
        assert not _installer_validates(wheel)
    _assert_refused(tmp_path, wheel, message)


@pytest.mark.parametrize("case", PATH_CASES)
def test_unsafe_paths_are_refused(tmp_path: Path, case: str) -> None:
    change, message = PATH_CASES[case]
    wheel = _write(tmp_path, change(_members()))
    if case in ("parent traversal", "deep traversal", "absolute path"):
        assert not _installer_installs(wheel, tmp_path / "installer-target")
    _assert_refused(tmp_path, wheel, message)
    assert not (tmp_path / "evil.py").exists() and not Path("/tmp/evil.py").exists()


@pytest.mark.parametrize("case", NAME_CASES)
def test_names_that_disagree_with_the_file_name_are_refused(tmp_path: Path, case: str) -> None:
    change, message = NAME_CASES[case]
    _assert_refused(tmp_path, _write(tmp_path, change(_members())), message)


def test_symlink_members_are_refused(tmp_path: Path) -> None:
    members = with_record({"demo/link": b"/etc/passwd", **_members()}, DIST_INFO)
    wheel = _write(tmp_path, members, modes={"demo/link": stat.S_IFLNK | 0o777})
    _assert_refused(tmp_path, wheel, "member 'demo/link' is a symlink")


def test_metadata_that_disagrees_is_refused(tmp_path: Path) -> None:
    members = _members()
    metadata = members[f"{DIST_INFO}/METADATA"].replace(b"Name: demo", b"Name: other")
    wheel = _write(tmp_path, with_record({**members, f"{DIST_INFO}/METADATA": metadata}, DIST_INFO))
    _assert_refused(tmp_path, wheel, "METADATA says other 1.0, the file name demo 1.0")


def test_unknown_data_scheme_and_bad_entry_point_are_refused(tmp_path: Path) -> None:
    wheel = _write(tmp_path, _add(f"{NAME}-{VERSION}.data/elsewhere/x")(_members()))
    _assert_refused(tmp_path, wheel, "has no scheme 'elsewhere'")
    members = wheel_members(
        NAME, VERSION, FILES, entry_points={"console_scripts": {"../../evil": "demo:main"}}
    )
    _assert_refused(tmp_path, _write(tmp_path, members), "bad [console_scripts] entry point")


def test_weak_hashes_and_bad_zips_are_refused(tmp_path: Path) -> None:
    members = _members()
    record = members[f"{DIST_INFO}/RECORD"].decode()
    first = record.splitlines()[0]
    weak = record.replace(first, "demo/__init__.py,md5=abc,6")
    _assert_refused(
        tmp_path,
        _write(tmp_path, {**members, f"{DIST_INFO}/RECORD": weak.encode()}),
        "md5 hashes are not allowed",
    )
    (tmp_path / "in" / FILENAME).write_bytes(b"not a zip")
    _assert_refused(tmp_path, tmp_path / "in" / FILENAME, "not a readable wheel")


def _assert_refused(tmp_path: Path, wheel: Path, message: str) -> None:
    store = tmp_path / "store"
    with pytest.raises(InstallError, match="^" + FILENAME.replace(".", r"\.") + ": ") as info:
        unpack_wheel(wheel, store / "h", filename=FILENAME)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert not store.exists() or list(store.iterdir()) == []
