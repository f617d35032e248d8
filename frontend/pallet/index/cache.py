"""The global cache of the index client: project pages with HTTP validators, metadata, files.

Layout under the root (``PALLET_CACHE_DIR``, else platformdirs' user cache dir for "pallet"),
with a version in each directory name so formats can change::

    simple-v1/<index-key>/<project>.json      parsed page + ETag / Last-Modified / Cache-Control
    metadata-v1/<key[:2]>/<key>.METADATA      core metadata, keyed by file hash (or URL)
    metadata-v1/<key[:2]>/<key>.json          its fields as parsed (`MetadataFields`)
    wheels-v1/<sha256>/<filename>              downloaded files, content-addressed

Every write is a temp file in the target directory and ``os.replace``, so concurrent writers
(threads or processes) never leave a torn file; the last writer wins.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from .. import envvars
from ..errors import SetupError
from .models import DistFile
from .simple import parse_requires_python

__all__ = [
    "HEURISTIC_MAX",
    "HEURISTIC_MIN",
    "Cache",
    "CachePolicy",
    "CachedPage",
    "MetadataFields",
    "atomic_write",
    "heuristic_lifetime",
    "parse_cache_control",
]

logger = logging.getLogger(__name__)


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class MetadataFields(TypedDict):
    """The core metadata fields the resolver uses, as read from METADATA (unvalidated strings;
    `index.metadata.from_fields` makes a `DistMetadata` of them)."""

    name: str | None
    version: str | None
    requires_dist: list[str]
    requires_python: str | None
    provides_extra: list[str]


def _fields_from_json(data: object) -> MetadataFields | None:
    """`MetadataFields` from a parsed JSON entry; None when it is not one (then unused)."""
    if not isinstance(data, dict) or set(data) != set(MetadataFields.__annotations__):
        return None

    def text(value: object) -> bool:
        return value is None or isinstance(value, str)

    def texts(value: object) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    ok = (
        text(data["name"])
        and text(data["version"])
        and text(data["requires_python"])
        and texts(data["requires_dist"])
        and texts(data["provides_extra"])
    )
    return MetadataFields(**data) if ok else None  # type: ignore[typeddict-item]


@dataclass(frozen=True)
class CachePolicy:
    """What ``Cache-Control`` allows for a stored response, and the heuristic freshness lifetime
    (`heuristic_lifetime`) a page without one gets."""

    max_age: float | None = None
    no_cache: bool = False
    no_store: bool = False
    heuristic: float | None = None

    def lifetime(self) -> float | None:
        """Seconds the response stays fresh after it was received; None: always revalidate."""
        if self.no_cache:
            return None
        return self.max_age if self.max_age is not None else self.heuristic


#: Bounds of the heuristic freshness of a page without Cache-Control or Expires (RFC 9111
#: §4.2.2): 10% of the time since its Last-Modified, at most HEURISTIC_MAX seconds (PyPI's own
#: ``max-age``, which is also what uv assumes for such pages), and none under HEURISTIC_MIN (a
#: page changed less than 10 minutes ago is always revalidated).
HEURISTIC_MAX = 600.0
HEURISTIC_MIN = 60.0


def heuristic_lifetime(
    last_modified: str | None,
    date: str | None,
    now: float,
    *,
    expires: str | None = None,
    age: str | None = None,
) -> float | None:
    """The heuristic freshness lifetime of a 200 page (RFC 9111 §4.2.2), or None.

    Only without an explicit expiration time (the caller checks ``max-age``; an ``Expires``
    header, even one pallet cannot parse, means none) and with a ``Last-Modified`` in the past
    of the response's ``Date`` (``now`` when it has none): 10% of that interval, capped at
    `HEURISTIC_MAX`, and None below `HEURISTIC_MIN`; less the response's ``Age`` (§4.2.3: a
    cache upstream already held it that long).
    """
    if expires is not None or not last_modified:
        return None
    from email.utils import parsedate_to_datetime

    try:
        modified = parsedate_to_datetime(last_modified).timestamp()
        served = parsedate_to_datetime(date).timestamp() if date else now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    lifetime = min((served - modified) / 10, HEURISTIC_MAX)
    if lifetime < HEURISTIC_MIN:
        return None
    if age and age.strip().isdigit():
        lifetime -= float(age)
    return lifetime if lifetime > 0 else None


def parse_cache_control(value: str | None, age: str | None = None) -> CachePolicy:
    """RFC 9111 directives the client honours: ``max-age``, ``no-cache``, ``no-store``."""
    if not value:
        return CachePolicy()
    max_age: float | None = None
    no_cache = no_store = False
    for directive in value.lower().split(","):
        key, _, arg = directive.strip().partition("=")
        if key == "no-cache":
            no_cache = True
        elif key == "no-store":
            no_store = True
        elif key == "max-age":
            try:
                max_age = float(arg.strip().strip('"'))
            except ValueError:
                max_age = 0.0
    if max_age is not None and age and age.strip().isdigit():
        max_age = max(max_age - float(age), 0.0)
    return CachePolicy(max_age, no_cache, no_store)


@dataclass(frozen=True)
class CachedPage:
    """A project page as stored: its files and the validators to revalidate it."""

    url: str
    files: Sequence[DistFile]
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: float = 0.0
    policy: CachePolicy = field(default_factory=CachePolicy)

    def is_fresh(self, now: float | None = None) -> bool:
        lifetime = self.policy.lifetime()
        if lifetime is None:
            return False
        now = now if now is not None else time.time()
        return self.fetched_at <= now < self.fetched_at + lifetime  # a clock set back: stale

    def validators(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def _file_to_json(file: DistFile) -> dict[str, object]:
    return {
        "filename": file.filename,
        "url": file.url,
        "name": file.name,
        "version": str(file.version),
        "kind": file.kind,
        "hashes": dict(file.hashes),
        "requires_python": str(file.requires_python) if file.requires_python is not None else None,
        "yanked": file.yanked,
        "size": file.size,
        "upload_time": file.upload_time,
        "core_metadata": dict(file.core_metadata) if file.core_metadata is not None else None,
        "tags": sorted(str(t) for t in file.tags),
    }


@functools.lru_cache(maxsize=4096)
def _tag(text: str) -> Tag:
    interpreter, abi, platform = text.split("-", 2)
    return Tag(interpreter, abi, platform)


@functools.lru_cache(maxsize=4096)
def _version(text: str) -> Version:
    return Version(text)


def _file_from_json(data: Mapping[str, object], index: str) -> DistFile:
    tags = frozenset(_tag(str(t)) for t in data["tags"])  # type: ignore[attr-defined]
    requires_python = data.get("requires_python")
    core_metadata = data.get("core_metadata")
    kind = data["kind"]
    assert kind in ("wheel", "sdist")
    return DistFile(
        filename=str(data["filename"]),
        url=str(data["url"]),
        index=index,
        name=canonicalize_name(str(data["name"])),
        version=_version(str(data["version"])),
        kind=kind,
        hashes=dict(data["hashes"]),  # type: ignore[call-overload]
        requires_python=parse_requires_python(str(requires_python)) if requires_python else None,
        yanked=data.get("yanked"),  # type: ignore[arg-type]
        size=data.get("size"),  # type: ignore[arg-type]
        upload_time=data.get("upload_time"),  # type: ignore[arg-type]
        core_metadata=dict(core_metadata) if isinstance(core_metadata, dict) else None,
        tags=tags,
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Cache:
    """The on-disk cache; safe to share between threads, processes and clients."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @classmethod
    def default(cls, env: Mapping[str, str] | None = None) -> Cache:
        env = os.environ if env is None else env
        configured = env.get(envvars.PALLET_CACHE_DIR)
        if configured:
            return cls(Path(configured).expanduser())
        import platformdirs

        return cls(Path(platformdirs.user_cache_dir("pallet")))

    def check_writable(self) -> None:
        """Create the root if need be and prove a file can be written there; else `SetupError`
        naming the folder (checked before resolving, not at the first write)."""
        where = f"cache folder {str(self.root)!r} ({envvars.PALLET_CACHE_DIR})"
        if self.root.exists() and not self.root.is_dir():
            raise SetupError(f"{where} is not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=self.root, prefix=".write-check.")
            os.close(fd)
            Path(probe).unlink()
        except OSError as exc:
            raise SetupError(f"{where} cannot be written: {exc.strerror or exc}") from None

    # -- project pages -------------------------------------------------------------------------
    def _page_path(self, index_url: str, project: NormalizedName) -> Path:
        key = hashlib.sha256(index_url.encode()).hexdigest()[:16]
        host = _UNSAFE.sub("_", index_url.split("://", 1)[-1])[:40]
        return self.root / "simple-v1" / f"{host}-{key}" / f"{project}.json"

    def load_page(self, index_url: str, project: NormalizedName, index: str) -> CachedPage | None:
        path = self._page_path(index_url, project)
        try:
            data = json.loads(path.read_bytes())
            policy = CachePolicy(**data["policy"])  # "heuristic" absent in older entries
            files = [_file_from_json(f, index) for f in data["files"]]
            return CachedPage(
                url=data["url"],
                files=files,
                etag=data.get("etag"),
                last_modified=data.get("last_modified"),
                fetched_at=float(data["fetched_at"]),
                policy=policy,
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AssertionError) as exc:
            logger.debug("ignoring unreadable cache entry %s: %s", path, exc)
            return None

    def store_page(self, index_url: str, project: NormalizedName, page: CachedPage) -> None:
        if page.policy.no_store:
            self._page_path(index_url, project).unlink(missing_ok=True)
            return
        data = {
            "url": page.url,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "fetched_at": page.fetched_at,
            "policy": {
                "max_age": page.policy.max_age,
                "no_cache": page.policy.no_cache,
                "no_store": page.policy.no_store,
                "heuristic": page.policy.heuristic,
            },
            "files": [_file_to_json(f) for f in page.files],
        }
        atomic_write(self._page_path(index_url, project), json.dumps(data).encode())

    # -- metadata ------------------------------------------------------------------------------
    @staticmethod
    def metadata_key(url: str, hashes: Mapping[str, str]) -> str:
        """Content key of a file: its sha256 when known, else another hash, else its URL."""
        for algo in ("sha256", *sorted(hashes)):
            if algo in hashes:
                return hashlib.sha256(f"{algo}={hashes[algo]}".encode()).hexdigest()
        return hashlib.sha256(f"url={url}".encode()).hexdigest()

    def _metadata_path(self, key: str) -> Path:
        return self.root / "metadata-v1" / key[:2] / f"{key}.METADATA"

    def load_metadata(self, key: str) -> bytes | None:
        try:
            return self._metadata_path(key).read_bytes()
        except OSError:
            return None

    def store_metadata(self, key: str, data: bytes) -> None:
        atomic_write(self._metadata_path(key), data)

    def load_metadata_fields(self, key: str) -> MetadataFields | None:
        """The parsed fields stored beside METADATA ``key``; None when absent or unreadable
        (the caller then parses the METADATA bytes again)."""
        path = self._metadata_path(key).with_suffix(".json")
        try:
            return _fields_from_json(json.loads(path.read_bytes()))
        except (OSError, ValueError):
            return None

    def store_metadata_fields(self, key: str, fields: MetadataFields) -> None:
        data = json.dumps(fields, separators=(",", ":")).encode()
        atomic_write(self._metadata_path(key).with_suffix(".json"), data)

    # -- files -----------------------------------------------------------------------------------
    def file_path(self, filename: str, url: str, hashes: Mapping[str, str]) -> Path:
        """Where a downloaded file lives: ``wheels-v1/<sha256>/<filename>`` (or keyed by URL)."""
        digest = hashes.get("sha256")
        folder = digest.lower() if digest else "url-" + hashlib.sha256(url.encode()).hexdigest()
        return self.root / "wheels-v1" / folder / _UNSAFE.sub("_", filename)
