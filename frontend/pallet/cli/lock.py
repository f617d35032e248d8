"""``pallet lock``: resolve the project for every environment and write pylock.toml (PEP 751).

Fast path: when pylock.toml is pallet's own, untouched since it was written, and was locked from
the very inputs pyproject.toml holds now (raw digests, see `lock.fingerprint`), and no upgrade is
asked, the command stops after parsing pyproject.toml and the lock's ``[tool.pallet]`` tail. It
imports only the standard library there: not ``packaging``, the index client or the resolver.
Everything else takes the full path, which reads and validates the project and the lock.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from .. import ui
from ..errors import LockError, PalletError, ResolutionError
from ..lock.stamp import StoredFingerprint, read_stored_fingerprint
from .uptodate import LOCK_FILE, PYPROJECT, is_fresh, nearest_project

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any, Union

    from packaging.utils import NormalizedName
    from packaging.version import Version

    from ..index.client import IndexClient
    from ..lock.model import Lock, LockedPackage
    from ..project.model import ProjectSpec
    from ..resolve.preferences import Pin, Preferences

__all__ = ["ROUTES_LOGGING", "add_parser", "run"]

#: cli.main leaves routing library logs to this command (not on the fast path: see run)
ROUTES_LOGGING = True

if TYPE_CHECKING:
    Upgrade = Union[bool, frozenset[NormalizedName]]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``pallet lock`` on the top-level sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "lock",
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
    root = args.project.resolve() if args.project else None
    refresh = bool(getattr(args, "refresh", False))
    if not (args.check or args.upgrade or args.upgrade_package or refresh or _input_flags(args)):
        found = str(root) if root else nearest_project(str(Path.cwd()))
        if found and is_fresh(found):
            ui.info("Lock is up to date")
            return 0
    return _run_full(args, root, started)


def _input_flags(args: argparse.Namespace) -> bool:
    """Whether a command-line flag is a lock input (``--exclude-newer``, ``--no-build``,
    ``--no-binary``): the fast path cannot see it, and a lock made with it records no
    pyproject digests, so that the next run without the flag compares fingerprints."""
    return (
        getattr(args, "exclude_newer", None) is not None
        or bool(getattr(args, "no_build", False))
        or bool(getattr(args, "no_binary", False))
    )


def _run_full(args: argparse.Namespace, root: Path | None, started: float) -> int:
    """Everything but the fast path: read and validate the project, then check or lock."""
    from .main import route_logging

    route_logging(getattr(args, "verbose", False))
    import dataclasses

    from packaging.utils import canonicalize_name

    from ..lock.fingerprint import compute_fingerprint, input_digests, raw_input_digest
    from ..lock.python_floor import with_python_floor
    from ..lock.stamp import pyproject_digest
    from ..project.pyproject import find_project_root, load_toml, read_project

    root = root or find_project_root(Path.cwd())
    spec = _with_build_flags(read_project(root), args)
    if args.exclude_newer is not None:
        spec = _with_exclude_newer(spec, args.exclude_newer)
    raw = load_toml(root / PYPROJECT, PYPROJECT)
    pyproject_bytes = pyproject_digest((root / PYPROJECT).read_bytes())
    if _input_flags(args):
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
            ui.warn(
                f"[project] requires-python is not set; locking for {inferred}, "
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
    previous = _read_previous(lock_path, unreadable, trusted=intact)
    raw_digest = "" if _input_flags(args) else raw_input_digest(raw)
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
        if not stored.content_intact and stored.fingerprint == fingerprint:
            ui.info(f"{LOCK_FILE} was changed since pallet wrote it; locking again")
    preferences = _preferences(previous)
    if isinstance(upgrade, frozenset):
        for name in sorted(upgrade - set(preferences)):
            ui.warn(f"--upgrade-package {name}: {name} is not locked in {LOCK_FILE}")
    cutoffs = _exclude_newer(spec, previous, upgrade)
    lock = _resolve(
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
        raise LockError(f"{unreadable}; run `pallet lock` to rewrite it")
    if stored is None:
        raise LockError(f"{LOCK_FILE} does not exist in {lock_path.parent}; run `pallet lock`")
    if stored.fingerprint != fingerprint:
        changed = stale_sections(stored.input_digests, input_digests(spec))
        what = ", ".join(changed) if changed else "the lock inputs"
        raise LockError(
            f"{LOCK_FILE} is out of date: {what} changed since it was locked; run `pallet lock`"
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
) -> Lock | None:
    """The existing lock, for its pins; one that does not parse or breaks PEP 751 is ignored
    with a one-line warning saying why (pallet lock is the command that rewrites it).
    ``trusted``: its content digest is intact, so packaging.pylock's cross-check is skipped."""
    from ..lock.pylock import read_lock

    problem = unreadable
    if problem is None:
        if not lock_path.exists():
            return None
        try:
            return read_lock(lock_path, trusted=trusted)
        except LockError as exc:
            problem = exc
    lines = str(problem).splitlines()
    more = f" (and {len(lines) - 1} more problems)" if len(lines) > 1 else ""
    ui.warn(f"{lines[0]}{more}; locking again from scratch (its pins are not kept)")
    return None


