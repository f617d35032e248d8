"""Fetch a direct reference: download or find the archive, clone the git repository, read the
metadata (a wheel's METADATA; an sdist's, a directory's or a checkout's PEP 517
``prepare_metadata_for_build_wheel``) and check it names the package the reference is for.

Remote archives are cached by URL (``wheels-v1/url-<key>/``, or by the ``#sha256=`` of the URL
when it has one); their sha256 and size come from the file itself. Metadata of archives and
commits is cached like index metadata; a local directory's by the modification times of its
pyproject.toml, setup.py and setup.cfg.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from ..errors import IndexError_, ProjectError
from ..project.direct import DirectReference
from .cache import Cache
from .git import resolve_git
from .http import HashMismatch, HttpClient, HttpStatusError, redact
from .metadata import parse_metadata, read_wheel_metadata
from .models import DirectDist, DirectOrigin, DistMetadata
from .sdist_metadata import SdistMetadataBuilder

__all__ = ["DirectFetcher"]

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20
#: The files whose change makes a local directory's metadata be built again.
_DECLARING_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _without_secret(url: str | None) -> str | None:
    """The URL without userinfo (the lock stores none), for comparing a locked repository."""
    if url is None or "@" not in urlsplit(url).netloc:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _expected_version(filename: str) -> Version | None:
    """The version an archive's file name states (PEP 427 / PEP 625), when it parses."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


