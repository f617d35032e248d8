"""Reproducible, atomic archive writers: the wheel's zip (with RECORD) and the sdist's tar.gz.

Same input and ``SOURCE_DATE_EPOCH`` give byte-identical archives: entries come in the order
given (callers sort), times are fixed, modes are 0o644 or 0o755, owners are 0/"". Output goes
to a temporary file in the target directory and is moved into place with ``os.replace`` only
when complete; on any error the temporary file is removed.
"""

from __future__ import annotations

import binascii
import os
import struct
import time
import zlib
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["TarWriter", "ZipWriter", "read_source", "source_date_epoch"]

_LOCAL = struct.Struct("<4s5H3I2H")  # APPNOTE 4.3.7 local file header
_CENTRAL = struct.Struct("<4s6H3I5H2I")  # APPNOTE 4.3.12 central directory header
_END = struct.Struct("<4s4H2IH")  # APPNOTE 4.3.16 end of central directory record
_ZIP32_LIMIT = 0xFFFFFFFF
_TAR_IDS = b"0000000\0" * 2  # uid 0, gid 0
# Link name, POSIX magic and version, empty owner and group names, no device numbers, no
# ustar prefix (long names get a pax header), padding to 512 bytes.
_TAR_TAIL = b"\0" * 100 + b"ustar\x0000" + b"\0" * (64 + 16 + 155 + 12)
_TAR_FIXED_SUM = sum(_TAR_TAIL) + 8 * 32  # the tail, and the checksum field as eight spaces
_TAR_ZEROS = bytes(512)
_COUNTER = count()
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_URLSAFE = bytes.maketrans(b"+/", b"-_")  # base64 -> urlsafe base64 (RFC 4648 section 5)
#: The earliest time a zip file can hold (its DOS timestamps start in 1980).
_ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z
_ZIP_LAST = 4354819199  # 2107-12-31T23:59:59Z, the last DOS timestamp
#: Deflate levels, measured on 2000 modules of ~0.8 KiB (docs/backend.md, "Speed"). Wheel
#: entries are small and compressed one by one: level 6 costs ~2 ms more than 3 for 1% smaller
#: files, and helps more on large data files. The sdist is one 1.6 MB stream: level 3 saves
#: ~5 ms over 6 for a 12% larger file; level 1 is no faster and 54% larger.
ZIP_LEVEL = 6
TAR_GZ_LEVEL = 3


def source_date_epoch() -> int:
    """``SOURCE_DATE_EPOCH`` (reproducible-builds.org) or 1980-01-01, so builds are reproducible
    by default."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return _ZIP_EPOCH
    try:
        return int(value)
    except ValueError:
        from .errors import BuildError

        raise BuildError(
            f"environment variable SOURCE_DATE_EPOCH: {value!r} is not an integer; "
            "set it to seconds since 1970-01-01 UTC or unset it"
        ) from None


def read_source(path: str) -> tuple[bytes, bool]:
    """The bytes of ``path`` and whether its owner-executable bit is set (one open, one read)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        size = os.fstat(fd)
        data = os.read(fd, size.st_size + 1)
        if len(data) > size.st_size:  # the file grew, or the size lied (/proc): read the rest
            chunks = [data]
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            data = b"".join(chunks)
    finally:
        os.close(fd)
    return data, bool(size.st_mode & 0o100)


def _urlsafe_digest(digest: bytes) -> str:
    # PEP 376 / binary distribution format: sha256, urlsafe base64 without "=" padding.
    # binascii directly rather than base64.urlsafe_b64encode: two calls fewer per file.
    encoded = binascii.b2a_base64(digest, newline=False)
    return "sha256=" + encoded.translate(_URLSAFE).rstrip(b"=").decode("ascii")


def _deflate(data: bytes, level: int) -> bytes:
    """Raw deflate (RFC 1951), with zlib's window and hash table sized to the input.

    A full-size compressor allocates and clears ~256 KiB; for the typical 1 KiB module that
    costs ten times the compression itself. A window at least as large as the input loses
    nothing, and the output depends only on the input and the zlib version.
    """
    wbits = max(9, min(15, (len(data) + 262).bit_length()))  # 262: zlib's MIN_LOOKAHEAD
    compressor = zlib.compressobj(level, zlib.DEFLATED, -wbits, max(1, min(8, wbits - 6)))
    return compressor.compress(data) + compressor.flush()


