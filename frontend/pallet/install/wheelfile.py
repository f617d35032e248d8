"""A wheel validated and unpacked once into the store, and read back from there cheaply.

`unpack_wheel` checks everything that can be checked from the zip's directory before it writes a
byte (member paths, symlinks, the ``.dist-info`` folder against the file name, RECORD against the
members: PEP 427, PEP 491, the binary distribution format spec), then extracts into a hidden
sibling of ``dest`` while hashing each member, and renames the sibling to ``dest`` only when every
hash and size matched RECORD. A refused wheel leaves nothing at ``dest``. The facts the installer
needs (files with their sha256, entry points, Root-Is-Purelib) go into ``.pallet-unpacked.json``,
so `load_unpacked` reads one small JSON file instead of RECORD, WHEEL and entry_points.txt.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import shutil
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..errors import InstallError
from .wheelcheck import MARKER, WheelPlan, plan_wheel

__all__ = ["MARKER", "RecordEntry", "UnpackedWheel", "load_unpacked", "unpack_wheel"]

_FORMAT = 1  # of the marker file, MARKER: written last; its presence means "complete"
_CHUNK = 1 << 20


class RecordEntry(NamedTuple):
    """One file of a wheel: its path as in RECORD (posix, relative to the wheel's root), and the
    sha256 (RECORD's encoding: urlsafe base64 without padding) and size of its content as checked
    while unpacking; None for RECORD itself and its signatures, which RECORD does not hash.

    A named tuple rather than a dataclass: a large wheel has thousands, read on every install.
    """

    path: str
    sha256: str | None
    size: int | None


@dataclass(frozen=True)
class UnpackedWheel:
    """A wheel unpacked and validated in the store; everything the installer needs."""

    root: Path  # the unpacked tree (store.unpacked(h))
    name: str  # normalized project name, from the dist-info folder
    version: str
    dist_info: str  # "name-1.0.dist-info"
    data_dir: str  # "name-1.0.data" (may not exist)
    root_is_purelib: bool  # WHEEL's Root-Is-Purelib
    files: tuple[RecordEntry, ...]  # every file of the wheel, RECORD order checked against them
    console_scripts: tuple[tuple[str, str], ...]  # (name, "module:attr") from entry_points.txt
    gui_scripts: tuple[tuple[str, str], ...]
    #: every folder that holds files (ancestors included, "a" before "a/b"), so that installing
    #: needs no pass over the files to find them; empty means "not known" (then computed)
    folders: tuple[str, ...] = ()


# -- reading back --------------------------------------------------------------------------


def load_unpacked(dest: Path) -> UnpackedWheel | None:
    """The unpacked wheel at `dest`, or None unless it is complete (its marker file present)."""
    try:
        with open(os.path.join(dest, MARKER), "rb") as f:
            facts = json.loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(facts, dict) or facts.get("format") != _FORMAT:
        return None
    try:
        return _from_facts(Path(dest), facts)
    except (KeyError, TypeError, ValueError):
        return None


def _from_facts(root: Path, facts: dict[str, object]) -> UnpackedWheel:
    files = facts["files"]
    console = facts["console_scripts"]
    gui = facts["gui_scripts"]
    assert isinstance(files, list) and isinstance(console, list) and isinstance(gui, list)
    return UnpackedWheel(
        root=root,
        name=str(facts["name"]),
        version=str(facts["version"]),
        dist_info=str(facts["dist_info"]),
        data_dir=str(facts["data_dir"]),
        root_is_purelib=bool(facts["root_is_purelib"]),
        files=tuple(map(RecordEntry._make, files)),
        console_scripts=tuple((n, v) for n, v in console),
        gui_scripts=tuple((n, v) for n, v in gui),
        folders=tuple(str(f) for f in facts.get("folders", ())),  # type: ignore[attr-defined]
    )


# -- extracting ----------------------------------------------------------------------------


def all_folders(paths: list[str]) -> list[str]:
    """Every folder that holds the files `paths` (ancestors included), sorted. Empty folders a
    wheel may list are not among them: installers install files (RECORD lists no folder)."""
    found: set[str] = set()
    for parent in {p.rpartition("/")[0] for p in paths}:
        while parent and parent not in found:
            found.add(parent)
            parent = parent.rpartition("/")[0]
    return sorted(found)


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


#: PKZIP's local file header (APPNOTE.TXT 4.3.7): signature, versions, flags, method, times,
#: CRC-32, sizes, name length, extra length; the member's data follows the name and extra field.
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
#: Members read whole (one pread, one zlib call) up to this size; larger ones stream.
_WHOLE_MAX = 16 << 20


def _read_whole(fd: int, info: zipfile.ZipInfo, filename: str) -> bytes | None:
    """A stored or deflated member's content, read with `os.pread` and checked against the
    directory's CRC-32 and size as zipfile checks them; None for what zipfile must read itself
    (encrypted, another compression, a large member)."""
    if (
        info.flag_bits & 0x1
        or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        or info.file_size > _WHOLE_MAX
    ):
        return None
    header = os.pread(fd, _LOCAL_HEADER.size, info.header_offset)
    if len(header) != _LOCAL_HEADER.size:
        raise zipfile.BadZipFile(f"truncated header of {info.filename!r}")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"bad local header of {info.filename!r}")
    name_len, extra_len = fields[9], fields[10]
    start = info.header_offset + _LOCAL_HEADER.size
    name = os.pread(fd, name_len, start)
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if name.decode(encoding, "replace") != info.orig_filename:
        raise zipfile.BadZipFile(f"file name in directory and header differ: {info.filename!r}")
    data = os.pread(fd, info.compress_size, start + name_len + extra_len)
    if len(data) != info.compress_size:
        raise zipfile.BadZipFile(f"truncated member {info.filename!r}")
    if info.compress_type == zipfile.ZIP_DEFLATED:
        data = zlib.decompress(data, -15, max(info.file_size, 1))
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 or size for {info.filename!r}")
    return data


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _extract(zf: zipfile.ZipFile, plan: WheelPlan, into: str, filename: str) -> list[list[object]]:
    """Write every member under `into`, checking hashes and sizes as they stream; the files'
    ``[path, sha256 (urlsafe base64), size]`` rows for the marker.

    Most members are read whole with one `os.pread` and one zlib call, written with one
    `os.write` and hashed once (the sha256 both checks RECORD and goes into the marker): the
    per-file Python work is what a large wheel's unpacking costs."""
    made = {""}
    for folder in plan.folders:
        os.makedirs(os.path.join(into, folder), exist_ok=True)
        made.add(folder)
    rows: list[list[object]] = []
    assert zf.fp is not None
    archive_fd = zf.fp.fileno()
    join = os.path.join
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for member in plan.members:
        parent = member.path.rpartition("/")[0]
        if parent not in made:
            os.makedirs(join(into, parent), exist_ok=True)
            made.add(parent)
        other = (
            hashlib.new(member.algorithm)
            if member.algorithm and member.algorithm != "sha256"
            else None
        )
        mode = 0o777 if member.executable else 0o666  # the umask applies, as for any file
        data = _read_whole(archive_fd, member.info, filename)
        fd = os.open(join(into, member.path), flags, mode)
        if data is not None:
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            sha256 = hashlib.sha256(data)
            if other is not None:
                other.update(data)
            size = len(data)
        else:
            sha256 = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out, zf.open(member.info) as source:
                while True:
                    chunk = source.read(_CHUNK)
                    if not chunk:
                        break
                    sha256.update(chunk)
                    if other is not None:
                        other.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        if member.size is not None and member.size != size:
            raise InstallError(
                f"{filename}: {member.path} is {size} bytes, RECORD says {member.size}"
            )
        if member.algorithm is not None:
            got = _b64((other or sha256).digest())
            if got != member.digest:
                raise InstallError(
                    f"{filename}: {member.path} does not match its RECORD hash "
                    f"(expected {member.algorithm}={member.digest}, got {got})"
                )
            rows.append([member.path, _b64(sha256.digest()), size])
        else:
            rows.append([member.path, None, None])
    return rows


def unpack_wheel(archive: Path, dest: Path, *, filename: str) -> UnpackedWheel:
    """Validate the wheel `archive` (named `filename`) and unpack it into `dest`, once.

    If `dest` is already complete it is returned as it is. Otherwise the wheel is extracted into a
    hidden sibling of `dest` and renamed into place; a concurrent writer that wins the rename
    race wins, and this copy is discarded. A bad wheel raises `InstallError` naming `filename`
    and the problem, with nothing left at `dest`.
    """
    done = load_unpacked(dest)
    if done is not None:
        return done
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        name, version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise InstallError(f"{filename}: not a wheel file name ({exc})") from None
    dest = Path(dest)
    staging = dest.parent / f".{dest.name}.pallet-tmp-{os.urandom(4).hex()}"
    try:
        with zipfile.ZipFile(archive) as zf:
            plan = plan_wheel(zf, filename, str(name), str(version))
            dest.parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
            rows = _extract(zf, plan, str(staging), filename)
        facts = {
            "format": _FORMAT,
            "name": plan.name,
            "version": plan.version,
            "dist_info": plan.dist_info,
            "data_dir": plan.data_dir,
            "root_is_purelib": plan.root_is_purelib,
            "files": rows,
            "console_scripts": [list(e) for e in plan.console_scripts],
            "gui_scripts": [list(e) for e in plan.gui_scripts],
            "folders": all_folders([m.path for m in plan.members]),
        }
        (staging / MARKER).write_text(json.dumps(facts, separators=(",", ":")), encoding="utf-8")
        return _publish(staging, dest, facts)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise InstallError(f"{filename}: not a readable wheel: {exc}") from None
    except OSError as exc:
        raise InstallError(
            f"{filename}: cannot unpack into {dest}: {exc.strerror or exc}"
        ) from None
    finally:
        if os.path.lexists(staging):
            shutil.rmtree(staging, ignore_errors=True)


def _publish(staging: Path, dest: Path, facts: dict[str, object]) -> UnpackedWheel:
    """Rename `staging` to `dest`; an incomplete `dest` left by a killed writer is replaced, a
    complete one (a concurrent writer's) is kept."""
    for _ in range(3):
        try:
            os.rename(staging, dest)
            return _from_facts(dest, facts)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
        existing = load_unpacked(dest)
        if existing is not None:
            return existing
        aside = dest.parent / f".{dest.name}.pallet-old-{os.urandom(4).hex()}"
        try:
            os.rename(dest, aside)
        except FileNotFoundError:
            continue
        if aside.is_dir() and not aside.is_symlink():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            aside.unlink()
    raise InstallError(f"{dest}: another process keeps writing here; try again")