class DirectFetcher:
    """Turns `DirectReference`s into `DirectDist`s (one client, one cache)."""

    def __init__(
        self,
        http: HttpClient | None,
        cache: Cache,
        builder: Callable[[], SdistMetadataBuilder],
        *,
        offline: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.http = http
        self.cache = cache
        self.builder = builder
        self.offline = offline
        self.env = env

    def fetch(
        self,
        reference: DirectReference,
        locked: DirectOrigin | None = None,
        *,
        refresh: bool = False,
    ) -> DirectDist:
        """The package behind ``reference``; a ``locked`` vcs origin of the same repository and
        revision keeps its commit. ``refresh`` (an upgrade of the package) downloads a remote
        archive again and rebuilds a directory's metadata."""
        if reference.kind == "vcs":
            return self._vcs(reference, locked)
        if reference.kind == "directory":
            return self._directory(reference, refresh)
        return self._archive(reference, refresh)

    # -- kinds -----------------------------------------------------------------------------------
    def _archive(self, reference: DirectReference, refresh: bool) -> DirectDist:
        filename = reference.filename
        if reference.subdirectory is not None:
            raise ProjectError(
                f"{reference.origin}: '#subdirectory=' is supported for git references only"
            )
        if reference.path is not None:
            local = reference.path
            if not local.is_file():
                raise ProjectError(f"{reference.origin}: {local} is not a file")
        else:
            local = self._download(reference, refresh)
        digest = _sha256(local)
        expected = reference.hashes.get("sha256")
        if expected is not None and expected != digest:
            raise IndexError_(
                f"{reference.origin}: the file's sha256 is {digest}, not the {expected} "
                "its URL names"
            )
        key = Cache.metadata_key(filename, {"sha256": digest})
        data = self.cache.load_metadata(key)
        if data is None:
            if filename.endswith(".whl"):
                data = read_wheel_metadata(local, filename)
            else:
                data = self.builder().metadata(local, filename)
            self.cache.store_metadata(key, data)
        metadata = self._checked(reference, data, _expected_version(filename))
        origin = DirectOrigin(
            "archive",
            url=reference.url,
            path=reference.lock_path,
            size=local.stat().st_size,
            hashes={"sha256": digest},
        )
        return DirectDist(origin, metadata, local)

    def _download(self, reference: DirectReference, refresh: bool) -> Path:
        assert reference.url is not None
        url = reference.url
        path = self.cache.file_path(reference.filename, url, reference.hashes)
        if path.is_file() and (not refresh or reference.hashes or self.offline):
            return path  # with a hash in the URL the file cannot have changed
        if self.offline or self.http is None:
            raise IndexError_(f"{reference.origin}: {redact(url)} is not in the cache (offline)")
        try:
            self.http.get(
                url,
                index=reference.name,
                headers={"Accept-Encoding": "identity"},
                sink=path,
                sink_hashes=reference.hashes,
            )
        except HashMismatch as exc:
            raise IndexError_(
                f"{reference.origin}: the download does not match the hash its URL names"
            ) from exc
        except HttpStatusError as exc:
            detail = str(exc).split(" failed: ", 1)[-1]
            raise IndexError_(f"{reference.origin}: download failed: {detail}") from exc
        return path

    def _directory(self, reference: DirectReference, refresh: bool) -> DirectDist:
        tree = reference.path
        assert tree is not None
        if not tree.is_dir():
            raise ProjectError(f"{reference.origin}: {tree} is not a directory")
        project = tree / (reference.subdirectory or "")
        # Like uv's default cache keys: the tree's metadata is built again when one of the files
        # that declare it changes (not for every edit of its code).
        stamps = [str(project.resolve())]
        for name in _DECLARING_FILES:
            try:
                stat = (project / name).stat()
            except OSError:
                continue
            stamps.append(f"{name}:{stat.st_mtime_ns}:{stat.st_size}")
        key = Cache.metadata_key("dir:" + "|".join(stamps), {})
        data = None if refresh else self.cache.load_metadata(key)
        if data is None:
            data = self._tree_metadata(project, reference)
            self.cache.store_metadata(key, data)
        origin = DirectOrigin(
            "directory",
            path=reference.lock_path,
            editable=reference.editable,
            subdirectory=reference.subdirectory,
        )
        return DirectDist(origin, self._checked(reference, data, None), tree)

    def _vcs(self, reference: DirectReference, locked: DirectOrigin | None) -> DirectDist:
        assert reference.url is not None
        keep = None
        if (
            locked is not None
            and locked.kind == "vcs"
            and _without_secret(locked.url) == _without_secret(reference.url)
            and locked.requested_revision == reference.requested_revision
            and locked.subdirectory == reference.subdirectory
        ):
            keep = locked.commit_id
        checkout = resolve_git(
            reference.url,
            requested=reference.requested_revision,
            reference=reference.reference,
            locked_commit=keep,
            cache_root=self.cache.root,
            offline=self.offline,
            origin=reference.origin,
            env=self.env,
        )
        key = Cache.metadata_key(
            f"git+{reference.url}@{checkout.commit}#{reference.subdirectory or ''}", {}
        )
        data = self.cache.load_metadata(key)
        if data is None:
            data = self._tree_metadata(checkout.tree / (reference.subdirectory or ""), reference)
            self.cache.store_metadata(key, data)
        origin = DirectOrigin(
            "vcs",
            url=reference.url,
            requested_revision=reference.requested_revision,
            commit_id=checkout.commit,
            subdirectory=reference.subdirectory,
        )
        return DirectDist(origin, self._checked(reference, data, None), checkout.tree)

    # -- metadata --------------------------------------------------------------------------------
    def _tree_metadata(self, project: Path, reference: DirectReference) -> bytes:
        if not (project / "pyproject.toml").is_file() and not (project / "setup.py").is_file():
            raise ProjectError(
                f"{reference.origin}: {project} has no pyproject.toml or setup.py; it is not a "
                "Python project"
            )
        return self.builder().tree_metadata(project, reference.origin)

    @staticmethod
    def _checked(reference: DirectReference, data: bytes, version: Version | None) -> DistMetadata:
        """The metadata, refused unless it names the reference's package (and the version its
        file name states)."""
        metadata = parse_metadata(data, source=reference.origin)
        if metadata.name != reference.name or (version is not None and metadata.version != version):
            stated = f"{reference.name} {version}" if version is not None else reference.name
            raise IndexError_(
                f"{reference.origin}: its metadata is of {metadata.name} {metadata.version}, "
                f"not {stated}"
            )
        return metadata
