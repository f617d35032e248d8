"""docs/getting-started.md: every ``pallet ...`` command of its shell blocks parses as pallet's
own command line does, and those that need no network run, in order, in a scratch folder
(`cd` followed), as the guide's reader would type them."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli_args import parse_like_pallet as _parse
from support.lock_tools import pallet_env

GUIDE = Path(__file__).parents[2] / "docs" / "getting-started.md"

#: commands that need no package index: they run; the others are only parsed
OFFLINE = {"init", "version", "build", "python"}


def _commands() -> list[list[str]]:
    """Each command of the guide's ``sh`` blocks, split by ``&&``, comments dropped."""
    text = GUIDE.read_text(encoding="utf-8")
    out: list[list[str]] = []
    for block in text.split("```sh\n")[1:]:
        for line in block.split("```", 1)[0].splitlines():
            words = shlex.split(line, comments=True)
            while words:
                end = words.index("&&") if "&&" in words else len(words)
                out.append(words[:end])
                words = words[end + 1 :]
    return out


COMMANDS = [c for c in _commands() if c[0] == "pallet"]


def test_the_guide_shows_the_daily_commands() -> None:
    shown = {c[1] for c in COMMANDS if len(c) > 1}
    assert {"init", "add", "sync", "run", "lock", "tree", "export", "build", "publish"} <= shown


@pytest.mark.parametrize("argv", COMMANDS, ids=shlex.join)
def test_every_command_parses(argv: list[str]) -> None:
    try:
        _parse(argv[1:])
    except SystemExit as exc:
        if exc.code == 0 and argv[1:] == ["--version"]:
            return
        pytest.fail(f"does not parse: {shlex.join(argv)}")


def test_the_offline_commands_run(tmp_path: Path) -> None:
    env = pallet_env(tmp_path)
    cwd = tmp_path / "work"
    cwd.mkdir()
    ran = []
    for argv in _commands():
        if argv[0] == "cd":
            cwd = cwd / argv[1]
            continue
        if argv[0] != "pallet" or len(argv) < 2 or argv[1] not in OFFLINE:
            continue
        proc = subprocess.run(
            [sys.executable, "-m", "pallet", *argv[1:]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        # `pallet python list` exits 1 when no interpreter fits a project
        assert proc.returncode == 0, (argv, proc.stderr)
        ran.append(argv[1])
    assert {"init", "version", "build"} <= set(ran)
    assert sorted(p.name.split("-")[0] for p in (cwd / "dist").iterdir()) == ["hello", "hello"]
