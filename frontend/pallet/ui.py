"""The only place pallet prints: messages to stderr, results to stdout, colour on a terminal.

Commands report through these functions so that quiet/verbose handling and the terminal check
live in one place. Nothing here imports more than the standard library (it is on the hot path of
every command).
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

__all__ = ["error", "info", "result", "set_verbosity", "verbose", "warn"]

_verbosity = 0  # -1 quiet, 0 normal, 1 verbose


def set_verbosity(level: int) -> None:
    """-1 keeps only warnings and errors, 0 is normal, 1 adds `verbose` messages."""
    global _verbosity
    _verbosity = level


def _colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def _emit(prefix: str, code: str, message: str) -> None:
    stream = sys.stderr
    if prefix and _colour(stream):
        prefix = f"\033[{code}m{prefix}\033[0m"
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
    """Something the user should know about; the command goes on."""
    _emit("warning: ", "1;33", message)


def error(message: str) -> None:
    """Why the command failed (the caller exits non-zero)."""
    _emit("error: ", "1;31", message)


def result(text: str) -> None:
    """Output a script may consume (stdout)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
