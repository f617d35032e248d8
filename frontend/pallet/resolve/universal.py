"""The universal resolution: resolve per class of environments, fork until no marker splits a
class, then merge the forks into `LockedPackage` entries with exact markers.

See docs/resolver.md for the algorithm, its cost and its limits.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import BaseReporter, Resolver
from resolvelib.resolvers import ResolutionImpossible, ResolutionTooDeep

from ..errors import ResolutionError
from ..index.models import DirectOrigin, PackageFinder
from ..lock.model import Dependency, LockedPackage
from ..project.direct import direct_references
from ..project.model import ProjectSpec
from .candidates import Candidate, Catalog, Req
from .direct import DirectPackages, warn_wheel_gaps
from .environments import Environment, MarkerEvaluator, make_universe, partition
from .explain import explain
from .files import uncovered, wheels_for
from .graph import Graph, walk
from .markers import Activation, activation_expr, describe, full_version_cuts, render, to_marker
from .provider import ForkContext, ProjectRoots, Provider

if TYPE_CHECKING:
    from resolvelib.structs import RequirementInformation

__all__ = ["Fork", "Resolution", "resolve_lock"]

logger = logging.getLogger(__name__)

#: resolvelib rounds per fork before giving up (a round pins or backtracks once).
MAX_ROUNDS = 20_000


@dataclass(frozen=True)
class Fork:
    """One class of environments and what was resolved for it."""

    environments: tuple[Environment, ...]
    pins: Mapping[NormalizedName, Version]  # every package reached on this class
    activation: Mapping[NormalizedName, Activation]
    requires: Mapping[NormalizedName, frozenset[NormalizedName]]
    resolved: bool  # False: the parent fork's pins held, no resolver run was needed


@dataclass(frozen=True)
class Resolution:
    """What `resolve_lock` hands to the lock writer.

    ``packages`` sorted by (name, version, marker text); ``environments`` are the PEP 751
    ``environments`` markers (the configured ones; ``()`` for the default universe);
    ``universe`` every concrete environment the markers were made exact on; ``forks`` the
    classes resolved, which `check.check_exact` uses to verify the markers.
    """

    packages: tuple[LockedPackage, ...]
    environments: tuple[Marker, ...]
    universe: tuple[Environment, ...]
    forks: tuple[Fork, ...]
    requires_python: SpecifierSet
    extras: tuple[str, ...]
    dependency_groups: tuple[str, ...]


class _Reporter(BaseReporter[Req, Candidate, str]):
    """Counts rounds and tells the provider which identifiers keep causing backtracks."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.rounds = 0

    def starting_round(self, index: int) -> None:
        self.rounds += 1

    def resolving_conflicts(
        self, causes: Collection[RequirementInformation[Req, Candidate]]
    ) -> None:
        self.provider.note_conflict(list(causes))


def _effective_preferences(
    preferences: Mapping[NormalizedName, Version], upgrade: bool | frozenset[NormalizedName]
) -> dict[NormalizedName, Version]:
    if upgrade is True:
        return {}
    dropped = upgrade if isinstance(upgrade, frozenset) else frozenset()
    return {name: v for name, v in preferences.items() if name not in dropped}


