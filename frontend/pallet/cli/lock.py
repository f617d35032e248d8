"""``pallet lock``: resolve the project for every environment and write pylock.toml (PEP 751).

Fast path: when pylock.toml is pallet's own, untouched since it was written, and was locked from
the very inputs pyproject.toml holds now (raw digests, see `lock.fingerprint`), and no upgrade is
asked, `cli.uptodate.fast_lock` answers before argparse is imported, after parsing
pyproject.toml and the lock's ``[tool.pallet]`` tail; only the standard library is imported there.
Everything else takes this module's full path, which reads and validates the project and the lock.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from .. import ui
from ..errors import LockError, PalletError
from ..lock.stamp import StoredFingerprint, read_stored_fingerprint
from .lock_inputs import input_flags
from .uptodate import LOCK_FILE, PYPROJECT

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any, Union

    from packaging.utils import NormalizedName
    from packaging.version import Version

    from ..lock.model import Lock
    from ..project.model import ProjectSpec

__all__ = ["ROUTES_LOGGING", "add_parser", "locate", "read_lock_spec", "run", "workspace_root"]

#: cli.main leaves routing library logs to this command (not on the fast path: see run)
ROUTES_LOGGING = True

if TYPE_CHECKING:
    Upgrade = Union[bool, frozenset[NormalizedName]]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``pallet lock`` on the top-level sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "lock",
        epilog=(
            "examples:\n"
            "  pallet lock\n"
            "  pallet lock --check\n"
            "  pallet lock --upgrade-package requests\n"
            "  pallet lock --exclude-newer '7 days'"
        ),
        help="resolve the project and write pylock.toml",
        description=(
            "Resolve the project's dependencies, extras and dependency groups for every "
            "supported environment and write pylock.toml (PEP 751). Versions already in "
            "pylock.toml are kept unless an upgrade is asked."
        ),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if pylock.toml is missing or out of date; never write it",
    )
    parser.add_argument(
        "-U",
        "--upgrade",
        action="store_true",
        help="ignore the versions in pylock.toml and pick the newest allowed ones",
    )
    parser.add_argument(
        "-P",
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="let this package (and only it) move to its newest allowed version; repeatable",
    )
    parser.add_argument(
        "--exclude-newer",
        metavar="WHEN",
        default=None,
        help="ignore files uploaded at or after WHEN (timestamp, date or duration such as "
        "'7 days'); replaces [tool.pallet.resolution] exclude-newer, so it is a lock input",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use only cached index pages and files; no network",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="resolve again (keeping the locked versions) with every cached index page "
        "revalidated, even one still fresh; --upgrade and --upgrade-package revalidate too",
    )
    parser.add_argument(
        "--no-build",
        action="store_true",
        help="lock only wheels: never run a build backend (as no-build = true)",
    )
    parser.add_argument(
        "--no-binary",
        action="store_true",
        help="lock only sdists: never use wheels (as no-binary = true)",
    )
    parser.add_argument(
        "--project",
        metavar="DIR",
        type=Path,
        default=None,
        help="the project directory (default: the nearest one holding pyproject.toml)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``pallet lock``; user problems raise `PalletError` (the caller prints them)."""
    started = time.perf_counter()
    if args.check and (args.upgrade or args.upgrade_package):
        raise PalletError("--check cannot be combined with --upgrade or --upgrade-package")
    # An up-to-date lock was answered before argparse (`cli.main` -> `uptodate.fast_lock`); what
    # reaches this point takes the full path, which finds an up-to-date lock by fingerprint too.
    root = workspace_root(args.project) if args.project else None
    return _run_full(args, root, started)


def workspace_root(start: Path | None) -> Path:
    """The folder a command locks from `start` (default: here): the workspace root when it is
    inside a workspace member (`project.locate.find_root`), else the nearest project."""
    from ..project.pyproject import find_project_root

    if start is not None and not (start / PYPROJECT).is_file():
        return start.resolve()  # --project DIR names the folder: it says what is missing there
    found = locate(start)
    return found[0] if found is not None else find_project_root(start or Path.cwd())


def locate(start: Path | None) -> tuple[Path, Path] | None:
    """``(root, project)`` from `start` (default: here): `project.locate.find_root`."""
    from ..project.locate import find_root

    found = find_root(str(start if start is not None else Path.cwd()))
    return (Path(found[0]), Path(found[1])) if found is not None else None


def read_lock_spec(root: Path) -> ProjectSpec:
    """The spec `root`'s lock resolves: a workspace's merged one (`project.workspace`), else
    the project's."""
    from ..project.pyproject import read_project
    from ..project.workspace import read_workspace, workspace_spec

    workspace = read_workspace(root)
    return workspace_spec(workspace) if workspace is not None else read_project(root)


