"""Read the files of a project from one index: HTTP pages through the cache, ``file://`` trees
(``<root>/<name>/index.html`` or ``index.json``) and flat find-links directories or pages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import NormalizedName, canonicalize_name

from ..errors import IndexError_
from ..project.model import IndexConfig
from .cache import Cache, CachedPage, heuristic_lifetime, parse_cache_control
from .http import HttpClient, HttpStatusError, redact
from .models import DistFile
from .probe import PROBE_BYTES, root_problem
from .simple import ACCEPT, InvalidPage, dist_file, parse_project_page

__all__ = ["PageReader", "local_path", "with_local_hashes"]

_FLAT_KEY = NormalizedName("-flat-page-")


def local_path(url: str) -> Path | None:
    """The local path a ``file://`` URL or plain path names; None for network URLs."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if not parts.scheme or (len(parts.scheme) == 1 and os.name == "nt"):
        return Path(url)
    return None


def with_local_hashes(files: list[DistFile]) -> list[DistFile]:
    """Local files (``file://``) listed without a hash get their sha256 and size from disk."""
    result = []
    for file in files:
        path = local_path(file.url) if "sha256" not in file.hashes else None
        if path is not None and path.is_file():
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            file = dataclasses.replace(
                file, hashes={**file.hashes, "sha256": digest.hexdigest()}, size=path.stat().st_size
            )
        result.append(file)
    return result


