"""``pallet publish``'s two steps on twine's library: ``twine check --strict`` on every file, then
the uploads, one at a time, stopping at the first refusal.

twine prints with rich and logs through ``logging``; both are captured here (`_captured`) and
shown only with ``-v``, each line scrubbed of every secret first. Imported by ``pallet publish``
only (twine, requests and rich are imported when a function here runs).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import ui
from ..errors import IndexError_, PublishError

if TYPE_CHECKING:
    from .publish_auth import Credentials

__all__ = ["Uploaded", "check_files", "upload_files"]

#: The OS's words in a requests/urllib3 connection error ("[Errno 111] Connection refused").
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


class _Collector(logging.Handler):
    """Keeps twine's log records (scrubbed) for ``-v`` and for the check's error message."""

    def __init__(self, scrub: Callable[[str], str]) -> None:
        super().__init__(logging.DEBUG)
        self.scrub = scrub
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, self.scrub(record.getMessage())))


@contextlib.contextmanager
def _captured(scrub: Callable[[str], str]) -> Iterator[_Collector]:
    """twine's log records collected, its rich output (stdout and stderr) swallowed."""
    collector = _Collector(scrub)
    twine_logger = logging.getLogger("twine")
    saved = (twine_logger.handlers[:], twine_logger.propagate, twine_logger.level)
    twine_logger.handlers[:] = [collector]
    twine_logger.propagate = False
    twine_logger.setLevel(logging.INFO)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield collector
    finally:
        twine_logger.handlers[:], twine_logger.propagate, level = saved
        twine_logger.setLevel(level)
        for _level, message in collector.records:
            for line in message.splitlines()[:3]:
                if line.strip():
                    ui.verbose(f"twine: {line.strip()[:200]}")


def make_scrubber(secrets: Sequence[str]) -> Callable[[str], str]:
    """A function replacing each secret (and its percent-encoded form) with ``***``."""
    from urllib.parse import quote

    forms = sorted({f for s in secrets if s for f in (s, quote(s, safe=""))}, key=len, reverse=True)

    def scrub(text: str) -> str:
        for secret in forms:
            text = text.replace(secret, "***")
        return text

    return scrub


def check_files(files: Sequence[Path], scrub: Callable[[str], str]) -> None:
    """What ``twine check --strict`` checks, through its own `check` function, for each file:
    valid core metadata and a description that renders (a missing description or content type
    is a failure too, as ``--strict`` makes warnings). Raises one `PublishError` naming every
    failing file and its problems; nothing has been sent anywhere."""
    from twine.commands.check import check
    from twine.exceptions import TwineException

    problems: list[str] = []
    for path in files:
        with _captured(scrub) as log:
            try:
                failed = check([str(path)], strict=True)
            except TwineException as exc:
                problems.append(f"{path}: {scrub(str(exc).strip())}")
                continue
            except _UNREADABLE as exc:  # not a zip / tar.gz, truncated, unreadable
                problems.append(f"{path}: not a readable {_kind(path)}: {_reason(exc)}")
                continue
        if failed:
            said = [m for level, m in log.records if level >= logging.WARNING]
            detail = "; ".join(" ".join(m.split()) for m in said) or "twine check --strict failed"
            problems.append(f"{path}: {detail}")
        else:
            ui.verbose(f"checked {path.name}: twine check --strict passed")
    if problems:
        raise PublishError(
            "twine check --strict failed; nothing was uploaded:\n  " + "\n  ".join(problems)
        )


#: What reading a damaged archive raises (a truncated gzip stream: EOFError).
_UNREADABLE = (
    OSError,
    EOFError,
    ValueError,
    LookupError,
    zipfile.BadZipFile,
    tarfile.TarError,
)


def _kind(path: Path) -> str:
    return "wheel" if path.name.endswith(".whl") else "sdist"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


@dataclass(frozen=True)
class Uploaded:
    """What happened to one file: uploaded, or skipped because the repository has it."""

    path: Path
    size: int
    skipped: bool


def _no_auth(request: Any) -> Any:
    """A requests auth hook that adds nothing (a set auth stops requests' own netrc lookup)."""
    return request


