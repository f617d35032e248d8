"""``pallet publish`` against a real pypiserver on 127.0.0.1 with htpasswd authentication.

The server is started by the tests (module-scoped); what it holds is read from its package folder
and its ``/simple/`` page, and another project installs from it with ``pallet add``. Releases are
built by pallet-core's own hooks (and once by ``pallet build``); each test uploads its own
versions, so the tests do not depend on one another. Judges besides the server: twine's own
``twine check --strict`` and Python's ``ipaddress`` (loopback, RFC 1122).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pallet.cli.publish_auth import check_upload_url
from pallet.errors import PalletError
from support.pypi_server import PASSWORD, TOKEN, USER, PypiServer
from support.sync_tools import pallet

PROJECT = "pubdemo"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    running = PypiServer(tmp_path_factory.mktemp("pypiserver"))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """No keyring of this machine's (keyring's null backend), no netrc, no TTY to prompt on."""
    return dict(
        env,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        HOME=str(tmp_path / "home"),
    )


def write_project(root: Path, version: str, *, readme: str = "", rst: bool = False) -> Path:
    """A tiny pallet-core library ``pubdemo`` at `version` (src layout)."""
    (root / "src" / PROJECT).mkdir(parents=True)
    (root / "src" / PROJECT / "__init__.py").write_text(f'VALUE = "pubdemo {version}"\n')
    name = "README.rst" if rst else "README.md"
    (root / name).write_text(readme or f"# pubdemo\n\nVersion {version}.\n", encoding="utf-8")
    content_type = "text/x-rst" if rst else "text/markdown"
    (root / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [build-system]
            requires = ["pallet-core"]
            build-backend = "pallet_core.build"

            [project]
            name = "{PROJECT}"
            version = "{version}"
            description = "A package to publish"
            readme = {{file = "{name}", content-type = "{content_type}"}}
            requires-python = ">=3.9"
            license = "MIT"
        """),
        encoding="utf-8",
    )
    return root


def build_release(root: Path, version: str, *, readme: str = "", rst: bool = False) -> list[Path]:
    """``dist/`` of a fresh project at `version`, built by pallet-core's PEP 517 hooks."""
    write_project(root, version, readme=readme, rst=rst)
    script = (
        "from pallet_core.build import build_sdist, build_wheel; "
        "build_sdist('dist'); build_wheel('dist')"
    )
    subprocess.run([sys.executable, "-c", script], cwd=root, check=True, capture_output=True)
    return sorted((root / "dist").iterdir())