def _preferences(previous: Lock | None) -> dict[NormalizedName, tuple[Pin, ...]]:
    """Locked versions to keep: every entry, each on the environments its marker covers."""
    from ..resolve.preferences import pins_of

    if previous is None:
        return {}
    return pins_of(
        ((p.name, p.version, p.marker) for p in previous.packages),
        previous.extras,
        previous.dependency_groups,
    )


def _with_exclude_newer(spec: ProjectSpec, value: str) -> ProjectSpec:
    import dataclasses

    from ..project.exclude_newer import parse_exclude_newer

    try:
        parsed = parse_exclude_newer(value)
    except ValueError as exc:
        raise PalletError(f"--exclude-newer: {exc}") from None
    resolution = dataclasses.replace(spec.resolution, exclude_newer=parsed)
    return dataclasses.replace(spec, resolution=resolution)


def _exclude_newer(spec: ProjectSpec, previous: Lock | None, upgrade: Upgrade) -> dict[str, str]:
    """The ``exclude-newer`` cutoff of each index (RFC 3339), by index name (``"*"``: the
    resolution's). A duration's cutoff recorded in the previous lock is kept while its setting
    is unchanged (same section digest) and no ``--upgrade`` asks for a fresh one."""
    from datetime import datetime, timezone

    from ..lock.fingerprint import input_digests
    from ..project.exclude_newer import format_cutoff

    now = datetime.now(timezone.utc)
    stored = dict(previous.exclude_newer) if previous and upgrade is not True else {}
    digests = dict(input_digests(spec))
    before = dict(previous.input_digests) if previous else {}
    settings = {"*": (spec.resolution.exclude_newer, "resolution")}
    settings.update({i.name: (i.exclude_newer, "indexes") for i in spec.indexes})
    out = {}
    for key, (setting, section) in settings.items():
        if setting is None:
            continue
        kept = stored.get(key) if setting.span is not None else None
        if kept is not None and before.get(section) == digests[section]:
            out[key] = kept
        else:
            out[key] = format_cutoff(setting.cutoff(now))
    return out


def _with_build_flags(spec: ProjectSpec, args: argparse.Namespace) -> ProjectSpec:
    """``--no-build`` / ``--no-binary``: ``no-build = true`` / ``no-binary = true`` for this run
    (recorded in the lock's fingerprint, so a run without the flag locks again)."""
    import dataclasses

    no_build, no_binary = getattr(args, "no_build", False), getattr(args, "no_binary", False)
    if not (no_build or no_binary):
        return spec
    resolution = spec.resolution
    if (no_build and (no_binary or resolution.no_binary)) or (no_binary and resolution.no_build):
        raise PalletError(
            "--no-build and no-binary (or --no-binary and no-build) together leave packages "
            "with neither wheels nor sdists; use one of them"
        )
    resolution = dataclasses.replace(
        resolution,
        no_build=True if no_build else resolution.no_build,
        no_binary=True if no_binary else resolution.no_binary,
    )
    return dataclasses.replace(spec, resolution=resolution)


