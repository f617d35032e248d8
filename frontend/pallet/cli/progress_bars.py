"""pallet's progress bars, drawn by rich: the lines `ui.Progress` puts on a terminal.

`FrameLines` draws ``pallet sync``'s display (`sync_progress.Frame`): while downloading, a bar
with the percentage, bytes received of the total and the speed for all files, then one for each
large file under way; then a count bar per phase (``Unpacking 12/35``, ``Installing 12/35``), or a
spinner while a package builds. `SpinnerLines` is a spinner and a text (``pallet build``).

rich is imported by the first frame drawn, in `ui.Progress`'s thread, once the step has lasted
the display's delay: a step that ends sooner imports nothing, and the fast no-op paths of
``pallet sync``/``run``/``lock`` never come here. ``NO_COLOR`` (no-color.org) removes the colour,
not the bars: they are drawn in the terminal's own colour (rich then omits a bar's unfilled
part). A terminal whose encoding is not UTF-8 gets ASCII bars and spinner.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import ui
from .sync_progress import Frame, human_size

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

__all__ = ["BAR_WIDTH", "LABEL_ROOM", "MIN_BAR", "FrameLines", "SpinnerLines"]

#: Cells of a bar, at most; a narrow terminal gets shorter ones (`MIN_BAR` at least) before the
#: labels get shorter than `LABEL_ROOM`.
BAR_WIDTH = 30
MIN_BAR = 10
LABEL_ROOM = 24


class _Painter:
    """Renders rich renderables to lines of text with ANSI styles, `width` columns at most."""

    def __init__(self) -> None:
        self._colour = ui.colour(sys.stderr)
        encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
        self.ascii = not encoding.lower().replace("-", "").startswith("utf")
        self._console: Console | None = None
        self._buffer: io.StringIO | None = None

    def lines(self, renderable: RenderableType, width: int) -> list[str]:
        from rich.console import Console

        if self._console is None or self._console.width != width:
            self._buffer = _Buffer("ascii" if self.ascii else "utf-8")
            self._console = Console(
                file=self._buffer,
                width=width,
                force_terminal=True,
                color_system="standard" if self._colour else None,
                no_color=not self._colour,
                highlight=False,
                emoji=False,
                legacy_windows=False,
            )
        assert self._buffer is not None
        self._buffer.seek(0)
        self._buffer.truncate()
        self._console.print(renderable, crop=True, no_wrap=True, overflow="ellipsis")
        return [line.rstrip(" ") for line in self._buffer.getvalue().splitlines()]


class _Buffer(io.StringIO):
    """A string buffer that tells rich which encoding the real terminal has."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


class SpinnerLines:
    """``lines(width)`` for `ui.Progress`: a spinner and `text()` (what is being built)."""

    def __init__(self, text: Callable[[], str]) -> None:
        self._text = text
        self._painter = _Painter()
        self._spinner: Any = None

    def __call__(self, width: int) -> list[str]:
        return self._painter.lines(self.renderable(self._text()), max(width - 1, 1))

    def renderable(self, text: str) -> RenderableType:
        from rich.spinner import Spinner
        from rich.text import Text

        if self._spinner is None:
            self._spinner = Spinner("line" if self._painter.ascii else "dots", style="cyan")
        self._spinner.update(text=Text(text, overflow="ellipsis", no_wrap=True))
        renderable: RenderableType = self._spinner.render(time.monotonic())
        return renderable


class FrameLines:
    """``lines(width)`` for `ui.Progress`: `frame()` drawn with rich bars (or a spinner)."""

    def __init__(self, frame: Callable[[], Frame]) -> None:
        self._frame = frame
        self._painter = _Painter()
        self._spinner = SpinnerLines(str)
        self._spinner._painter = self._painter

    def __call__(self, width: int) -> list[str]:
        width = max(width - 1, 1)
        return self._painter.lines(self.renderable(self._frame(), width), width)

    def renderable(self, frame: Frame, width: int) -> RenderableType:
        """`frame` as rich draws it in `width` columns."""
        if frame.phase is not None:
            label, done, total = frame.phase
            if not total:  # a build: no count to show
                return self._spinner.renderable(label)
            return self._grid([(label, done, total, f"{done}/{total}", "")], width)
        if not frame.files:
            return self._spinner.renderable(frame.headline)
        size = frame.total or None
        rows: list[_Row] = [
            (
                f"Downloading {frame.finished}/{frame.files} files",
                frame.received,
                size,
                _sizes(frame.received, size),
                f"{human_size(frame.speed)}/s",
            )
        ]
        for row in frame.rows:
            speed = f"{human_size(row.speed)}/s"
            rows.append((f"  {row.name}", row.done, row.total, _sizes(row.done, row.total), speed))
        grid = self._grid(rows, width)
        if frame.more and frame.rows:
            grid.add_row(f"  and {frame.more} more")
        return grid

    @staticmethod
    def _grid(rows: list[_Row], width: int) -> Table:
        """One line per row: the label, a bar, its percentage, the counts, the speed. The label
        gives way first (cut with an ellipsis); a terminal narrower still crops the line."""
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        counts = max(len(row[3]) for row in rows)
        speeds = max(len(row[4]) for row in rows)
        longest = max(len(row[0]) for row in rows)
        rest = width - (1 + 4 + 1 + counts + 1 + speeds + 1 + 1)  # label and bar share this
        bar_width = min(max(rest - min(longest, LABEL_ROOM), MIN_BAR), BAR_WIDTH)
        label = min(max(rest - bar_width, 8), longest)
        grid = Table.grid(padding=(0, 1, 0, 0))
        grid.add_column(no_wrap=True, overflow="ellipsis", width=label)
        grid.add_column(no_wrap=True, width=bar_width)
        grid.add_column(no_wrap=True, width=4, justify="right")
        grid.add_column(no_wrap=True, width=counts, justify="right")
        grid.add_column(no_wrap=True, width=speeds, justify="right")
        for text, done, total, count, speed in rows:
            # An unknown total pulses (rich's indeterminate bar).
            bar = ProgressBar(total=total, completed=max(done, 0), width=bar_width)
            percent = f"{min(max(done, 0) * 100 // total, 100)}%" if total else ""
            grid.add_row(text, bar, percent, count, speed)
        return grid


#: A bar's row: label, done, total (None: unknown), the counts' text, the speed's text.
_Row = tuple[str, int, "int | None", str, str]


def _sizes(done: int, total: int | None) -> str:
    """``1.2 MiB / 2.5 MiB`` (binary units, as the one-line status), or just the bytes so far."""
    if total:
        return f"{human_size(done)} / {human_size(total)}"
    return human_size(done)
