"""pallet on a terminal and off it: ``pallet sync`` with stderr on a real pseudo-terminal shows
rich's progress bars and coloured ``warning:``/``error:``/``hint:`` prefixes; piped, neither;
``NO_COLOR`` keeps the bars without a colour; ``-q`` and ``PALLET_NO_PROGRESS`` hide them; a step
shorter than the display's delay draws nothing. The index sends a 2.5 MiB wheel in ~1.5 s."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.index_server import IndexServer
from support.slow_index import locked_template, slow_index
from support.sync_tools import copy_project, pallet
from support.terminal import SGR, Screen, on_terminal

MiB = 1024 * 1024
SIZE = int(2.5 * MiB)
RATE = SIZE / 1.5  # bytes per second: the wheel takes about 1.5 s
BIG = "big-1.0-py3-none-any.whl"
#: rich's bar (NO_COLOR: its filled part alone), the percentage, bytes of 2.5 MiB, the speed
BAR = re.compile(
    re.escape(BIG) + r" +[━╸╺]* *\d+% +\d+\.\d (KiB|MiB) / 2\.5 MiB +\d+\.\d (KiB|MiB)/s"
)
#: ECMA-48 SGR with a foreground colour (30-37, 90-97)
COLOURED = re.compile(r"\x1b\[(?:[0-9]+;)*(?:3[0-7]|9[0-7])(?:;[0-9]+)*m")

PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["big"]

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    folder = tmp_path_factory.mktemp("dists")
    with slow_index(folder, size=SIZE, rate=RATE, seed=13) as server:
        yield server


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, index: IndexServer) -> Path:
    root = tmp_path_factory.mktemp("template") / "demo"
    return locked_template(
        root, PYPROJECT.format(url=index.url), tmp_path_factory.mktemp("lock-cache")
    )


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    return copy_project(template, tmp_path / "demo")


@pytest.fixture
def tty_env(env: dict[str, str]) -> dict[str, str]:
    """A terminal's environment as a user has it: no NO_COLOR, FORCE_COLOR or progress switch."""
    drop = ("NO_COLOR", "FORCE_COLOR", "PALLET_NO_PROGRESS")
    return {k: v for k, v in env.items() if k not in drop}


def final_screen(raw: str) -> list[str]:
    screen = Screen()
    screen.feed(raw)  # the terminal turned each LF into CR LF (onlcr), as a real one does
    return screen.lines()


def test_a_terminal_shows_rich_bars_in_colour(project: Path, tty_env: dict[str, str]) -> None:
    code, raw = on_terminal(project, tty_env, "sync", "--no-install-project")
    assert code == 0, raw
    plain = SGR.sub("", raw)
    assert BAR.search(plain), raw  # the wheel's bar, percentage, bytes of the total, speed
    assert re.search(r"Downloading 0/1 files +[━╸╺]* *\d+% ", plain), raw
    assert COLOURED.search(raw), raw  # rich colours the bars on a terminal
    # The display is gone at the end: the report alone is left on the screen.
    lines = final_screen(raw)
    assert lines[1:] == ["+ big 1.0", lines[-1]] and lines[-1].startswith("Installed 1 package")


def test_warnings_errors_and_hints_are_coloured_on_a_terminal_only(
    project: Path, tty_env: dict[str, str]
) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["big"]', '["big>=1"]'))
    code, raw = on_terminal(project, tty_env, "sync", "--dry-run", "--no-install-project")
    assert code == 0, raw
    assert "\x1b[1;33mwarning: \x1b[0mpylock.toml may be out of date" in raw, raw  # bold yellow
    (project / "pylock.toml").unlink()
    code, raw = on_terminal(project, tty_env, "sync", "--frozen")
    assert code == 1, raw
    assert "\x1b[1;31merror: \x1b[0mpylock.toml does not exist in " in raw, raw  # bold red
    assert "\x1b[1;36mhint: \x1b[0mrun `pallet lock`" in raw, raw  # bold cyan
    piped = pallet(project, tty_env, "sync", "--frozen")
    assert piped.returncode == 1
    assert piped.stderr == (
        f"error: pylock.toml does not exist in {project}\nhint: run `pallet lock`\n"
    )


def test_a_pipe_gets_no_bar_and_no_escape(project: Path, tty_env: dict[str, str]) -> None:
    proc = pallet(project, tty_env, "sync", "--no-install-project")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr, proc.stderr
    assert "━" not in proc.stderr and "%" not in proc.stderr and "Downloading" not in proc.stderr
    assert re.fullmatch(r"Installed 1 package in \d+\.\d\d s", proc.stderr.splitlines()[1])


def test_no_color_keeps_the_bars_without_colour(project: Path, tty_env: dict[str, str]) -> None:
    code, raw = on_terminal(project, dict(tty_env, NO_COLOR="1"), "sync", "--no-install-project")
    assert code == 0, raw
    assert not SGR.search(raw), raw  # no colour, no bold: not one SGR sequence
    assert BAR.search(raw), raw  # but the bar, its percentage and bytes
    assert "\x1b[1A" in raw or "\r\x1b[J" in raw  # still redrawn in place (cursor moves)


@pytest.mark.parametrize(
    ("option", "variable"), [("-q", None), (None, "1")], ids=["quiet", "PALLET_NO_PROGRESS"]
)
def test_quiet_and_the_switch_hide_the_bars(
    project: Path, tty_env: dict[str, str], option: str | None, variable: str | None
) -> None:
    env = dict(tty_env, PALLET_NO_PROGRESS=variable) if variable else tty_env
    args = ["sync", "--no-install-project", *([option] if option else [])]
    code, raw = on_terminal(project, env, *args)
    assert code == 0, raw
    assert "━" not in raw and "Downloading" not in raw, raw
    assert not re.search(r"\x1b\[[0-9]*[AJK]", raw), raw  # nothing drawn, nothing erased
    if option == "-q":
        assert raw == "", raw  # -q: errors only
    else:
        assert "+ big 1.0" in raw


SHORT_STEP = """\
import sys, time
from pallet import ui
from pallet.cli.progress_bars import SpinnerLines
with ui.Progress(lambda: "step", lines=SpinnerLines(lambda: "Building x")):
    time.sleep(float(sys.argv[1]))
print("rich" in sys.modules, file=sys.stderr)
"""


@pytest.mark.parametrize(("seconds", "drawn"), [(0.05, False), (0.8, True)])
def test_a_step_shorter_than_the_delay_draws_nothing(
    tmp_path: Path, tty_env: dict[str, str], seconds: float, drawn: bool
) -> None:
    script = tmp_path / "step.py"
    script.write_text(SHORT_STEP)
    code, raw = on_terminal(tmp_path, tty_env, str(seconds), python_args=[str(script)])
    assert code == 0, raw
    if drawn:  # the spinner, then rich was imported to draw it
        assert "Building x" in raw and raw.endswith("True\r\n"), raw
    else:  # nothing at all, and rich never imported
        assert raw == "False\r\n", raw
