"""What ``pallet sync`` shows while it installs: the downloads under way and the phase after.

`SyncDisplay` is both the `install.fetch.ProgressSink` (downloads, from fetch's worker threads)
and the `install.sync.PhaseSink` (unpacking, building, installing) that `install_lock` reports
to. `frame()` is what it knows at one moment, as data; `cli.progress_bars` draws it with rich
(a bar with bytes and speed for the downloads and for each large file, a count bar per phase, a
spinner while a package builds); a ``TERM=dumb`` terminal gets `status`, one line:

    Downloading 3/7 files, 48.1 MiB / 210.0 MiB, 23.4 MiB/s

The counting is pure (tested on fixed inputs); the clock is injectable for the same reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..install.fetch import Artifact

__all__ = ["BIG_FILE", "MAX_BARS", "FileRow", "Frame", "SyncDisplay", "human_size", "rate"]

#: A download this large gets its own bar. A smaller one takes well under a redraw interval
#: (0.1 s) on any link worth the name, so its bar would only flicker.
BIG_FILE = 1024 * 1024
#: At most this many bars (the largest downloads); the rest are counted on one line.
MAX_BARS = 5
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


def rate(done: int, started: float, last: float, now: float) -> float:
    """Bytes per second: `done` bytes from `started` to `last`, the time they were counted (the
    HTTP client reports a download in 1 MiB pieces: measured to `now`, the speed would sag
    between them); once nothing has come for `STALL` seconds, measured to `now`."""
    end = now if now - last >= STALL else last
    return max(done, 0) / max(end - started, 1e-3)


@dataclass(frozen=True)
class FileRow:
    """One large download under way: its file name, bytes so far, size (None: unknown), speed
    (bytes per second)."""

    name: str
    done: int
    total: int | None
    speed: float


@dataclass(frozen=True)
class Frame:
    """What the display shows at one moment.

    `headline`: the one status line (the phase's count, or the downloads'). While downloading
    (`phase` None and `files` > 0): `finished` of `files` files, `received` of `total` bytes at
    `speed`, a `FileRow` for each of the `MAX_BARS` largest downloads under way and `more` for
    the others. After: `phase` is (label, done, total); total 0 means no count (a build).
    """

    headline: str
    phase: tuple[str, int, int] | None = None
    finished: int = 0
    files: int = 0
    received: int = 0
    total: int = 0
    speed: float = 0.0
    rows: tuple[FileRow, ...] = ()
    more: int = 0


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

    def frame(self) -> Frame:
        """The downloads (the `MAX_BARS` largest under way, each with its speed, then how many
        more) or, after them, the phase."""
        with self._lock:
            state = self._state
            headline = self._headline()
            if state.phase is not None:
                return Frame(headline, phase=state.phase)
            if not state.seen:
                return Frame(headline)
            now = self._clock()
            big = [
                (name, f)
                for name, f in state.files.items()
                if (f.total if f.total is not None else f.done) >= BIG_FILE
            ]
            big.sort(key=lambda item: -(item[1].total or item[1].done))
            rows = tuple(
                FileRow(name, f.done, f.total, rate(f.done, f.started, f.last, now))
                for name, f in big[:MAX_BARS]
            )
            files, received, total, speed = self._totals()
            return Frame(
                headline,
                finished=state.finished,
                files=files,
                received=received,
                total=total,
                speed=speed,
                rows=rows,
                more=len(state.files) - len(rows),
            )

    def _totals(self) -> tuple[int, int, int, float]:
        """Files expected, bytes received, bytes expected, bytes per second: all downloads."""
        state = self._state
        files = max(state.expected, state.seen)
        received = max(state.received, 0)
        started = state.started or 0.0
        speed = rate(received, started, max(state.last, started), self._clock())
        # The lock's sizes where it gives them, else what the servers announced.
        announced = state.finished_bytes + sum(f.total or f.done for f in state.files.values())
        return files, received, max(state.expected_bytes, announced), speed

    def _headline(self) -> str:
        state = self._state
        if state.phase is not None:
            label, done, total = state.phase
            return f"{label} {done}/{total}" if total else label
        if not state.seen:
            return "Preparing packages"
        files, received, total, speed = self._totals()
        return (
            f"Downloading {state.finished}/{files} files, {human_size(received)} / "
            f"{human_size(total)}, {human_size(speed)}/s"
        )
