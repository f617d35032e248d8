"""``pallet cache``: where the cache is, its size, and emptying it (all, by project, unused)."""

from __future__ import annotations

import argparse
from typing import Any

from .. import envvars, ui

__all__ = ["add_parser", "human", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``pallet cache`` (``dir``, ``size``, ``clean``, ``prune``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cache",
        epilog=(
            "examples:\n"
            "  pallet cache dir\n"
            "  pallet cache size --json\n"
            "  pallet cache clean numpy\n"
            "  pallet cache prune --days 7"
        ),
        help="show, measure or empty pallet's cache",
        description=(
            f"pallet's global cache ({envvars.PALLET_CACHE_DIR}, else the user cache folder): "
            "index pages, metadata, downloaded archives, unpacked and built wheels, "
            "environments (docs/cache.md)."
        ),
    )
    actions = parser.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    actions.add_parser(
        "dir",
        help="print the cache folder",
        description="Print the cache folder.",
        epilog="examples:\n  pallet cache dir\n  ls $(pallet cache dir)",
    )
    size = actions.add_parser(
        "size",
        epilog="examples:\n  pallet cache size\n  pallet cache size --json",
        help="how much disk each kind of entry uses",
        description="Bytes per kind of entry and in all; a file with several names counts once.",
    )
    size.add_argument("--json", action="store_true", help="print a JSON object instead")
    clean = actions.add_parser(
        "clean",
        epilog="examples:\n  pallet cache clean\n  pallet cache clean numpy torch",
        help="remove everything, or the named projects' entries",
        description=(
            "Remove every cache entry, or with NAMEs only those projects' archives, unpacked "
            "and built wheels, downloads, index pages and metadata. Environments installed "
            "from the cache keep working (they hold hard links, not references)."
        ),
    )
    clean.add_argument("names", nargs="*", metavar="NAME", help="a project name")
    prune = actions.add_parser(
        "prune",
        epilog="examples:\n  pallet cache prune\n  pallet cache prune --days 7",
        help="remove what no synced project needs",
        description=(
            "Forget synced lock files that no longer exist, then remove the archives, unpacked "
            "and built wheels that no remaining lock needs and that were not used for DAYS "
            "days, and files an interrupted run left behind."
        ),
    )
    prune.add_argument(
        "--days",
        type=_days,
        default=30.0,
        metavar="DAYS",
        help="keep unneeded entries used within this many days (default 30)",
    )
    return parser


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (0 or more)")
    return value


def human(size: int) -> str:
    """``1.5 MiB``: binary units, one decimal from KiB on."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _summary(verb: str, removed: Any) -> str:
    parts = [f"{n} {kind}" for kind, n in sorted(removed.entries.items())]
    what = f"{removed.count()} entries ({', '.join(parts)})" if parts else "nothing"
    if removed.records:
        what += f" and {removed.records} record(s) of lock files that no longer exist"
    return f"{verb} {what}; freed {human(removed.freed)}"


def run(args: argparse.Namespace) -> int:
    from ..install.store import Store

    root = Store.default().root
    if args.cache_command == "dir":
        ui.result(str(root))
        return 0
    from ..install import maintenance

    if args.cache_command == "size":
        found = maintenance.usage(root)
        if args.json:
            import json

            ui.result(json.dumps({"root": str(root), **found.kinds, "total": found.total}))
            return 0
        width = max(len(k) for k in maintenance.KINDS)
        for kind in maintenance.KINDS:
            ui.result(f"{kind:<{width}}  {human(found.kinds.get(kind, 0)):>10}")
        ui.result(f"{'total':<{width}}  {human(found.total):>10}")
        return 0
    if args.cache_command == "clean":
        removed = maintenance.clean(root, args.names)
        ui.info(_summary("removed", removed))
        return 0
    assert args.cache_command == "prune"
    removed = maintenance.prune(root, max_age=args.days * maintenance.DAY)
    ui.info(_summary("removed", removed))
    return 0