class _AtomicFile:
    """A temporary file next to ``target``, renamed onto it by ``commit``."""

    def __init__(self, target: Path) -> None:
        self.target = target
        # A name of our own rather than tempfile.mkstemp (whose import costs ~3 ms per build);
        # O_EXCL makes a clash with a concurrent build fail instead of sharing the file.
        self.temp = target.parent / f".{target.name}.{os.getpid()}.{next(_COUNTER)}.tmp"
        umask = os.umask(0)
        os.umask(umask)
        fd = os.open(
            self.temp,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
            0o666 & ~umask,
        )
        self.stream = os.fdopen(fd, "w+b")

    def commit(self) -> None:
        self.stream.close()
        self.temp.replace(self.target)

    def abort(self) -> None:
        if not self.stream.closed:
            self.stream.close()
        self.temp.unlink(missing_ok=True)


class _ArchiveWriter:
    """An archive written to a temporary file and renamed into place only when complete.

    Used as a context manager: a clean exit writes the archive's tail (`_finish`) and renames
    the file into place; an exception anywhere leaves no file behind.
    """

    _file: _AtomicFile

    def _finish(self) -> None:
        raise NotImplementedError

    def __enter__(self: _Writer) -> _Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            try:
                self._finish()
                self._file.commit()
            except BaseException:
                self._file.abort()
                raise
        else:
            self._file.abort()


_Writer = TypeVar("_Writer", bound=_ArchiveWriter)


class ZipWriter(_ArchiveWriter):
    """Writes a wheel: each ``add`` hashes the bytes for RECORD; closing writes RECORD last.

    A small writer of its own rather than ``zipfile``: entries are compressed in memory, so the
    sizes and CRC are known before the local header is written (no seeking back, no data
    descriptors), and the bytes depend on nothing but the input and zlib. Use as a context
    manager: leaving the block without an error commits, with one aborts.
    """

    def __init__(self, target: Path, record_path: str) -> None:
        # Imported here: loading OpenSSL's hashlib costs ~2 ms, and only wheels hash their files.
        from hashlib import sha256

        self._sha256 = sha256
        self.record_path = record_path
        self._file = _AtomicFile(target)
        epoch = min(max(source_date_epoch(), _ZIP_EPOCH), _ZIP_LAST)
        # Zip holds DOS local times; use UTC so that the time zone cannot change the bytes.
        year, month, day, hour, minute, second = time.gmtime(epoch)[:6]
        self._dos_time = (hour << 11) | (minute << 5) | (second // 2)
        self._dos_date = ((year - 1980) << 9) | (month << 5) | day
        self._chunks: list[bytes] = []
        self._central: list[bytes] = []
        self._offset = 0
        self._records: list[str] = []
        self.names: list[str] = []

    def add(self, arcname: str, data: bytes, executable: bool = False) -> None:
        """Add one file; ``arcname`` is a relative posix path."""
        self._add(arcname, data, executable)
        self._records.append(
            f"{_csv_field(arcname)},{_urlsafe_digest(self._sha256(data).digest())},{len(data)}\n"
        )
        self.names.append(arcname)

    def _add(self, arcname: str, data: bytes, executable: bool) -> None:
        try:
            name = arcname.encode("ascii")
            flags = 0
        except UnicodeEncodeError:
            name = arcname.encode("utf-8")
            flags = 0x800  # APPNOTE 4.4.4 bit 11: the file name is UTF-8
        packed = _deflate(data, ZIP_LEVEL)
        crc = zlib.crc32(data)
        if len(data) > _ZIP32_LIMIT or self._offset > _ZIP32_LIMIT:
            raise ValueError(f"{arcname!r} does not fit a zip file without ZIP64")
        header = _LOCAL.pack(
            b"PK\x03\x04",
            20,
            flags,
            8,
            self._dos_time,
            self._dos_date,
            crc,
            len(packed),
            len(data),
            len(name),
            0,
        )
        # Made by Unix (3) so that the external attributes carry the file mode everywhere.
        mode = 0o100755 if executable else 0o100644
        self._central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                0x0314,
                20,
                flags,
                8,
                self._dos_time,
                self._dos_date,
                crc,
                len(packed),
                len(data),
                len(name),
                0,
                0,
                0,
                0,
                mode << 16,
                self._offset,
            )
            + name
        )
        self._chunks += (header, name, packed)
        self._offset += len(header) + len(name) + len(packed)

    def _finish(self) -> None:
        # PEP 376 / PEP 427: RECORD lists every file; it lists itself with no hash and no size.
        record = "".join(self._records) + f"{_csv_field(self.record_path)},,\n"
        self._add(self.record_path, record.encode("utf-8"), False)
        central = b"".join(self._central)
        count = len(self._central)
        if count > 0xFFFF:
            raise ValueError("too many files for a zip file without ZIP64")
        end = _END.pack(b"PK\x05\x06", 0, 0, count, count, len(central), self._offset, 0)
        stream = self._file.stream
        stream.writelines(self._chunks)
        stream.write(central)
        stream.write(end)