class _Forker:
    """Runs the fork loop over one universe."""

    def __init__(
        self,
        spec: ProjectSpec,
        catalog: Catalog,
        roots: ProjectRoots,
        evaluate: MarkerEvaluator,
        preferences: Mapping[NormalizedName, Version],
        universe: tuple[Environment, ...],
    ) -> None:
        self.spec = spec
        self.catalog = catalog
        self.roots = roots
        self.evaluate = evaluate
        self.preferences = preferences
        self.universe = universe
        self.met: set[tuple[Marker, str]] = set()
        self.resolver_runs = 0
        self.rounds = 0

    def provider(
        self, envs: tuple[Environment, ...], seed: Mapping[NormalizedName, Version]
    ) -> Provider:
        ranges = self.catalog.intern(tuple(sorted({e.python for e in envs})))
        context = ForkContext(
            envs[0], ranges, self.spec.resolution.prerelease, {**self.preferences, **seed}
        )
        return Provider(self.catalog, self.roots, context, self.evaluate)

    def resolve(
        self, provider: Provider, envs: tuple[Environment, ...]
    ) -> dict[NormalizedName, Version]:
        stats = _Reporter(provider)
        resolver: Resolver[Req, Candidate, str] = Resolver(provider, stats)
        self.resolver_runs += 1
        try:
            result = resolver.resolve(provider.root_requirements(), max_rounds=MAX_ROUNDS)
        except ResolutionImpossible as exc:
            raise ResolutionError(explain(list(exc.causes), provider, self.where(envs))) from None
        except ResolutionTooDeep as exc:
            raise ResolutionError(
                f"Gave up after {exc.round_count} resolver rounds"
                + (f" for environments where `{self.where(envs)}`" if self.where(envs) else "")
                + "; pin some packages more tightly to narrow the search."
            ) from None
        finally:
            self.rounds += stats.rounds
        return {c.name: c.version for c in result.mapping.values() if c.kind == "package"}

    def where(self, envs: tuple[Environment, ...]) -> str | None:
        expr = describe(envs, self.universe)
        return None if expr is None else render(expr)

    def run(self) -> list[Fork]:
        forks: list[Fork] = []
        queue: deque[tuple[tuple[Environment, ...], dict[NormalizedName, Version] | None]]
        queue = deque([(self.universe, None)])
        known: dict[NormalizedName, Version] = {}
        while queue:
            envs, parent = queue.popleft()
            # A child fork tries its parent's pins first, then versions other forks chose (fewer
            # distinct versions in the lock), then the newest.
            seed = None if parent is None else {**known, **parent}
            provider = self.provider(envs, seed or {})
            graph: Graph | None = None
            if seed is not None:
                graph = walk(provider, seed, envs[0], extend=True)
                if graph.problem is not None:
                    logger.debug("fork %s needs its own resolution: %s", envs[0], graph.problem)
                    graph = None
            resolved = graph is None
            if graph is None:
                pins = self.resolve(provider, envs)
                graph = walk(provider, pins, envs[0])
                if graph.problem is not None:
                    logger.warning("resolution for %s is inconsistent: %s", envs[0], graph.problem)
            pins = graph.pins
            for name, version in pins.items():
                known.setdefault(name, version)
            self.met |= graph.met
            parts = partition(
                envs, sorted(graph.met, key=lambda m: (str(m[0]), m[1])), self.evaluate
            )
            head = parts[0]
            forks.append(
                Fork(
                    head,
                    pins,
                    graph.activation(self.roots.sources),
                    {n: frozenset(d) for n, d in graph.requires().items()},
                    resolved,
                )
            )
            for part in parts[1:]:
                queue.append((part, pins))
        return forks


def resolve_lock(
    spec: ProjectSpec,
    finder: PackageFinder,
    *,
    preferences: Mapping[NormalizedName, Version] = {},
    upgrade: bool | frozenset[NormalizedName] = False,
    locked_direct: Mapping[NormalizedName, DirectOrigin] = {},
) -> Resolution:
    """Resolve the project's dependencies, every extra and every group, for every environment.

    ``preferences`` (versions in the current lock) are tried first, except for every package
    when ``upgrade`` is True or for the names in ``upgrade``; so are the commits of
    ``locked_direct`` (the lock's git entries). Raises `ResolutionError` with an
    explanation when no resolution exists, `IndexError_` when an index cannot be read.
    """
    started = time.perf_counter()
    references = direct_references(spec)
    direct = None
    if references:
        direct = DirectPackages(references, finder, locked=locked_direct, upgrade=upgrade)
        direct.expand()
    catalog = Catalog(finder, direct)
    roots = ProjectRoots(spec)
    evaluate = MarkerEvaluator()
    prefs = _effective_preferences(preferences, upgrade)
    tables = (
        spec.dependencies,
        *spec.optional_dependencies.values(),
        *spec.dependency_groups.values(),
    )
    named = {canonicalize_name(r.name) for reqs in tables for r in reqs}
    catalog.prefetch(sorted(named - {spec.name}))
    cuts: set[Version] = set()
    while True:
        universe = make_universe(spec.requires_python, spec.resolution, cuts)
        forker = _Forker(spec, catalog, roots, evaluate, prefs, universe)
        forks = forker.run()
        more = cuts | full_version_cuts(m for m, _ in forker.met)
        if make_universe(spec.requires_python, spec.resolution, more) == universe:
            break
        cuts = more  # a python_full_version marker splits a minor: redo with the finer universe
    packages = _merge(spec, catalog, universe, forks)
    logger.info(
        "resolved %d packages in %d forks (%d resolver runs, %d rounds, %d metadata) in %.2fs",
        len(packages),
        len(forks),
        forker.resolver_runs,
        forker.rounds,
        catalog.metadata_calls,
        time.perf_counter() - started,
    )
    return Resolution(
        packages=packages,
        environments=tuple(Marker(m) for m in spec.resolution.environments),
        universe=universe,
        forks=tuple(forks),
        requires_python=spec.requires_python,
        extras=tuple(sorted(spec.optional_dependencies)),
        dependency_groups=tuple(sorted(spec.dependency_groups)),
    )


