"""A real threaded HTTP package index on 127.0.0.1 serving a directory of wheels and sdists.

The directory is re-read on every request, so a test may add dists while the server runs.

Usage::

    from support.dists import make_wheel
    from support.index_server import IndexServer

    make_wheel(tmp_path / "dists", "foo", "1.0", requires_dist=["bar"])
    with IndexServer(tmp_path / "dists", format="json", metadata=False, ranges=False) as index:
        index.url          # "http://127.0.0.1:PORT/simple"  (PEP 503/691 root)
        index.files_url    # "http://127.0.0.1:PORT/files/"  (files; also a flat find-links page)
        index.index_config("local")  # IndexConfig(name="local", url=index.url, default=True)
        ...                # point the client at index.url
        assert index.count("/simple/foo/") == 1
        assert not index.requests_for("/simple/bar/")
        assert all(r.is_conditional for r in index.requests)   # e.g. for a warm run
        index.clear()

As a pytest fixture::

    @pytest.fixture
    def index(tmp_path):
        with IndexServer(tmp_path / "dists") as server:
            yield server

Routes: ``/simple/`` (project list), ``/simple/<normalized-name>/`` (project page;
non-normalized names and a missing trailing slash are redirected with 301),
``/files/<filename>`` (the file; ``Range: bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` answered
with 206 when ``ranges=True``, else the whole file with 200), ``/files/<filename>.metadata``
(PEP 658, wheels only, when ``metadata=True``), ``/files/`` (a flat HTML page linking every file).
Page file URLs are relative (``../../files/<filename>#sha256=…``), as PEP 503/691 allow.

Options (keyword-only):
- ``format``: ``"html"``, ``"json"`` or ``"both"`` (PEP 691 content negotiation on ``Accept``).
- ``metadata``: serve PEP 658 ``.metadata`` files and advertise them (``data-core-metadata`` and
  ``data-dist-info-metadata`` in HTML, JSON ``core-metadata``, as PEP 714 has servers do).
- ``ranges``: honour ``Range`` requests on files.
- ``yanked``: ``{filename: reason}`` (``""`` = yanked without a reason; PEP 592).
- ``requires_python``: ``{filename: specifier}`` (``data-requires-python``, HTML-escaped).
- ``flaky_failures``: the first N requests to each path fail, alternating a dropped connection
  (1st, 3rd, …) and a 503 (2nd, 4th, …).
- ``auth``: ``(user, password)``: HTTP basic auth required on every path (401 otherwise).
- ``cache_headers``: pages carry ``ETag`` and ``Last-Modified`` and conditional requests that
  match get 304.
- ``cache_control``: a ``Cache-Control`` value for pages (e.g. ``"max-age=600"``).
- ``delay``: seconds to sleep before answering each request (to observe concurrency).
- ``drop_after``: ``{filename: n}``: the first answer for that file stops after ``n`` bytes of
  its body (the connection is closed), once; files carry ``ETag`` and ``Last-Modified``, and a
  ``Range`` with an ``If-Range`` that does not match them gets the whole file (RFC 9110 §13.1.5).
- ``hold``: a `threading.Event`; every answer waits until it is set (to act while a client
  is certainly mid-request).
- ``throttle``: bytes per second: file bodies are sent in 64 KiB pieces at about this rate
  (a 2 MiB wheel at 2 MiB/s takes a second: a client's progress display can be watched).
- ``hashes``: False serves pages without any file hash (PEP 503 makes ``#sha256=`` optional),
  and PEP 658 metadata advertised as ``true`` (no hash).
- ``indexes``: ``{name: directory}``: more indexes on the same server, each a simple API at
  ``/<name>/`` (project pages ``/<name>/<project>/``, files ``/<name>/+files/<filename>``) over
  its own directory, as PyTorch serves ``/whl/cpu/``, ``/whl/cu126/`` (`IndexServer.index_url`).

Every request is logged as a `Request` (``method``, ``path``, ``headers`` with lower-case names,
``status``); see `IndexServer.requests`, `count`, `requests_for`, `clear`; `IndexServer.peak` is
the most requests it answered at once.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import threading
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

if TYPE_CHECKING:
    from pallet.project.model import IndexConfig

__all__ = ["IndexServer", "Request"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"


@dataclass(frozen=True)
class Request:
    """One request the server received and how it answered (status 0: connection dropped)."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int = 0

    @property
    def is_conditional(self) -> bool:
        return "if-none-match" in self.headers or "if-modified-since" in self.headers

    @property
    def range(self) -> str | None:
        return self.headers.get("range")


