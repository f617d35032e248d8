"""Getting the archives a plan needs into the store, verified against the lock's sha256.

For each file, in this order: the store already has it (nothing to do); the lock-time ``files``
cache of `pallet lock` has it (index/cache.py ``Cache.file_path``): hard-linked in, never
stored twice; it is a local file (a PEP 751 ``path``, a flat-index folder): copied in; else it
is downloaded. Copies and downloads go to a temp file beside their final place, hashed on the
way (never whole in memory), and are moved into place only when the sha256 matches. Downloads
run on a pool of threads and resume a dropped connection with a Range request
(`pallet.index.download`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from .. import envvars
from ..errors import InstallError
from .store import Store, place_file, temp_file

if TYPE_CHECKING:
    from ..index.http import HttpClient

__all__ = ["Artifact", "ProgressSink", "concurrent_downloads", "fetch"]

logger = logging.getLogger(__name__)

CHUNK = 1 << 20
DEFAULT_JOBS = 8


@dataclass(frozen=True)
class Artifact:
    """One file the plan needs."""

    name: str  # normalized project name
    version: str
    filename: str  # wheel/sdist file name
    sha256: str  # from the lock
    url: str | None  # absolute URL, or None
    path: Path | None  # absolute local path (PEP 751 `path`, resolved against the lock folder)
    size: int | None


class ProgressSink(Protocol):
    """Reports on the files being fetched (called from worker threads: must be thread-safe).

    ``advance`` may be given a negative count: a download the server sent again from its start.
    """

    def start(self, artifact: Artifact, total: int | None) -> None: ...

    def advance(self, artifact: Artifact, nbytes: int) -> None: ...

    def finish(self, artifact: Artifact) -> None: ...


def concurrent_downloads(env: Mapping[str, str] | None = None) -> int:
    """``PALLET_CONCURRENT_DOWNLOADS``, or 8 (`SetupError` for a value that is not 1 or more)."""
    env = os.environ if env is None else env
    return int(
        envvars.positive_number(
            env,
            envvars.PALLET_CONCURRENT_DOWNLOADS,
            DEFAULT_JOBS,
            integer=True,
            minimum=1,
            inclusive=True,
        )
    )


def _where(artifact: Artifact) -> str:
    """The artifact's source as an error names it (a URL without credentials, or a path)."""
    if artifact.path is not None:
        return str(artifact.path)
    if artifact.url is not None and artifact.url.lower().startswith("file:"):
        return str(_file_url_path(artifact.url))
    if artifact.url is not None:
        from ..index.http import redact

        return redact(artifact.url)
    return artifact.filename


def _file_url_path(url: str) -> Path:
    """The local path of a ``file:`` URL (RFC 8089)."""
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    return Path(url2pathname(urlsplit(url).path))


def _mismatch(artifact: Artifact, got: str) -> InstallError:
    return InstallError(
        f"{_where(artifact)}: sha256 mismatch: expected {artifact.sha256.lower()}, got {got}"
    )


class _Cancelled(Exception):
    """This file stopped because another one failed."""


