"""`IndexClient`: the `PackageFinder` over named indexes, one index per package, pages in parallel.

Dependency confusion: a package pinned in ``[tool.pallet.sources]`` is looked up only on its
index, every other package only on the default index; an ``explicit`` index serves only the
packages pinned to it, and files of one package are never merged across indexes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, urlsplit, urlunsplit

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from .. import envvars
from ..errors import IndexError_
from ..project.direct import DirectReference
from ..project.model import IndexConfig, PackageSwitch, switch_applies
from .cache import Cache
from .cutoff import UploadCutoff
from .http import Credentials, HttpClient, redact
from .locations import is_relative_path, lock_index_url, lock_location
from .metadata import WheelMetadataFetcher
from .models import DirectDist, DirectOrigin, DistFile, DistMetadata
from .pages import PageReader, with_local_hashes
from .sdist_metadata import SdistMetadataBuilder
from .simple import sort_files

__all__ = ["IndexClient"]

logger = logging.getLogger(__name__)

# Without published sizes, wheels for these platforms tend to be the smallest to download.
_SMALL_PLATFORMS = ("any", "win32", "i686", "armv7l")


def _wheel_size_rank(file: DistFile) -> tuple[int, int, str]:
    if file.size is not None:
        return (0, file.size, file.filename)
    platforms = {t.platform for t in file.tags}
    for rank, hint in enumerate(_SMALL_PLATFORMS):
        if any(p == hint or p.endswith("_" + hint) for p in platforms):
            return (1, rank, file.filename)
    return (1, len(_SMALL_PLATFORMS), file.filename)


class IndexClient:
    """Reads project pages, files and metadata from the configured indexes."""

    def __init__(
        self,
        indexes: Sequence[IndexConfig],
        sources: Mapping[NormalizedName, str],
        cache: Cache,
        *,
        offline: bool = False,
        refresh: bool = False,
        env: Mapping[str, str] | None = None,
        concurrency: int | None = None,
        speculate: bool = True,
        prefetch_filter: Callable[[Requirement], bool] | None = None,
        no_binary: PackageSwitch = False,
        http: HttpClient | None = None,
        root: Path | None = None,
        exclude_newer: Mapping[str, str] | None = None,
        direct_names: Iterable[NormalizedName] = (),
    ) -> None:
        if not indexes:
            raise IndexError_("no package index configured")
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.cache = cache
        self.offline = offline
        self.speculate = speculate
        #: The project folder: an index given by a relative path is relative to it, and so are
        #: the paths the lock writes for its files (`lock_file`).
        self.root = Path.cwd() if root is None else root
        self._configured = {i.name: i.url for i in indexes}
        #: index name -> the upload-time cutoff of its files (`index.cutoff`)
        self._cutoffs = {
            name: UploadCutoff(name, text) for name, text in (exclude_newer or {}).items()
        }
        indexes = [self._absolute(i) for i in indexes]
        #: Which dependencies of a speculatively read version to prefetch; the resolver decides
        #: (markers are its business, `resolve.prefetch`). None: all of them.
        self.prefetch_filter = prefetch_filter
        #: ``no-binary`` packages: an sdist's metadata comes from the sdist itself, never from
        #: a wheel of the same version (and no wheel of theirs is read on a guess)
        self.no_binary = no_binary
        #: packages the project takes from direct references: never asked of an index, not
        #: even speculatively (their names may be private)
        self.direct_names = {canonicalize_name(n) for n in direct_names}
        self._configs = {i.name: i for i in indexes}
        self._default = next((i for i in indexes if i.default), indexes[0])
        self._sources = {canonicalize_name(k): v for k, v in sources.items()}
        for package, index in self._sources.items():
            if index not in self._configs:
                raise IndexError_(
                    f"[tool.pallet.sources] {package!r} = {index!r}: no index named {index!r}; "
                    f"use one of {sorted(self._configs)}"
                )
        self.credentials = Credentials(self.env)
        self._urls = {i.name: self.credentials.add_index(i.name, i.url) for i in indexes}
        if concurrency is None:
            concurrency = int(
                envvars.positive_number(
                    self.env,
                    envvars.PALLET_CONCURRENCY,
                    16,
                    integer=True,
                    minimum=1,
                    inclusive=True,
                )
            )
        concurrency = max(concurrency, 1)
        cache.check_writable()
        self.http = http or HttpClient(self.credentials, env=self.env, concurrency=concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="pallet-index")
        self._lock = threading.Lock()
        self._pages: dict[tuple[str, NormalizedName], Future[list[DistFile]]] = {}
        self._flat: dict[str, Future[dict[NormalizedName, list[DistFile]]]] = {}
        self._meta: dict[tuple[str, NormalizedName, str], Future[DistMetadata]] = {}
        self._speculative: set[tuple[str, NormalizedName, str]] = set()
        self._memo: dict[str, DistMetadata] = {}
        self.wheels = WheelMetadataFetcher(self.http, cache, offline=offline)
        self._pages_reader = PageReader(
            self.http, cache, self._urls, offline=offline, refresh=refresh
        )
        self._sdists: SdistMetadataBuilder | None = None

    def _absolute(self, index: IndexConfig) -> IndexConfig:
        if not is_relative_path(index.url):
            return index
        return dataclasses.replace(index, url=str((self.root / index.url).resolve()))

    # -- PackageFinder -------------------------------------------------------------------------
    def index_for(self, name: str) -> IndexConfig:
        """The one index a package is looked up on (sources pin, else the default index)."""
        pinned = self._sources.get(canonicalize_name(name))
        return self._configs[pinned] if pinned is not None else self._default

    def files(self, name: NormalizedName) -> Sequence[DistFile]:
        return list(self._page_future(canonicalize_name(name)).result())

    def files_on(self, index: str, name: NormalizedName) -> Sequence[DistFile]:
        """Every file of a project on the index named ``index``, whatever the sources say (a
        hardware variant's index, `resolve.variants`); pages are shared with `files`."""
        return list(self._page_future(canonicalize_name(name), self._configs[index]).result())

    def prefetch_on(self, index: str, names: Iterable[NormalizedName]) -> None:
        """Start reading these projects' pages on the index named ``index`` (`files_on`),
        without waiting: a hardware variant's pages on its own index, all variants at once."""
        try:
            for name in names:
                if canonicalize_name(name) not in self.direct_names:
                    self._page_future(canonicalize_name(name), self._configs[index])
        except RuntimeError:  # the client was closed: prefetching is only a hint
            logger.debug("prefetch after close ignored")

    @property
    def pages_unasked(self) -> int:
        """How many project pages came from the cache without a request (fresh by their
        lifetime): when a resolution fails, a new release may be behind them (``--refresh``)."""
        return self._pages_reader.unasked

    def missing_reason(self, name: str) -> str:
        """Where a project with no files was looked up, for the "not found" sentence:
        ``index 'pypi' (HTTP 404 at https://…/simple/six/)``."""
        project = canonicalize_name(name)
        index = self.index_for(project)
        cutoff = self._cutoffs.get(index.name)
        if cutoff is not None and cutoff.dropped.get(project):
            return (
                f"index {index.name!r} ({cutoff.dropped[project]} file(s) uploaded at or after "
                f"the exclude-newer cutoff {cutoff.text}, or with no upload time)"
            )
        if index.format == "flat":
            return f"flat index {index.name!r} ({redact(self._urls[index.name])})"
        url = f"{self._urls[index.name].rstrip('/')}/{project}/"
        why = self._pages_reader.missing.get((index.name, project), f"nothing at {redact(url)}")
        return f"index {index.name!r} ({why})"

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        try:
            for name in names:
                if canonicalize_name(name) not in self.direct_names:
                    self._page_future(canonicalize_name(name))
        except RuntimeError:  # the client was closed: prefetching is only a hint
            logger.debug("prefetch after close ignored")

    def metadata(self, file: DistFile) -> DistMetadata:
        found = self._memo.get(file.url)
        if found is None:
            found = self._metadata(file)
            self._memo[file.url] = found  # the resolver asks again when it backtracks
        return found

    def _metadata(self, file: DistFile) -> DistMetadata:
        found = self.wheels.cached(file)
        if found is not None:
            return found
        key = (file.index, file.name, str(file.version))
        while True:
            with self._lock:
                future = self._meta.get(key)
                owner = future is None
                if future is None:
                    future = self._meta[key] = Future()
                speculative = not owner and key in self._speculative
            if owner:
                self._compute_metadata(file, future)
            try:
                return future.result()
            except Exception:
                if not speculative:
                    raise
                # A failed or cancelled guess is not an answer: ask again, this time for real.
                with self._lock:
                    self._speculative.discard(key)
                    if self._meta.get(key) is future:
                        del self._meta[key]

    def direct(
        self,
        reference: DirectReference,
        locked: DirectOrigin | None = None,
        *,
        refresh: bool = False,
    ) -> DirectDist:
        """A direct reference fetched (archive, directory or git), its metadata checked."""
        from .direct import DirectFetcher

        with self._lock:
            self.direct_names.add(reference.name)
        fetcher = DirectFetcher(
            self.http, self.cache, self._builder, offline=self.offline, env=self.env
        )
        return fetcher.fetch(reference, locked, refresh=refresh)

    def _builder(self) -> SdistMetadataBuilder:
        with self._lock:
            if self._sdists is None:
                self._sdists = self._make_sdist_builder()
            return self._sdists

    # -- files ---------------------------------------------------------------------------------
    def download(self, file: DistFile) -> Path:
        """The whole file, in the cache (or where it lies, for a local index), hash-verified."""
        return self.wheels.download(file)

    # -- the lock ------------------------------------------------------------------------------
    def lock_index(self, name: str) -> str:
        """PEP 751 ``packages.index`` for files of the index named ``name`` ("" for none)."""
        return lock_index_url(self._configured.get(name, name))

    def lock_files(self, files: Iterable[DistFile]) -> dict[str, DistFile]:
        """The files as the lock writes them, by their URL here: each with a sha256 (PEP 751
        requires a hash; a file the index listed without one is downloaded once, into the cache
        keyed by its URL, and hashed, as ``pip-compile --generate-hashes`` does), and at a path
        relative to the project for a relative local index (`index.locations`)."""
        todo = {file.url: file for file in files}
        unhashed = {
            url: self._pool.submit(self._lock_file, file)
            for url, file in todo.items()
            if "sha256" not in file.hashes  # downloads: in parallel
        }
        return {
            url: unhashed[url].result() if url in unhashed else self._lock_file(file)
            for url, file in todo.items()
        }

    def _lock_file(self, file: DistFile) -> DistFile:
        if "sha256" not in file.hashes:
            digest = hashlib.sha256()
            with open(self.download(file), "rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
            file = dataclasses.replace(file, hashes={**file.hashes, "sha256": digest.hexdigest()})
        return lock_location(file, self._configured.get(file.index, ""), self.root)

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self, *, wait: bool = True) -> None:
        """Stop the worker threads; ``wait=False`` (on an error or Ctrl-C) returns at once,
        leaving any request in flight to its timeout."""
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(wait=exc is None)

    # -- pages ---------------------------------------------------------------------------------
    def _page_future(
        self, name: NormalizedName, index: IndexConfig | None = None
    ) -> Future[list[DistFile]]:
        index = index or self.index_for(name)
        key = (index.name, name)
        with self._lock:
            future = self._pages.get(key)
            created = future is None
            if future is None:
                future = self._pages[key] = self._pool.submit(self._load_files, index, name)
        if created and self.speculate:
            future.add_done_callback(self._speculate)
        return future

    def _load_files(self, index: IndexConfig, name: NormalizedName) -> list[DistFile]:
        if index.format == "flat":
            with self._lock:
                flat = self._flat.get(index.name)
                if flat is None:
                    flat = self._flat[index.name] = Future()
                    owner = True
                else:
                    owner = False
            if owner:
                try:
                    flat.set_result(self._pages_reader.flat_files(index))
                except BaseException as exc:
                    flat.set_exception(exc)
            files = flat.result().get(name, [])
        else:
            files = self._pages_reader.project_files(index, name)
        cutoff = self._cutoffs.get(index.name)
        if cutoff is not None:
            files = cutoff.keep(name, files)
        return sort_files(with_local_hashes(files))

    # -- metadata ------------------------------------------------------------------------------
    def _speculate(self, page: Future[list[DistFile]]) -> None:
        """Fetch metadata of the newest final, non-yanked wheel version of a page, then prefetch
        the pages of its dependencies, so the likely graph downloads in parallel with resolving.
        """
        if page.cancelled() or page.exception() is not None:
            return
        files = [f for f in page.result() if not f.is_yanked and not f.version.is_prerelease]
        if not files:
            return
        newest = max(files, key=lambda f: (f.version, f.kind == "wheel"))
        if newest.kind != "wheel":  # never build an sdist on a guess
            return
        if switch_applies(self.no_binary, newest.name):  # its wheels are never used
            return
        key = (newest.index, newest.name, str(newest.version))
        with self._lock:
            if key in self._meta:
                return
            future: Future[DistMetadata] = Future()
            self._meta[key] = future
            self._speculative.add(key)
        future.add_done_callback(self._prefetch_dependencies)
        try:
            self._pool.submit(self._compute_metadata, newest, future)
        except RuntimeError:  # the client was closed
            future.cancel()

    def _prefetch_dependencies(self, future: Future[DistMetadata]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        wanted = self.prefetch_filter
        self.prefetch(
            canonicalize_name(r.name)
            for r in future.result().requires_dist
            if wanted is None or wanted(r)
        )

    def _compute_metadata(self, file: DistFile, future: Future[DistMetadata]) -> None:
        try:
            future.set_result(self._metadata_uncached(file))
        except BaseException as exc:
            future.set_exception(exc)

    def _siblings(self, file: DistFile) -> list[DistFile]:
        key = (file.index, file.name)
        with self._lock:
            page = self._pages.get(key)
        if page is None or not page.done() or page.exception() is not None:
            return [file]
        same = [f for f in page.result() if f.version == file.version and f.index == file.index]
        return same or [file]

    def _metadata_uncached(self, file: DistFile) -> DistMetadata:
        """All files of one version share metadata: read it from the cheapest one."""
        if file.kind == "sdist" and switch_applies(self.no_binary, file.name):
            siblings = [file]  # no-binary: the sdist's own metadata (its build hook)
        else:
            siblings = self._siblings(file)
        for candidate in (file, *siblings):
            if file.kind == "wheel" and candidate.kind == "sdist":
                continue  # a wheel's metadata never comes from an sdist's build hook
            found = self.wheels.cached(candidate)
            if found is not None:
                return found
        wheels = [f for f in siblings if f.kind == "wheel"]
        if file.kind == "wheel" and file not in wheels:
            wheels.append(file)
        with_pep658 = [f for f in wheels if f.core_metadata is not None]
        if file in with_pep658:
            source = file
        elif with_pep658:
            source = with_pep658[0]
        elif wheels:
            source = min(wheels, key=_wheel_size_rank)  # a full download may be needed
        else:
            source = file
        if source.kind == "wheel":
            data = self.wheels.fetch_bytes(source)
        else:
            data = self._sdist_metadata(source)
        metadata = self.wheels.store(source, data)
        if source is not file and not (file.kind == "sdist" and source.kind == "wheel"):
            # An sdist's cache entry only ever holds its own metadata (static PKG-INFO or its
            # build hook's), so that no-binary never reads a wheel's through the cache.
            self.wheels.store(file, data)
        return metadata

    def _sdist_metadata(self, file: DistFile) -> bytes:
        archive = self.wheels.download(file)
        with self._lock:
            if self._sdists is None:
                self._sdists = self._make_sdist_builder()
            builder = self._sdists
        return builder.metadata(archive, file.filename)

    def _make_sdist_builder(self) -> SdistMetadataBuilder:
        """Build requirements come from the default index (with credentials) and flat indexes."""
        index_url: str | None = None
        if self._default.format == "simple":
            index_url = self._urls[self._default.name]
            found = self.credentials.for_url(index_url)
            if found is not None and urlsplit(index_url).hostname:
                parts = urlsplit(index_url)
                auth = f"{quote(found[0], safe='')}:{quote(found[1], safe='')}@"
                index_url = urlunsplit(parts._replace(netloc=auth + parts.netloc))
        find_links = [self._urls[i.name] for i in self._configs.values() if i.format == "flat"]
        return SdistMetadataBuilder(index_url=index_url, find_links=find_links)
