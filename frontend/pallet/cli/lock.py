"""``pallet lock``: resolve the project for every environment and write pylock.toml (PEP 751).

Fast path: when pylock.toml exists, its fingerprint matches the project's inputs and no upgrade
is asked, the command stops after reading pyproject.toml and the lock's ``[tool.pallet]`` tail,
without importing the index client or the resolver (urllib3, resolvelib).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from packaging.utils import canonicalize_name
from packaging.version import Version

from .. import ui
from ..errors import LockError, PalletError
from ..lock.fingerprint import (
    StoredFingerprint,
    compute_fingerprint,
    input_digests,
    read_stored_fingerprint,
    stale_sections,
)
from ..project.pyproject import find_project_root, read_project

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from ..index.client import IndexClient
    from ..lock.model import Lock
    from ..project.model import IndexConfig, ProjectSpec

__all__ = ["add_parser", "run"]

LOCK_FILE = "pylock.toml"  # = lock.pylock.LOCK_FILE, repeated to keep the fast path light
Upgrade = Union[bool, "frozenset[NormalizedName]"]


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
        "--offline",
        action="store_true",
        help="use only cached index pages and files; no network",
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
    root = args.project.resolve() if args.project else find_project_root(Path.cwd())
    spec = read_project(root)
    lock_path = root / LOCK_FILE
    fingerprint = compute_fingerprint(spec)
    upgrade: Upgrade = (
        True
        if args.upgrade
        else frozenset(canonicalize_name(n) for n in args.upgrade_package) or False
    )

    stored: StoredFingerprint | None = None
    unreadable: LockError | None = None
    try:
        stored = read_stored_fingerprint(lock_path)
    except LockError as exc:
        unreadable = exc

    if args.check:
        return _check(lock_path, spec, fingerprint, stored, unreadable)
    if stored is not None and stored.fingerprint == fingerprint and not upgrade:
        ui.info("Lock is up to date")
        return 0

    previous = _read_previous(lock_path)
    preferences = _preferences(previous)
    if isinstance(upgrade, frozenset):
        for name in sorted(upgrade - set(preferences)):
            ui.warn(f"--upgrade-package {name}: {name} is not locked in {LOCK_FILE}")
    lock = _resolve(
        spec, fingerprint, preferences, upgrade, offline=args.offline, previous=previous
    )

    from ..lock.pylock import write_lock

    write_lock(lock, lock_path)
    elapsed = time.perf_counter() - started
    count = len(lock.packages)
    ui.info(f"Locked {count} package{'s' if count != 1 else ''} in {elapsed:.2f}s")
    for line in _changes(previous, lock):
        ui.info(line)
    return 0


def _check(
    lock_path: Path,
    spec: ProjectSpec,
    fingerprint: str,
    stored: StoredFingerprint | None,
    unreadable: LockError | None,
) -> int:
    """``--check``: say what is stale and exit 1 (via `LockError`), or 0 when up to date."""
    if unreadable is not None:
        raise LockError(f"{unreadable}\nrun `pallet lock` to rewrite {LOCK_FILE}")
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
        raise LockError(
            "\n".join(f"{LOCK_FILE}: {p}" for p in problems)
            + f"\n{LOCK_FILE} is not valid PEP 751; rebuild it with `pallet lock --upgrade`"
        )
    ui.info("Lock is up to date")
    return 0


def _read_previous(lock_path: Path) -> Lock | None:
    """The existing lock, for its pins; a lock that does not parse is ignored with a warning."""
    from ..lock.pylock import read_lock

    if not lock_path.exists():
        return None
    try:
        return read_lock(lock_path)
    except LockError as exc:
        ui.warn(f"{exc}\nignoring {LOCK_FILE}: locking from scratch (its pins are not kept)")
        return None


def _preferences(previous: Lock | None) -> dict[NormalizedName, Version]:
    """Locked versions to keep: one per name (the highest, when forks locked several)."""
    out: dict[NormalizedName, Version] = {}
    for package in previous.packages if previous else ():
        if package.name not in out or package.version > out[package.name]:
            out[package.name] = package.version
    return out


def _local_indexes(spec: ProjectSpec) -> list[IndexConfig]:
    """Indexes as the client needs them: a relative path (``url = "./wheels"``) is relative
    to the project directory, not to the working directory."""
    out = []
    for index in spec.indexes:
        if "://" not in index.url and not Path(index.url).is_absolute():
            index = dataclasses.replace(index, url=str((spec.root / index.url).resolve()))
        out.append(index)
    return out


def _make_finder(spec: ProjectSpec, *, offline: bool) -> IndexClient:
    from ..index.cache import Cache
    from ..index.client import IndexClient
    from ..resolve.environments import make_universe

    # Speculative prefetching need not fetch what no environment of the lock can use.
    universe = make_universe(spec.requires_python, spec.resolution)
    return IndexClient(
        _local_indexes(spec),
        spec.sources,
        Cache.default(),
        offline=offline,
        speculate_for=[environment.values for environment in universe],
        direct_names=_direct_names(spec),
    )


def _direct_names(spec: ProjectSpec) -> set[NormalizedName]:
    """Packages the project takes from a direct reference (``name @ url`` or a path/git
    source): the index client never asks an index about them."""
    tables = (spec.dependencies, *spec.optional_dependencies.values())
    tables += tuple(spec.dependency_groups.values())
    names = {canonicalize_name(r.name) for reqs in tables for r in reqs if r.url}
    return names | set(spec.direct_sources)


def _resolve(
    spec: ProjectSpec,
    fingerprint: str,
    preferences: Mapping[NormalizedName, Version],
    upgrade: Upgrade,
    *,
    offline: bool,
    previous: Lock | None = None,
) -> Lock:
    from ..lock.model import Lock
    from ..resolve.universal import resolve_lock

    # git entries keep their commit unless upgraded (pallet lock -P NAME moves it)
    locked_direct = {
        p.name: p.direct for p in (previous.packages if previous else ()) if p.direct is not None
    }
    with _make_finder(spec, offline=offline) as finder:
        result = resolve_lock(
            spec,
            finder,
            preferences=preferences,
            upgrade=upgrade,
            locked_direct=locked_direct,
        )
    packages = result.packages
    return Lock(
        requires_python=spec.requires_python,
        environments=result.environments,
        extras=tuple(sorted(spec.optional_dependencies)),
        dependency_groups=tuple(sorted(spec.dependency_groups)),
        default_groups=tuple(sorted(spec.default_groups)),
        packages=tuple(sorted(packages, key=lambda p: (p.name, p.version, str(p.marker or "")))),
        fingerprint=fingerprint,
        input_digests=input_digests(spec),
    )


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
    out: dict[str, list[Version]] = {}
    for package in lock.packages if lock else ():
        out.setdefault(package.name, []).append(package.version)
    return {name: ", ".join(str(v) for v in sorted(set(vs))) for name, vs in out.items()}
