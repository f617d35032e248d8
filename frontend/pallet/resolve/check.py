"""Verify a universal resolution: on every concrete environment, exactly the resolved set is true.

For each environment of the universe and each selection of extras and dependency groups (none,
each one alone, all of them), the pins of the environment's fork are walked again *on that
environment* (not on the fork's representative), which also checks that the fork's class really
agrees on every marker that matters. The packages whose lock markers evaluate true (PEP 751
``extras``/``dependency_groups`` context) must be exactly the packages reached, one entry per
name. Slow (it evaluates every marker everywhere): for tests and ``--check``-style audits.
"""

from __future__ import annotations

from packaging.utils import NormalizedName
from packaging.version import Version

from ..index.models import PackageFinder
from ..project.direct import direct_references
from ..project.model import ProjectSpec
from .candidates import Catalog, RootSource, root_identifier
from .direct import DirectPackages
from .environments import Environment, MarkerEvaluator
from .graph import walk
from .provider import ForkContext, ProjectRoots, Provider
from .universal import Resolution

__all__ = ["check_exact"]


def _selections(roots: ProjectRoots) -> list[tuple[RootSource, ...]]:
    optional = [s for s in roots.sources if s[0] != "base"]
    out: list[tuple[RootSource, ...]] = [()]
    out.extend((s,) for s in optional)
    if len(optional) > 1:
        out.append(tuple(optional))
    return out


def check_exact(resolution: Resolution, spec: ProjectSpec, finder: PackageFinder) -> list[str]:
    """Every way the lock's markers disagree with the resolution; empty when exact."""
    problems: list[str] = []
    references = direct_references(spec)
    direct = DirectPackages(references, finder) if references else None
    if direct is not None:
        direct.expand()
    catalog = Catalog(finder, direct)
    roots = ProjectRoots(spec)
    evaluate = MarkerEvaluator()
    fork_of: dict[Environment, int] = {}
    for i, fork in enumerate(resolution.forks):
        for env in fork.environments:
            if env in fork_of:
                problems.append(f"{env} is in two forks")
            fork_of[env] = i
    for env in resolution.universe:
        if env not in fork_of:
            problems.append(f"{env} is in no fork")
            continue
        fork = resolution.forks[fork_of[env]]
        ranges = catalog.intern(tuple(sorted({e.python for e in fork.environments})))
        context = ForkContext(env, ranges, spec.resolution.prerelease, {})
        provider = Provider(catalog, roots, context, evaluate)
        graph = walk(provider, fork.pins, env)
        if graph.problem is not None:
            problems.append(f"{env}: the fork's pins do not hold: {graph.problem}")
            continue
        for selection in _selections(roots):
            start = [root_identifier(("base", ""))] + [root_identifier(s) for s in selection]
            expected: set[tuple[NormalizedName, Version]] = {
                (name, graph.pins[name]) for name in graph.reached_from(start)
            }
            values: dict[str, str | frozenset[str]] = dict(env.values)
            values["extras"] = frozenset(n for k, n in selection if k == "extra")
            values["dependency_groups"] = frozenset(n for k, n in selection if k == "group")
            actual: list[tuple[NormalizedName, Version]] = [
                (p.name, p.version)
                for p in resolution.packages
                if p.marker is None or p.marker.evaluate(values, context="lock_file")
            ]
            names = [n for n, _ in actual]
            for name in sorted({n for n in names if names.count(n) > 1}):
                problems.append(f"{env} {selection}: several entries of {name} hold")
            missing = expected - set(actual)
            extra = set(actual) - expected
            if missing or extra:
                problems.append(
                    f"{env} {selection}: missing {sorted(map(str, missing))}, "
                    f"unexpected {sorted(map(str, extra))}"
                )
    return problems
