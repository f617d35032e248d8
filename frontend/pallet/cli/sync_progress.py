"""What ``pallet sync`` shows while it installs: the downloads under way and the phase after.

`SyncDisplay` is both the `install.fetch.ProgressSink` (downloads, from fetch's worker threads)
and the `install.sync.PhaseSink` (unpacking, building, installing) that `install_lock` reports
to; `ui.Progress` draws it, from one thread, on a terminal only. On a capable terminal:

    Downloading 3/7 files, 48.1 MiB / 210.0 MiB, 23.4 MiB/s
      torch-2.1.0-cp312-cp3...x86_64.whl [#######-------------] 41.0 MiB / 180.0 MiB  20.3 MiB/s
      and 2 more

then one count line per phase (``Unpacking 20/35``, ``Building demo``, ``Installing 12/35``).
``TERM=dumb`` gets `status`, one line. The formatting functions are pure (tested on fixed
inputs); the clock is injectable for the same reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..install.fetch import Artifact

__all__ = [
    "BIG_FILE",
    "MAX_BARS",
    "SyncDisplay",
    "bar",
    "file_line",
    "human_size",
    "rate",
    "shorten",
]

#: A download this large gets its own bar. A smaller one takes well under a redraw interval
#: (0.1 s) on any link worth the name, so its bar would only flicker.
BIG_FILE = 1024 * 1024
#: At most this many bars (the largest downloads); the rest are counted on one line.
MAX_BARS = 5
BAR_WIDTH = 20
#: A file's name keeps at least this many characters before its line drops the bar or speed.
NAME_ROOM = 12
#: Seconds without a byte after which a speed counts the wait.
STALL = 2.0


def human_size(n: float) -> str:
    """Bytes in binary units: ``512 B``, ``1.5 KiB``, ``210.0 MiB``, ``2.0 GiB``."""
    n = max(n, 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """``[#####---------]``: `width` cells between the brackets, `fraction` of them filled
    (clamped to 0..1, rounded down, so only a finished file shows a full bar)."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = int(fraction * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def shorten(name: str, width: int) -> str:
    """`name` in at most `width` characters: the middle gives way to ``...`` (a wheel's name
    starts with the project and ends with its tags: both ends say the most)."""
    if len(name) <= width:
        return name
    if width <= 3:
        return name[:width]
    keep = width - 3
    head = (keep + 1) // 2
    return name[:head] + "..." + name[len(name) - (keep - head) :]


def file_line(name: str, done: int, total: int | None, speed: float, width: int) -> str:
    """One download's line, at most ``width - 1`` characters: the name (shortened to fit), a
    bar (when the size is known), bytes done / total, and speed; on a narrow terminal the bar
    goes first, then the speed, before the name gets shorter than `NAME_ROOM`."""
    sizes = f" {human_size(done)} / {human_size(total)}" if total else f" {human_size(done)}"
    speed_text = f"  {human_size(speed)}/s"
    tails = [sizes + speed_text, sizes]
    if total:
        tails.insert(0, f" {bar(done / total)}{sizes}{speed_text}")
    room = width - 1 - 2  # the line's indent
    tail = next((t for t in tails if room - len(t) >= NAME_ROOM), tails[-1])
    return f"  {shorten(name, max(room - len(tail), 8))}{tail}"[: max(width - 1, 1)]


def rate(done: int, started: float, last: float, now: float) -> float:
    """Bytes per second: `done` bytes from `started` to `last`, the time they were counted (the
    HTTP client reports a download in 1 MiB pieces: measured to `now`, the speed would sag
    between them); once nothing has come for `STALL` seconds, measured to `now`."""
    end = now if now - last >= STALL else last
    return max(done, 0) / max(end - started, 1e-3)


@dataclass
class _File:
    total: int | None
    started: float
    last: float  # when bytes last came
    done: int = 0


@dataclass
class _State:
    expected: int = 0  # files fetch will get (told by `downloading`)
    expected_bytes: int = 0  # their sizes, where the lock gives them
    started: float | None = None  # the first download's start
    last: float = 0.0  # when bytes last came, any file
    files: dict[str, _File] = field(default_factory=dict)  # under way, by filename
    finished: int = 0
    finished_bytes: int = 0  # of files now finished (their sizes as downloaded)
    seen: int = 0  # files started
    received: int = 0  # bytes, all files
    phase: tuple[str, int, int] | None = None


class SyncDisplay:
    """Downloads and phases of one ``pallet sync``, as lines for `ui.Progress`. Every method
    may be called from any thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state = _State()

    # -- install.sync.PhaseSink ----------------------------------------------------------
    def downloading(self, artifacts: Sequence[Artifact]) -> None:
        with self._lock:
            self._state.expected = len(artifacts)
            self._state.expected_bytes = sum(a.size or 0 for a in artifacts)

    def phase(self, label: str, done: int, total: int) -> None:
        with self._lock:
            self._state.phase = (label, done, total)

    # -- install.fetch.ProgressSink ------------------------------------------------------
    def start(self, artifact: Artifact, total: int | None) -> None:
        with self._lock:
            state = self._state
            now = self._clock()
            if state.started is None:
                state.started = now
            state.seen += 1
            state.files[artifact.filename] = _File(total, now, now)

    def advance(self, artifact: Artifact, nbytes: int) -> None:
        with self._lock:
            now = self._clock()
            self._state.received += nbytes  # negative: a server sent the file again
            self._state.last = now
            file = self._state.files.get(artifact.filename)
            if file is not None:
                file.done += nbytes
                file.last = now

    def finish(self, artifact: Artifact) -> None:
        with self._lock:
            state = self._state
            state.finished += 1
            file = state.files.pop(artifact.filename, None)
            if file is not None:
                state.finished_bytes += file.done

    # -- what ui.Progress draws ----------------------------------------------------------
    def status(self) -> str:
        """One line: the phase's count, or the downloads' (a dumb terminal's display)."""
        with self._lock:
            return self._headline()

    def lines(self, width: int) -> list[str]:
        """The overall line, then a line per large download under way (the `MAX_BARS` largest,
        then ``and K more``); after the downloads, the phase's count line alone."""
        with self._lock:
            state = self._state
            out = [self._headline()]
            if state.phase is not None or not state.files:
                return out
            now = self._clock()
            big = [
                (name, f)
                for name, f in state.files.items()
                if (f.total if f.total is not None else f.done) >= BIG_FILE
            ]
            big.sort(key=lambda item: -(item[1].total or item[1].done))
            for name, f in big[:MAX_BARS]:
                speed = rate(f.done, f.started, f.last, now)
                out.append(file_line(name, f.done, f.total, speed, width))
            more = len(state.files) - min(len(big), MAX_BARS)
            if more and len(out) > 1:
                out.append(f"  and {more} more")
            return out

    def _headline(self) -> str:
        state = self._state
        if state.phase is not None:
            label, done, total = state.phase
            return f"{label} {done}/{total}" if total else label
        if not state.seen:
            return "Preparing packages"
        files = max(state.expected, state.seen)
        received = max(state.received, 0)
        started = state.started or 0.0
        speed = rate(received, started, max(state.last, started), self._clock())
        # The lock's sizes where it gives them, else what the servers announced.
        announced = state.finished_bytes + sum(f.total or f.done for f in state.files.values())
        total = max(state.expected_bytes, announced)
        return (
            f"Downloading {state.finished}/{files} files, {human_size(received)} / "
            f"{human_size(total)}, {human_size(speed)}/s"
        )