class PageReader:
    """Project pages of the configured indexes; every HTTP page goes through the cache."""

    def __init__(
        self,
        http: HttpClient,
        cache: Cache,
        urls: Mapping[str, str],
        *,
        offline: bool = False,
        refresh: bool = False,
    ) -> None:
        self.http = http
        self.cache = cache
        self.urls = urls  # index name -> URL without credentials
        self.offline = offline
        #: revalidate every cached page, fresh or not (``pallet lock --refresh``, ``--upgrade``)
        self.refresh = refresh
        self._lock = threading.Lock()
        self._roots: dict[str, str | None] = {}  # index name -> what its root is, if no index
        #: why a project has no files, by (index name, project): "HTTP 404 at <url>", …
        self.missing: dict[tuple[str, NormalizedName], str] = {}
        #: pages served from the cache without asking the index (fresh by their lifetime)
        self.unasked = 0

    def _check_root(self, index: IndexConfig, url: str, found: str) -> None:
        """After ``found`` (a 404, an empty page) at ``url``: fetch the index root once and raise
        `IndexError_` when it is no simple index (`index.probe`); else the project is missing."""
        with self._lock:
            known = index.name in self._roots
            problem = self._roots.get(index.name)
        root = self.urls[index.name].rstrip("/") + "/"
        if not known:
            try:
                response = self.http.get(
                    root,
                    index=index.name,
                    headers={"Accept": ACCEPT},
                    ok=frozenset(range(200, 600)),
                    max_bytes=PROBE_BYTES,
                )
                problem = root_problem(
                    response.status,
                    response.headers.get("content-type", ""),
                    response.body,
                    response.url,
                )
            except HttpStatusError as exc:
                problem = str(exc).rpartition(": ")[2]
            with self._lock:
                self._roots[index.name] = problem
        if problem is not None:
            # Worded as a finding, not a verdict: a few private indexes serve no root listing.
            raise IndexError_(
                f"index {index.name!r}: {found} at {redact(url)}, and the index root "
                f"{redact(root)} is not a simple index (PEP 503/691): it gave {problem}; "
                "check the index URL"
            )

    def project_files(self, index: IndexConfig, name: NormalizedName) -> list[DistFile]:
        base = self.urls[index.name].rstrip("/")
        url = f"{base}/{quote(name)}/"
        local = local_path(base)
        if local is not None:
            if not local.is_dir():
                raise IndexError_(
                    f"index {index.name!r}: {str(local)!r} is not a folder "
                    "(a local simple index is a folder with one sub-folder per project)"
                )
            return self._local_simple(index, local / name, url)
        return self._cached_get(index, url, name, project=name)

    def _local_simple(self, index: IndexConfig, folder: Path, url: str) -> list[DistFile]:
        page_url = folder.as_uri() + "/"
        for filename, ctype in (
            ("index.json", "application/vnd.pypi.simple.v1+json"),
            ("index.html", "text/html"),
        ):
            path = folder / filename
            if path.is_file():
                return self._parse(path.read_bytes(), ctype, page_url, index, folder.name)
        return []

    def _parse(
        self, body: bytes, ctype: str, url: str, index: IndexConfig, project: str | None
    ) -> list[DistFile]:
        try:
            return parse_project_page(
                body,
                ctype,
                url,
                index=index.name,
                project=canonicalize_name(project) if project else None,
            )
        except InvalidPage as exc:
            raise IndexError_(f"index {index.name!r}: {redact(url)}: {exc}") from exc

    def _cached_get(
        self, index: IndexConfig, url: str, key: NormalizedName, *, project: str | None
    ) -> list[DistFile]:
        """A page through the cache: fresh -> no request; else one conditional request.

        Fresh means within the page's ``max-age``, or, for a page served without Cache-Control
        or Expires, within its heuristic lifetime (`cache.heuristic_lifetime`: 10% of the time
        since its Last-Modified, 1 to 10 minutes). ``refresh`` revalidates every page anyway.
        """
        base = self.urls[index.name]
        cached = self.cache.load_page(base, key, index.name)
        if self.offline:
            if cached is None:
                raise IndexError_(
                    f"index {index.name!r}: {redact(url)} is not in the cache and pallet is offline"
                )
            return list(cached.files)
        if cached is not None and not self.refresh and cached.is_fresh():
            with self._lock:
                self.unasked += 1
            return list(cached.files)
        headers = {"Accept": ACCEPT, **(cached.validators() if cached else {})}
        ok = frozenset({200, 304, 404})
        response = self.http.get(url, index=index.name, headers=headers, ok=ok)
        now = time.time()
        policy = parse_cache_control(
            response.headers.get("cache-control"), response.headers.get("age")
        )
        if response.status == 404:
            if project is None:  # a flat page: there is no project to be missing
                raise IndexError_(f"index {index.name!r}: flat index page {redact(url)}: HTTP 404")
            self._check_root(index, url, "HTTP 404")
            with self._lock:
                self.missing[(index.name, key)] = f"HTTP 404 at {redact(url)}"
            return []
        if response.status == 304 and cached is not None:
            files = cached.files
            etag = response.headers.get("etag", cached.etag)
            modified = response.headers.get("last-modified", cached.last_modified)
            if "cache-control" not in response.headers:
                policy = dataclasses.replace(cached.policy, heuristic=None)
        else:
            files = self._parse(
                response.body,
                response.headers.get("content-type", ""),
                response.url,
                index,
                project,
            )
            if not files and project is not None:  # junk, or a project without files?
                self._check_root(index, url, "no files listed")
                with self._lock:
                    self.missing[(index.name, key)] = f"no files listed at {redact(url)}"
            etag = response.headers.get("etag")
            modified = response.headers.get("last-modified")
        if policy.max_age is None and not policy.no_cache:
            policy = dataclasses.replace(
                policy,
                heuristic=heuristic_lifetime(
                    modified,
                    response.headers.get("date"),
                    now,
                    expires=response.headers.get("expires"),
                    age=response.headers.get("age"),
                ),
            )
        unchanged = cached is not None and (etag, modified, policy) == (
            cached.etag,
            cached.last_modified,
            cached.policy,
        )
        if response.status == 304 and unchanged and policy.lifetime() is None:
            return list(files)  # nothing to record: no freshness lifetime to restart
        page = CachedPage(response.url, files, etag, modified, now, policy)
        self.cache.store_page(base, key, page)
        return list(files)

    def flat_files(self, index: IndexConfig) -> dict[NormalizedName, list[DistFile]]:
        url = self.urls[index.name]
        local = local_path(url)
        if local is not None and local.is_dir():
            files = []
            for path in sorted(local.iterdir()):
                file = dist_file(
                    filename=path.name, url=path.resolve().as_uri(), index=index.name, project=None
                )
                if file is not None and path.is_file():
                    files.append(file)
        elif local is not None:
            try:
                body = local.read_bytes()
            except OSError as exc:
                problem = "does not exist" if not local.exists() else (exc.strerror or str(exc))
                raise IndexError_(
                    f"index {index.name!r}: flat index {str(local)!r} {problem} "
                    "(a folder of wheels and sdists, or an HTML page linking them)"
                ) from None
            files = self._parse(body, "text/html", local.resolve().as_uri(), index, None)
        else:
            files = self._cached_get(index, url, _FLAT_KEY, project=None)
        grouped: dict[NormalizedName, list[DistFile]] = {}
        for file in files:
            grouped.setdefault(file.name, []).append(file)
        return grouped
