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
from .universal import Fork, Resolution, index_url

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
    if resolution.variants:
        return _check_variants(resolution, spec, finder)
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


def _check_variants(resolution: Resolution, spec: ProjectSpec, finder: PackageFinder) -> list[str]:
    """`check_exact` for a lock with hardware variants: on every environment, for no selection,
    each extra alone (a variant extra selects that variant), each group alone and all of them
    (the first variant wins), exactly the effective variant's resolution is selected, each entry
    from the index that variant took it from."""
    from .variants import variant_finder  # imports universal: off the plain path

    config = spec.variants
    assert config is not None
    problems: list[str] = []
    references = direct_references(spec)
    direct = DirectPackages(references, finder) if references else None
    if direct is not None:
        direct.expand()
    evaluate = MarkerEvaluator()
    names = [v.name for v in resolution.variants]
    catalogs: dict[str, Catalog] = {}
    roots: dict[str, ProjectRoots] = {}
    fork_of: dict[tuple[str, Environment], Fork] = {}
    for resolved, declared in zip(resolution.variants, config.order):
        catalogs[resolved.name] = Catalog(variant_finder(spec, declared, finder), direct)
        roots[resolved.name] = ProjectRoots(resolved.spec)
        for fork in resolved.forks:
            for env in fork.environments:
                fork_of[(resolved.name, env)] = fork
    every = ProjectRoots(spec)
    for env in resolution.universe:
        available = [
            v.name
            for v in resolution.variants
            if v.name == config.default or env not in v.unavailable_on
        ]
        for selection in _selections(every):
            extras = frozenset(n for k, n in selection if k == "extra")
            chosen = next((v for v in available if v in extras), config.default)
            catalog, root = catalogs[chosen], roots[chosen]
            found = fork_of.get((chosen, env))
            if found is None:
                problems.append(f"{env}: in no fork of variant {chosen!r}")
                continue
            ranges = catalog.intern(tuple(sorted({e.python for e in found.environments})))
            context = ForkContext(env, ranges, spec.resolution.prerelease, {})
            graph = walk(Provider(catalog, root, context, evaluate), found.pins, env)
            if graph.problem is not None:
                problems.append(f"{env} {chosen}: the fork's pins do not hold: {graph.problem}")
                continue
            start = [root_identifier(("base", ""))] + [
                root_identifier(s) for s in selection if s[1] not in names
            ]
            expected = {
                (name, graph.pins[name], _index(spec, catalog, name, graph.pins[name]))
                for name in graph.reached_from(start)
            }
            values: dict[str, str | frozenset[str]] = dict(env.values)
            values["extras"] = extras
            values["dependency_groups"] = frozenset(n for k, n in selection if k == "group")
            actual = [
                (p.name, p.version, p.index)
                for p in resolution.packages
                if p.marker is None or p.marker.evaluate(values, context="lock_file")
            ]
            seen = [n for n, _, _ in actual]
            for name in sorted({n for n in seen if seen.count(n) > 1}):
                problems.append(f"{env} {selection}: several entries of {name} hold")
            missing = expected - set(actual)
            extra = set(actual) - expected
            if missing or extra:
                problems.append(
                    f"{env} {selection} (variant {chosen}): missing {sorted(map(str, missing))}, "
                    f"unexpected {sorted(map(str, extra))}"
                )
    return problems


def _index(spec: ProjectSpec, catalog: Catalog, name: NormalizedName, version: Version) -> str:
    if catalog.direct is not None and name in catalog.direct.names:
        return ""
    return index_url(spec, catalog.release(name, version).files[0].index)