def publish(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pallet", "publish", "--project", str(project), *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert "Traceback" not in proc.stderr
    return lines


def test_build_publish_then_another_project_installs_it(
    server: PypiServer, env: dict[str, str], tmp_path: Path
) -> None:
    project = write_project(tmp_path / "pub", "1.0")
    built = pallet(project, dict(env, PIP_NO_INDEX="1"), "build")
    assert built.returncode == 0, built.stderr
    names = sorted(p.name for p in (project / "dist").iterdir())
    assert names == ["pubdemo-1.0-py3-none-any.whl", "pubdemo-1.0.tar.gz"]

    proc = publish(project, env, "--publish-url", server.url, "--username", USER)
    assert proc.returncode == 2  # a user without a password and no terminal: no hang
    assert errors(proc) == [
        f"error: no password for {USER!r} at {server.url} (and no terminal to ask on): give "
        "--password, PALLET_PUBLISH_PASSWORD or PALLET_PUBLISH_TOKEN, or store it in keyring "
        "or netrc"
    ]

    proc = publish(
        project, dict(env, PALLET_PUBLISH_PASSWORD=PASSWORD), "--publish-url", server.url,
        "--username", USER,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # the sdist first, then the wheel: one line each, on stdout
    assert [line.split(" (")[0] for line in lines] == [
        "Uploaded pubdemo-1.0.tar.gz",
        "Uploaded pubdemo-1.0-py3-none-any.whl",
    ]
    assert all(line.endswith(f") to {server.url}") for line in lines)
    assert server.files() >= set(names)

    consumer = tmp_path / "consumer"
    consumer.mkdir()
    (consumer / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [project]
            name = "consumer"
            version = "0.1"
            requires-python = ">=3.9"
            dependencies = []

            [[tool.pallet.index]]
            name = "local"
            url = "{server.simple}"
            default = true
        """),
        encoding="utf-8",
    )
    added = pallet(consumer, env, "add", PROJECT)
    assert added.returncode == 0, added.stderr
    ran = pallet(consumer, env, "run", "python", "-c", "import pubdemo; print(pubdemo.VALUE)")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "pubdemo 1.0"


def test_wrong_password_uploads_nothing(
    server: PypiServer, env: dict[str, str], tmp_path: Path
) -> None:
    build_release(tmp_path / "p", "2.0")
    args = ("--publish-url", server.url, "--username", USER, "--password", "wrong-pass-word")
    proc = publish(tmp_path / "p", env, *args)
    assert proc.returncode == 1
    assert errors(proc) == [
        f"error: {server.url} refused the credentials (username {USER!r} (--username), "
        "password (--password)): HTTP 403 Forbidden; nothing further was uploaded"
    ]
    assert proc.stdout == ""
    assert not {f for f in server.files() if "2.0" in f}
    assert "wrong-pass-word" not in output(proc)


def test_a_file_already_there_stops_unless_skip_existing(
    server: PypiServer, env: dict[str, str], tmp_path: Path
) -> None:
    sdist, wheel = [p for p in build_release(tmp_path / "a", "3.0") if p.name.endswith(".gz")] + [
        p for p in build_release(tmp_path / "b", "3.1") if p.name.endswith(".whl")
    ]
    env = dict(env, PALLET_PUBLISH_USERNAME=USER, PALLET_PUBLISH_PASSWORD=PASSWORD)
    first = publish(tmp_path / "a", env, "--publish-url", server.url, str(sdist))
    assert first.returncode == 0, first.stderr

    again = publish(tmp_path / "a", env, "--publish-url", server.url, str(sdist), str(wheel))
    assert again.returncode == 1
    assert errors(again) == [
        f"error: {sdist.name}: {server.url} already has this file (HTTP 400); nothing further "
        "was uploaded; --skip-existing skips such files"
    ]
    assert wheel.name not in server.files()  # nothing after the refused file

    skip = publish(
        tmp_path / "a", env, "--publish-url", server.url, "--skip-existing", str(sdist), str(wheel)
    )
    assert skip.returncode == 0, skip.stderr
    lines = skip.stdout.splitlines()
    assert lines[0].startswith(f"Skipped {sdist.name} (") and lines[0].endswith(
        f"): {server.url} already has it"
    )
    assert lines[1].startswith(f"Uploaded {wheel.name} (")
    assert wheel.name in server.files()


@pytest.mark.parametrize("verbose", [False, True])
def test_no_secret_is_ever_printed(
    server: PypiServer, env: dict[str, str], tmp_path: Path, verbose: bool
) -> None:
    version = "4.1" if verbose else "4.0"
    build_release(tmp_path / "p", version)
    flags = ["-v"] if verbose else []
    secret_url = server.url.replace("//", f"//{USER}:{PASSWORD}@")
    runs = [
        # the token: refused where it is wrong, accepted where it is right
        publish(
            tmp_path / "p",
            dict(env, PALLET_PUBLISH_TOKEN=TOKEN + "x"),
            *flags,
            "--publish-url",
            server.url,
        ),
        publish(tmp_path / "p", dict(env, PALLET_PUBLISH_TOKEN=TOKEN), *flags, "--publish-url",
                server.url, str(tmp_path / "p" / "dist" / f"pubdemo-{version}.tar.gz")),
        # a password in the URL: never shown with the URL
        publish(tmp_path / "p", env, *flags, "--publish-url", secret_url, "--skip-existing"),
        publish(tmp_path / "p", env, *flags, "--publish-url", secret_url),  # already there
        publish(tmp_path / "p", env, *flags, "--password", PASSWORD, "--username", "bob",
                "--publish-url", server.url),
    ]  # fmt: skip
    assert [p.returncode for p in runs] == [1, 0, 0, 1, 1]
    if verbose:  # -v says where the credentials came from
        assert "credentials: username '__token__' (PALLET_PUBLISH_TOKEN)" in runs[1].stderr
    assert {f for f in server.files() if version in f} == {
        f"pubdemo-{version}.tar.gz",
        f"pubdemo-{version}-py3-none-any.whl",
    }
    for proc in runs:
        # -v shows a failure's traceback (docs/cli.md): the secrets are looked for in it too
        assert ("Traceback" in proc.stderr) == (verbose and proc.returncode != 0)
        for secret in (TOKEN, PASSWORD):
            assert secret not in output(proc)
        assert f"{USER}:" not in output(proc)


def test_plain_http_to_another_host_is_refused_before_any_connection(
    env: dict[str, str], tmp_path: Path
) -> None:
    build_release(tmp_path / "p", "5.0")
    # 0.0.0.0 is not loopback (RFC 1122), yet a connection to it reaches this listener
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        listener.setblocking(False)
        url = f"http://0.0.0.0:{listener.getsockname()[1]}/legacy/"
        proc = publish(tmp_path / "p", env, "--publish-url", url, "--password", PASSWORD)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert proc.returncode == 2
    assert errors(proc) == [
        f"error: {url}: refusing to upload over plain http to a host that is not this machine "
        "(127.0.0.0/8, ::1, localhost); use https"
    ]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://upload.pypi.org/legacy/", True),
        ("http://127.0.0.1:8080/", True),
        ("http://127.8.9.10/", True),
        ("http://[::1]:8080/", True),
        ("http://localhost/", True),
        ("http://0.0.0.0/", False),
        ("http://10.0.0.1/", False),
        ("http://[::ffff:10.0.0.1]/", False),
        ("http://upload.pypi.org/legacy/", False),
        ("ftp://127.0.0.1/", False),
    ],
)
def test_loopback_is_what_ipaddress_says(url: str, allowed: bool) -> None:
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if (url.startswith("http://") and host[0].isdigit()) or ":" in host:
        assert ipaddress.ip_address(host).is_loopback is allowed
    if allowed:
        check_upload_url(url)
    else:
        with pytest.raises(PalletError, match="http"):
            check_upload_url(url)


def test_twine_check_strict_failure_uploads_nothing(
    server: PypiServer, env: dict[str, str], tmp_path: Path
) -> None:
    broken = "Title\n==\n\n`unclosed\n"
    files = build_release(tmp_path / "p", "6.0", readme=broken, rst=True)
    twine = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert twine.returncode == 1  # twine itself judges these files broken
    said = [line.strip() for line in (twine.stdout + twine.stderr).splitlines()]
    problem = next(line for line in said if line.startswith("line 4: Warning:"))
    proc = publish(
        tmp_path / "p", env, "--publish-url", server.url, "--username", USER, "--password",
        PASSWORD,
    )  # fmt: skip
    assert proc.returncode == 1
    message = proc.stderr.split("error: ", 1)[1]
    assert message.startswith("twine check --strict failed; nothing was uploaded:")
    for path in files:  # each file named, with the markup problem
        assert f"{path}: `long_description` has syntax errors in markup" in message
    assert problem in message
    assert not {f for f in server.files() if "6.0" in f}


def test_index_publish_url(server: PypiServer, env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "p"
    build_release(project, "7.0")
    pyproject = project / "pyproject.toml"
    base = pyproject.read_text(encoding="utf-8")
    entry = '\n[[tool.pallet.index]]\nname = "Local"\nurl = "{simple}"\n{extra}'
    env = dict(env, PALLET_PUBLISH_USERNAME=USER, PALLET_PUBLISH_PASSWORD=PASSWORD)

    pyproject.write_text(base + entry.format(simple=server.simple, extra=""), encoding="utf-8")
    proc = publish(project, env, "--index", "local")
    assert proc.returncode == 2
    assert errors(proc) == [
        f"error: {pyproject}: [[tool.pallet.index]] index 'Local' has no 'publish-url' key "
        "(where to upload; e.g. https://upload.pypi.org/legacy/)"
    ]
    proc = publish(project, env, "--index", "other")
    assert proc.returncode == 2
    assert "has no index named 'other'" in proc.stderr

    with_creds = server.url.replace("//", f"//{USER}:{PASSWORD}@")
    pyproject.write_text(
        base + entry.format(simple=server.simple, extra=f'publish-url = "{with_creds}"\n'),
        encoding="utf-8",
    )
    proc = publish(project, env, "--index", "local")
    assert proc.returncode == 2
    assert "'publish-url' holds credentials" in proc.stderr
    assert PASSWORD not in output(proc)

    pyproject.write_text(
        base + entry.format(simple=server.simple, extra=f'publish-url = "{server.url}"\n'),
        encoding="utf-8",
    )
    proc = publish(project, env, "--index", "local")
    assert proc.returncode == 0, proc.stderr
    assert {f for f in server.files() if "7.0" in f} == {
        "pubdemo-7.0.tar.gz",
        "pubdemo-7.0-py3-none-any.whl",
    }


def test_netrc_in_home(server: PypiServer, env: dict[str, str], tmp_path: Path) -> None:
    build_release(tmp_path / "p", "8.0")
    env = {k: v for k, v in env.items() if k != "NETRC"}
    home = Path(env["HOME"])
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n", encoding="utf-8")

    netrc.chmod(0o644)  # readable by others: Python's netrc module refuses it
    proc = publish(tmp_path / "p", env, "--publish-url", server.url)
    assert proc.returncode == 1
    assert "warning: ~/.netrc: not used:" in proc.stderr
    assert errors(proc) == [
        f"error: {server.url} refused an upload without credentials (none were found): "
        "HTTP 401 Unauthorized; nothing further was uploaded"
    ]

    netrc.chmod(0o600)
    proc = publish(tmp_path / "p", env, "-v", "--publish-url", server.url)
    assert proc.returncode == 0, proc.stderr
    assert f"credentials: username {USER!r} (netrc), password (netrc)" in proc.stderr
    assert PASSWORD not in output(proc)
    assert len({f for f in server.files() if "8.0" in f}) == 2


#: a keyring backend that reads a JSON file: a real backend keyring loads by name
FILE_KEYRING = """\
import json, os
from keyring.backend import KeyringBackend

class FileKeyring(KeyringBackend):
    priority = 1

    def _data(self):
        with open(os.environ["TEST_KEYRING_FILE"]) as f:
            return json.load(f)

    def get_password(self, service, username):
        return self._data().get(service, {}).get(username)

    def set_password(self, service, username, password):
        raise NotImplementedError

    def delete_password(self, service, username):
        raise NotImplementedError
"""


def test_keyring_password(server: PypiServer, env: dict[str, str], tmp_path: Path) -> None:
    import json

    build_release(tmp_path / "p", "9.0")
    (tmp_path / "kr").mkdir()
    (tmp_path / "kr" / "file_keyring.py").write_text(FILE_KEYRING, encoding="utf-8")
    (tmp_path / "kr.json").write_text(json.dumps({server.url: {USER: PASSWORD}}))
    env = dict(
        env,
        PYTHON_KEYRING_BACKEND="file_keyring.FileKeyring",
        TEST_KEYRING_FILE=str(tmp_path / "kr.json"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path / "kr"), env.get("PYTHONPATH")])),
    )
    proc = publish(tmp_path / "p", env, "-v", "--publish-url", server.url, "--username", USER)
    assert proc.returncode == 0, proc.stderr
    assert f"credentials: username {USER!r} (--username), password (keyring)" in proc.stderr
    assert len({f for f in server.files() if "9.0" in f}) == 2


def test_no_distributions_and_an_unreachable_server(env: dict[str, str], tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", "1.0")
    proc = publish(project, env, "--publish-url", "http://127.0.0.1:9/")
    assert proc.returncode == 2
    assert errors(proc) == [
        f"error: {project / 'dist'}: no sdists or wheels to upload; run `pallet build` first, "
        "or name the files"
    ]
    build_release(tmp_path / "q", "1.0")
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/"
    proc = publish(tmp_path / "q", env, "--publish-url", url, "--password", PASSWORD)
    assert proc.returncode == 3
    assert errors(proc) == [
        f"error: {url}: cannot upload pubdemo-1.0.tar.gz: Connection refused; nothing further "
        "was uploaded"
    ]


def test_a_terminal_is_asked_for_the_password(
    server: PypiServer, env: dict[str, str], tmp_path: Path
) -> None:
    """stdin a pseudo-terminal: getpass asks (echo off), and the answer is never printed."""
    build_release(tmp_path / "p", "10.0")
    controller, terminal = os.openpty()
    command = [sys.executable, "-m", "pallet", "publish", "--project", str(tmp_path / "p")]
    proc = subprocess.Popen(
        [*command, "--publish-url", server.url, "--username", USER],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    assert proc.stderr is not None
    try:
        # getpass turns echo off and flushes pending input (TCSAFLUSH), then prompts: answer after
        said = ""
        while "Password for" not in said:
            chunk = proc.stderr.read(1)
            assert chunk, said
            said += chunk
        said += proc.stderr.read(len(f" {USER} at {server.url}: ") - 1)
        os.write(controller, f"{PASSWORD}\n".encode())
        out, rest = proc.communicate(timeout=120)
        err = said + rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(controller)
    assert proc.returncode == 0, err
    assert err.startswith(f"Password for {USER} at {server.url}:\n")
    assert PASSWORD not in out + err
    assert len({f for f in server.files() if "10.0" in f}) == 2


def test_a_damaged_archive_is_named_and_nothing_is_sent(
    env: dict[str, str], tmp_path: Path
) -> None:
    good = build_release(tmp_path / "p", "11.0")
    wheel = next(p for p in good if p.name.endswith(".whl"))
    wheel.write_bytes(wheel.read_bytes()[:100])  # truncated
    with socket.socket() as listener:  # would see any connection
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        proc = publish(tmp_path / "p", env, "--publish-url", url, "--password", PASSWORD)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert proc.returncode == 1
    assert errors(proc) == ["error: twine check --strict failed; nothing was uploaded:"]
    assert f"  {wheel}: not a readable wheel: " in proc.stderr


def test_a_server_that_never_answers_times_out(env: dict[str, str], tmp_path: Path) -> None:
    build_release(tmp_path / "p", "12.0")
    with socket.socket() as listener:  # connections queue up; nothing ever answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        started = time.monotonic()
        proc = publish(tmp_path / "p", dict(env, PALLET_HTTP_TIMEOUT="0.2"), "--publish-url", url)
        took = time.monotonic() - started
    assert proc.returncode == 3
    assert errors(proc) == [
        f"error: {url}: cannot upload pubdemo-12.0.tar.gz: no answer within 2 s "
        "(10 x PALLET_HTTP_TIMEOUT=0.2); the file may or may not have arrived; nothing further "
        "was uploaded"
    ]
    assert took < 30
