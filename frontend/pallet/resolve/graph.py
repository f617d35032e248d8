"""The resolved graph on one environment: walk a set of pins from the project's roots.

Used three ways: to read a resolution's graph (its edges, the markers it met), to check whether a
parent fork's pins still hold on a smaller class of environments (then no resolver run is
needed), and by `check` to verify a lock on every concrete environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.markers import Marker
from packaging.utils import NormalizedName
from packaging.version import Version

from .candidates import Candidate, Req, RootSource, root_identifier
from .environments import Environment
from .markers import Activation
from .provider import Provider, active_reqs

__all__ = ["Graph", "walk"]


@dataclass
class Graph:
    """Nodes reached from the roots on one environment (``problem`` set when the pins fail)."""

    nodes: dict[str, Candidate] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    met: set[tuple[Marker, str]] = field(default_factory=set)
    problem: str | None = None
    #: every package requirement met on the walk, by package name
    reqs: dict[NormalizedName, list[Req]] = field(default_factory=dict)

    @property
    def pins(self) -> dict[NormalizedName, Version]:
        return {c.name: c.version for c in self.nodes.values() if c.kind == "package"}

    def reached_from(self, identifiers: list[str]) -> set[NormalizedName]:
        """Package names reachable from these nodes."""
        seen = set(identifiers)
        stack = list(identifiers)
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return {self.nodes[i].name for i in seen if self.nodes[i].kind == "package"}

    def activation(self, sources: tuple[RootSource, ...]) -> dict[NormalizedName, Activation]:
        """Per package: frozenset() when the base reaches it, else the extras/groups that do."""
        reached: dict[NormalizedName, set[RootSource]] = {}
        for source in sources:
            ident = root_identifier(source)
            if ident not in self.nodes:
                continue
            for name in self.reached_from([ident]):
                reached.setdefault(name, set()).add(source)
        return {
            name: frozenset() if ("base", "") in found else frozenset(found)
            for name, found in reached.items()
        }

    def requires(self) -> dict[NormalizedName, set[NormalizedName]]:
        """Package -> the packages its nodes (base and extras) point to."""
        out: dict[NormalizedName, set[NormalizedName]] = {}
        for ident, node in self.nodes.items():
            if node.kind != "package":
                continue
            deps = out.setdefault(node.name, set())
            for child in self.children.get(ident, ()):
                target = self.nodes[child]
                if target.kind == "package" and target.name != node.name:
                    deps.add(target.name)
        return out


def walk(
    provider: Provider,
    pins: Mapping[NormalizedName, Version],
    env: Environment,
    *,
    extend: bool = False,
) -> Graph:
    """Follow ``pins`` from every root on ``env`` under the provider's fork rules.

    With ``extend``, a package that is not pinned gets the provider's first choice for the
    requirements seen so far (a greedy step, as the resolver's first try would be); the final
    check then decides whether that greedy choice holds.
    """
    graph = Graph()
    roots = provider.roots
    wanted: dict[str, list[Req]] = {}
    by_name = graph.reqs
    chosen = dict(pins)
    stack: list[Candidate] = []
    for source in roots.sources:
        root = roots.candidate(root_identifier(source))
        graph.nodes[root.identifier] = root
        stack.append(root)
    while stack:
        node = stack.pop()
        kids = graph.children.setdefault(node.identifier, [])
        reqs = active_reqs(provider.catalog, roots, node, env, provider.evaluate, graph.met)
        provider.catalog.prefetch([r.name for r in reqs if r.kind == "package"])
        for req in reqs:
            if req.kind == "python":
                if not provider.catalog.admits(req.specifier, provider.context.ranges):
                    graph.problem = f"{node} requires Python {req.specifier}"
                continue
            if req.kind == "root":
                kids.append(req.identifier)
                continue
            by_name.setdefault(req.name, []).append(req)
            version = chosen.get(req.name)
            if version is None and extend:
                options = provider.versions(by_name[req.name])
                if options:
                    version = chosen[req.name] = options[0]
            if version is None:
                graph.problem = f"{node} needs {req.name}, which is not pinned"
                return graph
            if version not in provider.catalog.matching(req):  # also: no longer on the index
                graph.problem = f"{req.name} {version} does not satisfy {req}"
                return graph
            wanted.setdefault(req.identifier, []).append(req)
            kids.append(req.identifier)
            if req.identifier not in graph.nodes:
                child = Candidate(req.identifier, req.name, version, req.extra)
                graph.nodes[req.identifier] = child
                stack.append(child)
    for identifier, reqs in wanted.items():
        version = graph.nodes[identifier].version
        if not provider.accepts(version, reqs):
            graph.problem = f"{identifier} {version} does not satisfy {', '.join(map(str, reqs))}"
            break
    return graph
