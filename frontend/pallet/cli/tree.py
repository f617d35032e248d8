"""``pallet tree``: the project's dependency tree, read from its lock (docs/tree.md).

The lock first, as ``pallet sync`` takes it (`cli.sync.lock_first`: locked when missing or
stale; ``--locked`` fails instead, ``--frozen`` uses it as it is); then `lock.tree.make_graph`
for the selection and the environment (the project's interpreter, as sync would choose it; or
every environment with ``--universal``), drawn by `cli.tree_text.render_tree`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import ui
from ..errors import PalletError

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from ..lock.model import Lock
    from ..lock.tree import Graph
    from ..project.model import ProjectSpec

__all__ = ["ROUTES_LOGGING", "add_parser", "run"]

ROUTES_LOGGING = False


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tree",
        help="show the project's dependency tree from pylock.toml",
        description=(
            "Print the project's dependencies as a tree, read from pylock.toml (locking first "
            "when it is missing or out of date), for this machine's Python or, with "
            "--universal, for every environment the lock covers. See docs/tree.md."
        ),
        epilog=(
            "examples:\n  pallet tree\n  pallet tree --depth 1\n  pallet tree --invert idna\n"
            "  pallet tree --universal --all-extras\n  pallet tree --outdated"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--extra", action="append", default=[], metavar="X", help="include this extra; repeatable")
    add("--all-extras", action="store_true", help="include every extra")
    add("--group", action="append", default=[], metavar="G", help="include this group too")
    add("--no-group", action="append", default=[], metavar="G", help="leave out this group")
    add("--no-dev", action="store_true", help="leave out the dev group")
    add("--variant", metavar="NAME", help="this hardware variant (default: the lock's default)")
    add("--universal", action="store_true", help="every environment, markers shown")
    add("--depth", type=int, default=255, metavar="N", help="show N levels below the root")
    add("--invert", action="append", default=[], metavar="PKG", help="who depends on PKG")
    add("--prune", action="append", default=[], metavar="PKG", help="leave PKG out")
    add("--package", action="append", default=[], metavar="PKG", help="only PKG's subtree")
    add("--no-dedupe", action="store_true", help="expand repeated subtrees every time")
    add("--outdated", action="store_true", help="show the newest version on the index")
    add("--python", metavar="REQUEST", help="the interpreter whose environment to show")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--locked", action="store_true", help="fail if the lock is out of date")
    when.add_argument("--frozen", action="store_true", help="use pylock.toml as it is")
    add("--offline", action="store_true", help="no network")
    add("--project", type=Path, default=None, metavar="DIR", help="the project directory")
    return parser


def run(args: argparse.Namespace) -> int:
    from .main import route_logging

    route_logging(getattr(args, "verbose", False))
    if args.depth < 0:
        raise PalletError(f"--depth {args.depth}: must be 0 or more")
    from ..lock.pylock import read_lock
    from .lock import read_lock_spec
    from .sync import lock_first, project_root
    from .tree_text import TreeOptions, render_tree

    args.dry_run, args.lock = False, None  # what lock_first and project_root read of sync's
    root = project_root(args)
    lock_first(root, args)
    spec = read_lock_spec(root)  # a workspace: the root and every member
    lock = read_lock(root / "pylock.toml")
    graph = _graph(args, spec, lock)
    for name in [*args.invert, *args.package, *args.prune]:
        if not graph.entries_named(name):
            raise PalletError(f"pylock.toml: no package {name!r} in this selection")
    options = TreeOptions(
        depth=args.depth,
        invert=tuple(args.invert),
        prune=frozenset(args.prune),
        package=tuple(args.package),
        dedupe=not args.no_dedupe,
        latest=_latest(spec, graph, offline=args.offline) if args.outdated else None,
    )
    for line in render_tree(graph, options):
        ui.result(line)
    return 0


def _graph(args: argparse.Namespace, spec: ProjectSpec, lock: Lock) -> Graph:
    from packaging.utils import canonicalize_name

    from ..lock.tree import make_graph

    declared_extras = {canonicalize_name(e) for e in lock.extras}
    declared_groups = {canonicalize_name(g) for g in lock.dependency_groups}
    variants = lock.variants.names if lock.variants is not None else ()
    if args.variant is not None and canonicalize_name(args.variant) not in variants:
        have = ", ".join(variants) or "none"
        raise PalletError(
            f"pylock.toml: --variant {args.variant!r}: not a variant of this lock (it has: {have})"
        )
    for extra in args.extra:
        if canonicalize_name(extra) not in declared_extras:
            raise PalletError(f"pylock.toml: --extra {extra!r}: the lock declares no such extra")
    for group in args.group:
        if canonicalize_name(group) not in declared_groups:
            raise PalletError(f"pylock.toml: --group {group!r}: the lock declares no such group")
    extras = (
        declared_extras - set(variants)
        if args.all_extras
        else {canonicalize_name(e) for e in args.extra}
    )
    if lock.variants is not None:  # one variant: --variant, a variant's --extra, the default
        asked = [e for e in map(canonicalize_name, args.extra) if e in variants]
        extras -= set(variants)
        extras.add(canonicalize_name(args.variant or next(iter(asked), lock.variants.default)))
    groups = {canonicalize_name(g) for g in [*lock.default_groups, *args.group]}
    groups -= {canonicalize_name(g) for g in [*args.no_group, *(["dev"] if args.no_dev else [])]}
    roots: list[tuple[Requirement, str]] = [(r, "") for r in spec.dependencies]
    for extra in sorted(extras):
        roots += [(r, f"extra: {extra}") for r in spec.optional_dependencies.get(extra, ())]
    for group in sorted(groups):
        roots += [(r, f"group: {group}") for r in spec.dependency_groups.get(group, ())]
    environment = None if args.universal else _environment(spec, args)
    return make_graph(
        lock,
        (spec.name, spec.version or ""),
        roots,
        extras=extras,
        groups=groups,
        environment=environment,
    )


def _environment(spec: ProjectSpec, args: argparse.Namespace) -> dict[str, str]:
    """The marker values of the interpreter ``pallet sync`` would use (`cli.sync._interpreter`)."""
    from ..install.target import target_for
    from ..python.facts import FactsCache
    from .sync import sync_interpreter

    interpreter = sync_interpreter(spec.root, args, spec.requires_python)
    return dict(target_for(Path(interpreter.executable), FactsCache.default().root.parent).markers)


def _latest(spec: ProjectSpec, graph: Graph, *, offline: bool) -> dict[str, str]:
    """name -> the newest final (or, when it has no final, any) version the project's index
    offers, for each package of the graph that is behind it (yanked files not counted)."""
    from packaging.utils import canonicalize_name

    from ..index.cache import Cache
    from ..index.client import IndexClient

    names = sorted({graph.packages[i].name for i in graph.active if i >= 0})
    names = [n for n in names if n not in spec.direct_sources]
    out: dict[str, str] = {}
    with IndexClient(
        spec.indexes,
        spec.sources,
        Cache.default(),
        offline=offline,
        speculate=False,
        root=spec.root,
    ) as client:
        by_url = {i.url.rstrip("/"): i.name for i in spec.indexes}
        where: dict[str, str | None] = {}
        for name in names:  # the index each entry came from (a hardware variant's, say)
            index = graph.packages[graph.entries_named(name)[0]].index.rstrip("/")
            where[name] = by_url.get(index)
            if where[name] is not None:
                client.prefetch_on(str(where[name]), [canonicalize_name(name)])
            else:
                client.prefetch([canonicalize_name(name)])
        for name in names:
            index_name = where[name]
            files = (
                client.files_on(index_name, canonicalize_name(name))
                if index_name is not None
                else client.files(canonicalize_name(name))
            )
            versions = {f.version for f in files if not f.is_yanked}
            finals = {v for v in versions if not v.is_prerelease} or versions
            newest = max(finals, default=None)
            mine = max(graph.packages[i].version for i in graph.entries_named(name))
            if newest is not None and newest > mine:
                out[name] = str(newest)
    return out