def _index_url(spec: ProjectSpec, index: str) -> str:
    for config in spec.indexes:
        if index in (config.name, config.url):
            return config.url
    return index


def _merge(
    spec: ProjectSpec, catalog: Catalog, universe: tuple[Environment, ...], forks: list[Fork]
) -> tuple[LockedPackage, ...]:
    """One entry per (name, version): marker = union over forks of (environments x activation)."""
    where: dict[tuple[NormalizedName, Version], dict[Activation, list[Environment]]] = {}
    deps: dict[tuple[NormalizedName, Version], set[tuple[NormalizedName, Version]]] = {}
    for fork in forks:
        for name, activation in fork.activation.items():
            key = (name, fork.pins[name])
            where.setdefault(key, {}).setdefault(activation, []).extend(fork.environments)
            targets = deps.setdefault(key, set())
            targets.update((d, fork.pins[d]) for d in fork.requires.get(name, ()))
    versions_of: dict[NormalizedName, set[Version]] = {}
    for name, version in where:
        versions_of.setdefault(name, set()).add(version)
    packages: list[LockedPackage] = []
    for (name, version), by_activation in where.items():
        # Where the base reaches the package the marker is true whatever else it says, so the
        # extras/groups terms may cover those environments too (shorter): they describe their
        # environments against the universe without them.
        base = set(by_activation.get(frozenset(), ()))
        rest = tuple(e for e in universe if e not in base) if base else universe
        terms = [
            (describe(envs, universe if not activation else rest), activation_expr(activation))
            for activation, envs in sorted(by_activation.items(), key=lambda kv: sorted(kv[0]))
        ]
        envs_all = [e for envs in by_activation.values() for e in envs]
        dependencies = tuple(
            sorted(
                (
                    Dependency(d, v if len(versions_of[d]) > 1 else None)
                    for d, v in deps[(name, version)]
                ),
                key=lambda dep: (dep.name, dep.version or Version("0")),
            )
        )
        if catalog.direct is not None and name in catalog.direct.names:
            origin = catalog.direct.get(name).origin
            warn_wheel_gaps(name, origin, envs_all)
            packages.append(
                LockedPackage(
                    name=name,
                    version=version,
                    marker=to_marker(terms),
                    requires_python=catalog.requires_python(name, version),
                    index="",
                    wheels=(),
                    sdist=None,
                    dependencies=dependencies,
                    direct=origin,
                )
            )
            continue
        release = catalog.release(name, version)
        files = release.files
        wheels = wheels_for(release.wheels, envs_all)
        gaps = uncovered(wheels, release.sdist, envs_all)
        if not wheels and release.sdist is None:
            wheels = tuple(sorted(release.wheels, key=lambda w: w.filename))
        if gaps:
            logger.warning(
                "%s %s has no sdist and no wheel for %s: installing the lock there will fail",
                name,
                version,
                gaps,
            )
        packages.append(
            LockedPackage(
                name=name,
                version=version,
                marker=to_marker(terms),
                requires_python=catalog.requires_python(name, version),
                index=_index_url(spec, files[0].index),
                wheels=wheels,
                sdist=release.sdist,
                dependencies=dependencies,
            )
        )
    packages.sort(key=lambda p: (p.name, p.version, str(p.marker) if p.marker else ""))
    return tuple(packages)
