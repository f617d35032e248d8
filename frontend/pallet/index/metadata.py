"""Core metadata of a wheel: PEP 658 file, else HTTP range requests into the zip, else download.

`parse_metadata` turns METADATA text into `DistMetadata`; `WheelMetadataFetcher` gets the text
with as few bytes as the index allows and caches it by the file's hash.
"""

from __future__ import annotations

import io
import logging
import threading
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Callable
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import IndexError_
from .cache import Cache, MetadataFields
from .http import HashMismatch, HttpClient, bytes_hash_matches
from .models import DistFile, DistMetadata

__all__ = [
    "MetadataMismatch",
    "WheelMetadataFetcher",
    "check_identity",
    "from_fields",
    "metadata_fields",
    "parse_metadata",
    "read_wheel_metadata",
]

logger = logging.getLogger(__name__)

#: First range request: the last 64 KiB hold the central directory of most wheels.
TAIL_BYTES = 64 * 1024
MIN_RANGE = 32 * 1024


def metadata_fields(data: bytes) -> MetadataFields:
    """The raw fields `DistMetadata` is made of, as `packaging.metadata.parse_email` reads them
    from METADATA / PKG-INFO bytes (core metadata is an email-header format)."""
    from packaging.metadata import parse_email  # the email parser: not on a warm run

    raw, _unparsed = parse_email(data)
    return {
        "name": raw.get("name"),
        "version": raw.get("version"),
        "requires_dist": list(raw.get("requires_dist", [])),
        "requires_python": raw.get("requires_python"),
        "provides_extra": list(raw.get("provides_extra", [])),
    }


def parse_metadata(data: bytes, *, source: str) -> DistMetadata:
    """METADATA / PKG-INFO bytes -> `DistMetadata` (lenient: bad requirements are skipped)."""
    return from_fields(metadata_fields(data), source=source)


def from_fields(fields: MetadataFields, *, source: str) -> DistMetadata:
    """`metadata_fields` -> `DistMetadata`; the same from the bytes or from the cache's copy."""
    name, version = fields["name"], fields["version"]
    if not name or not version:
        raise IndexError_(f"{source}: metadata has no Name or Version")
    try:
        parsed_version = Version(version)
    except InvalidVersion as exc:
        raise IndexError_(f"{source}: invalid Version {version!r} in metadata") from exc
    requirements: list[Requirement] = []
    for line in fields["requires_dist"]:
        try:
            requirements.append(Requirement(line))
        except InvalidRequirement:
            logger.warning("%s: ignoring invalid Requires-Dist %r", source, line)
    requires_python: SpecifierSet | None = None
    if fields["requires_python"]:
        try:
            requires_python = SpecifierSet(fields["requires_python"])
        except InvalidSpecifier:
            logger.warning(
                "%s: ignoring invalid Requires-Python %r", source, fields["requires_python"]
            )
    # PEP 685: extras compare normalized.
    extras = tuple(dict.fromkeys(canonicalize_name(e) for e in fields["provides_extra"]))
    return DistMetadata(
        name=canonicalize_name(name),
        version=parsed_version,
        requires_dist=tuple(requirements),
        requires_python=requires_python,
        provides_extra=extras,
    )


def read_wheel_metadata(source: IO[bytes] | Path, filename: str) -> bytes:
    """The ``<name>-<version>.dist-info/METADATA`` member of a wheel (PEP 427)."""
    with zipfile.ZipFile(source) as zf:
        candidates = [
            n
            for n in zf.namelist()
            if n.count("/") == 1
            and n.endswith("/METADATA")
            and n.split("/")[0].endswith(".dist-info")
        ]
        if not candidates:
            raise IndexError_(f"{filename}: no .dist-info/METADATA in the wheel")
        prefix = canonicalize_name(filename.split("-", 1)[0])
        candidates.sort(key=lambda n: canonicalize_name(n.split("-", 1)[0]) != prefix)
        return zf.read(candidates[0])


