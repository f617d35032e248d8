"""Cached index pages and their freshness, end to end (``pallet lock`` as a subprocess against a
loopback index that sends ETag and Last-Modified but no Cache-Control, like nginx).

A page whose Last-Modified is old is reused without a request for a while (RFC 9111 §4.2.2,
`index.cache.heuristic_lifetime`); a new release must still be seen whenever the user asks for
newer versions (``--upgrade``, ``--upgrade-package``) or a refresh (``--refresh``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject, run_pallet_lock

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture
def dists(tmp_path: Path) -> Path:
    """foo 1.0 (needs bar) and bar 1.0, published a day ago."""
    folder = tmp_path / "dists"
    make_wheel(folder, "foo", "1.0", requires_dist=["bar"])
    make_wheel(folder, "bar", "1.0")
    make_wheel(folder, "extra-leaf", "1.0")
    day_ago = time.time() - 86400
    for path in folder.iterdir():
        os.utime(path, (day_ago, day_ago))
    return folder


@pytest.fixture
def index(dists: Path) -> Iterator[IndexServer]:
    with IndexServer(dists) as server:
        yield server


def write(project: Path, url: str, *deps: str) -> None:
    text = lock_pyproject(url, deps)
    (project / "pyproject.toml").write_text(text, encoding="utf-8")


def versions(project: Path) -> dict[str, str]:
    data = tomllib.loads((project / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in data["packages"]}


def lock(project: Path, env: dict[str, str], *args: str) -> None:
    proc = run_pallet_lock(project, env, *args, timeout=300)
    assert proc.returncode == 0, proc.stderr


def page_requests(index: IndexServer) -> list[tuple[str, bool, int]]:
    return [(r.path, r.is_conditional, r.status) for r in index.requests_for("/simple/")]


def test_warm_relock_asks_nothing_and_upgrade_sees_a_new_release(
    tmp_path: Path, env: dict[str, str], dists: Path, index: IndexServer
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    write(project, index.url, "foo")
    lock(project, env)
    assert versions(project) == {"foo": "1.0", "bar": "1.0"}

    make_wheel(dists, "bar", "2.0")  # a new release: the page's Last-Modified is now
    index.clear()
    write(project, index.url, "foo", "extra-leaf")  # one dependency added: a re-resolve
    lock(project, env)
    assert versions(project)["bar"] == "1.0"  # the locked pin is kept
    # the locked projects' pages are a day old: fresh, not asked; only the new name's page
    assert page_requests(index) == [("/simple/extra-leaf/", False, 200)]

    index.clear()
    lock(project, env, "--upgrade-package", "bar")  # newer versions asked for: revalidate
    assert versions(project)["bar"] == "2.0"
    assert ("/simple/bar/", True, 200) in page_requests(index)


def test_refresh_revalidates_every_page(
    tmp_path: Path, env: dict[str, str], dists: Path, index: IndexServer
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    write(project, index.url, "foo")
    lock(project, env)
    index.clear()
    lock(project, env)  # up to date: the fast path reads no page
    assert page_requests(index) == []
    lock(project, env, "--refresh")
    assert sorted(page_requests(index)) == [
        ("/simple/bar/", True, 304),
        ("/simple/foo/", True, 304),
    ]
    assert versions(project) == {"foo": "1.0", "bar": "1.0"}


def test_warm_relock_loads_no_http_or_parsers(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    """Pages fresh, metadata's fields cached: a re-resolve makes no request, so it imports
    neither urllib3 nor the HTML and email parsers (the cold run needed all three)."""
    project = tmp_path / "project"
    project.mkdir()
    write(project, index.url, "foo")
    lock(project, env)
    write(project, index.url, "foo", "bar>=1")  # a changed input: resolve again
    index.clear()
    code = (
        "import sys, json\n"
        "from pallet.__main__ import main\n"
        f"rc = main(['lock', '--project', {str(project)!r}])\n"
        "print(json.dumps([rc, sorted(sys.modules)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    rc, modules = json.loads(proc.stdout)
    assert rc == 0, proc.stderr
    assert "Locked 2 packages" in proc.stderr
    assert index.requests == []
    heavy = ("urllib3", "html.parser", "email.parser", "packaging.metadata", "packaging.pylock")
    assert [m for m in modules if m.startswith(heavy)] == []


def test_a_failure_behind_cached_pages_names_refresh(
    tmp_path: Path, env: dict[str, str], dists: Path, index: IndexServer
) -> None:
    """A release published while its page is fresh in the cache is not seen by a plain re-lock;
    the failure says so and `--refresh` finds it."""
    project = tmp_path / "project"
    project.mkdir()
    write(project, index.url, "foo")
    lock(project, env)
    make_wheel(dists, "bar", "2.0")
    write(project, index.url, "foo", "bar>=2")
    proc = run_pallet_lock(project, env, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1] == (
        "hint: 2 index pages came from the cache without asking the index (a page is reused "
        "for up to 10 minutes); `pallet lock --refresh` asks again, in case a release is newer"
    )
    lock(project, env, "--refresh")
    assert versions(project)["bar"] == "2.0"
