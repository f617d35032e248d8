"""Unpacking a large wheel in a child process (`install.unpacking`), and the whole-member read
path of `wheelfile`: the same files, modes and marker as the in-process streaming unpack, and the
same refusals with nothing left behind.

The expected content of every file is what the zipfile module reads from the wheel.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from pallet.errors import InstallError
from pallet.install import unpacking, wheelfile
from pallet.install.wheelfile import MARKER, load_unpacked, unpack_wheel
from support.wheels import wheel_members, write_wheel

NAME, VERSION = "bulk", "1.0"
FILENAME = f"{NAME}-{VERSION}-py3-none-any.whl"


def _bulk_wheel(tmp_path: Path, **changes: bytes) -> Path:
    """A wheel of many files in nested folders, one of them executable and one incompressible."""
    files: dict[str, str | bytes] = {
        f"bulk/sub{n % 7}/deep{n % 3}/mod{n}.py": f"VALUE = {n}\n" * (n % 50 + 1)
        for n in range(300)
    }
    files["bulk/blob.bin"] = os.urandom(200_000)
    files["bulk/tool.sh"] = "#!/bin/sh\necho hi\n"
    members = wheel_members(NAME, VERSION, files)
    members.update(changes)
    return write_wheel(tmp_path / "in" / FILENAME, members, modes={"bulk/tool.sh": 0o100755})


def _snapshot(root: Path) -> dict[str, tuple[bytes, bool]]:
    """Every file under `root` (the marker as its facts) with its executable bit."""
    out: dict[str, tuple[bytes, bool]] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            data = path.read_bytes()
            if name == MARKER:
                data = json.dumps(json.loads(data), sort_keys=True).encode()
            out[str(path.relative_to(root))] = (data, bool(path.stat().st_mode & 0o100))
    return out


def test_child_whole_and_streaming_unpacks_agree_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = _bulk_wheel(tmp_path)
    child = unpacking.unpack_in_child(wheel, tmp_path / "child", filename=FILENAME)
    whole = unpack_wheel(wheel, tmp_path / "whole", filename=FILENAME)
    monkeypatch.setattr(wheelfile, "_WHOLE_MAX", -1)  # every member streamed through zipfile
    streamed = unpack_wheel(wheel, tmp_path / "streamed", filename=FILENAME)

    assert child is not None and child.files == whole.files == streamed.files
    expected = _snapshot(tmp_path / "whole")
    with zipfile.ZipFile(wheel) as zf:
        assert {p: d for p, (d, _) in expected.items() if p != MARKER} == {
            n: zf.read(n) for n in zf.namelist()
        }
    assert expected["bulk/tool.sh"][1] and not expected["bulk/blob.bin"][1]
    assert _snapshot(tmp_path / "child") == expected == _snapshot(tmp_path / "streamed")


def test_a_big_wheel_goes_to_a_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = _bulk_wheel(tmp_path)

    def in_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("unpacked in-process")

    monkeypatch.setattr(unpacking, "PROCESS_MIN_BYTES", 1)
    monkeypatch.setattr(unpacking, "_cores", lambda: unpacking.PROCESS_MIN_CORES)
    monkeypatch.setattr(unpacking, "unpack_wheel", in_process)  # the child has its own
    done = unpacking.unpack_any(wheel, tmp_path / "store" / "h", filename=FILENAME)
    assert done == load_unpacked(tmp_path / "store" / "h")
    assert done is not None and done.name == NAME and len(done.files) == 305


def test_the_child_refuses_a_bad_record_as_the_parent_does(tmp_path: Path) -> None:
    # a member changed after RECORD was written: RECORD keeps the old hash
    wheel = _bulk_wheel(tmp_path, **{"bulk/sub3/deep1/mod10.py": b"VALUE = 01\n" * 11})
    with pytest.raises(InstallError) as parent:
        unpack_wheel(wheel, tmp_path / "a" / "h", filename=FILENAME)
    with pytest.raises(InstallError) as child:
        unpacking.unpack_in_child(wheel, tmp_path / "b" / "h", filename=FILENAME)
    assert "bulk/sub3/deep1/mod10.py does not match its RECORD hash" in str(child.value)
    assert str(child.value) == str(parent.value) and "\n" not in str(child.value)
    assert list((tmp_path / "b").iterdir()) == []  # nothing landed, no temp sibling


def test_few_cores_keep_big_wheels_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = _bulk_wheel(tmp_path)
    monkeypatch.setattr(unpacking, "PROCESS_MIN_BYTES", 1)
    monkeypatch.setattr(unpacking, "_cores", lambda: unpacking.PROCESS_MIN_CORES - 1)
    monkeypatch.setattr(unpacking, "unpack_in_child", None)  # calling it would fail
    done = unpacking.unpack_any(wheel, tmp_path / "h", filename=FILENAME)
    assert done == load_unpacked(tmp_path / "h")


def test_a_child_that_fails_falls_back_to_unpacking_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = _bulk_wheel(tmp_path)
    monkeypatch.setattr(unpacking.sys, "executable", str(tmp_path / "no-such-python"))
    monkeypatch.setattr(unpacking, "PROCESS_MIN_BYTES", 1)
    monkeypatch.setattr(unpacking, "_cores", lambda: unpacking.PROCESS_MIN_CORES)
    done = unpacking.unpack_any(wheel, tmp_path / "h", filename=FILENAME)
    assert done == load_unpacked(tmp_path / "h")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ((b"VALUE = 299\n", b"VALUE = 298\n"), "bad CRC-32"),  # stored member's data
        ((b"bulk/sub0/deep0/mod0.py", b"bulk/sub0/deep0/modX.py"), "in directory and header"),
    ],
)
def test_corrupt_members_are_refused(
    tmp_path: Path, change: tuple[bytes, bytes], message: str
) -> None:
    wheel = _bulk_wheel(tmp_path)
    stored = tmp_path / "stored.whl"  # members stored, so that their bytes can be edited
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(stored, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            info.compress_type = zipfile.ZIP_STORED
            out.writestr(info, data)
    raw = stored.read_bytes()
    assert change[0] in raw
    stored.write_bytes(raw.replace(change[0], change[1], 1))  # the first: a local header/data
    with pytest.raises(InstallError, match="not a readable wheel") as info:
        unpack_wheel(stored, tmp_path / "store" / "h", filename=FILENAME)
    assert message in str(info.value)
    assert list((tmp_path / "store").iterdir()) == []