class MetadataMismatch(IndexError_):
    """Metadata that names another project or version than the file it was read for."""


def check_identity(file: DistFile, metadata: DistMetadata) -> None:
    """Refuse metadata whose Name or Version is not the file's (from its file name, PEP 427 /
    the sdist naming rule): names compare normalized (PEP 503), versions as PEP 440 versions,
    so ``Foo_Bar`` 1.0.0 matches ``foo_bar-1.0``."""
    if metadata.name == file.name and metadata.version == file.version:
        return
    raise MetadataMismatch(
        f"index {file.index!r}: metadata of {file.filename} names {metadata.name} "
        f"{metadata.version}, but the file is {file.name} {file.version}; refusing it "
        "(the index or the package is broken)"
    )


class _NoRanges(Exception):
    """The server answered a range request with the whole file (already saved to the cache)."""


class _RangeReader(io.RawIOBase):
    """A seekable read-only file over HTTP range requests, fetching only the blocks read."""

    def __init__(self, size: int, fetch: Callable[[int, int], bytes], tail: bytes) -> None:
        self._size = size
        self._fetch = fetch  # (start, end inclusive) -> bytes
        self._pos = 0
        self._chunks: list[tuple[int, bytes]] = [(size - len(tail), tail)]
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _cached(self, start: int, end: int) -> bytes | None:
        for offset, data in self._chunks:
            if offset <= start and end <= offset + len(data):
                return data[start - offset : end - offset]
        return None

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        end = min(self._pos + len(buffer), self._size)
        if end <= self._pos:
            return 0
        data = self._cached(self._pos, end)
        if data is None:
            fetch_end = min(max(end, self._pos + MIN_RANGE), self._size)
            block = self._fetch(self._pos, fetch_end - 1)
            self.requests += 1
            self._chunks.append((self._pos, block))
            data = block[: end - self._pos]
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


