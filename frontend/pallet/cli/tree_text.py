"""`lock.tree.Graph` as the text ``pallet tree`` prints, in the shape of uv's and cargo's trees.

``├── ``/``└── `` branches, ``│   `` continuations; a package whose dependencies were already
shown (or that closes a cycle) is printed once more with ``(*)`` and not expanded again.
Universal trees end an entry's line with its environment marker (``; python_version >= "3.11"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from ..lock.tree import PROJECT, Edge, Graph

__all__ = ["TreeOptions", "render_tree"]


@dataclass(frozen=True)
class TreeOptions:
    depth: int = 255
    invert: tuple[str, ...] = ()
    prune: frozenset[str] = frozenset()
    package: tuple[str, ...] = ()
    dedupe: bool = True
    #: name -> newest version on the index, for the packages that are behind it (``--outdated``)
    latest: Mapping[str, str] | None = None


def render_tree(graph: Graph, options: TreeOptions) -> list[str]:
    """The lines of the tree (of each tree: ``--package`` and ``--invert`` may start several)."""
    prune = {canonicalize_name(p) for p in options.prune}
    lines: list[str] = []
    seen: set[int] = set()
    if options.invert:
        starts = [i for name in options.invert for i in graph.entries_named(name)]
    elif options.package:
        starts = [i for name in options.package for i in graph.entries_named(name)]
    else:
        starts = [PROJECT]

    def kids(node: int) -> list[Edge]:
        if options.invert:
            edges = [Edge(src, (), e.via) for src, e in graph.parents(node)]
            edges.sort(key=lambda e: (_name(graph, e.target), e.via))
        else:
            edges = graph.children(node)
        return [
            e for e in edges if e.target == PROJECT or graph.packages[e.target].name not in prune
        ]

    def visit(edge: Edge, prefix: str, branch: str, level: int, path: tuple[int, ...]) -> None:
        node = edge.target
        children = kids(node) if level < options.depth else []
        repeated = node in path or (options.dedupe and node in seen)
        mark = " (*)" if repeated and kids(node) else ""
        lines.append(prefix + branch + _label(graph, edge, options) + mark + _marker(graph, node))
        if repeated:
            return
        if level < options.depth:  # a node cut by --depth is drawn in full where it comes again
            seen.add(node)
        inner = prefix + ("" if not branch else "    " if branch == "└── " else "│   ")
        for n, child in enumerate(children):
            last = n == len(children) - 1
            visit(child, inner, "└── " if last else "├── ", level + 1, (*path, node))

    for start in sorted(set(starts), key=lambda i: (_name(graph, i), i)):
        visit(Edge(start), "", "", 0, ())
    return lines


def _name(graph: Graph, node: int) -> str:
    return graph.project if node == PROJECT else graph.packages[node].name


def _label(graph: Graph, edge: Edge, options: TreeOptions) -> str:
    node = edge.target
    if node == PROJECT:
        text = (
            f"{graph.project} v{graph.project_version}" if graph.project_version else graph.project
        )
    else:
        package = graph.packages[node]
        extras = f"[{','.join(edge.extras)}]" if edge.extras else ""
        text = f"{package.name}{extras} v{package.version}"
        latest = (options.latest or {}).get(package.name)
        if latest is not None:
            text += f" (latest: {latest})"
    return text + (f" ({edge.via})" if edge.via else "")


def _marker(graph: Graph, node: int) -> str:
    marker = graph.markers.get(node)
    return f" ; {marker}" if marker else ""
