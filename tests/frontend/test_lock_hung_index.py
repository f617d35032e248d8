"""A hung or trickling index: pallet names the slow index within seconds, gives up within a
bound set by its variables, and Ctrl-C ends it at once (issue 10, defect 8)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.lock_tools import lock_pyproject


def _serve(mode: str) -> Iterator[str]:
    """``hang``: accept, read the request, never answer. ``trickle``: answer a page one byte
    every 0.2 s, forever (each read succeeds, so no read timeout ever fires)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def trickle(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 99999\r\n\r\n"
            )
            while not stop.is_set():
                conn.sendall(b" ")
                time.sleep(0.2)
        except OSError:
            pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            if mode == "trickle":
                threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/simple"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def _project(tmp_path: Path, url: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(lock_pyproject(url, ["six"], index="stuck"), "utf-8")
    return project


def _start(project: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pallet", "lock", "--project", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_slow_index_is_named_and_bounded(tmp_path: Path, env: dict[str, str], mode: str) -> None:
    settings = {
        "PALLET_HTTP_TIMEOUT": "1.5",
        "PALLET_HTTP_DEADLINE": "2",
        "PALLET_SLOW_NOTICE": "1",
        "PALLET_HTTP_RETRIES": "5",
    }
    for url in _serve(mode):
        project = _project(tmp_path, url)
        started = time.monotonic()
        proc = _start(project, {**env, **settings})
        _out, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - started
    # The bound: DEADLINE + TIMEOUT (3.5 s) for the request, plus pallet's start-up and exit.
    assert elapsed < 3.5 + 4, elapsed
    assert proc.returncode == 3, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("warning: index 'stuck' is slow: no answer from ")
    assert f"{url}/six/" in lines[0]
    assert f"index 'stuck': GET {url}/six/ failed" in lines[1]
    if mode == "hang":
        assert "timed out" in lines[1] and "PALLET_HTTP_TIMEOUT=1.5" in lines[1]
    else:
        assert "still incomplete" in lines[1] and "PALLET_HTTP_DEADLINE=2" in lines[1]


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_ends_a_hung_lock_at_once(tmp_path: Path, env: dict[str, str]) -> None:
    for url in _serve("hang"):
        project = _project(tmp_path, url)
        proc = _start(project, {**env, "PALLET_SLOW_NOTICE": "0.5"})  # default 30 s timeouts
        assert proc.stderr is not None
        first = proc.stderr.readline()  # the slow notice: requests are now hanging in threads
        assert "index 'stuck' is slow" in first
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _out, rest = proc.communicate(timeout=20)
        elapsed = time.monotonic() - sent
    assert elapsed < 5.0, elapsed  # the requests in flight would hold it 30 s or more
    assert proc.returncode == 130
    assert rest.strip().splitlines() == ["error: interrupted"], rest
    assert not (project / "pylock.toml").exists()