def _run_full(args: argparse.Namespace, root: Path | None, started: float) -> int:
    """Everything but the fast path: read and validate the project, then check or lock."""
    from .main import route_logging

    route_logging(getattr(args, "verbose", False))
    import dataclasses

    from packaging.utils import canonicalize_name

    from ..lock.fingerprint import compute_fingerprint, input_digests, raw_input_digest
    from ..lock.python_floor import with_python_floor
    from ..lock.stamp import pyproject_digest
    from ..project.locate import input_bytes
    from ..project.pyproject import load_toml
    from .lock_inputs import (
        exclude_newer_cutoffs,
        preferences_of,
        with_build_flags,
        with_exclude_newer,
    )
    from .lock_resolve import resolve

    root = root or workspace_root(None)
    spec = with_build_flags(read_lock_spec(root), args)
    if args.exclude_newer is not None:
        spec = with_exclude_newer(spec, args.exclude_newer)
    raw = load_toml(root / PYPROJECT, PYPROJECT)
    # a workspace's lock covers every member's pyproject.toml too (`project.locate`)
    pyproject_bytes = pyproject_digest(input_bytes(str(root)) or b"")
    if input_flags(args):
        pyproject_bytes = ""  # the flags are inputs too: no fast path for this lock
    lock_path = root / LOCK_FILE
    stored: StoredFingerprint | None = None
    unreadable: LockError | None = None
    try:
        stored = read_stored_fingerprint(lock_path)
    except LockError as exc:
        unreadable = exc
    try:  # no requires-python: pallet picks a floor and says which (lock.python_floor)
        floor = with_python_floor(spec, raw, stored.inferred_requires_python if stored else "")
    except PalletError:
        if not args.check:
            raise
        floor = None  # --check: no floor to be found; the comparison below says what is wrong
    inferred = ""
    if floor is not None:
        spec, inferred = floor.spec, floor.inferred.specifier
        if not args.check:
            where = "no workspace member sets it" if spec.workspace_members else "is not set"
            ui.warn(
                f"[project] requires-python {where}; locking for {inferred}, "
                f"{floor.inferred.reason}; set requires-python in pyproject.toml to choose"
            )
    fingerprint = compute_fingerprint(spec)

    if args.check:
        return _check(lock_path, spec, fingerprint, stored, unreadable)
    _ensure_writable(root, lock_path)  # before resolving, not after
    upgrade: Upgrade = (
        True
        if args.upgrade
        else frozenset(canonicalize_name(n) for n in args.upgrade_package) or False
    )
    intact = stored is not None and stored.content_intact
    previous, conflicted = _read_previous(lock_path, unreadable, trusted=intact)
    # a workspace: no raw digest (it would cover the root alone); the full path decides
    raw_digest = "" if input_flags(args) or spec.workspace_members else raw_input_digest(raw)
    refresh = bool(getattr(args, "refresh", False))
    if previous is not None and stored is not None and not upgrade and not refresh:
        if stored.content_intact and stored.fingerprint == fingerprint:
            # Only the spelling of the inputs changed: record it so the next run is fast.
            _restamp(
                dataclasses.replace(
                    previous,
                    raw_inputs=raw_digest,
                    pyproject_digest=pyproject_bytes,
                    inferred_requires_python=inferred,
                    input_digests=input_digests(spec),
                ),
                lock_path,
            )
            ui.info("Lock is up to date")
            return 0
        if not stored.content_intact and stored.fingerprint == fingerprint and not conflicted:
            ui.info(f"{LOCK_FILE} was changed since pallet wrote it; locking again")
    preferences = preferences_of(previous)
    if isinstance(upgrade, frozenset):
        for name in sorted(upgrade - set(preferences)):
            ui.warn(f"--upgrade-package {name}: {name} is not locked in {LOCK_FILE}")
    cutoffs = exclude_newer_cutoffs(spec, previous, upgrade)
    lock = resolve(
        spec,
        fingerprint,
        preferences,
        upgrade,
        offline=args.offline,
        # asking for newer versions, or a refresh: no page is trusted for its freshness alone
        refresh=refresh or bool(upgrade),
        cutoffs=cutoffs,
        known=previous,
    )
    lock = dataclasses.replace(
        lock,
        raw_inputs=raw_digest,
        pyproject_digest=pyproject_bytes,
        inferred_requires_python=inferred,
    )

    from ..lock.pylock import write_lock

    try:
        write_lock(lock, lock_path)
    except OSError as exc:  # checked before resolving, but the folder may have changed since
        raise PalletError(f"{lock_path}: cannot be written: {exc.strerror or exc}") from exc
    elapsed = time.perf_counter() - started
    count = len(lock.packages)
    ui.info(f"Locked {count} package{'s' if count != 1 else ''} in {elapsed:.2f}s")
    changes = _changes(previous, lock)
    if previous is None:  # a first lock: the list is the whole lock; only -v shows it
        for line in changes:
            ui.verbose(line)
    else:
        for line in changes:
            ui.info(line)
    return 0


def _ensure_writable(root: Path, lock_path: Path) -> None:
    """Fail before resolving when pylock.toml cannot be written (a folder, a read-only
    project directory): a one-line error, not a traceback after the whole resolution."""
    import tempfile

    if lock_path.is_dir():
        raise PalletError(f"{lock_path}: is a folder, not a lock file; move it away")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{LOCK_FILE}.", suffix=".probe", dir=root)
    except OSError as exc:
        raise PalletError(
            f"{root}: cannot write {LOCK_FILE} in this folder: {exc.strerror or exc}"
        ) from exc

    os.close(fd)
    Path(probe).unlink()