def _connection_reason(exc: BaseException, timeout: float) -> str:
    """``Connection refused``-like words from a requests/urllib3 error (their messages embed
    object reprs), a timeout with its limit, else the exception's class name."""
    import requests

    from ..envvars import PALLET_HTTP_TIMEOUT

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no connection within {timeout:g} s ({PALLET_HTTP_TIMEOUT}={timeout:g})"
    if isinstance(exc, requests.exceptions.Timeout):
        return (
            f"no answer within {10 * timeout:g} s (10 x {PALLET_HTTP_TIMEOUT}={timeout:g}); "
            "the file may or may not have arrived"
        )
    found = _ERRNO.search(str(exc))
    if found:
        return found.group(1).strip()
    return type(exc).__name__


def _refusal(resp: Any, name: str, url: str, credentials: Credentials, done: int) -> str:
    status = resp.status_code
    reason = (getattr(resp, "reason", "") or "").strip()
    further = "nothing further was uploaded" + (f" ({done} file(s) before it were)" if done else "")
    if status in (401, 403):
        who = (
            f"the credentials ({credentials.describe()})"
            if credentials.username or credentials.password
            else "an upload without credentials (none were found)"
        )
        return f"{url} refused {who}: HTTP {status} {reason}; {further}"
    if 300 <= status < 400:
        location = resp.headers.get("location", "?")
        return (
            f"{url} redirected the upload of {name} to {location}; give the final URL "
            f"(--publish-url); {further}"
        )
    return f"{url} refused {name}: HTTP {status} {reason}; {further}"


def upload_files(
    files: Sequence[Path],
    url: str,
    credentials: Credentials,
    *,
    skip_existing: bool,
    timeout: float,
    on_done: Callable[[Uploaded], None],
) -> list[Uploaded]:
    """Upload each file to `url` (twine's `Repository`), in order; `on_done` hears of each as it
    finishes. A file the repository already has (pypiserver's 409, PyPI's 400 "already exists":
    twine's `skip_upload`) is skipped with `skip_existing`, else it stops everything, as does
    any other refusal (`PublishError`); an unreachable server is `IndexError_` (exit 3)."""
    import functools

    import requests
    from twine.commands.upload import skip_upload
    from twine.exceptions import TwineException
    from twine.package import PackageFile
    from twine.repository import Repository

    scrub = make_scrubber(credentials.secrets())
    results: list[Uploaded] = []
    with _captured(scrub):
        repository = Repository(
            url, credentials.username, credentials.password, disable_progress_bar=True
        )
    if repository.session.auth is None:
        # an anonymous upload stays anonymous: requests would otherwise read ~/.netrc itself
        # (without the permission check `publish_auth` keeps), bypassing the documented order
        repository.session.auth = _no_auth
    # twine sets no timeout: connect within `timeout`, then allow a slow server 10x that to
    # answer (it may check a large file before it does)
    request = functools.partial(repository.session.request, timeout=(timeout, 10 * timeout))
    setattr(repository.session, "request", request)  # noqa: B010 - an instance attribute
    try:
        for path in files:
            try:
                size = path.stat().st_size
                with _captured(scrub):
                    package = PackageFile.from_filename(str(path), None)
                    resp = repository.upload(package)
            except TwineException as exc:
                raise PublishError(f"{path}: {scrub(str(exc).strip())}") from None
            except requests.exceptions.RequestException as exc:
                reason = scrub(_connection_reason(exc, timeout))
                raise IndexError_(
                    f"{url}: cannot upload {path.name}: {reason}; nothing further was uploaded"
                ) from None
            except _UNREADABLE as exc:  # the file changed since it was checked
                raise PublishError(f"{path}: cannot read it: {_reason(exc)}") from None
            if resp.status_code == 200:
                done = Uploaded(path, size, skipped=False)
            elif skip_upload(resp, True, package):
                if not skip_existing:
                    raise PublishError(
                        f"{path.name}: {url} already has this file (HTTP {resp.status_code}); "
                        "nothing further was uploaded; --skip-existing skips such files"
                    )
                done = Uploaded(path, size, skipped=True)
            else:
                raise PublishError(scrub(_refusal(resp, path.name, url, credentials, len(results))))
            results.append(done)
            on_done(done)
    finally:
        repository.close()
    return results
