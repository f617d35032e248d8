"""`project.table_memo`: the no-op paths find a workspace without parsing TOML once the root's
``.venv`` remembers its table, and see every edit of the root's or a member's pyproject.toml."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pallet.project.locate import expand_glob
from pallet.project.table_memo import MEMO, read_memo, write_memo

ROOT = '[tool.pallet.workspace]\nmembers = ["packages/*"]\n'
MEMBER = (
    '[project]\nname = "{name}"\nversion = "1"\n[tool.pallet.sources]\na = {{ workspace = true }}\n'
)

#: a fresh process each time: what locate finds, and whether it imported tomllib to find it
PROBE = """
import json, sys
from pallet.project.locate import find_root, input_bytes
found = find_root(sys.argv[1])
data = input_bytes(found[0]) if found else None
print(json.dumps([found, data is not None and data.count(b"member "), "tomllib" in sys.modules]))
"""


def probe(start: Path) -> list[object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(start)], capture_output=True, text=True, check=True
    )
    result: list[object] = json.loads(proc.stdout)
    return result


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for name in ("a", "b"):
        (root / "packages" / name).mkdir(parents=True)
        (root / "packages" / name / "pyproject.toml").write_text(MEMBER.format(name=name))
    (root / "pyproject.toml").write_text(ROOT)
    (root / ".venv").mkdir()
    return root.resolve()


def test_the_second_run_parses_no_toml(workspace: Path) -> None:
    b = workspace / "packages" / "b"
    expected = [[str(workspace), str(b)], 2]
    assert probe(b) == [*expected, True]
    assert (workspace / ".venv" / MEMO).is_file()
    assert probe(b) == [*expected, False]
    assert probe(workspace) == [[str(workspace), str(workspace)], 2, False]


def test_an_edit_is_seen_and_parsed_again(workspace: Path) -> None:
    b = workspace / "packages" / "b"
    probe(b)
    (workspace / "pyproject.toml").write_text(ROOT + 'exclude = ["packages/b"]\n')
    assert probe(b) == [[str(b), str(b)], 0, True]  # b is no longer a member: its own root
    # b has no .venv to remember the root's new table in: the root's own run does
    assert probe(workspace) == [[str(workspace), str(workspace)], 1, True]
    assert probe(workspace) == [[str(workspace), str(workspace)], 1, False]
    (b / "pyproject.toml").write_text(MEMBER.format(name="b") + "[tool.pallet.workspace]\n")
    assert probe(b) == [[str(b), str(b)], 0, True]  # now a workspace of its own


def test_a_damaged_memo_is_ignored(workspace: Path) -> None:
    b = workspace / "packages" / "b"
    probe(b)
    memo = workspace / ".venv" / MEMO
    memo.write_bytes(memo.read_bytes()[:-5])
    assert read_memo(str(workspace)) == {}
    assert probe(b) == [[str(workspace), str(b)], 2, True]
    assert probe(b) == [[str(workspace), str(b)], 2, False]


def test_write_keeps_the_newest_answers_and_needs_a_venv(tmp_path: Path) -> None:
    write_memo(str(tmp_path), {b"x": None})
    assert not (tmp_path / ".venv").exists()  # no .venv: nothing is created
    (tmp_path / ".venv").mkdir()
    answers = {b"workspace %d" % i: ((f"m{i}",), ()) for i in range(20)}
    for key, answer in answers.items():
        write_memo(str(tmp_path), {key: answer})
    write_memo(str(tmp_path), {b"odd\n\0": (("p\n",), ("\udcff",))})
    kept = read_memo(str(tmp_path))
    assert len(kept) == 16
    assert kept[b"odd\n\0"] == (("p\n",), ("\udcff",))
    assert kept[b"workspace 19"] == (("m19",), ())
    assert b"workspace 0" not in kept


@pytest.mark.parametrize(
    "pattern",
    [
        "packages/*",
        "packages/**",
        "*",
        "*/*",
        "packages/a",
        "packages/missing",
        "packages/*/sub",
        "packages/.hidden",
        "packages/a/../b",
        "./packages/*",
        "packages/[ab]",
        "packages/?",
        "packages/*/",
        "libs/*-plugin",
    ],
)
def test_expand_glob_is_globs_answer(tmp_path: Path, pattern: str) -> None:
    base = tmp_path / "b[a]se"  # a name glob would read as a pattern unless escaped
    for folder in ("packages/a/sub", "packages/b", "packages/.hidden", "libs/x-plugin"):
        (base / folder).mkdir(parents=True)
    (base / "packages" / "file.txt").write_text("")
    (base / "packages" / "link").symlink_to("a")
    expected = glob.glob(os.path.join(glob.escape(str(base)), pattern))
    assert sorted(expand_glob(str(base), pattern)) == sorted(expected)
