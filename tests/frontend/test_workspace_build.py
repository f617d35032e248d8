"""Workspaces meet ``pallet build`` and ``pallet publish`` (issue 14 item 1): ``--package``,
``--all``, the workspace root's ``dist/``, each member's own backend.

The workspace (virtual root) has three members: ``ws-core`` built by pallet-core (provided by
pallet itself), ``ws-app`` built by ``zipback`` (`support.zipback`), a backend served only by the
loopback index the ROOT's ``[[tool.pallet.index]]`` names (the member names none, and pip's index
is a dead port), and ``ws-notes``, virtual (no ``[build-system]``). Judges: the WHEEL file's
``Generator`` (which backend made the wheel), packaging's file-name parsers, pip installing the
wheels alone, and a real pypiserver (`support.pypi_server`) for what was uploaded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import pallet_env
from support.pypi_server import PASSWORD, USER, PypiServer
from support.sync_tools import pallet
from support.zipback import BACKEND

CORE = """\
[build-system]
requires = ["pallet-core"]
build-backend = "pallet_core.build"

[project]
name = "ws-core"
version = "1.0"
description = "the core"
readme = {file = "README.md", content-type = "text/markdown"}
requires-python = ">=3.9"
"""

APP = """\
[build-system]
requires = ["zipback"]
build-backend = "zipback"

[project]
name = "ws-app"
version = "0.1"
requires-python = ">=3.11"
dependencies = ["ws-core"]

[tool.pallet.sources]
ws-core = { workspace = true }
"""

NOTES = '[project]\nname = "ws-notes"\nversion = "0"\ndependencies = ["ws-core"]\n'


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    dists = tmp_path_factory.mktemp("ws-build-index")
    make_wheel(dists, "zipback", "1.0", files={"zipback/__init__.py": BACKEND})
    with IndexServer(dists) as server:
        yield server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No pip index that answers: zipback can only come from the root's index."""
    return dict(
        pallet_env(tmp_path),
        PIP_INDEX_URL=f"http://127.0.0.1:{_dead_port()}/simple",
        PALLET_NO_PROGRESS="1",
        PALLET_PYTHON=sys.executable,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        HOME=str(tmp_path / "home"),
    )