class _Fetcher:
    """One `fetch` call: the store, the lock-time cache, an HTTP client made when first needed."""

    def __init__(
        self,
        store: Store,
        env: Mapping[str, str],
        progress: ProgressSink | None,
        jobs: int,
        client: HttpClient | None,
    ) -> None:
        from ..index.cache import Cache

        self.store = store
        self.files = Cache(store.root)
        self.env = env
        self.progress = progress
        self.jobs = jobs
        self._client = client
        #: Set when another file failed (or on an interrupt): the others stop at their next
        #: chunk.
        self.cancelled = threading.Event()

    @property
    def client(self) -> HttpClient:
        if self._client is None:
            from ..index.http import HttpClient

            self._client = HttpClient(env=self.env, concurrency=self.jobs)
        return self._client

    def lock_time_copy(self, artifact: Artifact) -> Path | None:
        """The file `pallet lock` downloaded (``wheels-v1/<sha256>/<filename>``), if present."""
        path = self.files.file_path(
            artifact.filename, artifact.url or "", {"sha256": artifact.sha256.lower()}
        )
        return path if path.is_file() else None

    def obtain(self, artifact: Artifact) -> Path:
        h = artifact.sha256.lower()
        dest = self.store.archive(h, artifact.filename)
        found = self.lock_time_copy(artifact)
        if found is not None and self._link_verified(found, dest, h):
            return dest
        if artifact.path is not None:
            return self._copy(artifact, artifact.path, dest)
        if artifact.url is not None and artifact.url.lower().startswith("file:"):
            return self._copy(artifact, _file_url_path(artifact.url), dest)
        if artifact.url is not None:
            return self._download(artifact, dest)
        raise InstallError(f"{artifact.filename}: the lock gives neither a url nor a path for it")

    def _write(self, dest: Path, fill: Callable[[BinaryIO], str], artifact: Artifact) -> Path:
        """A temp file beside ``dest`` filled by ``fill`` (which returns its sha256), moved to
        ``dest`` when the hash matches; nothing is left behind otherwise."""
        try:
            fd, tmp = temp_file(dest.parent, dest.name)
        except OSError as exc:
            raise InstallError(f"{dest.parent}: cannot write: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "wb") as f:
                got = fill(f)
            if got != artifact.sha256.lower():
                raise _mismatch(artifact, got)
            return place_file(tmp, dest)
        except OSError as exc:
            raise InstallError(f"{dest.parent}: cannot write: {exc.strerror or exc}") from None
        finally:
            tmp.unlink(missing_ok=True)

    def _link_verified(self, source: Path, dest: Path, h: str) -> bool:
        """Hard-link ``source`` (pallet's own lock-time copy) to ``dest`` if its hash is ``h``."""
        try:
            digest = hashlib.sha256()
            with source.open("rb") as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != h:
                logger.debug("%s does not match its sha256; not reused", source)
                return False
            fd, tmp = temp_file(dest.parent, dest.name)
            os.close(fd)
            tmp.unlink()
            try:
                os.link(source, tmp)
            except OSError:  # no hard links here: a copy
                import shutil

                shutil.copyfile(source, tmp)
            place_file(tmp, dest)
            return True
        except OSError as exc:
            logger.debug("cannot reuse %s: %s", source, exc)
            return False

    def _copy(self, artifact: Artifact, source: Path, dest: Path) -> Path:
        try:
            reader = source.open("rb")
        except IsADirectoryError:
            raise InstallError(f"{source}: is a folder, not an archive") from None
        except OSError as exc:
            raise InstallError(f"{source}: cannot read: {exc.strerror or exc}") from None
        with reader:
            self._start(artifact, artifact.size)

            def fill(f: BinaryIO) -> str:
                digest = hashlib.sha256()
                while True:
                    try:
                        chunk = reader.read(CHUNK)
                    except OSError as exc:
                        raise InstallError(f"{source}: cannot read: {exc.strerror}") from None
                    if not chunk:
                        return digest.hexdigest()
                    if self.cancelled.is_set():
                        raise _Cancelled
                    f.write(chunk)
                    digest.update(chunk)
                    if self.progress is not None:
                        self.progress.advance(artifact, len(chunk))

            path = self._write(dest, fill, artifact)
        if self.progress is not None:
            self.progress.finish(artifact)
        return path

    def _download(self, artifact: Artifact, dest: Path) -> Path:
        assert artifact.url is not None
        url = artifact.url
        reported = [0, -1]  # bytes reported, started (-1: not yet)

        def on_progress(done: int, total: int | None) -> None:
            if self.cancelled.is_set():
                raise _Cancelled
            if self.progress is None:
                return
            if reported[1] < 0:
                reported[1] = 0
                self.progress.start(artifact, total if total is not None else artifact.size)
            if done != reported[0]:
                self.progress.advance(artifact, done - reported[0])
                reported[0] = done

        def fill(f: BinaryIO) -> str:
            return self.client.download(url, f, progress=on_progress)

        path = self._write(dest, fill, artifact)
        if self.progress is not None and reported[1] >= 0:
            self.progress.finish(artifact)
        return path

    def _start(self, artifact: Artifact, total: int | None) -> None:
        if self.progress is not None:
            self.progress.start(artifact, total)


def fetch(
    artifacts: Sequence[Artifact],
    store: Store,
    *,
    offline: bool = False,
    env: Mapping[str, str] | None = None,
    progress: ProgressSink | None = None,
    jobs: int | None = None,
    client: HttpClient | None = None,
    on_ready: Callable[[str, Path], None] | None = None,
) -> dict[str, Path]:
    """sha256 -> the verified archive in the store, for every artifact.

    ``jobs`` files are fetched at once (default: ``PALLET_CONCURRENT_DOWNLOADS``, else 8).
    ``client`` is the HTTP client to use (one that knows the project's index credentials);
    by default one with the environment's (netrc, ``PALLET_INDEX_*``). ``offline``: nothing is
    downloaded; `InstallError` lists every file that is neither stored nor local.
    ``on_ready(sha256, path)`` is called (from a worker thread) as soon as each archive is
    verified, so that the caller can start on it while the others download; it must not block.
    The largest files start first (they take longest, and so does unpacking them).
    """
    env = os.environ if env is None else env
    if jobs is None:
        jobs = concurrent_downloads(env)  # checked even when all is stored: a typo shows at once
    wanted: dict[str, Artifact] = {}
    for artifact in artifacts:
        wanted.setdefault(artifact.sha256.lower(), artifact)
    result: dict[str, Path] = {}
    todo: list[Artifact] = []
    for h, artifact in wanted.items():
        try:
            found = store.has_archive(h, artifact.filename)
        except ValueError as exc:  # not a sha256 or not a file name: the lock is wrong
            raise InstallError(f"{artifact.filename}: {exc}") from None
        if found is not None:
            result[h] = found
            if on_ready is not None:
                on_ready(h, found)
        else:
            todo.append(artifact)
    if not todo:
        return {a.sha256: result[a.sha256.lower()] for a in artifacts}
    from ..index.cache import Cache

    Cache(store.root).check_writable()  # `SetupError` naming the folder, before any work
    fetcher = _Fetcher(store, env, progress, max(jobs, 1), client)
    if offline:
        missing = [a for a in todo if not _local(a) and fetcher.lock_time_copy(a) is None]
        if missing:
            names = ", ".join(sorted(a.filename for a in missing))
            raise InstallError(f"not in the cache (offline): {names}")
    todo.sort(key=lambda a: -(a.size or 0))
    result.update(_run_all(fetcher, todo, on_ready))
    # keyed as each artifact spells its hash (a lock may write it in upper case)
    return {a.sha256: result[a.sha256.lower()] for a in artifacts}


def _local(artifact: Artifact) -> bool:
    """A file on this machine (offline is no obstacle)."""
    url = artifact.url or ""
    return artifact.path is not None or url.lower().startswith("file:")


def _run_all(
    fetcher: _Fetcher,
    todo: list[Artifact],
    on_ready: Callable[[str, Path], None] | None = None,
) -> dict[str, Path]:
    """Fetch on a pool of ``fetcher.jobs`` threads. At the first failure nothing else starts,
    the files under way stop at their next chunk (their temp files removed), and the first
    failure in the artifacts' order is raised. An interrupt (Ctrl-C) does not wait for them."""

    def obtain(artifact: Artifact) -> Path:
        path = fetcher.obtain(artifact)
        if on_ready is not None:
            on_ready(artifact.sha256.lower(), path)
        return path

    if len(todo) == 1 or fetcher.jobs == 1:
        return {a.sha256.lower(): obtain(a) for a in todo}
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(max_workers=min(fetcher.jobs, len(todo)))
    try:
        futures = [pool.submit(obtain, a) for a in todo]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.exception() is not None for f in done):
            fetcher.cancelled.set()
            for future in futures:
                future.cancel()
            wait(futures)
    finally:
        fetcher.cancelled.set()  # on an interrupt too: the workers stop at their next chunk
        pool.shutdown(wait=False, cancel_futures=True)
    errors = [f.exception() for f in futures if not f.cancelled() and f.exception() is not None]
    first = next((e for e in errors if not isinstance(e, _Cancelled)), None)
    if first is not None:
        raise first
    return {a.sha256.lower(): f.result() for a, f in zip(todo, futures)}
