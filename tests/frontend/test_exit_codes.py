"""The exit-code table of docs/cli.md (the same block as ``pallet --help``): one real case for each
documented code, run as a user runs pallet, against loopback indexes (a real one, one that
answers 500, a port that refuses connections, one that never answers). The table is parsed
from the docs; a code the table lists and no case covers fails the test."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject
from support.sync_tools import pallet
from support.unprivileged import unprivileged_prefix
from support.wheels import build_wheel

CLI_DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"

#: Codes no real case can produce: 101 is a bug in pallet; triggering one would need pallet
#: to carry a way to crash on purpose. `test_an_unexpected_exception_is_one_line_and_101`
#: checks its handler with a stand-in command instead.
NO_REAL_CASE = {101: "internal error: a bug in pallet"}


def documented_codes() -> dict[int, str]:
    """The table's codes and their first lines, from docs/cli.md's ``exit codes:`` block."""
    text = CLI_DOCS.read_text(encoding="utf-8")
    block = text[text.index("\nexit codes:\n") :].split("```", 1)[0]
    return {int(m[1]): m[2] for m in re.finditer(r"^  (\d+)  (.*)$", block, re.M)}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    folder = tmp_path_factory.mktemp("dists")
    build_wheel(folder, "small", "1.0", {"small.py": "VALUE = 1\n"})
    payload = random.Random(7).randbytes(2 * 1024 * 1024)  # incompressible: 2 MiB on disk
    build_wheel(folder, "large", "1.0", {"large/__init__.py": "", "large/data.bin": payload})
    with IndexServer(folder) as server:
        yield server


def make_project(root: Path, url: str, dependencies: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(lock_pyproject(url, dependencies), encoding="utf-8")
    return root


def one_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    """The output is ``error: ...`` (and a ``hint:`` line at most), naming `words`; no
    traceback."""
    lines = proc.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in errors[0], proc.stderr


# -- one case per code ----------------------------------------------------------------------


def case_0(tmp_path: Path, env: dict[str, str], index: IndexServer) -> None:
    project = make_project(tmp_path / "ok", index.url, ["small"])
    assert pallet(project, env, "sync", "--no-install-project").returncode == 0
    again = pallet(project, env, "sync", "--no-install-project")  # up to date
    assert again.returncode == 0 and "error" not in again.stderr, again.stderr


def case_1(tmp_path: Path, env: dict[str, str], index: IndexServer) -> None:
    project = make_project(tmp_path / "unsat", index.url, ["small>=5"])
    proc = pallet(project, env, "lock")
    assert proc.returncode == 1, proc.stderr
    one_error(proc, "small")
    assert not (project / "pylock.toml").exists()
    stale = make_project(tmp_path / "stale", index.url, ["small"])
    assert pallet(stale, env, "lock").returncode == 0
    pyproject = stale / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"small"', '"small>=1"'))
    check = pallet(stale, env, "lock", "--check")
    assert check.returncode == 1, check.stderr
    one_error(check, "out of date")
    assert check.stderr.splitlines()[-1] == "hint: run `pallet lock`"


def case_2(tmp_path: Path, env: dict[str, str], index: IndexServer) -> None:
    project = make_project(tmp_path / "bad-toml", index.url, ["small"])
    (project / "pyproject.toml").write_text('[project]\nname = "demo\n', encoding="utf-8")
    proc = pallet(project, env, "lock")
    assert proc.returncode == 2, proc.stderr
    one_error(proc, "pyproject.toml:2:")  # file:line:col
    option = pallet(project, env, "lock", "--no-such-option")
    assert option.returncode == 2 and "--no-such-option" in option.stderr, option.stderr
    assert "Traceback" not in option.stderr


def case_3(tmp_path: Path, env: dict[str, str], index: IndexServer) -> None:
    for url in serve_500():
        project = make_project(tmp_path / "500", url, ["small"])
        proc = pallet(project, dict(env, PALLET_HTTP_RETRIES="0"), "lock")
        assert proc.returncode == 3, proc.stderr
        one_error(proc, "500")
    refused = make_project(tmp_path / "refused", f"http://127.0.0.1:{free_port()}/simple", ["a"])
    proc = pallet(refused, dict(env, PALLET_HTTP_RETRIES="0"), "lock")
    assert proc.returncode == 3, proc.stderr
    one_error(proc, "127.0.0.1")


def case_130(tmp_path: Path, env: dict[str, str], index: IndexServer) -> None:
    project = make_project(tmp_path / "hung", index.url, ["small"])
    assert pallet(project, env, "lock").returncode == 0
    before = (project / "pylock.toml").read_bytes()
    for url, connected in serve_hung():
        # The lock is now stale (another index, another requirement): lock resolves again.
        (project / "pyproject.toml").write_text(lock_pyproject(url, ["small", "other"]))
        proc = subprocess.Popen(
            [sys.executable, "-m", "pallet", "lock"],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert connected.wait(60), "pallet never asked the index"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["error: interrupted"], err
    assert (project / "pylock.toml").read_bytes() == before  # the old lock, byte for byte


CASES: dict[int, Callable[[Path, dict[str, str], IndexServer], None]] = {
    0: case_0,
    1: case_1,
    2: case_2,
    3: case_3,
    130: case_130,
}


def test_every_documented_code_has_a_case() -> None:
    documented = documented_codes()
    assert set(documented) == set(CASES) | set(NO_REAL_CASE), (
        f"docs/cli.md lists {sorted(documented)}; cases cover {sorted(CASES)}, and "
        f"{sorted(NO_REAL_CASE)} have none: add a case for each new code"
    )
    for code, reason in NO_REAL_CASE.items():
        assert documented[code].startswith(reason), documented[code]


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_documented_case(
    code: int, tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    if code == 130 and os.name == "nt":
        pytest.skip("SIGINT to a child process is POSIX")
    CASES[code](tmp_path, env, index)


# -- cases without a table row of their own ----------------------------------------------------


def test_an_os_error_names_the_path_and_exits_2(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    """A folder the user cannot write (EACCES): one line naming the path, exit 2."""
    project = make_project(tmp_path / "ro", index.url, ["small"])
    assert pallet(project, env, "lock").returncode == 0
    project.chmod(0o555)
    try:
        proc = subprocess.run(
            [*unprivileged_prefix(), sys.executable, "-m", "pallet", "sync"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        project.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    one_error(proc, str(project))
    assert "Permission denied" in proc.stderr or "read-only" in proc.stderr, proc.stderr


def test_v_adds_the_traceback_below_the_error(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    project = make_project(tmp_path / "stale", index.url, ["small"])
    (project / "pyproject.toml").write_text('[project]\nname = "demo\n', encoding="utf-8")
    plain = pallet(project, env, "lock")
    loud = pallet(project, env, "lock", "-v")
    assert plain.returncode == loud.returncode == 2
    error = plain.stderr.splitlines()[0]
    assert "Traceback" not in plain.stderr and error.startswith("error: ")
    lines = loud.stderr.splitlines()
    at = lines.index(error)  # the same line, then the traceback under it
    assert lines[at + 1] == "Traceback (most recent call last):", loud.stderr
    assert lines[-1].startswith("pallet.errors.ProjectError: "), loud.stderr


def test_a_full_disk_is_one_line_and_nothing_half_installed(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    """ENOSPC: the project on a 1 MiB tmpfs (a mount namespace of its own: we are root), a
    wheel of 2 MiB to install there."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("mounting a tmpfs needs root and unshare")
    project = make_project(tmp_path / "src", index.url, ["large"])
    assert pallet(project, env, "lock").returncode == 0
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f"mount -t tmpfs -o size=1m tmpfs {disk} || exit 99\n"
        f"cp -r {project} {disk}/demo && cd {disk}/demo\n"
        f"{sys.executable} -m pallet sync --no-install-project\n"
        "code=$?\n"
        "find .venv -path '*site-packages/large*' -print >&2\n"
        "exit $code\n"
    )
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    assert proc.returncode == 1, proc.stderr  # install_lock's InstallError: the sync failed
    one_error(proc, "No space left on device", f"{disk}/demo/.venv")
    assert "site-packages/large" not in proc.stderr, proc.stderr  # nothing half-installed


