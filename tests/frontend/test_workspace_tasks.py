"""``pallet run TASK`` in a workspace (issue 14 item 1): a member's ``[tool.pallet.scripts]``
and ``env-file`` join the root's when run from inside the member (docs/tasks.md).

A virtual root and two virtual members (no ``[build-system]``: nothing to build) on an empty
flat index, synced once. The task prints its arguments, cwd and variables as JSON; each run is
made twice: by the full command, then by the no-op path from the tasks cached in the
environment (`cli.tasks_cache`).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.lock_tools import pallet_env
from support.sync_tools import pallet

SHOW = (
    'python -c \'import json, os, sys; print(json.dumps({"argv": sys.argv[1:], '
    '"cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in ("A", "B")}}))\''
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    base = tmp_path_factory.mktemp("ws-tasks")
    (base / "flat").mkdir()
    root = base / "ws"
    (root / "packages" / "wa" / "sub").mkdir(parents=True)
    (root / "packages" / "wb").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.pallet]\nenv-file = ".env"\n\n'
        '[tool.pallet.workspace]\nmembers = ["packages/*"]\n\n'
        f'[[tool.pallet.index]]\nname = "flat"\nurl = "{base / "flat"}"\nformat = "flat"\n'
        "default = true\n\n"
        f"[tool.pallet.scripts]\nhello = {json.dumps(SHOW + ' root-hello')}\n"
        f"shared = {json.dumps(SHOW + ' root-shared')}\n",
        encoding="utf-8",
    )
    (root / ".env").write_text("A=root\nB=root\n")
    (root / "packages" / "wa" / "pyproject.toml").write_text(
        '[project]\nname = "wa"\nversion = "0"\n\n[tool.pallet]\nenv-file = ".env"\n\n'
        f"[tool.pallet.scripts]\nshared = {json.dumps(SHOW + ' member-shared')}\n"
        f"here = {{ cmd = {json.dumps(SHOW)}, cwd = 'sub', help = 'in sub' }}\n",
        encoding="utf-8",
    )
    (root / "packages" / "wa" / ".env").write_text("B=member\n")
    (root / "packages" / "wb" / "pyproject.toml").write_text(
        '[project]\nname = "wb"\nversion = "0"\n'
    )
    env = pallet_env(base)
    for name in ("A", "B"):
        env.pop(name, None)
    proc = pallet(root, env, "sync")
    assert proc.returncode == 0, proc.stderr
    yield root.resolve(), env


def shown(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return result


def test_member_tasks_first_then_the_roots(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    member = root / "packages" / "wa"
    # a member's edit makes the lock stale: the first round takes the full path (it locks and
    # syncs), the second the no-op path, reading the tasks cached in .venv
    other = root / "packages" / "wb" / "pyproject.toml"
    other.write_text(other.read_text() + "# edited\n")
    for _ in range(2):
        got = shown(pallet(member / "sub", env, "run", "shared", "x"))
        assert got["argv"] == ["member-shared", "x"]  # the member's wins over the root's
        assert got["cwd"] == str(member)  # a member's task runs in the member's folder
        assert got["env"] == {"A": "root", "B": "member"}  # root's file, then the member's
        got = shown(pallet(member, env, "run", "hello"))
        assert got["argv"] == ["root-hello"]  # a root task, from the member: in the root
        assert got["cwd"] == str(root)
        assert shown(pallet(member, env, "run", "here"))["cwd"] == str(member / "sub")
    listed = pallet(member, env, "run", "--list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["hello", "here", "shared"]

    # another member without tasks, and the root: the root's tasks and env file only
    for folder in (root / "packages" / "wb", root):
        got = shown(pallet(folder, env, "run", "shared"))
        assert got["argv"] == ["root-shared"]
        assert got["env"] == {"A": "root", "B": "root"}
    proc = pallet(root, env, "run", "here")  # not a task there: run as a command
    assert proc.returncode != 0
    assert "here" in proc.stderr