def _csv_field(value: str) -> str:
    # RECORD is a CSV file: quote a path holding a comma, quote or line break.
    if "," in value or '"' in value or "\r" in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


class TarWriter(_ArchiveWriter):
    """Writes an sdist: a gzip-compressed POSIX.1-2001 (pax) tar of regular files.

    Headers are ustar blocks, with a pax extended header for a name over 100 bytes or not
    ASCII: byte for byte what ``tarfile.PAX_FORMAT`` writes, without its per-member overhead.
    Owner 0/0 with empty names, fixed mtime, mode 0o644 or 0o755. Use as a context manager, like
    ``ZipWriter``.
    """

    def __init__(self, target: Path) -> None:
        self._file = _AtomicFile(target)
        self._mtime = max(source_date_epoch(), 0)
        self._chunks: list[bytes] = []
        self._pending = 0
        self._size = 0
        self._crc = 0
        self._compressor = zlib.compressobj(TAR_GZ_LEVEL, zlib.DEFLATED, -15)
        # RFC 1952 header: no file name, fixed mtime, XFL 0, OS 255 (unknown).
        mtime = struct.pack("<I", self._mtime & 0xFFFFFFFF)
        self._file.stream.write(b"\x1f\x8b\x08\x00" + mtime + b"\x00\xff")

    def add(self, arcname: str, data: bytes, executable: bool = False) -> None:
        """Add one regular file; ``arcname`` is a relative posix path without ``..``."""
        if arcname.startswith("/") or ".." in arcname.split("/"):
            raise ValueError(f"unsafe sdist member name {arcname!r}")
        name = arcname.encode("utf-8")
        if len(name) > 100 or not arcname.isascii():
            # POSIX.1-2001: an extended header ("x") carries the full UTF-8 path; the ustar
            # field keeps an ASCII stand-in, as tarfile.PAX_FORMAT writes it.
            self._pax_path(name)
            name = arcname.encode("ascii", "replace")[:100]
        mode = 0o755 if executable else 0o644
        self._member(self._header(name, len(data), mode, b"0", self._mtime), data)

    def _pax_path(self, path: bytes) -> None:
        body = b" path=" + path + b"\n"
        length = len(body)
        while len(str(length)) + len(body) != length:  # the length counts its own digits
            length = len(str(length)) + len(body)
        record = str(length).encode("ascii") + body
        self._member(self._header(b"././@PaxHeader", len(record), 0, b"x", 0), record)

    @staticmethod
    def _header(name: bytes, size: int, mode: int, kind: bytes, mtime: int) -> bytes:
        # A ustar header (POSIX.1-1988): numbers in octal, NUL-terminated; the checksum is the
        # byte sum of the header with the checksum field counted as eight spaces.
        fields = b"%07o\0%s%011o\0%011o\0" % (mode, _TAR_IDS, size, mtime)
        # The byte sum of name and fields, 5x faster than sum(): adler32's low 16 bits are 1 +
        # the byte sum modulo 65521, and these at most 148 bytes sum to at most 37740.
        checksum = _TAR_FIXED_SUM + (zlib.adler32(name + fields) & 0xFFFF) - 1 + kind[0]
        return b"".join((name.ljust(100, b"\0"), fields, b"%06o\0 " % checksum, kind, _TAR_TAIL))

    def _member(self, header: bytes, data: bytes) -> None:
        # One header block, the data, and zeros up to a whole 512-byte block.
        self._append(header, data, _TAR_ZEROS[: -len(data) % 512])

    def _append(self, *parts: bytes) -> None:
        # Compress in batches of ~1 MiB: fewer calls than one per member, bounded memory.
        self._chunks += parts
        size = sum(map(len, parts))
        self._pending += size
        self._size += size
        if self._pending >= 1 << 20:
            self._flush()

    def _flush(self) -> None:
        batch = b"".join(self._chunks)
        self._chunks.clear()
        self._pending = 0
        self._crc = zlib.crc32(batch, self._crc)
        self._file.stream.write(self._compressor.compress(batch))

    def _finish(self) -> None:
        # End of archive: two zero blocks, then zeros up to a whole 10240-byte record.
        self._append(b"\0" * (1024 + (-(self._size + 1024) % 10240)))
        self._flush()
        stream = self._file.stream
        stream.write(self._compressor.flush())
        stream.write(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))