def test_a_reader_that_stopped_early_is_not_an_error() -> None:
    """``pallet ... | head``: stdout's pipe closed before pallet writes (EPIPE): exit 0, silent."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pallet", "completion", "bash"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (0, "")


def test_an_unexpected_exception_is_one_line_and_101(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No real command fails this way on purpose: a stand-in command raises, as a bug would."""
    import types

    from pallet import ui
    from pallet.cli import main

    module = types.ModuleType("pallet.cli._broken")
    module.add_parser = lambda sub: sub.add_parser("broken")  # type: ignore[attr-defined]

    def broken(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    module.run = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pallet.cli._broken", module)
    monkeypatch.setitem(main.COMMANDS, "broken", "_broken")
    monkeypatch.setenv("NO_COLOR", "1")
    try:
        assert main.run(["broken"]) == 101
        quiet = capsys.readouterr().err.splitlines()
        assert quiet[0] == "error: internal error: ZeroDivisionError: division by zero"
        assert "please report" in quiet[1] and "-v" in quiet[1] and len(quiet) == 2
        assert main.run(["broken", "-v"]) == 101
        loud = capsys.readouterr().err
        assert "Traceback (most recent call last):" in loud and "in broken" in loud
    finally:
        ui.set_verbosity(0)


# -- the servers -------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed: connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class _Error500(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"Internal Server Error"
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve_500() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Error500)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


def serve_hung() -> Iterator[tuple[str, threading.Event]]:
    """An index that accepts connections and never answers; the event is set at the first."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop, connected = threading.Event(), threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            time.sleep(0.3)  # the request is certainly in flight, its threads waiting
            connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/simple", connected
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