def _make_finder(
    spec: ProjectSpec,
    *,
    offline: bool,
    cutoffs: Mapping[str, str],
    speculate: bool = True,
    refresh: bool = False,
) -> IndexClient:
    from ..index.cache import Cache
    from ..index.client import IndexClient
    from ..resolve.environments import make_universe
    from ..resolve.prefetch import prefetch_filter

    # Speculative prefetching need not fetch what no environment of the lock can use.
    universe = make_universe(spec.requires_python, spec.resolution)
    return IndexClient(
        spec.indexes,
        spec.sources,
        Cache.default(),
        offline=offline,
        refresh=refresh,
        speculate=speculate,
        root=spec.root,  # relative index paths, and the paths the lock writes, start there
        exclude_newer={
            i.name: cutoffs.get(i.name) or cutoffs["*"]
            for i in spec.indexes
            if i.name in cutoffs or ("*" in cutoffs and i.format == "simple")
        },
        prefetch_filter=prefetch_filter(environment.values for environment in universe),
        no_binary=spec.resolution.no_binary,
        direct_names=_direct_names(spec),
    )


def _direct_names(spec: ProjectSpec) -> set[NormalizedName]:
    """Packages the project takes from a direct reference (``name @ url`` or a path/git
    source): the index client never asks an index about them."""
    from packaging.utils import canonicalize_name

    tables = (spec.dependencies, *spec.optional_dependencies.values())
    tables += tuple(spec.dependency_groups.values())
    names = {canonicalize_name(r.name) for reqs in tables for r in reqs if r.url}
    return names | set(spec.direct_sources)


def _resolve(
    spec: ProjectSpec,
    fingerprint: str,
    preferences: Preferences,
    upgrade: Upgrade,
    *,
    offline: bool,
    cutoffs: Mapping[str, str],
    known: Lock | None = None,
    refresh: bool = False,
) -> Lock:
    """Resolve with a progress line; warnings about entries `known` already holds (the same name
    and version) were shown when that lock was made and are not repeated."""
    from ..lock.fingerprint import input_digests
    from ..lock.model import Lock
    from ..resolve.universal import resolve_lock
    from .progress import CountingFinder, quiet_known_entries

    # With locked pins to keep, the resolver knows what it needs (it prefetches the locked
    # names' pages itself); guessing the newest versions would only read metadata it discards.
    keep_pins = bool(preferences) and upgrade is not True
    # git entries keep their commit unless upgraded (pallet lock -P NAME moves it)
    locked_direct = {
        p.name: p.direct for p in (known.packages if known else ()) if p.direct is not None
    }
    entries = {(str(p.name), str(p.version)) for p in known.packages} if known else set()
    finding = _make_finder(
        spec, offline=offline, cutoffs=cutoffs, speculate=not keep_pins, refresh=refresh
    )
    with finding as client, quiet_known_entries(entries):
        finder = CountingFinder(client)
        with ui.Progress(finder.status):
            try:
                result = resolve_lock(
                    spec,
                    finder,
                    preferences=preferences,
                    upgrade=upgrade,
                    locked_direct=locked_direct,
                )
            except ResolutionError as exc:
                unasked = client.pages_unasked
                if not unasked:
                    raise
                raise ResolutionError(
                    f"{exc}\nhint: {unasked} index page{'s' if unasked != 1 else ''} came from "
                    "the cache without asking the index (a page is reused for up to 10 minutes); "
                    "`pallet lock --refresh` asks again, in case a release is newer"
                ) from None
        packages = _lock_files(client, result.packages)
    return Lock(
        requires_python=spec.requires_python,
        environments=result.environments,
        extras=tuple(sorted(spec.optional_dependencies)),
        dependency_groups=tuple(sorted(spec.dependency_groups)),
        default_groups=tuple(sorted(spec.default_groups)),
        packages=tuple(sorted(packages, key=lambda p: (p.name, p.version, str(p.marker or "")))),
        fingerprint=fingerprint,
        input_digests=input_digests(spec),
        exclude_newer=tuple(sorted(cutoffs.items())),
    )


def _lock_files(finder: IndexClient, packages: Sequence[LockedPackage]) -> list[LockedPackage]:
    """Every file with a hash and at its lock location (`IndexClient.lock_files`)."""
    import dataclasses

    files = finder.lock_files(
        f for p in packages for f in (*p.wheels, *([p.sdist] if p.sdist else []))
    )
    return [
        dataclasses.replace(
            p,
            wheels=tuple(files[w.url] for w in p.wheels),
            sdist=files[p.sdist.url] if p.sdist else None,
        )
        for p in packages
    ]


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
