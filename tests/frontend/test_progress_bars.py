"""cli.progress_bars: pallet sync's display frames as rich draws them, at several widths, in
colour and without, on a UTF-8 and an ASCII terminal; rich imported only by the first frame."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata

import pytest
from pallet.cli.progress_bars import BAR_WIDTH, FrameLines, SpinnerLines
from pallet.cli.sync_progress import FileRow, Frame

MiB = 1024 * 1024
SGR = re.compile(r"\x1b\[[0-9;]*m")
BIG = "big-1.0-py3-none-any.whl"
LONG = "torch-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"

DOWNLOADING = Frame(
    "Downloading 1/3 files",
    finished=1,
    files=3,
    received=MiB + 300 * MiB,
    total=int(2.5 * MiB) + 2048 * MiB,
    speed=3 * MiB,
    rows=(FileRow(LONG, 300 * MiB, 2048 * MiB, 2 * MiB), FileRow(BIG, MiB, int(2.5 * MiB), MiB)),
    more=1,
)


@pytest.fixture
def colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")


@pytest.fixture
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def cells(line: str) -> int:
    """Terminal cells of a drawn line: SGR takes none; no character here is wide (W or F)."""
    text = SGR.sub("", line)
    assert "\x1b" not in text, repr(line)
    assert all(unicodedata.east_asian_width(c) not in "WF" for c in text)
    return len(text)


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("width", [160, 120, 100, 80, 60])
def test_every_line_fits_and_keeps_its_numbers(width: int) -> None:
    lines = FrameLines(lambda: DOWNLOADING)(width)
    assert len(lines) == 4  # the total, the two large files, "and 1 more"
    assert all(cells(line) <= width - 1 for line in lines), lines
    plain = [SGR.sub("", line) for line in lines]
    # the labels give way first (from 80 columns up the total's stays whole)
    assert plain[0].startswith("Downloading 1/3 files " if width >= 80 else "Download")
    assert plain[2].startswith(f"  {BIG[:6]}") and plain[1].startswith("  torch-")
    # 1 MiB of 2.5 MiB is 40 %; the numbers stay whole on any width from 60 columns up
    assert re.search(r" 40% +1\.0 MiB / 2\.5 MiB +1\.0 MiB/s$", plain[2]), plain
    assert re.search(r" 14% +300\.0 MiB / 2\.0 GiB +2\.0 MiB/s$", plain[1]), plain
    assert plain[3] == "  and 1 more"
    assert any(SGR.search(line) for line in lines)  # coloured bars


@pytest.mark.usefixtures("colour")
def test_a_long_name_gives_way_before_the_bar() -> None:
    wide = [SGR.sub("", line) for line in FrameLines(lambda: DOWNLOADING)(200)]
    assert f"  {LONG} " in wide[1]
    narrow = [SGR.sub("", line) for line in FrameLines(lambda: DOWNLOADING)(90)]
    assert LONG not in narrow[1] and "…" in narrow[1] and "━" in narrow[1]


@pytest.mark.usefixtures("no_colour")
def test_no_color_keeps_the_bar_without_a_single_escape() -> None:
    lines = FrameLines(lambda: DOWNLOADING)(120)
    assert not any("\x1b" in line for line in lines), lines
    # rich draws only a bar's filled part without colour: 40 % of BAR_WIDTH cells (halves)
    filled = lines[2].count("━") + lines[2].count("╸") / 2
    assert abs(filled - 0.4 * BAR_WIDTH) <= 1, lines[2]


@pytest.mark.usefixtures("no_colour")
def test_phases_count_and_builds_spin() -> None:
    (line,) = FrameLines(lambda: Frame("Installing 3/8", phase=("Installing", 3, 8)))(100)
    assert re.fullmatch(r"Installing +━+╸? +37% 3/8", line), line  # 3 of 8 is 37.5 %
    spinner = FrameLines(lambda: Frame("Building demo", phase=("Building demo", 0, 0)))
    first = spinner(100)
    assert len(first) == 1 and first[0].endswith(" Building demo") and "%" not in first[0]
    (line,) = SpinnerLines(lambda: "Building demo 1.0 with pallet_core.build")(100)
    assert line.endswith(" Building demo 1.0 with pallet_core.build")


@pytest.mark.usefixtures("no_colour")
def test_an_unknown_size_has_no_percentage() -> None:
    frame = Frame("x", files=1, received=5 * MiB, rows=(FileRow(BIG, 5 * MiB, None, MiB),))
    lines = FrameLines(lambda: frame)(100)
    assert "%" not in "".join(lines)
    assert lines[1].endswith(" 5.0 MiB 1.0 MiB/s") or lines[1].endswith(" 5.0 MiB  1.0 MiB/s")


def run_python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(clean, **env),
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def test_rich_is_imported_by_the_first_frame_only() -> None:
    code = (
        "import json, sys\n"
        "from pallet.cli import sync, run_env\n"
        "from pallet.cli.progress_bars import FrameLines\n"
        "from pallet.cli.sync_progress import SyncDisplay\n"
        "lines = FrameLines(SyncDisplay().frame)\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] == 'rich')\n"
        "lines(80)\n"
        "print(json.dumps([before, 'rich.console' in sys.modules]))\n"
    )
    before, after = json.loads(run_python(code))
    assert before == [] and after


def test_an_ascii_terminal_gets_ascii_bars() -> None:
    code = (
        "import json\n"
        "from pallet.cli.progress_bars import FrameLines\n"
        "from pallet.cli.sync_progress import FileRow, Frame\n"
        "frame = Frame('x', files=1, received=10, total=20,"
        " rows=(FileRow('big.whl', 1048576, 2097152, 1.0),))\n"
        "print(json.dumps(FrameLines(lambda: frame)(100)))\n"
        "build = Frame('Building x', phase=('Building x', 0, 0))\n"
        "print(json.dumps(FrameLines(lambda: build)(80)))\n"
    )
    out = run_python(code, PYTHONIOENCODING="ascii", FORCE_COLOR="1")
    bars, spinner = (json.loads(line) for line in out.splitlines())
    assert all(line.isascii() for line in bars + spinner), bars + spinner
    assert "50%" in SGR.sub("", bars[1]) and "-" in SGR.sub("", bars[1])
