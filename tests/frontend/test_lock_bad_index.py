"""A wrong index URL, an index that 404s everything or answers junk: the error names the index
and its URL and tells "no such project" from "not a simple index" (issue 10, defect 9)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject, run_pallet_lock


class _Fixed(BaseHTTPRequestHandler):
    """Answers every GET with the same status, content type and body."""

    status = 404
    content_type = "text/html"
    body = b"<html><body><h1>Not Found</h1></body></html>"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


def _serve(status: int, content_type: str, body: bytes) -> Iterator[str]:
    handler = type("H", (_Fixed,), {"status": status, "content_type": content_type, "body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


def _lock(tmp_path: Path, env: dict[str, str], url: str) -> str:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(lock_pyproject(url, ["six"], index="corp"), "utf-8")
    proc = run_pallet_lock(project, env, timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    # One line says what is wrong; a missing project's line is followed by the chain of
    # requirements that asked for it (indented), nothing else.
    assert lines[0].startswith("error: "), proc.stderr
    assert all(line.startswith("  ") for line in lines[1:]), proc.stderr
    return lines[0]


JUNK_HTML = b"<html><body><h1>Welcome to our intranet</h1><a href='/login'>Log in</a></body></html>"


@pytest.mark.parametrize(
    ("status", "content_type", "body", "found"),
    [
        (404, "text/html", b"<html><body>Not Found</body></html>", "HTTP 404"),
        (200, "text/html", JUNK_HTML, "links are not project names"),
        (200, "text/html", b"<html><body>maintenance</body></html>", "without links"),
        (200, "text/plain", b"hello", "content type 'text/plain'"),
    ],
)
def test_not_a_simple_index(
    tmp_path: Path, env: dict[str, str], status: int, content_type: str, body: bytes, found: str
) -> None:
    for url in _serve(status, content_type, body):
        line = _lock(tmp_path, env, url)
        assert "index 'corp'" in line and f"{url}/ is not a simple index" in line, line
        assert found in line, line
        assert "was not found" not in line


def test_project_missing_from_a_real_index(tmp_path: Path, env: dict[str, str]) -> None:
    make_wheel(tmp_path / "dists", "other", "1.0")
    with IndexServer(tmp_path / "dists", format="html") as index:
        url = index.url
        line = _lock(tmp_path, env, url)
    assert "`six` was not found on index 'corp'" in line, line
    assert f"HTTP 404 at {url}/six/" in line, line
    assert "not a simple index" not in line


def test_wrong_path_on_a_real_index_server(tmp_path: Path, env: dict[str, str]) -> None:
    """A typo in the URL (``/simpel``): the server 404s its root too."""
    make_wheel(tmp_path / "dists", "six", "1.0")
    with IndexServer(tmp_path / "dists") as index:
        wrong = index.url.replace("/simple", "/simpel")
        line = _lock(tmp_path, env, wrong)
    assert f"{wrong}/ is not a simple index" in line and "HTTP 404" in line, line