def _restamp(lock: Lock, lock_path: Path) -> None:
    """Rewrite pylock.toml with new [tool.pallet] digests; the packages stay byte-identical."""
    from ..lock.pylock import write_lock

    try:
        write_lock(lock, lock_path)
    except OSError as exc:
        raise PalletError(f"{lock_path}: cannot be written: {exc.strerror or exc}") from exc


def _check(
    lock_path: Path,
    spec: ProjectSpec,
    fingerprint: str,
    stored: StoredFingerprint | None,
    unreadable: LockError | None,
) -> int:
    """``--check``: say what is stale and exit 1 (via `LockError`), or 0 when up to date."""
    from ..lock.fingerprint import input_digests, stale_sections

    if unreadable is not None:
        # A folder in the lock's place: the message says to move it; pallet lock cannot.
        rewrite = None if lock_path.is_dir() else "run `pallet lock` to rewrite it"
        raise LockError(str(unreadable), hint=rewrite)
    if stored is None:
        raise LockError(
            f"{LOCK_FILE} does not exist in {lock_path.parent}", hint="run `pallet lock`"
        )
    if stored.fingerprint != fingerprint:
        changed = stale_sections(stored.input_digests, input_digests(spec))
        what = ", ".join(changed) if changed else "the lock inputs"
        raise LockError(
            f"{LOCK_FILE} is out of date: {what} changed since it was locked",
            hint="run `pallet lock`",
        )
    from ..lock.validate import validate_lock  # --check also proves the file is valid PEP 751

    problems = validate_lock(lock_path)
    if problems:
        # validate_lock's own problems name no file; a read error already starts with its name
        lines = [p if p.startswith(f"{LOCK_FILE}:") else f"{LOCK_FILE}: {p}" for p in problems]
        raise LockError(
            "\n".join(lines) + f"\n{LOCK_FILE} is not valid PEP 751; rewrite it with `pallet lock`"
        )
    ui.info("Lock is up to date")
    return 0


def _read_previous(
    lock_path: Path, unreadable: LockError | None, *, trusted: bool = False
) -> tuple[Lock | None, bool]:
    """The existing lock, for its pins, and whether it was pieced together from git's conflict
    markers (`_merge_conflicted`, said in a warning); one that does not parse or breaks PEP 751
    otherwise is ignored with a one-line warning saying why (pallet lock is the command that
    rewrites it). ``trusted``: its content digest is intact, so packaging.pylock's cross-check
    is skipped."""
    from ..lock.pylock import read_lock

    problem = unreadable
    if problem is None:
        if not lock_path.exists():
            return None, False
        try:
            return read_lock(lock_path, trusted=trusted), False
        except LockError as exc:
            problem = exc
    merged = _merge_conflicted(lock_path)
    if merged is not None:
        ui.warn(
            f"{LOCK_FILE} has merge conflict markers; locking again, keeping the pins of both "
            "sides (the first side's where they differ)"
        )
        return merged, True
    lines = str(problem).splitlines()
    more = f" (and {len(lines) - 1} more problems)" if len(lines) > 1 else ""
    ui.warn(f"{lines[0]}{more}; locking again from scratch (its pins are not kept)")
    return None, False


def _merge_conflicted(lock_path: Path) -> Lock | None:
    """A lock left with git's conflict markers (`lock.conflicts`): its first side, plus the
    packages only the other side holds, as the pins to keep; None when it has no markers or
    neither side is a valid lock."""
    import dataclasses

    from ..lock.conflicts import conflict_sides
    from ..lock.pylock import loads_lock

    try:
        sides = conflict_sides(lock_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    if sides is None:
        return None
    locks = []
    for side in sides:
        try:
            locks.append(loads_lock(side))
        except LockError:
            continue
    if not locks:
        return None
    first = locks[0]
    names = {p.name for p in first.packages}
    more = tuple(p for other in locks[1:] for p in other.packages if p.name not in names)
    return dataclasses.replace(first, packages=first.packages + more)


def _changes(previous: Lock | None, lock: Lock) -> list[str]:
    """``Added x 1.0``, ``Updated y 1.0 -> 2.0``, ``Removed z 3.0`` lines, by name."""
    before = _versions(previous)
    after = _versions(lock)
    lines = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, ""), after.get(name, "")
        if not old:
            lines.append(f"Added {name} {new}")
        elif not new:
            lines.append(f"Removed {name} {old}")
        elif old != new:
            lines.append(f"Updated {name} {old} -> {new}")
    return lines


def _versions(lock: Lock | None) -> dict[str, str]:
    out: dict[str, list[Version]] = {}  # Version objects sort numerically
    for package in lock.packages if lock else ():
        out.setdefault(package.name, []).append(package.version)
    return {name: ", ".join(str(v) for v in sorted(set(vs))) for name, vs in out.items()}
