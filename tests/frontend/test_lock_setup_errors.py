"""pallet's own setup, wrong: environment variables and the cache folder give one line naming
the variable or the path, exit 2, before anything is resolved (issue 10, defect 7)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject, run_pallet_lock
from support.unprivileged import unprivileged_prefix


@pytest.fixture
def index(tmp_path: Path) -> Iterator[IndexServer]:
    make_wheel(tmp_path / "dists", "foo", "1.0")
    with IndexServer(tmp_path / "dists") as server:
        yield server


@pytest.fixture
def project(tmp_path: Path, index: IndexServer) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(lock_pyproject(index.url, ["foo"]), encoding="utf-8")
    return root


def _one_line_error(
    project: Path, env: dict[str, str], *, code: int = 2, prefix: Sequence[str] = ()
) -> str:
    proc = run_pallet_lock(project, env, timeout=60, prefix=prefix)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert not (project / "pylock.toml").exists()
    return lines[0]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PALLET_HTTP_TIMEOUT", "-5"),
        ("PALLET_HTTP_TIMEOUT", "0"),
        ("PALLET_HTTP_TIMEOUT", "soon"),
        ("PALLET_HTTP_TIMEOUT", "nan"),
        ("PALLET_HTTP_RETRIES", "-1"),
        ("PALLET_HTTP_RETRIES", "2.5"),
        ("PALLET_HTTP_DEADLINE", "-1"),
        ("PALLET_CONCURRENCY", "abc"),
        ("PALLET_CONCURRENCY", "0"),
        ("PALLET_SLOW_NOTICE", "x"),
    ],
)
def test_invalid_variable(project: Path, env: dict[str, str], name: str, value: str) -> None:
    line = _one_line_error(project, {**env, name: value})
    assert f"{name}={value!r}" in line and "must be" in line


def test_valid_variables_are_used(project: Path, env: dict[str, str]) -> None:
    settings = {"PALLET_HTTP_TIMEOUT": "7.5", "PALLET_CONCURRENCY": "2", "PALLET_HTTP_RETRIES": "0"}
    proc = run_pallet_lock(project, {**env, **settings}, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_cache_folder_is_a_file(project: Path, env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "cache-file"
    blocker.write_text("not a folder", encoding="utf-8")
    line = _one_line_error(project, {**env, "PALLET_CACHE_DIR": str(blocker)})
    assert str(blocker) in line and "PALLET_CACHE_DIR" in line and "not a folder" in line

    below = blocker / "sub"  # a file where a parent folder should be
    line = _one_line_error(project, {**env, "PALLET_CACHE_DIR": str(below)})
    assert str(below) in line and "cannot be written" in line


def test_cache_folder_unwritable(project: Path, env: dict[str, str], tmp_path: Path) -> None:
    prefix = unprivileged_prefix()  # root ignores file modes, except in a user namespace
    locked = tmp_path / "locked-cache"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        line = _one_line_error(project, {**env, "PALLET_CACHE_DIR": str(locked)}, prefix=prefix)
    finally:
        locked.chmod(0o700)
    assert str(locked) in line and "cannot be written" in line
