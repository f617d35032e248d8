"""``exclude-newer``: files uploaded at or after a cutoff are ignored (PEP 700 upload-time on
the loopback index, set from the files' mtimes); a duration's cutoff is recorded in the lock."""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import run_pallet_lock

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DAY = 86400.0
NOW = time.time()

PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = [{deps}]

[tool.pallet.resolution]
{resolution}

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
{index}
"""


def _stamp(path: Path, when: float) -> None:
    os.utime(path, (when, when))


def _utc(when: float) -> datetime:
    return datetime.fromtimestamp(when, timezone.utc)


@pytest.fixture
def dists(tmp_path: Path) -> Path:
    folder = tmp_path / "dists"
    _stamp(make_wheel(folder, "foo", "1.0"), datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp())
    _stamp(make_wheel(folder, "foo", "2.0"), datetime(2024, 7, 1, tzinfo=timezone.utc).timestamp())
    _stamp(make_wheel(folder, "foo", "3.0"), NOW - 1 * DAY)  # inside a week's cooldown
    _stamp(make_wheel(folder, "bar", "1.0"), NOW - 30 * DAY)
    return folder


def _lock(
    tmp_path: Path,
    env: dict[str, str],
    url: str,
    *args: str,
    resolution: str = "",
    index: str = "",
    deps: str = '"foo"',
) -> tuple[Any, dict[str, Any]]:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    text = PYPROJECT.format(url=url, resolution=resolution, index=index, deps=deps)
    (project / "pyproject.toml").write_text(text, "utf-8")
    proc = run_pallet_lock(project, env, *args, timeout=120)
    lock: dict[str, Any] = {}
    if (project / "pylock.toml").exists():
        lock = tomllib.loads((project / "pylock.toml").read_text("utf-8"))
    return proc, lock


def _versions(lock: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["version"] for p in lock["packages"]}


@pytest.mark.parametrize(
    "value",
    ['"2024-06-01T00:00:00Z"', '"2024-06-01"', "2024-06-01T02:00:00+02:00"],
)
def test_absolute_cutoff(tmp_path: Path, env: dict[str, str], dists: Path, value: str) -> None:
    with IndexServer(dists, format="json") as server:
        proc, lock = _lock(tmp_path, env, server.url, resolution=f"exclude-newer = {value}")
    assert proc.returncode == 0, proc.stderr
    assert _versions(lock)["foo"] == "1.0"
    assert lock["tool"]["pallet"]["exclude-newer"] == {"*": "2024-06-01T00:00:00Z"}


def test_everything_too_new_is_explained(tmp_path: Path, env: dict[str, str], dists: Path) -> None:
    with IndexServer(dists, format="json") as server:
        proc, _ = _lock(tmp_path, env, server.url, resolution='exclude-newer = "2023-01-01"')
    assert proc.returncode == 1
    assert "`foo` was not found on index 'local'" in proc.stderr
    assert "3 file(s) uploaded at or after the exclude-newer cutoff 2023-01-01T00:00:00Z" in (
        proc.stderr
    )


def test_per_index_value_overrides(tmp_path: Path, env: dict[str, str], dists: Path) -> None:
    with IndexServer(dists, format="json") as server:
        proc, lock = _lock(
            tmp_path,
            env,
            server.url,
            resolution='exclude-newer = "2024-03-01"',
            index='exclude-newer = "2024-12-01"',
        )
    assert proc.returncode == 0, proc.stderr
    assert _versions(lock)["foo"] == "2.0"
    assert lock["tool"]["pallet"]["exclude-newer"] == {
        "*": "2024-03-01T00:00:00Z",
        "local": "2024-12-01T00:00:00Z",
    }


def test_duration_is_recorded_and_kept(tmp_path: Path, env: dict[str, str], dists: Path) -> None:
    with IndexServer(dists, format="json") as server:
        before = _utc(NOW) - timedelta(days=7)
        proc, lock = _lock(tmp_path, env, server.url, resolution='exclude-newer = "1 week"')
        assert proc.returncode == 0, proc.stderr
        assert _versions(lock) == {"foo": "2.0"}  # 3.0 is a day old: inside the cooldown
        recorded = lock["tool"]["pallet"]["exclude-newer"]["*"]
        moment = datetime.fromisoformat(recorded.replace("Z", "+00:00"))
        assert before - timedelta(seconds=5) <= moment <= _utc(time.time()) - timedelta(days=7)
        fingerprint = lock["tool"]["pallet"]["fingerprint"]

        time.sleep(1.1)  # the duration's cutoff moves; the lock must not
        proc, again = _lock(tmp_path, env, server.url, resolution='exclude-newer = "1 week"')
        assert proc.returncode == 0 and "up to date" in proc.stderr + proc.stdout
        assert again["tool"]["pallet"]["fingerprint"] == fingerprint

        proc, grown = _lock(
            tmp_path, env, server.url, resolution='exclude-newer = "1 week"', deps='"foo", "bar"'
        )
        assert proc.returncode == 0, proc.stderr
        assert grown["tool"]["pallet"]["exclude-newer"]["*"] == recorded  # a re-lock keeps it

        proc, fresh = _lock(
            tmp_path,
            env,
            server.url,
            "--upgrade",
            resolution='exclude-newer = "1 week"',
            deps='"foo", "bar"',
        )
        assert proc.returncode == 0, proc.stderr
        assert fresh["tool"]["pallet"]["exclude-newer"]["*"] > recorded


def test_files_without_upload_time_are_ignored(
    tmp_path: Path, env: dict[str, str], dists: Path
) -> None:
    """HTML pages carry no upload time (PEP 700 is JSON only): nothing is known to be older."""
    with IndexServer(dists, format="html") as server:
        proc, _ = _lock(tmp_path, env, server.url, resolution='exclude-newer = "2030-01-01"')
    assert proc.returncode != 0
    assert "index 'local' gives no upload time for foo-" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("resolution", "index", "where"),
    [
        ('exclude-newer = "soon"', "", "[tool.pallet.resolution]"),
        ('exclude-newer = "0 days"', "", "[tool.pallet.resolution]"),
        ("exclude-newer = 7", "", "[tool.pallet.resolution]"),
        ("", 'exclude-newer = "2024-02-30"', "index 'local'"),
    ],
)
def test_invalid_values_name_the_key(
    tmp_path: Path, env: dict[str, str], resolution: str, index: str, where: str
) -> None:
    proc, _lock_data = _lock(
        tmp_path, env, "http://127.0.0.1:9/simple", resolution=resolution, index=index
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "exclude-newer" in proc.stderr and where in proc.stderr, proc.stderr


def test_flat_index_cannot_take_a_cutoff(tmp_path: Path, env: dict[str, str]) -> None:
    proc, _ = _lock(tmp_path, env, "wheels", index='format = "flat"\nexclude-newer = "7 days"')
    assert proc.returncode == 2
    assert "exclude-newer" in proc.stderr and "flat index" in proc.stderr


def test_command_line_value(tmp_path: Path, env: dict[str, str], dists: Path) -> None:
    with IndexServer(dists, format="json") as server:
        proc, lock = _lock(tmp_path, env, server.url, "--exclude-newer", "2024-06-01")
        assert proc.returncode == 0, proc.stderr
        assert _versions(lock)["foo"] == "1.0"
        proc, lock = _lock(tmp_path, env, server.url)  # a lock input: without it, a re-lock
        assert proc.returncode == 0, proc.stderr
        assert _versions(lock)["foo"] == "1.0"  # the locked version is still preferred
        assert "exclude-newer" not in lock["tool"]["pallet"]
    proc, _ = _lock(tmp_path, env, "http://127.0.0.1:9/simple", "--exclude-newer", "later")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: --exclude-newer: 'later' is not")
