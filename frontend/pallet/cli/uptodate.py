# ruff: noqa: PTH100, PTH109, PTH113, PTH118, PTH120
"""The fast path of ``pallet lock``: "Lock is up to date" before argparse or ``packaging`` load.

`cli.main` calls `fast_lock` first for ``pallet lock`` with only the options this module knows
(``--project DIR``, ``--offline``, ``-v``, ``-q``); anything else, and any lock that is not
certainly up to date, goes on to the full command (`cli.lock`), which checks again properly.
Only the standard library, `ui` and `lock.stamp` are imported here (tomllib and
`lock.fingerprint` only when pyproject.toml changed since the lock), and paths are
``os.path`` strings: not even pathlib is imported on this path.
"""

from __future__ import annotations

import os
import sys

from .. import ui
from ..errors import LockError
from ..lock.stamp import is_current_unparsed, stored_fingerprint_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["LOCK_FILE", "PYPROJECT", "fast_lock", "is_fresh", "nearest_project"]

LOCK_FILE = "pylock.toml"  # = lock.pylock.LOCK_FILE, repeated to keep the fast path light
PYPROJECT = "pyproject.toml"
_FLAGS = {"-v": 1, "--verbose": 1, "-q": -1, "--quiet": -1, "--offline": 0}


def fast_lock(argv: Sequence[str]) -> int | None:
    """0 after printing "Lock is up to date" when it certainly is; None to run the full command."""
    project: str | None = None
    verbosity = 0
    args = iter(argv)
    seen_lock = False
    for arg in args:
        if arg == "lock" and not seen_lock:
            seen_lock = True
        elif arg in _FLAGS:
            if verbosity and _FLAGS[arg] and _FLAGS[arg] != verbosity:
                return None  # -v with -q: argparse says why
            verbosity = _FLAGS[arg] or verbosity
        elif arg == "--project" and project is None:
            project = next(args, None)
            if project is None:
                return None
        elif arg.startswith("--project=") and project is None:
            project = arg.partition("=")[2]
        else:
            return None
    if not seen_lock:
        return None
    root = os.path.abspath(project) if project is not None else nearest_project(os.getcwd())
    if root is None:
        return None
    if not is_fresh(root):
        return None
    ui.set_verbosity(verbosity)
    ui.info("Lock is up to date")
    return 0


def nearest_project(start: str) -> str | None:
    """The nearest directory from `start` upwards holding a pyproject.toml (None: the full
    command says why there is none)."""
    folder = os.path.realpath(start)
    while True:
        if os.path.isfile(os.path.join(folder, PYPROJECT)):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def is_fresh(root: str) -> bool:
    """pylock.toml in `root` is pallet's own, untouched since written, and was locked from the
    inputs pyproject.toml holds now. Digests only: nothing is normalized, ``packaging`` is not
    imported, and while pyproject.toml keeps the bytes it was locked from, not even TOML is
    parsed. False is "not certain": the full command decides.
    """
    try:
        with open(os.path.join(root, PYPROJECT), "rb") as stream:
            pyproject = stream.read()
        with open(os.path.join(root, LOCK_FILE), encoding="utf-8") as stream:
            lock_text = stream.read()
    except (OSError, UnicodeDecodeError):
        return False
    if is_current_unparsed(lock_text, pyproject):
        return True
    # pyproject.toml changed: was it an input, or only a comment, the version, [tool.ruff]...?
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib

    from ..lock.fingerprint import raw_input_digest

    try:
        raw = tomllib.loads(pyproject.decode("utf-8"))
        stored = stored_fingerprint_of(lock_text, LOCK_FILE)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, LockError):
        return False
    return (
        stored.content_intact
        and bool(stored.raw_inputs)
        and (stored.raw_inputs == raw_input_digest(raw))
    )
