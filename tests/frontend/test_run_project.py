"""``pallet run`` in a project: sync when needed (through ``pallet sync``'s own path), then run;
the no-op check imports only the standard library; ``--with`` overlays leave .venv untouched."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject
from support.sync_tools import pallet

ENTRY_POINTS = "[console_scripts]\ngreet-hello = greet:main\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    dists = tmp_path_factory.mktemp("run-project-dists")
    make_wheel(
        dists,
        "greet",
        "1.0",
        files={
            "greet/__init__.py": "def main():\n    print('hello from greet 1.0')\n",
            "greet-1.0.dist-info/entry_points.txt": ENTRY_POINTS,
        },
    )
    for version in ("1.0", "2.0"):
        make_wheel(
            dists, "colour", version, files={"colour/__init__.py": f"NAME = 'colour {version}'\n"}
        )
    with IndexServer(dists, format="json") as server:
        yield server


@pytest.fixture
def project(tmp_path: Path, index: IndexServer) -> Path:
    index.clear()
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(lock_pyproject(index.url, ["greet"]), encoding="utf-8")
    return root


def test_run_syncs_then_runs_a_console_script(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    proc = pallet(project, env, "run", "greet-hello")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello from greet 1.0\n"
    assert (project / "pylock.toml").is_file()
    assert (project / ".venv" / "bin" / "greet-hello").is_file()

    # In sync now: the fast path runs it at once, asks no index, imports no packaging,
    # argparse, resolver or installer.
    index.clear()
    fast = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pallet", "run", "greet-hello"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert fast.returncode == 0, fast.stderr
    assert fast.stdout == "hello from greet 1.0\n"
    assert index.requests == []
    imported = {line.rsplit("|", 1)[-1].strip() for line in fast.stderr.splitlines()}
    heavy = {
        name
        for name in imported
        if name.split(".")[0] in ("packaging", "argparse", "urllib3", "tomllib", "resolvelib")
        or name.startswith(("pallet.install.", "pallet.resolve", "pallet.index", "pallet.python"))
    }
    heavy.discard("pallet.install.stamp")  # the sync stamp's reader: standard library only
    assert heavy == set()
    assert "pallet.cli.launch" in imported  # the check could fail: importtime lists modules


def test_exit_status_after_a_sync(project: Path, env: dict[str, str]) -> None:
    proc = pallet(project, env, "run", "python", "-c", "import sys, greet; sys.exit(7)")
    assert proc.returncode == 7, proc.stderr


def test_a_changed_pyproject_is_synced_before_the_run(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    assert pallet(project, env, "run", "true").returncode == 0
    (project / "pyproject.toml").write_text(
        lock_pyproject(index.url, ["greet", "colour==1.0"]), encoding="utf-8"
    )
    proc = pallet(project, env, "run", "python", "-c", "import colour; print(colour.NAME)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "colour 1.0\n"


def test_locked_refuses_a_stale_lock(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    assert pallet(project, env, "run", "true").returncode == 0
    (project / "pyproject.toml").write_text(
        lock_pyproject(index.url, ["greet", "colour"]), encoding="utf-8"
    )
    proc = pallet(project, env, "run", "--locked", "true")
    assert proc.returncode == 1
    assert "pylock.toml" in proc.stderr


def test_with_overlays_for_one_run_and_wins(project: Path, env: dict[str, str]) -> None:
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text().replace('["greet"]', '["greet", "colour==1.0"]'),
        encoding="utf-8",
    )
    code = "import colour, greet, sys; print(colour.NAME, sys.prefix != sys.base_prefix)"
    with_two = pallet(project, env, "run", "--with", "colour==2.0", "python", "-c", code)
    assert with_two.returncode == 0, with_two.stderr
    assert with_two.stdout == "colour 2.0 True\n"  # the overlay's version wins
    # the base is untouched: without --with the project's own version is back
    plain = pallet(project, env, "run", "python", "-c", code)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == "colour 1.0 True\n"
    # and a console script of the base still runs by name through the overlay's PATH
    script = pallet(project, env, "run", "--with", "colour==2.0", "greet-hello")
    assert script.stdout == "hello from greet 1.0\n", script.stderr


def test_selection_options_take_the_fast_path_once_synced(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    text = (project / "pyproject.toml").read_text()
    text = text.replace(
        "\n\n[[tool.pallet.index]]",
        '\n[project.optional-dependencies]\nc = ["colour==2.0"]\n\n[[tool.pallet.index]]',
        1,
    )
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    code = "import colour; print(colour.NAME)"
    first = pallet(project, env, "run", "--extra", "c", "python", "-c", code)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "colour 2.0\n"
    index.clear()
    again = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "pallet",
            "run",
            "--extra=c",
            "python",
            "-c",
            code,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.stdout == "colour 2.0\n", again.stderr
    assert index.requests == []
    assert " argparse" not in again.stderr and " packaging" not in again.stderr
    # another selection is another sync (an exact one: the extra goes again)
    plain = pallet(project, env, "run", "python", "-c", code)
    assert plain.returncode == 1
    assert "No module named 'colour'" in plain.stderr