class WheelMetadataFetcher:
    """Fetches and caches core metadata of wheels (and whole files, for the sdist builder)."""

    def __init__(self, http: HttpClient | None, cache: Cache, *, offline: bool = False) -> None:
        self.http = http
        self.cache = cache
        self.offline = offline
        self._no_ranges: set[str] = set()  # netlocs that answered a range request with 200
        self._lock = threading.Lock()

    # -- public ----------------------------------------------------------------------------------
    def cached(self, file: DistFile) -> DistMetadata | None:
        """Cached metadata of ``file``: its parsed fields when stored (a warm run parses no
        METADATA), else the METADATA bytes, parsed once and their fields stored."""
        key = Cache.metadata_key(file.url, file.hashes)
        fields = self.cache.load_metadata_fields(key)
        if fields is not None:
            return from_fields(fields, source=file.filename)
        data = self.cache.load_metadata(key)
        if data is None:
            return None
        fields = metadata_fields(data)
        metadata = from_fields(fields, source=file.filename)
        self.cache.store_metadata_fields(key, fields)
        return metadata

    def store(self, file: DistFile, data: bytes) -> DistMetadata:
        """Check and cache metadata read for ``file``: every metadata the client hands out
        (PEP 658 file, a wheel's METADATA, an sdist's PEP 517 hook output) passes here once."""
        fields = metadata_fields(data)
        metadata = from_fields(fields, source=file.filename)
        check_identity(file, metadata)
        key = Cache.metadata_key(file.url, file.hashes)
        self.cache.store_metadata(key, data)
        self.cache.store_metadata_fields(key, fields)
        return metadata

    def fetch(self, file: DistFile) -> DistMetadata:
        """Metadata of a wheel: cache, local file, PEP 658, range requests, full download."""
        found = self.cached(file)
        if found is not None:
            return found
        return self.store(file, self.fetch_bytes(file))

    def fetch_bytes(self, file: DistFile) -> bytes:
        local = self.local_path(file)
        if local is not None:
            return read_wheel_metadata(local, file.filename)
        cached_file = self.cache.file_path(file.filename, file.url, file.hashes)
        if cached_file.is_file():
            return read_wheel_metadata(cached_file, file.filename)
        if self.offline or self.http is None:
            raise IndexError_(
                f"index {file.index!r}: metadata of {file.filename} is not cached (offline)"
            )
        if file.core_metadata is not None:
            data = self._pep658(file)
            if data is not None:
                return data
        if urlsplit(file.url).netloc not in self._no_ranges:
            try:
                return self._ranges(file)
            except _NoRanges:  # the whole file is in the cache, already verified
                return read_wheel_metadata(cached_file, file.filename)
            except (zipfile.BadZipFile, KeyError, ValueError) as exc:
                logger.debug("range read of %s failed (%s); downloading", file.filename, exc)
        return read_wheel_metadata(self.download(file), file.filename)

    @staticmethod
    def local_path(file: DistFile) -> Path | None:
        parts = urlsplit(file.url)
        return Path(unquote(parts.path)) if parts.scheme == "file" else None

    def download(self, file: DistFile) -> Path:
        """The whole file in the cache (streamed in chunks, verified against the index hash)."""
        local = self.local_path(file)
        if local is not None:
            return local
        path = self.cache.file_path(file.filename, file.url, file.hashes)
        if path.is_file():
            return path
        if self.offline or self.http is None:
            raise IndexError_(f"index {file.index!r}: {file.filename} is not cached (offline)")
        identity = {"Accept-Encoding": "identity"}
        self.http.get(
            file.url, index=file.index, headers=identity, sink=path, sink_hashes=file.hashes
        )
        return path

    # -- strategies ------------------------------------------------------------------------
    def _pep658(self, file: DistFile) -> bytes | None:
        """PEP 658: the metadata file next to the distribution, checked against its hash."""
        assert self.http is not None and file.core_metadata is not None
        response = self.http.get(file.url + ".metadata", index=file.index, ok=frozenset({200, 404}))
        if response.status == 404:
            logger.debug("index offers metadata for %s but has none; falling back", file.filename)
            return None
        if not bytes_hash_matches(response.body, file.core_metadata):
            raise HashMismatch(
                f"index {file.index!r}: metadata of {file.filename} "
                "does not match its hash (PEP 658)"
            )
        return response.body

    def _ranges(self, file: DistFile) -> bytes:
        """Read the central directory from the tail, then only the METADATA member."""
        assert self.http is not None
        http = self.http
        path = self.cache.file_path(file.filename, file.url, file.hashes)
        ok = frozenset({200, 206})
        first = http.get(
            file.url,
            index=file.index,
            headers={"Range": f"bytes=-{TAIL_BYTES}", "Accept-Encoding": "identity"},
            ok=ok,
            sink=path,
            sink_hashes=file.hashes,
        )
        if first.status == 200:  # no range support: the body is the whole file, now on disk
            with self._lock:
                self._no_ranges.add(urlsplit(file.url).netloc)
            raise _NoRanges
        total = _total_size(first.headers)

        def fetch(start: int, end: int) -> bytes:
            headers = {"Range": f"bytes={start}-{end}", "Accept-Encoding": "identity"}
            response = http.get(file.url, index=file.index, headers=headers, ok=ok)
            if response.status == 206:
                return response.body
            return response.body[start : end + 1]

        reader = _RangeReader(total, fetch, first.body)
        data = read_wheel_metadata(io.BufferedReader(reader, buffer_size=MIN_RANGE), file.filename)
        logger.debug("%s: metadata via %d range request(s)", file.filename, reader.requests + 1)
        return data


def _total_size(headers: Mapping[str, str]) -> int:
    content_range = headers.get("content-range", "")
    total = content_range.rpartition("/")[2]
    if not total.isdigit():
        raise ValueError(f"unusable Content-Range {content_range!r}")
    return int(total)
