"""Whole-file downloads: streamed to an open file, hashed on the way, resumed after a drop.

`HttpClient.download` is the entry point. A body that stops short (the connection dropped, a
read timed out) is resumed with ``Range: bytes=<have>-`` and ``If-Range`` (the first answer's
strong ETag, else its Last-Modified; RFC 9110 §13.1.5 and §14.2): a ``206`` whose
``Content-Range`` starts at ``<have>`` continues the file and its hash, anything else (a
``200``: the server ignores ranges, or the file changed) starts over. Retries count only the
attempts that brought no new bytes, so a large file on a flaky link still arrives, while a
server that answers nothing gives up after ``PALLET_HTTP_RETRIES`` as a page would. Only the
wait for an answer's headers is watched for the slow-index notice; a body is bounded per read
(``PALLET_HTTP_TIMEOUT``), not in total, because a large wheel may take minutes.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from .http import RETRY_STATUSES, _explain
from .simple import strip_credentials

if TYPE_CHECKING:
    from .http import HttpClient

__all__ = ["Progress", "stream_download"]

logger = logging.getLogger(__name__)

#: ``progress(done, total)``: bytes of the body written so far (it drops back to 0 when the
#: download starts over) and the full size when the server said it.
Progress = Callable[[int, "int | None"], None]


class _WriteFailed(Exception):
    """Writing to the local file failed (a full disk): not retried, re-raised as the OSError."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _validator(headers: Mapping[str, str]) -> str | None:
    """What ``If-Range`` may carry: a strong ETag, else Last-Modified (RFC 9110 §13.1.5)."""
    etag = headers.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("last-modified")


def _total(headers: Mapping[str, str], status: int) -> int | None:
    """The full size of the file: Content-Length of a 200, the ``/size`` of a Content-Range."""
    try:
        if status == 206:
            size = headers.get("content-range", "").rpartition("/")[2]
            return int(size) if size.isdigit() else None
        length = headers.get("content-length")
        return int(length) if length is not None else None
    except ValueError:
        return None


def _range_start(headers: Mapping[str, str]) -> int | None:
    """The first byte of a 206 answer (``Content-Range: bytes 100-199/200``)."""
    value = headers.get("content-range", "")
    unit, _, rest = value.partition(" ")
    first = rest.partition("-")[0]
    return int(first) if unit == "bytes" and first.isdigit() else None


def stream_download(
    client: HttpClient,
    url: str,
    file: BinaryIO,
    *,
    index: str = "",
    progress: Progress | None = None,
) -> str:
    """Write the body of ``url`` to ``file`` (open for writing, empty) and return its sha256.

    Raises `HttpStatusError` (``GET <url> failed: …``, prefixed with ``index 'name':`` when an
    index name is given) once the retries are spent, and the `OSError` of a failed local write
    as is (the caller names its own file).
    """
    url = strip_credentials(url)
    urllib3 = client._urllib3
    digest = hashlib.sha256()
    have = best = 0
    total: int | None = None
    validator: str | None = None
    started = time.monotonic()
    failures = 0  # attempts in a row that brought no new bytes
    while True:
        headers = {"Accept-Encoding": "identity"}  # the file as stored: its hash is of those bytes
        if have:
            headers["Range"] = f"bytes={have}-"
            if validator:
                headers["If-Range"] = validator
        try:
            token = client.watch.begin(index or urlsplit(url).netloc, url)  # one notice per host
            try:
                response = client._open(url, headers)
            finally:
                client.watch.end(token)
            complete = False
            try:
                lower = {k.lower(): v for k, v in response.headers.items()}
                status = response.status
                if status == 206 and have and _range_start(lower) == have:
                    logger.debug("resuming %s at byte %d", url, have)
                elif status == 200:
                    if have:  # the server ignores Range, or the file changed (If-Range)
                        logger.debug("%s: the server sent the whole file again", url)
                        file.seek(0)
                        file.truncate()
                        digest, have = hashlib.sha256(), 0
                    validator = _validator(lower)
                elif status == 206:  # a range we did not ask for: start over
                    response.drain_conn()
                    file.seek(0)
                    file.truncate()
                    digest, have, validator = hashlib.sha256(), 0, None
                    raise _Retry(f"unexpected Content-Range {lower.get('content-range')!r}")
                else:
                    response.drain_conn()
                    if status in RETRY_STATUSES and failures < client.retries:
                        raise _Retry(f"HTTP {status}", lower.get("retry-after"))
                    detail = client._describe(status, failures + 1)
                    raise client._error(index, url, detail, status)
                total = _total(lower, status) or total
                if progress is not None:
                    progress(have, total)
                for chunk in response.stream(1 << 20, decode_content=False):
                    try:
                        file.write(chunk)
                    except OSError as exc:
                        raise _WriteFailed(exc) from exc
                    digest.update(chunk)
                    have += len(chunk)
                    if progress is not None:
                        progress(have, total)
                file.flush()
                complete = True
                return digest.hexdigest()
            finally:
                if not complete:  # a body left unread must not go back to the pool for reuse
                    response.close()
                response.release_conn()
        except _WriteFailed as exc:
            raise exc.error from None
        except _Retry as retry:
            failures += 1
            if failures > client.retries or not client._sleep_within(
                started, failures - 1, retry.retry_after
            ):
                detail = f"{retry.reason} after {failures} attempt(s)"
                raise client._error(index, url, detail, None) from None
        except urllib3.exceptions.LocationValueError as exc:
            raise client._error(index, url, f"invalid URL ({exc})", None) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            if have > best:  # new bytes arrived: a fresh budget of retries from here
                best, failures, started = have, 0, time.monotonic()
            else:
                failures += 1
            if failures > client.retries or not client._sleep_within(started, failures):
                detail = f"{_explain(reason)} after {failures + 1} attempt(s)"
                if have:
                    detail += f" ({have} bytes received)"
                raise client._error(index, url, detail, None) from None
            logger.debug("%s downloading %s at byte %d, retrying", type(exc).__name__, url, have)
