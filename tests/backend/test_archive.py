"""The reproducible zip and tar.gz writers, read back with the standard library."""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest
from pallet_core.archive import TarWriter, ZipWriter, read_source, source_date_epoch


def write_zip(
    path: Path, files: dict[str, bytes], executable: frozenset[str] = frozenset()
) -> None:
    with ZipWriter(path, "x-1.dist-info/RECORD") as archive:
        for name, data in files.items():
            archive.add(name, data, name in executable)


def test_zip_round_trip_record_and_modes(tmp_path: Path) -> None:
    path = tmp_path / "x.whl"
    files = {"x/__init__.py": b"", "x/data.bin": bytes(range(256)) * 40, "x/run": b"#!/bin/sh\n"}
    write_zip(path, files, frozenset({"x/run"}))
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [*files, "x-1.dist-info/RECORD"]
        for name, data in files.items():
            assert archive.read(name) == data
            info = archive.getinfo(name)
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.create_system == 3
            assert info.external_attr >> 16 == (0o100755 if name == "x/run" else 0o100644)
        rows = list(csv.reader(io.StringIO(archive.read("x-1.dist-info/RECORD").decode())))
    # PEP 376: sha256, urlsafe base64 without padding, size; RECORD itself with no hash/size.
    assert rows[-1] == ["x-1.dist-info/RECORD", "", ""]
    for name, digest, size in rows[:-1]:
        expected = base64.urlsafe_b64encode(hashlib.sha256(files[name]).digest()).rstrip(b"=")
        assert digest == "sha256=" + expected.decode()
        assert int(size) == len(files[name])


def test_zip_quotes_odd_names_in_record(tmp_path: Path) -> None:
    path = tmp_path / "x.whl"
    write_zip(path, {"x/a,b.txt": b"1", "x/é.txt": b"2"})
    with zipfile.ZipFile(path) as archive:
        assert archive.read("x/é.txt") == b"2"
        assert archive.getinfo("x/é.txt").flag_bits & 0x800
        rows = list(csv.reader(io.StringIO(archive.read("x-1.dist-info/RECORD").decode())))
    assert [row[0] for row in rows] == ["x/a,b.txt", "x/é.txt", "x-1.dist-info/RECORD"]


def test_zip_is_reproducible(tmp_path: Path) -> None:
    files = {f"x/m{i}.py": f"value = {i}\n".encode() * i for i in range(50)}
    write_zip(tmp_path / "a.whl", files)
    write_zip(tmp_path / "b.whl", files)
    assert (tmp_path / "a.whl").read_bytes() == (tmp_path / "b.whl").read_bytes()


@pytest.mark.parametrize(
    ("epoch", "date_time"),
    [
        ("0", (1980, 1, 1, 0, 0, 0)),  # zip cannot hold times before 1980: clamped
        ("1700000000", (2023, 11, 14, 22, 13, 20)),
    ],
)
def test_zip_time_from_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: str, date_time: tuple[int, ...]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    write_zip(tmp_path / "x.whl", {"x/a.py": b""})
    with zipfile.ZipFile(tmp_path / "x.whl") as archive:
        assert archive.getinfo("x/a.py").date_time == date_time


def test_bad_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    from pallet_core.errors import BuildError

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(BuildError, match="SOURCE_DATE_EPOCH: 'yesterday' is not an integer"):
        source_date_epoch()


def test_failed_zip_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), ZipWriter(tmp_path / "x.whl", "R") as archive:
        archive.add("x/a.py", b"1")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def write_tar(
    path: Path, files: dict[str, bytes], executable: frozenset[str] = frozenset()
) -> None:
    with TarWriter(path) as archive:
        for name, data in files.items():
            archive.add(name, data, name in executable)


def test_tar_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "x-1.tar.gz"
    long_dir = "x-1/" + "/".join(["directory"] * 12)  # > 100 bytes: a pax header
    long_name = "x-1/" + "n" * 120 + ".txt"  # a 124-byte name: needs a pax header
    files = {
        "x-1/PKG-INFO": b"Metadata-Version: 2.4\n",
        "x-1/run.sh": b"#!/bin/sh\n",
        f"{long_dir}/file.py": b"print(1)\n",
        long_name: b"long",
        "x-1/ünïcode.txt": "é".encode(),
        "x-1/empty": b"",
        "x-1/block": b"z" * 512,
    }
    write_tar(path, files, frozenset({"x-1/run.sh"}))
    with tarfile.open(path) as archive:
        members = archive.getmembers()
        assert [m.name for m in members] == list(files)
        for member in members:
            assert member.isreg()
            assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
            assert member.mtime == 315532800
            assert member.mode == (0o755 if member.name == "x-1/run.sh" else 0o644)
            extracted = archive.extractfile(member)
            assert extracted is not None
            assert extracted.read() == files[member.name]
    raw = path.read_bytes()
    # RFC 1952: no FNAME flag (byte 3), the fixed mtime (bytes 4-8).
    assert raw[:4] == b"\x1f\x8b\x08\x00"
    assert struct.unpack("<I", raw[4:8])[0] == 315532800
    assert len(gzip.decompress(raw)) % 10240 == 0


def test_tar_matches_tarfile_pax_output(tmp_path: Path) -> None:
    """The archive is byte for byte what tarfile.PAX_FORMAT writes (long and UTF-8 names too)."""
    files = {
        "x-1/a.py": b"a = 1\n",
        "x-1/" + "d/" * 60 + "b.py": b"b = 2\n",
        "x-1/ünïcode.txt": b"u",
        "x-1/" + "é" * 200: b"long and not ASCII",
    }
    write_tar(tmp_path / "ours.tar.gz", files)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 315532800, 0o644
            archive.addfile(info, io.BytesIO(data))
    assert gzip.decompress((tmp_path / "ours.tar.gz").read_bytes()) == buffer.getvalue()


def test_tar_refuses_unsafe_names(tmp_path: Path) -> None:
    for name in ("/etc/passwd", "x-1/../../evil"):
        with pytest.raises(ValueError, match="unsafe"), TarWriter(tmp_path / "x.tar.gz") as tar:
            tar.add(name, b"")
    assert list(tmp_path.iterdir()) == []


def test_tar_is_reproducible(tmp_path: Path) -> None:
    files = {f"x-1/m{i}.py": f"value = {i}\n".encode() * i for i in range(50)}
    write_tar(tmp_path / "a.tar.gz", files)
    write_tar(tmp_path / "b.tar.gz", files)
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()


def test_read_source(tmp_path: Path) -> None:
    path = tmp_path / "script"
    path.write_bytes(b"#!/bin/sh\n")
    assert read_source(str(path)) == (b"#!/bin/sh\n", False)
    path.chmod(0o755)
    assert read_source(str(path)) == (b"#!/bin/sh\n", True)
