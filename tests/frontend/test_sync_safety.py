"""``pallet sync`` when things go wrong: a file whose hash does not match the lock, a wheel that
writes outside the environment, a sync killed half-way, two syncs at once (issue 11 item 5)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject
from support.sync_tools import listing, pallet, pip_check, pip_list
from support.wheels import wheel_members, with_record, write_wheel


@pytest.fixture
def dists(tmp_path: Path) -> Path:
    folder = tmp_path / "dists"
    make_wheel(folder, "foo", "1.0", files={"foo/__init__.py": ""})
    make_wheel(folder, "bar", "1.0", files={"bar/__init__.py": ""})
    return folder


@pytest.fixture
def index(dists: Path) -> Iterator[IndexServer]:
    with IndexServer(dists) as server:
        yield server


def project_with(tmp_path: Path, index: IndexServer, deps: list[str]) -> Path:
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(lock_pyproject(index.url, deps), encoding="utf-8")
    return root


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stderr
    return proc


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python*/site-packages"))


@pytest.mark.hand_edited_lock(
    "project/pylock.toml", reason="the index serves other bytes than the lock's hash"
)
def test_hash_mismatch_is_refused_and_the_environment_unchanged(
    tmp_path: Path, env: dict[str, str], index: IndexServer, dists: Path
) -> None:
    project = project_with(tmp_path, index, ["foo"])
    ok(pallet(project, env, "sync"))
    venv = project / ".venv"
    project_with(tmp_path, index, ["foo", "bar"])
    ok(pallet(project, env, "lock"))
    # the index now serves other bytes under the locked name
    make_wheel(dists, "bar", "1.0", files={"bar/__init__.py": "CHANGED = True\n"})
    before = listing(venv)
    cold = dict(env, PALLET_CACHE_DIR=str(tmp_path / "cold"))
    proc = pallet(project, cold, "sync", "--frozen")
    assert proc.returncode == 1
    assert "bar-1.0-py3-none-any.whl" in proc.stderr
    assert "sha256 mismatch" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert listing(venv) == before


@pytest.mark.hand_edited_lock("project/pylock.toml", reason="locks a wheel that writes ../")
def test_traversal_wheel_is_refused_with_nothing_installed(
    tmp_path: Path, env: dict[str, str], index: IndexServer, dists: Path
) -> None:
    members = wheel_members("evil", "1.0", {"evil/__init__.py": ""})
    members["../../../escaped.py"] = b"print('escaped')\n"
    write_wheel(dists / "evil-1.0-py3-none-any.whl", with_record(members, "evil-1.0.dist-info"))
    project = project_with(tmp_path, index, ["foo", "evil"])
    proc = pallet(project, env, "sync")
    assert proc.returncode == 1, proc.stderr
    assert "evil-1.0-py3-none-any.whl" in proc.stderr
    assert "Traceback" not in proc.stderr
    venv = project / ".venv"
    assert pip_list(venv) == {}  # not even foo, which was fine: everything is checked first
    assert not list(tmp_path.rglob("escaped.py"))


def big_wheel(folder: Path, version: str, count: int) -> Path:
    files = {f"big/m{i}.py": f"VERSION = {version!r}\n" + "#" * 200 for i in range(count)}
    files["big/__init__.py"] = f"VERSION = {version!r}\n"
    files[f"big/only_in_{version.replace('.', '_')}.py"] = ""
    members = wheel_members("big", version, files)
    return write_wheel(folder / f"big-{version}-py3-none-any.whl", members)


def test_sigkill_mid_install_is_repaired_by_the_next_sync(
    tmp_path: Path, env: dict[str, str], index: IndexServer, dists: Path
) -> None:
    big_wheel(dists, "1.0", 3000)
    big_wheel(dists, "2.0", 3000)
    project = project_with(tmp_path, index, ["big==1.0", "foo"])
    ok(pallet(project, env, "sync"))
    venv = project / ".venv"
    project_with(tmp_path, index, ["big==2.0", "foo"])
    ok(pallet(project, env, "lock"))
    journal = venv / ".pallet-journal"
    killed = False
    for _attempt in range(3):  # the window is wide (3000 files), but a loaded machine is slow
        child = subprocess.Popen(
            [sys.executable, "-m", "pallet", "sync", "--frozen"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while child.poll() is None and time.monotonic() < deadline:
            if journal.exists():
                os.kill(child.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.0005)
        child.wait()
        if killed:
            break
        # it finished first: go back to 1.0 and try again
        project_with(tmp_path, index, ["big==1.0", "foo"])
        ok(pallet(project, env, "sync"))
        project_with(tmp_path, index, ["big==2.0", "foo"])
        ok(pallet(project, env, "lock"))
    assert killed and journal.exists()
    proc = ok(pallet(project, env, "sync", "--frozen"))
    assert "repairing an interrupted sync" in proc.stderr
    assert not journal.exists()
    assert pip_list(venv) == {"big": "2.0", "foo": "1.0"}
    pip_check(venv)
    site = site_packages(venv)
    assert not (site / "big" / "only_in_1_0.py").exists()
    assert (site / "big" / "only_in_2_0.py").exists()
    assert not list(venv.rglob(".pallet-stage-*"))
    code = "import big, big.m2999; print(big.VERSION, big.m2999.VERSION)"
    run = subprocess.run([venv / "bin" / "python", "-c", code], capture_output=True, text=True)
    assert run.stdout == "2.0 2.0\n"
    # and the next sync has nothing to do
    assert "Audited 2 packages" in ok(pallet(project, env, "sync", "--frozen")).stderr


def test_two_concurrent_syncs_serialize(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    project = project_with(tmp_path, index, ["foo", "bar"])
    ok(pallet(project, env, "lock"))
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "pallet", "sync"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [child.communicate(timeout=120) for child in children]
    assert [c.returncode for c in children] == [0, 0], results
    venv = project / ".venv"
    assert pip_list(venv) == {"foo": "1.0", "bar": "1.0"}
    pip_check(venv)


def test_unwritable_site_packages_is_one_line(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    from support.unprivileged import unprivileged_prefix

    prefix = unprivileged_prefix()
    project = project_with(tmp_path, index, ["foo"])
    ok(pallet(project, env, "sync"))
    project_with(tmp_path, index, ["foo", "bar"])
    ok(pallet(project, env, "lock"))
    venv = project / ".venv"
    site = site_packages(venv)
    before = listing(venv)
    site.chmod(0o555)
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "pallet", "sync", "--frozen"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        site.chmod(0o755)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Permission denied" in proc.stderr
    after = listing(venv)
    # bar could not be linked, nothing else changed; the journal is left for the next sync
    assert ".pallet-journal" in after and ".pallet-sync.json" not in after
    skip = {".pallet-journal", ".pallet-sync.json"}
    assert {k: v for k, v in after.items() if k not in skip} == {
        k: v for k, v in before.items() if k not in skip
    }
    repaired = ok(pallet(project, env, "sync", "--frozen"))
    assert "repairing an interrupted sync" in repaired.stderr
    assert pip_list(venv) == {"foo": "1.0", "bar": "1.0"}


def test_unreadable_journal_reinstalls_everything(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    """Killed while writing the journal: which packages it named is unknown, so all of them."""
    project = project_with(tmp_path, index, ["foo", "bar"])
    ok(pallet(project, env, "sync"))
    venv = project / ".venv"
    (venv / ".pallet-journal").write_text('{"names": ["fo', encoding="utf-8")
    proc = ok(pallet(project, env, "sync", "-v"))
    assert "repairing an interrupted sync" in proc.stderr
    assert "~ bar 1.0 -> 1.0" in proc.stderr.splitlines()
    assert "~ foo 1.0 -> 1.0" in proc.stderr.splitlines()
    assert not (venv / ".pallet-journal").exists()
    assert pip_list(venv) == {"foo": "1.0", "bar": "1.0"}


def test_importing_a_top_level_module_keeps_the_stamp_valid(
    tmp_path: Path, env: dict[str, str], index: IndexServer, dists: Path
) -> None:
    make_wheel(dists, "solo", "1.0", files={"solo_top.py": "X = 1\n"})
    project = project_with(tmp_path, index, ["solo"])
    ok(pallet(project, env, "sync"))
    venv = project / ".venv"
    clean = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = subprocess.run([venv / "bin" / "python", "-c", "import solo_top"], env=clean, check=False)
    assert run.returncode == 0
    assert list((site_packages(venv) / "__pycache__").glob("solo_top.*.pyc"))
    assert "Audited 1 package in" in ok(pallet(project, env, "sync")).stderr
