"""A pylock.toml left with git's conflict markers after a real ``git merge`` of two branches that
each added a dependency: ``pallet lock`` re-locks keeping the pins of both sides, where a lock
from scratch would move them to the newest releases."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject, run_pallet_lock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


def _write(repo: Path, url: str, *deps: str) -> None:
    text = lock_pyproject(url, deps, name="app", version="1")
    (repo / "pyproject.toml").write_text(text, encoding="utf-8")


def _versions(repo: Path) -> dict[str, str]:
    data = tomllib.loads((repo / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in data["packages"]}


def _lock(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = run_pallet_lock(repo, env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_merge_conflicted_lock_keeps_both_sides_pins(tmp_path: Path, env: dict[str, str]) -> None:
    dists = tmp_path / "dists"
    for name in ("core", "left", "right"):
        make_wheel(dists, name, "1.0")
    repo = tmp_path / "repo"
    repo.mkdir()
    with IndexServer(dists) as index:
        assert _git(repo, "init", "-q", "-b", "main").returncode == 0
        _write(repo, index.url, "core")
        _lock(repo, env)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "core")

        _git(repo, "checkout", "-q", "-b", "feature")
        _write(repo, index.url, "core", "right")
        _lock(repo, env)
        _git(repo, "commit", "-q", "-am", "right")

        _git(repo, "checkout", "-q", "main")
        _write(repo, index.url, "core", "left")
        _lock(repo, env)
        _git(repo, "commit", "-q", "-am", "left")

        merge = _git(repo, "merge", "feature")
        assert merge.returncode != 0  # both files conflict
        assert "<<<<<<<" in (repo / "pylock.toml").read_text(encoding="utf-8")

        for name in ("core", "left", "right"):  # newer releases since both locks
            make_wheel(dists, name, "2.0")
        _write(repo, index.url, "core", "left", "right")  # the user resolves pyproject.toml
        fresh_cache = {**env, "PALLET_CACHE_DIR": str(tmp_path / "other-cache")}
        proc = _lock(repo, fresh_cache)

    assert "pylock.toml has merge conflict markers; locking again, keeping the pins" in (
        proc.stderr
    )
    assert _versions(repo) == {"core": "1.0", "left": "1.0", "right": "1.0"}