def make_workspace(root: Path, url: str) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.pallet.workspace]\nmembers = ["packages/*"]\n\n'
        f'[[tool.pallet.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n',
        encoding="utf-8",
    )
    core = root / "packages" / "core"
    (core / "src" / "ws_core").mkdir(parents=True)
    (core / "src" / "ws_core" / "__init__.py").write_text("VALUE = 'core'\n")
    (core / "README.md").write_text("# ws-core\n\nThe core.\n")
    (core / "pyproject.toml").write_text(CORE)
    app = root / "packages" / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "ws_app.py").write_text("from ws_core import VALUE\nANSWER = VALUE + '+app'\n")
    (app / "pyproject.toml").write_text(APP)
    notes = root / "packages" / "notes"
    notes.mkdir()
    (notes / "pyproject.toml").write_text(NOTES)
    return root


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def generator(wheel: Path) -> str:
    """The WHEEL file's ``Generator`` (PEP 427): the backend that wrote the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/WHEEL"))
        text = archive.read(info).decode()
    return next(line.split(":", 1)[1].strip() for line in text.splitlines() if "Generator" in line)


def errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in proc.stderr
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def test_build_all_each_member_with_its_own_backend(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    root = make_workspace(tmp_path / "ws", index.url)
    proc = pallet(root / "packages" / "notes", env, "build", "--all")
    assert proc.returncode == 0, proc.stderr
    assert "Skipping ws-notes (packages/notes): no [build-system]" in proc.stderr
    dist = root / "dist"
    assert names(dist) == [
        "ws_app-0.1-py3-none-any.whl",
        "ws_app-0.1.tar.gz",
        "ws_core-1.0-py3-none-any.whl",
        "ws_core-1.0.tar.gz",
    ]
    # member order (by folder): app's two files, then core's; stdout lists them
    assert [Path(line).name for line in proc.stdout.splitlines()] == [
        "ws_app-0.1.tar.gz",
        "ws_app-0.1-py3-none-any.whl",
        "ws_core-1.0.tar.gz",
        "ws_core-1.0-py3-none-any.whl",
    ]
    assert generator(dist / "ws_app-0.1-py3-none-any.whl") == "zipback"
    assert generator(dist / "ws_core-1.0-py3-none-any.whl").startswith("pallet-core")
    assert not (root / "packages" / "app" / "dist").exists()

    # each wheel installs with pip alone (no index), and the two work together
    target = tmp_path / "site"
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    pip_env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    wheels = [str(p) for p in sorted(dist.glob("*.whl"))]
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--target", str(target)]
    done = subprocess.run([*install, *wheels], env=pip_env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    run = subprocess.run(
        [sys.executable, "-c", "import ws_app; print(ws_app.ANSWER)"],
        env=dict(pip_env, PYTHONPATH=str(target)),
        capture_output=True,
        text=True,
    )
    assert run.stdout.strip() == "core+app", run.stderr


def test_build_package_from_another_member_and_plain_build_in_a_member(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    root = make_workspace(tmp_path / "ws", index.url)
    inside_core = root / "packages" / "core" / "src" / "ws_core"
    proc = pallet(inside_core, env, "build", "--package", "WS_App", "--wheel")
    assert proc.returncode == 0, proc.stderr
    assert names(root / "dist") == ["ws_app-0.1-py3-none-any.whl"]

    # no argument, in a member's subfolder: that member, into the workspace root's dist/
    shutil.rmtree(root / "dist")
    proc = pallet(inside_core, env, "build", "--sdist")
    assert proc.returncode == 0, proc.stderr
    assert names(root / "dist") == ["ws_core-1.0.tar.gz"]

    # -o wins
    out = tmp_path / "elsewhere"
    proc = pallet(root, env, "build", "--package", "ws-core", "--wheel", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert names(out) == ["ws_core-1.0-py3-none-any.whl"]


def test_build_package_errors(index: IndexServer, env: dict[str, str], tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", index.url)
    proc = pallet(root, env, "build", "--package", "nope")
    assert proc.returncode == 2
    assert errors(proc) == [
        f"error: {root.resolve() / 'pyproject.toml'}: 'nope' is not a member of this workspace; "
        "members: ws-app, ws-core, ws-notes"
    ]
    proc = pallet(root, env, "build", "--package", "ws-notes")
    assert proc.returncode == 2
    assert errors(proc) == [
        "error: --package ws-notes: packages/notes/pyproject.toml has no [build-system]; "
        "a virtual member is not built"
    ]
    proc = pallet(root, env, "build")  # the virtual root: no project to build
    assert proc.returncode == 2
    assert errors(proc) == [
        f"error: {root.resolve() / 'pyproject.toml'}: a workspace root without [project] has "
        "nothing to build; use `pallet build --all` or `--package NAME`"
    ]
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "pyproject.toml").write_text(CORE)
    proc = pallet(lone, env, "build", "--all")
    assert proc.returncode == 2
    assert errors(proc) == [
        f"error: --all: {lone.resolve() / 'pyproject.toml'} declares no workspace "
        "([tool.pallet.workspace]); build the project with `pallet build`"
    ]
    assert not (root / "dist").exists() and not (lone / "dist").exists()


def test_build_all_goes_on_after_a_failure_and_names_it(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    root = make_workspace(tmp_path / "ws", index.url)
    app = root / "packages" / "app" / "pyproject.toml"
    app.write_text(APP.replace('"zipback"]', '"zipback>=9"]'))
    proc = pallet(root, env, "build", "--all", "--wheel")
    assert proc.returncode == 1
    lines = errors(proc)
    assert len(lines) == 2, proc.stderr
    assert "zipback>=9" in lines[0]
    assert lines[1] == "error: 1 of 2 workspace builds failed: ws-app"
    # the member after the failed one was still built
    assert names(root / "dist") == ["ws_core-1.0-py3-none-any.whl"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    running = PypiServer(tmp_path_factory.mktemp("pypiserver"))
    try:
        yield running
    finally:
        running.close()


def test_publish_package_uploads_only_that_members_files(
    index: IndexServer, server: PypiServer, env: dict[str, str], tmp_path: Path
) -> None:
    root = make_workspace(tmp_path / "ws", index.url)
    built = pallet(root, env, "build", "--all")
    assert built.returncode == 0, built.stderr
    assert len(names(root / "dist")) == 4
    upload = ("--publish-url", server.url, "--username", USER)
    env = dict(env, PALLET_PUBLISH_PASSWORD=PASSWORD)

    proc = pallet(root / "packages" / "app", env, "publish", "--package", "nope", *upload)
    assert proc.returncode == 2
    assert errors(proc) == [
        f"error: {root.resolve() / 'pyproject.toml'}: 'nope' is not a member of this workspace; "
        "members: ws-app, ws-core, ws-notes"
    ]

    # from another member's folder: the root's dist/, only ws-core's files (ws-app's zipback
    # metadata has no description, which twine check --strict would refuse: not even checked)
    proc = pallet(root / "packages" / "app", env, "publish", "--package", "WS.Core", *upload)
    assert proc.returncode == 0, proc.stderr
    assert server.files() == {"ws_core-1.0.tar.gz", "ws_core-1.0-py3-none-any.whl"}

    proc = pallet(root, env, "publish", "--package", "ws-notes", *upload)
    assert proc.returncode == 2
    assert errors(proc) == [
        f"error: {root.resolve() / 'dist'}: no sdist or wheel of ws-notes; "
        "run `pallet build --package ws-notes` first"
    ]
