"""The dependency graph of a lock for one selection: what ``pallet tree`` draws.

Edges between ``[[packages]]`` entries come from PEP 751 ``packages.dependencies`` (a name, plus
the version or index when the lock holds several entries of that name); the project's own edges
come from pyproject.toml (PEP 621 dependencies, optional dependencies, PEP 735 groups), since a
PEP 751 lock does not list the project. Which entries take part is PEP 751's question: each
entry's ``marker`` with ``extras`` and ``dependency_groups`` set to the selection
(`marker_reduce.reduce_marker`, shared with ``pallet export``);
what is left is an environment marker, evaluated for the target's environment or, universal,
kept and shown beside the entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from .marker_reduce import reduce_marker
from .model import Lock, LockedPackage

__all__ = ["PROJECT", "Edge", "Graph", "make_graph"]

#: the node of the project itself (entries are numbered by their place in `Lock.packages`)
PROJECT = -1


@dataclass(frozen=True)
class Edge:
    """One arrow: to entry ``target``, asked with ``extras``; ``via``: ``"group: dev"`` or
    ``"extra: fast"`` for the project's edges from a group or an extra, else empty."""

    target: int
    extras: tuple[str, ...] = ()
    via: str = ""


@dataclass
class Graph:
    """The entries of one selection and the arrows between them (the project is `PROJECT`)."""

    project: str
    project_version: str
    packages: Sequence[LockedPackage]
    #: entry -> its environment marker where one remains (universal mode only)
    markers: dict[int, str] = field(default_factory=dict)
    edges: dict[int, list[Edge]] = field(default_factory=dict)

    def children(self, node: int) -> list[Edge]:
        return self.edges.get(node, [])

    def parents(self, node: int) -> list[tuple[int, Edge]]:
        """Who points at `node`, each with its arrow."""
        return [(src, e) for src, out in self.edges.items() for e in out if e.target == node]

    def entries_named(self, name: str) -> list[int]:
        wanted = canonicalize_name(name)
        return [i for i, p in enumerate(self.packages) if p.name == wanted and i in self.active]

    @property
    def active(self) -> set[int]:
        return {PROJECT, *self.edges, *(e.target for out in self.edges.values() for e in out)}


def make_graph(
    lock: Lock,
    project: tuple[str, str],
    roots: Sequence[tuple[Requirement, str]],
    *,
    extras: Iterable[str],
    groups: Iterable[str],
    environment: Mapping[str, str] | None,
) -> Graph:
    """The graph of `lock` for this selection. ``roots``: the project's requirements, each with
    its ``via`` (`Edge`); ``environment`` None: universal (every environment the lock covers)."""
    extras = frozenset(canonicalize_name(e) for e in extras)
    groups = frozenset(canonicalize_name(g) for g in groups)
    graph = Graph(project[0], project[1], lock.packages)
    present: dict[int, LockedPackage] = {}
    for i, package in enumerate(lock.packages):
        reduced = reduce_marker(package.marker, extras, groups)
        if reduced is False:
            continue
        if isinstance(reduced, str):
            if environment is not None and not Marker(reduced).evaluate(dict(environment)):
                continue
            if environment is None:
                graph.markers[i] = reduced
        present[i] = package
    by_name: dict[NormalizedName, list[int]] = {}
    for i, package in present.items():
        by_name.setdefault(package.name, []).append(i)
    root_edges: list[Edge] = []
    for requirement, via in roots:
        marker, env = requirement.marker, environment
        if marker is not None and env is not None and not marker.evaluate({**env, "extra": ""}):
            continue
        for i in by_name.get(canonicalize_name(requirement.name), []):
            package = present[i]
            if requirement.url is None and not requirement.specifier.contains(
                package.version, prereleases=True
            ):
                continue
            root_edges.append(Edge(i, tuple(sorted(requirement.extras)), via))
    graph.edges[PROJECT] = sorted(set(root_edges), key=lambda e: _edge_key(graph, e))
    reachable = {e.target for e in root_edges}
    todo = list(reachable)
    while todo:  # only what the project reaches takes part (a cycle is visited once)
        node = todo.pop()
        out: list[Edge] = []
        for dependency in present[node].dependencies:
            for i in by_name.get(dependency.name, []):
                package = present[i]
                if dependency.version is not None and package.version != dependency.version:
                    continue
                if dependency.index is not None and package.index != dependency.index:
                    continue
                out.append(Edge(i))
                if i not in reachable:
                    reachable.add(i)
                    todo.append(i)
        graph.edges[node] = sorted(set(out), key=lambda e: _edge_key(graph, e))
    return graph


def _edge_key(graph: Graph, edge: Edge) -> tuple[int, str, str, object, tuple[str, ...]]:
    """Stable order: dependencies, then extras', then groups' (each by name), then version."""
    rank = 0 if not edge.via else 1 if edge.via.startswith("extra") else 2
    package = graph.packages[edge.target]
    return (rank, edge.via, package.name, package.version, edge.extras)
