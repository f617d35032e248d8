"""HTTP for the index client: one thread-safe urllib3 pool, retries with backoff, credentials.

Credentials come from the index URL's userinfo, ``PALLET_INDEX_<NAME>_USERNAME/PASSWORD`` and
netrc; they are added to each request as an ``Authorization`` header and never appear in a URL
the client stores, a log line or an error message.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import netrc
import os
import random
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import unquote, urljoin, urlsplit

from .. import envvars
from ..errors import IndexError_
from .simple import strip_credentials
from .watch import SlowWatch

if TYPE_CHECKING:
    import urllib3

    from .download import Progress

__all__ = [
    "Credentials",
    "HashMismatch",
    "HttpClient",
    "HttpStatusError",
    "Response",
    "redact",
]

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK = 1 << 20
USER_AGENT = "pallet (index client)"


def redact(url: str) -> str:
    """The URL with any userinfo replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return url.replace(parts.netloc, "***@" + parts.netloc.rpartition("@")[2], 1)


def _explain(error: BaseException) -> str:
    """A short cause without reprs or URLs (urllib3 messages embed object reprs)."""
    name = type(error).__name__
    if "NewConnectionError" in name or isinstance(error, ConnectionRefusedError):
        return "cannot connect (NewConnectionError)"
    if "Timeout" in name or isinstance(error, TimeoutError):
        return f"timed out ({name})"
    if "ProtocolError" in name or isinstance(error, ConnectionError):
        return f"connection dropped ({name})"
    return name


class HttpStatusError(IndexError_):
    """An index answered with an HTTP error status (after retries, where retrying applies)."""

    def __init__(self, message: str, *, index: str, url: str, status: int | None) -> None:
        super().__init__(message)
        self.index = index
        self.url = url
        self.status = status


class HashMismatch(IndexError_):
    """A downloaded file or metadata file does not match the hash the index published."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    url: str  # the final URL (after redirects), without credentials


class _Overdue(Exception):
    """A page or metadata body still incomplete at the request's deadline (a trickling server)."""


