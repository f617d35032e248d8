"""The only place pallet prints: messages to stderr, results to stdout, colour on a terminal.

Commands report through these functions so that quiet/verbose handling and the terminal check
live in one place. Nothing here imports more than the standard library (it is on the hot path of
every command); the progress line starts its thread lazily.
"""

from __future__ import annotations

import os
import sys
import time

from .envvars import PALLET_NO_PROGRESS

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Sequence
    from typing import TextIO

__all__ = [
    "Progress",
    "colour",
    "error",
    "hint",
    "info",
    "is_verbose",
    "result",
    "set_verbosity",
    "traceback",
    "verbose",
    "warn",
]

_verbosity = 0  # -1 quiet, 0 normal, 1 verbose
_progress: Progress | None = None  # the status line on screen, cleared before any message


def set_verbosity(level: int) -> None:
    """-1 keeps only errors, 0 is normal, 1 adds `verbose` messages."""
    global _verbosity
    _verbosity = level


def is_verbose() -> bool:
    """Whether ``-v`` was given."""
    return _verbosity > 0


def colour(stream: TextIO) -> bool:
    """Whether to colour what goes to `stream`: never with ``NO_COLOR`` (no-color.org: set and
    not empty), always with ``FORCE_COLOR``, else only on a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def _emit(prefix: str, code: str, message: str) -> None:
    stream = sys.stderr
    if prefix and colour(stream):
        prefix = f"\033[{code}m{prefix}\033[0m"
    if _progress is not None:
        _progress.write_above(f"{prefix}{message}\n")
        return
    stream.write(f"{prefix}{message}\n")
    stream.flush()


def info(message: str) -> None:
    """A progress or summary line (stderr)."""
    if _verbosity >= 0:
        _emit("", "", message)


def verbose(message: str) -> None:
    """A detail shown only with ``-v``."""
    if _verbosity > 0:
        _emit("", "", message)


def warn(message: str) -> None:
    """Something the user should know about; the command goes on. ``-q`` hides it."""
    if _verbosity >= 0:
        _emit("warning: ", "1;33", message)


def error(message: str) -> None:
    """Why the command failed (the caller exits non-zero)."""
    _emit("error: ", "1;31", message)


def hint(message: str) -> None:
    """What to do about the error just reported (cyan ``hint:`` on a terminal, as uv's)."""
    _emit("hint: ", "1;36", message)


def traceback(exc: BaseException) -> None:
    """`exc`'s traceback, with ``-v`` only (below the one-line error already printed)."""
    if _verbosity <= 0:
        return
    import traceback as tb

    _emit("", "", "".join(tb.format_exception(type(exc), exc, exc.__traceback__)).rstrip("\n"))


def result(text: str) -> None:
    """Output a script may consume (stdout)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


class Progress:
    """A status display on stderr, redrawn in place while a long step runs.

    Shown only when stderr is a terminal, ``-q`` is not given and ``PALLET_NO_PROGRESS`` is
    unset (or ``0``); otherwise every method does nothing, so piped output stays clean. One
    background thread redraws it every `interval` seconds after the first `delay` (a quick step
    shows nothing); it is erased before any other message and at `stop` (an exception, Ctrl-C
    included, leaves through `__exit__` too, so the error line prints on a clean screen).

    ``status()`` is one line (the time taken is added), cut to the terminal's width. With
    ``lines``, a terminal that can move its cursor (``TERM`` other than ``dumb``) shows
    ``lines(width)`` instead: several lines, each already narrower than `width` (they may carry
    SGR colours: `cli.progress_bars` draws them with rich), redrawn with ANSI cursor-up and
    erase (ECMA-48 CUU, EL, ED). Nothing is drawn before `delay`: a step that ends sooner never
    flickers a display. Use as a context manager.
    """

    def __init__(
        self,
        status: Callable[[], str],
        *,
        lines: Callable[[int], Sequence[str]] | None = None,
        delay: float = 0.2,
        interval: float = 0.1,
    ) -> None:
        self._status = status
        self._lines = lines
        self._delay = delay
        self._interval = interval
        self._stream = sys.stderr
        self._multi = lines is not None and os.environ.get("TERM", "") != "dumb"
        self._shown = 0  # lines on screen; the cursor is at the end of the last one
        self._thread: threading.Thread | None = None
        self._done: threading.Event | None = None
        self._lock: threading.Lock | None = None

    @staticmethod
    def enabled(stream: TextIO) -> bool:
        """Whether a progress line may be drawn on `stream` now."""
        off = os.environ.get(PALLET_NO_PROGRESS, "")
        return _verbosity >= 0 and off in ("", "0") and stream.isatty()

    def __enter__(self) -> Progress:
        global _progress
        if not self.enabled(self._stream):
            return self
        import threading

        self._done, self._lock = threading.Event(), threading.Lock()
        self._thread = threading.Thread(target=self._run, name="pallet-progress", daemon=True)
        _progress = self
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        global _progress
        if self._thread is None or self._done is None:
            return
        self._done.set()
        self._thread.join()
        _progress = None
        self.clear()

    def _run(self) -> None:
        assert self._done is not None
        started = time.monotonic()
        if self._done.wait(self._delay):
            return
        while not self._done.is_set():
            width = self._width()
            if self._multi and self._lines is not None:
                frame = list(self._lines(width))
            else:
                status = f"{self._status()} ({time.monotonic() - started:.1f}s)"
                frame = [status[: max(width - 1, 1)]]
            self._draw(frame)
            self._done.wait(self._interval)

    def _width(self) -> int:
        """The terminal's columns now (it may have been resized), else ``COLUMNS`` or 80."""
        try:
            return os.get_terminal_size(self._stream.fileno()).columns or 80
        except (OSError, ValueError, AttributeError):
            columns = os.environ.get("COLUMNS", "")
            return int(columns) if columns.isdigit() and int(columns) > 0 else 80

    def _home(self) -> str:
        """To the start of the display's first line, erasing from there down."""
        if not self._shown:
            return ""
        if not self._multi:
            return "\r\033[K"
        up = f"\033[{self._shown - 1}A" if self._shown > 1 else ""
        return f"\r{up}\033[J"

    def _draw(self, frame: Sequence[str]) -> None:
        # Every line is shorter than the terminal, so none wraps and the cursor-up count holds.
        assert self._lock is not None
        with self._lock:
            self._stream.write(self._home() + "\n".join(frame))
            self._stream.flush()
            self._shown = len(frame)

    def clear(self) -> None:
        """Erase the display."""
        self.write_above("")

    def write_above(self, text: str) -> None:
        """Erase the display and write `text` in its place; the next redraw comes below it."""
        if self._lock is None:
            self._stream.write(text)
            self._stream.flush()
            return
        with self._lock:
            self._stream.write(self._home() + text)
            self._shown = 0
            self._stream.flush()