def _project_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _wheel_metadata(path: Path) -> bytes | None:
    """The wheel's METADATA; None when it has none (or is not a zip file, as a test's stand-in
    for a large file)."""
    try:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                parts = name.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return zf.read(name)
    except zipfile.BadZipFile:
        return None
    return None


def _preferred_json(accept: str) -> bool:
    """PEP 691 negotiation: True when the client ranks the JSON form at least as high as HTML."""
    best: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        best[media.lower()] = max(q, best.get(media.lower(), 0.0))
    json_q = max(best.get(JSON_TYPE, 0.0), best.get("application/vnd.pypi.simple.latest+json", 0.0))
    html_q = max(
        best.get(HTML_TYPE, 0.0),
        best.get("application/vnd.pypi.simple.latest+html", 0.0),
        best.get("text/html", 0.0),
        best.get("*/*", 0.0),
    )
    return json_q > 0 and json_q >= html_q


class IndexServer:
    """A simple-API index over ``root`` (a directory of dists) on a random loopback port."""

    def __init__(
        self,
        root: Path | str,
        *,
        format: Literal["html", "json", "both"] = "both",
        metadata: bool = True,
        ranges: bool = True,
        yanked: Mapping[str, str] | None = None,
        requires_python: Mapping[str, str] | None = None,
        flaky_failures: int = 0,
        auth: tuple[str, str] | None = None,
        cache_headers: bool = True,
        cache_control: str | None = None,
        delay: float = 0.0,
        hashes: bool = True,
        drop_after: Mapping[str, int] | None = None,
        hold: threading.Event | None = None,
        throttle: float | None = None,
        indexes: Mapping[str, Path | str] | None = None,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.format = format
        self.metadata = metadata
        self.ranges = ranges
        self.yanked = dict(yanked or {})
        self.requires_python = dict(requires_python or {})
        self.flaky_failures = flaky_failures
        self.auth = auth
        self.cache_headers = cache_headers
        self.cache_control = cache_control
        self.delay = delay
        self.hashes = hashes
        self.drop_after = dict(drop_after or {})
        self.hold = hold
        self.throttle = throttle
        self.indexes = {name: Path(d) for name, d in (indexes or {}).items()}
        for name, directory in self.indexes.items():
            if name in ("simple", "files") or not name or "/" in name:
                raise ValueError(f"index name {name!r} is taken or not a path segment")
            directory.mkdir(parents=True, exist_ok=True)
        #: The most requests the server was answering at once (to observe parallel clients).
        self.peak = 0
        self._inflight = 0
        self._lock = threading.Lock()
        self._log: list[Request] = []
        self._failures: dict[str, int] = {}
        self._digests: dict[tuple[str, int, int], tuple[str, int, bytes | None]] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> IndexServer:
        handler = type("Handler", (_Handler,), {"index": self})
        server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 128})
        self._httpd = server_class(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "IndexServer is not running"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The simple API root, ``http://127.0.0.1:PORT/simple`` (no trailing slash)."""
        return f"{self.base_url}/simple"

    @property
    def files_url(self) -> str:
        """Where files are served; also a flat find-links page listing every file."""
        return f"{self.base_url}/files/"

    def index_url(self, name: str) -> str:
        """The simple API root of the extra index ``name`` (``http://127.0.0.1:PORT/<name>/``);
        ``"simple"`` is `url` with its trailing slash."""
        if name != "simple" and name not in self.indexes:
            raise KeyError(f"no index {name!r}: {sorted(self.indexes)}")
        return f"{self.base_url}/{name}/"

    def index_config(
        self, name: str = "local", *, default: bool = True, explicit: bool = False
    ) -> IndexConfig:
        """An ``[[tool.pallet.index]]`` entry for this server's simple API."""
        from pallet.project.model import IndexConfig

        return IndexConfig(name=name, url=self.url, default=default, explicit=explicit)

    def url_with_auth(self, user: str, password: str) -> str:
        """``url`` with credentials in its userinfo."""
        return (
            f"http://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}/simple"
        )

    # -- request log -----------------------------------------------------------------------
    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    def requests_for(self, path_prefix: str) -> list[Request]:
        """Logged requests whose path starts with ``path_prefix`` (e.g. ``"/simple/foo/"``)."""
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def count(self, path_prefix: str = "", method: str | None = None) -> int:
        return sum(1 for r in self.requests_for(path_prefix) if method in (None, r.method))

    def clear(self) -> None:
        with self._lock:
            self._log.clear()

    def _record(self, request: Request) -> None:
        with self._lock:
            self._log.append(request)

    def _take_drop(self, filename: str) -> int | None:
        """Bytes to send before dropping this answer for ``filename`` (once per file)."""
        with self._lock:
            return self.drop_after.pop(filename, None)

    def _should_fail(self, path: str) -> Literal["drop", "503", None]:
        with self._lock:
            n = self._failures.get(path, 0)
            if n >= self.flaky_failures:
                return None
            self._failures[path] = n + 1
        return "drop" if n % 2 == 0 else "503"

    # -- content ---------------------------------------------------------------------------
    def _files(self, root: Path | None = None) -> dict[str, list[Path]]:
        projects: dict[str, list[Path]] = {}
        for path in sorted((root or self.root).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                project = _project_of(path.name)
                if project is not None:
                    projects.setdefault(project, []).append(path)
        return projects

    def _digest(self, path: Path) -> tuple[str, int, bytes | None]:
        """sha256, size and METADATA of a file, memoized while the file is unchanged."""
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            found = self._digests.get(key)
        if found is None:
            data = path.read_bytes()
            meta = _wheel_metadata(path) if path.name.endswith(".whl") else None
            found = (hashlib.sha256(data).hexdigest(), len(data), meta)
            with self._lock:
                self._digests[key] = found
        return found

    def _file_info(self, path: Path, files: str = "../../files/") -> dict[str, object]:
        sha256, size, meta = self._digest(path)
        info: dict[str, object] = {
            "filename": path.name,
            "url": f"{files}{quote(path.name)}",
            "hashes": {"sha256": sha256} if self.hashes else {},
            "size": size,
            "upload-time": time.strftime(
                "%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(path.stat().st_mtime)
            ),
        }
        if path.name in self.requires_python:
            info["requires-python"] = self.requires_python[path.name]
        if path.name in self.yanked:
            info["yanked"] = self.yanked[path.name] or True
        if self.metadata and meta is not None:
            # PEP 714: JSON uses only the new key (old pips crash on the old one).
            info["core-metadata"] = (
                {"sha256": hashlib.sha256(meta).hexdigest()} if self.hashes else True
            )
        return info

    def project_json(
        self, project: str, paths: list[Path], files_url: str = "../../files/"
    ) -> bytes:
        files = [self._file_info(p, files_url) for p in paths]
        versions = sorted(
            {
                str(parse_wheel_filename(p.name)[1])
                if p.name.endswith(".whl")
                else str(parse_sdist_filename(p.name)[1])
                for p in paths
            }
        )
        page = {
            "meta": {"api-version": "1.1"},
            "name": project,
            "files": files,
            "versions": versions,
        }
        return json.dumps(page, indent=1).encode()

    def project_html(
        self, project: str, paths: list[Path], files_url: str = "../../files/"
    ) -> bytes:
        lines = [
            "<!DOCTYPE html>",
            "<html><head>",
            '<meta name="pypi:repository-version" content="1.1">',
            f"<title>Links for {html.escape(project)}</title></head><body>",
            f"<h1>Links for {html.escape(project)}</h1>",
        ]
        for p in paths:
            info = self._file_info(p, files_url)
            hashes = info["hashes"]
            assert isinstance(hashes, dict)
            href = f"{info['url']}#sha256={hashes['sha256']}" if hashes else str(info["url"])
            attrs = [f'href="{html.escape(href)}"']
            if "requires-python" in info:
                attrs.append(f'data-requires-python="{html.escape(str(info["requires-python"]))}"')
            if p.name in self.yanked:
                attrs.append(f'data-yanked="{html.escape(self.yanked[p.name])}"')
            if "core-metadata" in info:
                meta = info["core-metadata"]
                value = f"sha256={meta['sha256']}" if isinstance(meta, dict) else "true"
                attrs.append(f'data-core-metadata="{value}"')
                attrs.append(f'data-dist-info-metadata="{value}"')
            lines.append(f"<a {' '.join(attrs)}>{html.escape(p.name)}</a><br/>")
        lines.append("</body></html>")
        return ("\n".join(lines) + "\n").encode()

    def root_page(self, as_json: bool, root: Path | None = None) -> bytes:
        projects = sorted(self._files(root))
        if as_json:
            page = {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]}
            return json.dumps(page).encode()
        links = "".join(f'<a href="{p}/">{p}</a><br/>\n' for p in projects)
        return f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n".encode()

    def flat_page(self) -> bytes:
        links = []
        for paths in self._files().values():
            for p in paths:
                digest = self._digest(p)[0]
                fragment = f"#sha256={digest}" if self.hashes else ""
                links.append(f'<a href="{quote(p.name)}{fragment}">{html.escape(p.name)}</a><br/>')
        return (
            "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n"
        ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    index: IndexServer

    def log_message(self, format: str, *args: object) -> None:  # silence stderr
        pass

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        head: bool = False,
        cut: int | None = None,
        paced: bool = False,
    ) -> None:
        # Logged before answering, so a client that got the answer sees it in the log.
        self.index._record(Request(self.command, self._path, self._headers(), status))
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            if cut is not None:  # a dropped connection after `cut` bytes of the body
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            rate = self.index.throttle
            if paced and rate:
                piece = 64 * 1024
                for start in range(0, len(body), piece):
                    self.wfile.write(body[start : start + piece])
                    self.wfile.flush()
                    time.sleep(min(piece, len(body) - start) / rate)
                return
            self.wfile.write(body)

    def _handle(self, head: bool) -> None:
        index = self.index
        with index._lock:
            index._inflight += 1
            index.peak = max(index.peak, index._inflight)
        try:
            self._answer(head)
        finally:
            with index._lock:
                index._inflight -= 1

    def _answer(self, head: bool) -> None:
        index = self.index
        self._path = unquote(urlsplit(self.path).path)
        if index.delay:
            time.sleep(index.delay)
        if index.hold is not None:
            index.hold.wait(60)
        failure = index._should_fail(self._path)
        if failure == "drop":
            index._record(Request(self.command, self._path, self._headers(), 0))
            self.close_connection = True
            return
        if failure == "503":
            self._send(
                503, b"flaky\n", {"Content-Type": "text/plain", "Retry-After": "0"}, head=head
            )
            return
        if index.auth is not None:
            user, password = index.auth
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {token}":
                headers = {"WWW-Authenticate": 'Basic realm="pallet-tests"'}
                self._send(401, b"unauthorized\n", headers, head=head)
                return
        path = self._path
        if path in ("/simple", "/simple/"):
            as_json = self._negotiate()
            ctype = JSON_TYPE if as_json else HTML_TYPE
            self._send(200, index.root_page(as_json), {"Content-Type": ctype}, head=head)
        elif path.startswith("/simple/"):
            self._project(path[len("/simple/") :], head)
        elif path == "/files/":
            self._send(200, index.flat_page(), {"Content-Type": "text/html"}, head=head)
        elif path.startswith("/files/"):
            self._file(path[len("/files/") :], head)
        elif path.strip("/").split("/")[0] in index.indexes:
            self._extra_index(path, head)
        else:
            self._send(404, b"not found\n", head=head)

    def _extra_index(self, path: str, head: bool) -> None:
        """``/<name>/``, ``/<name>/<project>/`` and ``/<name>/+files/<filename>``."""
        name, _, rest = path.lstrip("/").partition("/")
        root = self.index.indexes[name]
        if not rest:
            as_json = self._negotiate()
            ctype = JSON_TYPE if as_json else HTML_TYPE
            self._send(200, self.index.root_page(as_json, root), {"Content-Type": ctype}, head=head)
        elif rest.startswith("+files/"):
            self._file(rest[len("+files/") :], head, root)
        else:
            self._project(rest, head, f"/{name}/", root, "../+files/")

    def _negotiate(self) -> bool:
        if self.index.format == "both":
            return _preferred_json(self.headers.get("Accept", ""))
        return self.index.format == "json"

    def _project(
        self,
        rest: str,
        head: bool,
        prefix: str = "/simple/",
        root: Path | None = None,
        files_url: str = "../../files/",
    ) -> None:
        name = rest.rstrip("/")
        normalized = canonicalize_name(name)
        if name != normalized or not rest.endswith("/"):
            self._send(301, b"", {"Location": f"{prefix}{normalized}/"}, head=head)
            return
        paths = self.index._files(root).get(normalized)
        if paths is None:
            self._send(404, b"no such project\n", {"Content-Type": "text/plain"}, head=head)
            return
        as_json = self._negotiate()
        if as_json:
            body, ctype = self.index.project_json(normalized, paths, files_url), JSON_TYPE
        else:
            body, ctype = self.index.project_html(normalized, paths, files_url), HTML_TYPE
        headers = {"Content-Type": ctype, "Vary": "Accept"}
        if self.index.cache_control:
            headers["Cache-Control"] = self.index.cache_control
        if self.index.cache_headers:
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            mtime = max(p.stat().st_mtime for p in paths)
            headers["ETag"] = etag
            headers["Last-Modified"] = formatdate(mtime, usegmt=True)
            if self._not_modified(etag, mtime):
                self._send(304, b"", headers, head=True)
                return
        self._send(200, body, headers, head=head)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims is not None:
            try:
                return int(mtime) <= parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _file(self, filename: str, head: bool, root: Path | None = None) -> None:
        root = root or self.index.root
        if filename.endswith(".metadata"):
            target = root / filename[: -len(".metadata")]
            meta = (
                _wheel_metadata(target)
                if self.index.metadata and target.name.endswith(".whl") and target.is_file()
                else None
            )
            if meta is None or "/" in filename:
                self._send(404, b"not found\n", head=head)
            else:
                self._send(200, meta, {"Content-Type": "application/octet-stream"}, head=head)
            return
        target = root / filename
        if "/" in filename or not target.is_file():
            self._send(404, b"not found\n", head=head)
            return
        data = target.read_bytes()
        mtime = target.stat().st_mtime
        etag = '"' + self.index._digest(target)[0][:32] + '"'
        headers = {
            "Content-Type": "application/octet-stream",
            "ETag": etag,
            "Last-Modified": formatdate(mtime, usegmt=True),
        }
        header = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range not in (etag, headers["Last-Modified"]):
            header = None  # the file changed since: the whole file (RFC 9110 §13.1.5)
        cut = None if head else self.index._take_drop(filename)
        if self.index.ranges:
            headers["Accept-Ranges"] = "bytes"
        if self.index.ranges and header and header.startswith("bytes=") and "," not in header:
            span = self._range(header[len("bytes=") :], len(data))
            if span is None:
                headers["Content-Range"] = f"bytes */{len(data)}"
                self._send(416, b"", headers, head=head)
                return
            start, end = span
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            self._send(206, data[start : end + 1], headers, head=head, cut=cut, paced=True)
            return
        self._send(200, data, headers, head=head, cut=cut, paced=True)

    @staticmethod
    def _range(spec: str, total: int) -> tuple[int, int] | None:
        first, _, last = spec.partition("-")
        try:
            if not first:
                n = int(last)
                return (max(total - n, 0), total - 1) if n > 0 and total else None
            start = int(first)
            end = int(last) if last else total - 1
        except ValueError:
            return None
        if start >= total or end < start:
            return None
        return start, min(end, total - 1)
