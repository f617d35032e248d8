# ruff: noqa: PTH109, PTH113, PTH118
"""The fast paths of ``pallet lock`` and ``pallet sync``: answered before argparse or ``packaging``.

`cli.main` calls `fast_lock` first for ``pallet lock`` with only the options this module knows
(``--project DIR``, ``--offline``, ``-v``, ``-q``); anything else, and any lock that is not
certainly up to date, goes on to the full command (`cli.lock`), which checks again properly.
Only the standard library, `ui` and `lock.stamp` are imported here (tomllib and
`lock.fingerprint` only when pyproject.toml changed since the lock), and paths are
``os.path`` strings: not even pathlib is imported on this path.

`fast_sync` does the same for ``pallet sync``: the lock is fresh (as above) and the environment's
stamp (`install.stamp`) matches the lock, the project, the interpreter and the flags;
`fast_sync_state` is the check itself, which ``pallet run`` shares.
"""

from __future__ import annotations

import os
import sys

from .. import ui
from ..errors import LockError
from ..install.stamp import selection_text
from ..lock.stamp import is_current_unparsed, stored_fingerprint_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "LOCK_FILE",
    "PYPROJECT",
    "fast_lock",
    "fast_sync",
    "fast_sync_state",
    "is_fresh",
    "nearest_project",
    "selection_text",
]

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
    root = _project_root(project)
    if root is None:
        return None
    if not is_fresh(root):
        return None
    ui.set_verbosity(verbosity)
    ui.info("Lock is up to date")
    return 0


def _project_root(project: str | None) -> str | None:
    """``--project DIR``'s folder (the workspace's root when it is a member; None when it holds
    no pyproject.toml: the full command says so), else the one around the current folder."""
    if project is not None and not os.path.isfile(os.path.join(project, PYPROJECT)):
        return None
    return nearest_project(project if project is not None else os.getcwd())


def nearest_project(start: str) -> str | None:
    """The folder a command works in from `start`: the workspace root when `start` is inside a
    workspace member, else the nearest directory upwards holding a pyproject.toml
    (`project.locate.find_root`; None: the full command says why there is none)."""
    from ..project.locate import find_root

    found = find_root(start)
    return found[0] if found is not None else None


def is_fresh(root: str) -> bool:
    """pylock.toml in `root` is pallet's own, untouched since written, and was locked from the
    inputs pyproject.toml holds now. Digests only: nothing is normalized, ``packaging`` is not
    imported, and while pyproject.toml keeps the bytes it was locked from, not even TOML is
    parsed. False is "not certain": the full command decides.
    """
    from ..project.locate import input_bytes

    pyproject = input_bytes(root)  # a workspace's: the root's and every member's
    if pyproject is None:
        return False
    try:
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


# -- pallet sync (and pallet run) -------------------------------------------------------------

_SYNC_SWITCHES = {
    "--all-extras": "all-extras",
    "--no-dev": "no-dev",
    "--inexact": "inexact",
    "--no-install-project": "no-install-project",
    "--frozen": "frozen",
    "--locked": "locked",
    "--offline": "offline",
    "--force-variant": "force-variant",
    "--all-packages": "all-packages",  # a workspace's default
}
_SYNC_LISTS = {
    "--extra": "extra",
    "--group": "group",
    "--no-group": "no-group",
    "--only-group": "only-group",
    "--package": "package",
}


def fast_sync_state(
    project_dir: str, venv: str, selection: str, *, frozen: bool = False, request: str = ""
) -> bool:
    """The environment at `venv` holds what ``<project_dir>/pylock.toml`` selects for
    `selection` (`install.stamp.selection_text`; ``selection_text()`` for a plain ``pallet
    sync``), as the last sync left it, and (unless `frozen`) the lock is up to date for
    pyproject.toml. `request` is ``--python``'s: the last sync must have had the same one.
    Standard library only; False is "not certain": sync properly."""
    from ..install.stamp import stamp_matches

    if stamp_matches(project_dir, venv, selection, request=request) is None:
        return False
    return frozen or is_fresh(project_dir)


def fast_sync(argv: Sequence[str]) -> int | None:
    """0 when ``pallet sync`` has nothing to do (stamp, lock and project unchanged); None to run
    the full command. Only plain forms are answered here: ``--lock``,
    ``--dry-run`` and anything unknown take the full path."""
    import time

    from ..install.stamp import SYNC_STAMP, read_stamp

    started = time.perf_counter()
    verbosity = 0
    project: str | None = None
    request = ""
    variant: str | None = None
    lists: dict[str, list[str]] = {v: [] for v in _SYNC_LISTS.values()}
    switches: set[str] = set()
    seen_sync = False
    args = iter(argv)
    for arg in args:
        if arg == "sync" and not seen_sync:
            seen_sync = True
        elif arg in ("-v", "--verbose", "-q", "--quiet"):
            if verbosity and _FLAGS[arg] != verbosity:
                return None
            verbosity = _FLAGS[arg]
        elif arg in _SYNC_SWITCHES:
            switches.add(_SYNC_SWITCHES[arg])
        elif arg in _SYNC_LISTS or arg in ("--project", "--python", "--variant"):
            value = next(args, None)
            if value is None or value.startswith("-") or (arg == "--python" and request):
                return None
            if arg == "--project":
                project = value
            elif arg == "--python":
                request = value
            elif arg == "--variant":
                if variant is not None:
                    return None
                variant = value
            else:
                lists[_SYNC_LISTS[arg]].append(value)
        else:
            return None
    if not seen_sync or (lists["only-group"] and (lists["group"] or "no-dev" in switches)):
        return None
    if {"frozen", "locked"} <= switches or (lists["package"] and "all-packages" in switches):
        return None  # argparse, or the full command, says why
    root = _project_root(project)
    if root is None:
        return None
    venv = os.path.join(root, ".venv")
    from .variant_stamp import fast_variant_extras

    extras = fast_variant_extras(
        venv, lists["extra"], variant, "force-variant" in switches, os.environ, detect=True
    )
    if extras is None:
        return None
    text = selection_text(
        extras=extras,
        all_extras="all-extras" in switches,
        groups=lists["only-group"] or None,
        add_groups=lists["group"],
        no_groups=lists["no-group"] + (["dev"] if "no-dev" in switches else []),
        exact="inexact" not in switches,
        install_project="no-install-project" not in switches
        and not lists["only-group"]
        and not lists["package"],
        packages=lists["package"] or None,
    )
    if not fast_sync_state(root, venv, text, frozen="frozen" in switches, request=request):
        return None
    ui.set_verbosity(verbosity)
    stamp = read_stamp(os.path.join(venv, SYNC_STAMP)) or {}
    count = stamp.get("packages", "?")
    elapsed = time.perf_counter() - started
    chosen = f"; variant {stamp['variant']}" if stamp.get("variant") else ""
    ui.info(f"Audited {count} package{'' if count == '1' else 's'} in {elapsed:.3f} s{chosen}")
    return 0