class Credentials:
    """Username/password per host: index userinfo and env variables first, then netrc."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env
        self._by_netloc: dict[str, tuple[str, str]] = {}
        self._netrc: netrc.netrc | None = None
        self._netrc_loaded = False
        self._lock = threading.Lock()

    def add_index(self, name: str, url: str) -> str:
        """Remember the credentials of one index; return its URL without them."""
        parts = urlsplit(url)
        user_var, password_var = envvars.index_credential_vars(name)
        user, password = self._env.get(user_var), self._env.get(password_var)
        if user is None and parts.username is not None:
            user = unquote(parts.username)
            password = unquote(parts.password or "")
        if user is not None and parts.hostname:
            self._by_netloc[self._key(url)] = (user, password or "")
        return strip_credentials(url)

    @staticmethod
    def _key(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"

    def _netrc_for(self, host: str) -> tuple[str, str] | None:
        with self._lock:
            if not self._netrc_loaded:
                self._netrc_loaded = True
                path = self._env.get("NETRC") or str(Path.home() / ".netrc")
                try:
                    self._netrc = netrc.netrc(path)
                except (OSError, netrc.NetrcParseError) as exc:
                    logger.debug("no usable netrc at %s: %s", path, type(exc).__name__)
        if self._netrc is None:
            return None
        entry = self._netrc.authenticators(host)
        if entry is None:
            return None
        login, _account, password = entry
        return (login or "", password or "")

    def for_url(self, url: str) -> tuple[str, str] | None:
        found = self._by_netloc.get(self._key(url))
        if found is not None:
            return found
        host = urlsplit(url).hostname
        return self._netrc_for(host) if host else None

    def header(self, url: str) -> dict[str, str]:
        found = self.for_url(url)
        if found is None:
            return {}
        token = base64.b64encode(f"{found[0]}:{found[1]}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


#: Seconds over which the requests that waited for urllib3's import start (`HttpClient._pool`).
_HERD_SPREAD = 0.01


class HttpClient:
    """GET with bounded retries (connection errors, dropped connections, 5xx, 429)."""

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        deadline: float | None = None,
        concurrency: int = 16,
        backoff: float = 0.2,
    ) -> None:
        env = os.environ if env is None else env
        self.credentials = credentials or Credentials(env)
        if timeout is None:
            timeout = envvars.positive_number(env, envvars.PALLET_HTTP_TIMEOUT, 30.0)
        self.timeout = timeout
        if retries is None:
            retries = int(
                envvars.positive_number(
                    env, envvars.PALLET_HTTP_RETRIES, 3, integer=True, inclusive=True
                )
            )
        self.retries = retries
        if deadline is None:
            deadline = envvars.positive_number(env, envvars.PALLET_HTTP_DEADLINE, 2 * timeout)
        #: No attempt starts after ``deadline`` seconds; a page's body must arrive within
        #: ``deadline + timeout`` (see `envvars.PALLET_HTTP_DEADLINE`).
        self.deadline = deadline
        notice = envvars.positive_number(env, envvars.PALLET_SLOW_NOTICE, 5.0)
        self.watch = SlowWatch(notice, timeout=timeout, deadline=deadline)
        self.backoff = backoff
        self._concurrency = max(concurrency, 1)
        self._pool_lock = threading.Lock()
        self._pool_manager: urllib3.PoolManager | None = None
        self._module: Any = None  # urllib3, once imported

    @property
    def _urllib3(self) -> Any:
        """The urllib3 module, imported with the pool at the first request (`_pool`)."""
        self._pool  # noqa: B018 - makes the pool, and imports urllib3, once
        return self._module

    @property
    def _pool(self) -> urllib3.PoolManager:
        """The connection pool, made at the first request: a run whose pages are all fresh in
        the cache never imports urllib3 (~30 ms). Made under a lock, so that one thread
        imports urllib3 while the others wait for it."""
        pool = self._pool_manager
        if pool is None:
            with self._pool_lock:
                pool = self._pool_manager
                waited = pool is not None
                if pool is None:
                    import urllib3

                    self._module = urllib3
                    pool = self._pool_manager = urllib3.PoolManager(
                        num_pools=32, maxsize=self._concurrency, headers={"User-Agent": USER_AGENT}
                    )
            if waited:
                # The threads that waited for the import would all connect in the same instant:
                # a burst that overflows a small listen backlog (Python's http.server has 5),
                # and a dropped SYN costs a 1 s retransmit. Spread them over a few ms.
                time.sleep(random.uniform(0.0, _HERD_SPREAD))
        return pool

    def _open(self, url: str, headers: Mapping[str, str]) -> urllib3.BaseHTTPResponse:
        urllib3 = self._urllib3
        all_headers = {"Accept-Encoding": "gzip", **self.credentials.header(url), **headers}
        # urllib3 retries only redirects here (auth is dropped on cross-host redirects); every
        # other failure comes back to the loop in `_with_retries`.
        retry = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=10)
        return self._pool.request(
            "GET",
            url,
            headers=all_headers,
            retries=retry,
            timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
            preload_content=False,
        )

    def _error(self, index: str, url: str, detail: str, status: int | None) -> HttpStatusError:
        where = f"index {index!r}: " if index else ""  # a file named by a lock has no index name
        message = f"{where}GET {redact(url)} failed: {detail}"
        return HttpStatusError(message, index=index, url=redact(url), status=status)

    def get(
        self,
        url: str,
        *,
        index: str,
        headers: Mapping[str, str] | None = None,
        ok: frozenset[int] = frozenset({200}),
        sink: Path | None = None,
        sink_hashes: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Response:
        """GET ``url``; statuses in ``ok`` are returned, others raise `HttpStatusError`.

        With ``max_bytes``, only the first bytes of the body are read (a probe).
        With ``sink``, a 200 body is streamed in chunks to that path (atomically: a temp file in
        its directory, then ``os.replace``), checked against ``sink_hashes`` (`HashMismatch`),
        and the returned body is empty.
        """
        url = strip_credentials(url)
        token = self.watch.begin(index, redact(url))
        try:
            return self._get(url, index, headers or {}, ok, sink, sink_hashes or {}, max_bytes)
        finally:
            self.watch.end(token)

    def download(
        self,
        url: str,
        file: BinaryIO,
        *,
        index: str = "",
        progress: Progress | None = None,
    ) -> str:
        """Stream the whole file at ``url`` into ``file`` and return its sha256 hex digest;
        a dropped connection is resumed with a Range request (`download.stream_download`)."""
        from .download import stream_download

        return stream_download(self, url, file, index=index, progress=progress)

    def _get(
        self,
        url: str,
        index: str,
        headers: Mapping[str, str],
        ok: frozenset[int],
        sink: Path | None,
        sink_hashes: Mapping[str, str],
        max_bytes: int | None,
    ) -> Response:
        urllib3 = self._urllib3
        started = time.monotonic()
        attempts = self.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._open(url, headers)
                try:
                    status = response.status
                    final_url = strip_credentials(urljoin(url, response.geturl() or url))
                    lower = {k.lower(): v for k, v in response.headers.items()}
                    if status in RETRY_STATUSES and not last:
                        response.drain_conn()
                        logger.debug("HTTP %s from %s, retrying", status, redact(url))
                        if not self._sleep_within(started, attempt, lower.get("retry-after")):
                            raise self._error(
                                index, url, self._describe(status, attempt + 1), status
                            )
                        continue
                    if status not in ok:
                        response.drain_conn()
                        raise self._error(index, url, self._describe(status, attempt + 1), status)
                    if sink is not None and status == 200:
                        if not self._stream(response, sink, sink_hashes):
                            raise HashMismatch(
                                f"index {index!r}: {redact(url)} does not match the hash "
                                "the index published"
                            )
                        body = b""
                    else:
                        limit = started + self.deadline + self.timeout
                        body = self._read(response, limit, max_bytes)
                    return Response(status, lower, body, final_url)
                finally:
                    response.release_conn()
            except urllib3.exceptions.LocationValueError as exc:
                raise self._error(index, url, f"invalid URL ({exc})", None) from None
            except _Overdue:
                waited = time.monotonic() - started
                detail = (
                    f"the answer was still incomplete after {waited:.0f} s "
                    f"({envvars.PALLET_HTTP_DEADLINE}={self.deadline:g} "
                    f"+ {envvars.PALLET_HTTP_TIMEOUT}={self.timeout:g})"
                )
                raise self._error(index, url, detail, None) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                reason = getattr(exc, "reason", None) or exc  # MaxRetryError wraps the cause
                if last or not self._sleep_within(started, attempt):
                    detail = f"{_explain(reason)} after {attempt + 1} attempt(s)"
                    if "Timeout" in type(reason).__name__ or isinstance(reason, TimeoutError):
                        detail += (
                            f" in {time.monotonic() - started:.0f} s "
                            f"({envvars.PALLET_HTTP_TIMEOUT}={self.timeout:g})"
                        )
                    raise self._error(index, url, detail, None) from None
                logger.debug("%s fetching %s, retrying", type(exc).__name__, redact(url))
        raise AssertionError("unreachable")  # pragma: no cover

    def _sleep_within(self, started: float, attempt: int, retry_after: str | None = None) -> bool:
        """Back off before the next attempt; False (no sleep) when that attempt would start
        after the request's deadline."""
        delay = min(self.backoff * (2**attempt), 10.0) * random.uniform(0.5, 1.5)  # jitter
        if retry_after and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), 30.0))
        if time.monotonic() + delay > started + self.deadline:
            return False
        time.sleep(delay)
        return True

    @staticmethod
    def _read(response: urllib3.BaseHTTPResponse, limit: float, max_bytes: int | None) -> bytes:
        """The whole body (or its first ``max_bytes``), giving up (`_Overdue`) at ``limit``
        (``time.monotonic``): a server that trickles a byte now and then never trips the
        per-read timeout."""
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read1(CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if max_bytes is not None and size >= max_bytes:
                response.close()  # the rest is not wanted: do not reuse this connection
                return b"".join(chunks)[:max_bytes]
            if time.monotonic() > limit:
                raise _Overdue

    @staticmethod
    def _describe(status: int, attempts: int) -> str:
        if status in (401, 403):
            return f"HTTP {status} (authentication failed or missing; check the credentials)"
        if status in RETRY_STATUSES:
            return f"HTTP {status} after {attempts} attempt(s)"
        return f"HTTP {status}"

    @staticmethod
    def _stream(response: urllib3.BaseHTTPResponse, sink: Path, hashes: Mapping[str, str]) -> bool:
        """Stream the body to ``sink``, hashing on the way; False (and no file) on a mismatch."""
        known = {a: d.lower() for a, d in hashes.items() if a in hashlib.algorithms_guaranteed}
        digests = {a: hashlib.new(a) for a in known}
        sink.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=sink.parent, prefix=f".{sink.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                # Files are stored as served: no transparent decoding of e.g. a .tar.gz.
                for chunk in response.stream(CHUNK, decode_content=False):
                    f.write(chunk)
                    for digest in digests.values():
                        digest.update(chunk)
            if any(digests[a].hexdigest() != d for a, d in known.items()):
                Path(tmp).unlink()
                return False
            Path(tmp).replace(sink)
            return True
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def bytes_hash_matches(data: bytes, hashes: Mapping[str, str]) -> bool:
    known = {a: d for a, d in hashes.items() if a in hashlib.algorithms_guaranteed}
    return all(hashlib.new(a, data).hexdigest() == d.lower() for a, d in known.items())
