"""pallet sync's progress display: its formatting on fixed inputs, and ``pallet sync`` itself with
stderr on a real pseudo-terminal (the screen read back through a minimal ANSI interpreter) and on
a pipe, against a loopback index that sends a 2.5 MiB wheel at 2.5 MiB/s."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pallet.cli.sync_progress import FileRow, SyncDisplay, human_size, rate
from pallet.install.fetch import Artifact
from support.index_server import IndexServer
from support.slow_index import locked_template, slow_index
from support.sync_tools import copy_project, pallet
from support.terminal import Screen, on_terminal

MiB = 1024 * 1024
BIG = "big-1.0-py3-none-any.whl"
RATE = 2.5 * MiB
COLUMNS = 100


# -- the pure parts ---------------------------------------------------------------------------


def artifact(name: str, size: int | None) -> Artifact:
    return Artifact(name, "1.0", f"{name}-1.0-py3-none-any.whl", "0" * 64, None, Path("/x"), size)


def test_human_sizes_use_binary_units() -> None:
    assert human_size(0) == "0 B"
    assert human_size(1023) == "1023 B"
    assert human_size(1024) == "1.0 KiB"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(210 * MiB) == "210.0 MiB"
    assert human_size(2 * 1024**3) == "2.0 GiB"
    assert human_size(5000 * 1024**3) == "5000.0 GiB"
    assert human_size(-5) == "0 B"  # a restarted download never shows a negative count


def test_speed_is_measured_to_the_last_bytes_until_a_stall() -> None:
    # between two 1 MiB pieces: measured to the last one, no sag
    assert rate(MiB, 10.0, 10.4, 10.9) == pytest.approx(MiB / 0.4)
    # nothing for 2.6 s: the wait counts
    assert rate(MiB, 10.0, 10.4, 13.0) == pytest.approx(MiB / 3.0)
    assert rate(-5, 10.0, 10.0, 10.0) == 0.0


def test_the_display_shows_the_largest_downloads_then_the_phase() -> None:
    now = [100.0]
    display = SyncDisplay(clock=lambda: now[0])
    assert display.frame().headline == "Preparing packages" and not display.frame().files
    files = {n: artifact(n, s) for n, s in [("small", 1000), ("torch", 2 * 1024**3)]}
    files.update({f"big{i}": artifact(f"big{i}", (i + 2) * MiB) for i in range(6)})
    display.downloading(list(files.values()))
    for a in files.values():
        display.start(a, a.size)
    display.advance(files["small"], 1000)
    display.finish(files["small"])
    display.advance(files["torch"], 256 * MiB)
    display.advance(files["torch"], -128 * MiB)  # the server started it again
    now[0] += 4.0
    frame = display.frame()
    headline = r"Downloading 1/8 files, 128\.0 MiB / 2\.\d GiB, 32\.0 MiB/s"
    assert re.fullmatch(headline, frame.headline)
    assert (frame.finished, frame.files, frame.received) == (1, 8, 128 * MiB + 1000)
    assert frame.total == 2 * 1024**3 + sum((i + 2) * MiB for i in range(6)) + 1000
    assert frame.rows[0] == FileRow("torch-1.0-py3-none-any.whl", 128 * MiB, 2 * 1024**3, 32 * MiB)
    # torch and the four largest of big0..big5 (7, 6, 5, 4 MiB); two more under way
    assert [row.name for row in frame.rows] == [
        "torch-1.0-py3-none-any.whl",
        *(f"big{i}-1.0-py3-none-any.whl" for i in (5, 4, 3, 2)),
    ]
    assert frame.more == 2
    assert display.status() == frame.headline
    display.phase("Unpacking", 3, 8)
    assert display.frame().phase == ("Unpacking", 3, 8) and display.frame().rows == ()
    assert display.status() == "Unpacking 3/8"
    display.phase("Building demo", 0, 0)
    assert display.status() == "Building demo"


# -- pallet sync on a terminal and on a pipe --------------------------------------------------

PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["big", "small"]

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    folder = tmp_path_factory.mktemp("dists")
    with slow_index(folder, size=int(2.5 * MiB), rate=RATE, seed=11, small=True) as server:
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


#: rich's bar (NO_COLOR: its filled part alone), the percentage, bytes of the total, the speed
BAR_LINE = re.compile(
    re.escape(BIG) + r" +━*[╸]? *\d+% \d+\.\d (KiB|MiB) / 2\.5 MiB +\d+\.\d (KiB|MiB)/s"
)


def test_a_terminal_shows_bars_and_counts_then_only_the_changes(
    project: Path, env: dict[str, str]
) -> None:
    code, raw = on_terminal(project, dict(env, NO_COLOR="1"), "sync", "--no-install-project")
    assert code == 0, raw
    assert BAR_LINE.search(raw), raw  # the wheel's own bar, its size and speed
    total = r"Downloading [01]/2 files +━*[╸]? *\d+% \d+\.\d (KiB|MiB) / 2\.5 MiB"
    assert re.search(total, raw), raw
    screen = Screen()
    screen.feed(raw)  # the terminal turned each LF into CR LF (onlcr), as a real one does
    lines = screen.lines()
    assert lines[0].startswith(f"Created {project / '.venv'} (")
    assert lines[1:3] == ["+ big 1.0", "+ small 1.0"]
    assert re.fullmatch(r"Installed 2 packages in \d+\.\d\d s", lines[3])
    assert len(lines) == 4, lines


def test_a_dumb_terminal_gets_one_status_line(project: Path, env: dict[str, str]) -> None:
    code, raw = on_terminal(project, env, "sync", "--no-install-project", term="dumb")
    assert code == 0, raw
    assert "\x1b[1A" not in raw and "━" not in raw and "%" not in raw  # no cursor moves, no bars
    assert re.search(r"Downloading [01]/2 files, [^\r\n]*B/s \(\d+\.\ds\)", raw), raw
    screen = Screen()
    screen.feed(raw)
    assert screen.lines()[1:3] == ["+ big 1.0", "+ small 1.0"]
    assert len(screen.lines()) == 4


def test_ctrl_c_clears_the_display_before_the_error(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    index.throttle = RATE / 20  # 20 s for the wheel: certainly still under way
    try:
        code, raw = on_terminal(
            project, env, "sync", "--no-install-project", interrupt_when=f"  {BIG} "
        )
    finally:
        index.throttle = RATE
    assert code == 130
    screen = Screen()
    screen.feed(raw)  # the terminal turned each LF into CR LF (onlcr), as a real one does
    lines = screen.lines()
    assert lines[0].startswith(f"Created {project / '.venv'} (")
    assert lines[1:] == ["error: interrupted"]


def test_a_pipe_gets_the_summary_alone_and_with_v_the_changes(
    project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    venv = project / ".venv"
    proc = pallet(project, env, "sync", "--no-install-project")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"Created {venv} (")
    assert len(lines) == 2 and re.fullmatch(r"Installed 2 packages in \d+\.\d\d s", lines[1])
    other = copy_project(project, tmp_path / "other")
    proc = pallet(other, env, "-v", "sync", "--no-install-project")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr and "[#" not in proc.stderr
    assert "+ big 1.0\n+ small 1.0\n" in proc.stderr
