"""The universal resolution: resolve per class of environments, fork until no marker splits a
class, then merge the forks into `LockedPackage` entries with exact markers.

See docs/resolver.md for the algorithm, its cost and its limits.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import BaseReporter, Resolver
from resolvelib.resolvers import ResolutionImpossible, ResolutionTooDeep

from ..errors import ProjectError, ResolutionError
from ..index.locations import lock_index_url
from ..index.models import DirectOrigin, DistFile, PackageFinder
from ..project.direct import direct_references
from ..project.model import ProjectSpec
from .candidates import Candidate, Catalog, Req
from .direct import DirectPackages, warn_wheel_gaps
from .environments import (
    Environment,
    MarkerEvaluator,
    make_universe,
    matches,
    parse_markers,
    partition,
)
from .evaluate import SharedMarkerEvaluator
from .explain import explain
from .files import uncovered, wheels_for
from .fit import Fit
from .graph import Graph, walk
from .markers import (
    Activation,
    Expr,
    activation_expr,
    describe,
    environment_markers,
    full_version_cuts,
    render,
    to_marker,
)
from .packages import Dependency, LockedPackage
from .preferences import Pins, Preferences
from .provider import ForkContext, ProjectRoots, Provider
from .python_forks import Part, split_by_python, targets

if TYPE_CHECKING:
    from resolvelib.structs import RequirementInformation

    from .variants import ResolvedVariant

__all__ = [
    "Fork",
    "ForkInputs",
    "Forker",
    "Resolution",
    "direct_packages",
    "effective_preferences",
    "fork_inputs",
    "index_files",
    "index_url",
    "locked_entry",
    "resolve_lock",
]

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
    ``environments`` markers, one per platform of the universe (`markers.environment_markers`);
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
    #: the hardware variants, most preferred first (``[tool.pallet.variants]``; `resolve.variants`)
    variants: tuple[ResolvedVariant, ...] = ()


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


def effective_preferences(
    preferences: Preferences, upgrade: bool | frozenset[NormalizedName]
) -> Pins:
    if upgrade is True:
        return Pins({}, ())
    return Pins(preferences, upgrade if isinstance(upgrade, frozenset) else ())


def required_environments(
    spec: ProjectSpec, universe: tuple[Environment, ...]
) -> frozenset[Environment]:
    """The environments ``required-environments`` selects; each marker must select some."""
    required = parse_markers(spec.resolution.required_environments, "required-environments")
    for marker in required:
        if not any(matches(marker, e) for e in universe):
            raise ProjectError(
                "pyproject.toml: [tool.pallet.resolution] 'required-environments': "
                f"{str(marker)!r} selects no environment of the lock; it must name one of "
                "its platforms and Pythons (see 'environments', 'implementations', "
                "'linux-libc')",
                key="required-environments",
            )
    return frozenset(e for e in universe if any(matches(m, e) for m in required))


class Forker:
    """Runs the fork loop over one universe."""

    def __init__(
        self,
        spec: ProjectSpec,
        catalog: Catalog,
        roots: ProjectRoots,
        evaluate: MarkerEvaluator,
        preferences: Pins,
        universe: tuple[Environment, ...],
    ) -> None:
        self.spec = spec
        self.catalog = catalog
        self.roots = roots
        self.evaluate = evaluate
        self.preferences = preferences
        self.universe = universe
        self.required = required_environments(spec, universe)
        self.met: set[tuple[Marker, str]] = set()
        self.resolver_runs = 0
        self.rounds = 0

    def provider(
        self,
        envs: tuple[Environment, ...],
        seed: Mapping[NormalizedName, Version],
        locked: Mapping[NormalizedName, tuple[Version, ...]],
    ) -> Provider:
        ranges = self.catalog.intern(tuple(sorted({e.python for e in envs})))
        # The fork's locked pins come first; a parent's or another fork's choice never
        # overrides them (it is only the next thing tried).
        preferred: dict[NormalizedName, tuple[Version, ...]] = {
            name: (version,) for name, version in seed.items()
        }
        for name, versions in locked.items():
            extra = preferred.get(name, ())
            preferred[name] = versions + tuple(v for v in extra if v not in versions)
        context = ForkContext(
            envs[0],
            ranges,
            self.spec.resolution.prerelease,
            preferred,
            envs,
            tuple(e for e in envs if e in self.required),
        )
        return Provider(self.catalog, self.roots, context, self.evaluate)

    def python_parts(self, envs: tuple[Environment, ...], graph: Graph) -> list[Part]:
        """`python_forks`: the class cut where a package's best version changes with Python."""
        ranges = sorted({e.python for e in envs})
        if self.spec.resolution.fork_strategy == "fewest" or len(ranges) < 2:
            return [(envs, frozenset())]
        fits = []
        locked: list[dict[NormalizedName, Version]] = []
        for python in ranges:
            part = tuple(e for e in envs if e.python == python)
            required = tuple(e for e in part if e in self.required)
            fits.append((python, Fit(self.catalog, part, required)))
            # the pins locked on this range's environments (`preferences`), best first
            locked.append({n: vs[0] for n, vs in self.preferences.for_fork(part).items()})
        wanted = targets(
            self.catalog,
            graph.reqs,
            graph.pins,
            fits,
            locked,
            self.spec.resolution.prerelease,
        )
        return split_by_python(envs, ranges, wanted, graph.pins)

    def resolve(
        self, provider: Provider, envs: tuple[Environment, ...]
    ) -> dict[NormalizedName, Version]:
        stats = _Reporter(provider)
        resolver: Resolver[Req, Candidate, str] = Resolver(provider, stats)
        self.resolver_runs += 1
        try:
            result = resolver.resolve(provider.root_requirements(), max_rounds=MAX_ROUNDS)
        except ResolutionImpossible as exc:
            causes = list(exc.causes)
            message = explain(causes, provider, self.where(envs))
            raise ResolutionError(message + self.required_note(provider, causes)) from None
        except ResolutionTooDeep as exc:
            raise ResolutionError(
                f"Gave up after {exc.round_count} resolver rounds"
                + (f" for environments where `{self.where(envs)}`" if self.where(envs) else "")
                + "; pin some packages more tightly to narrow the search."
            ) from None
        finally:
            self.rounds += stats.rounds
        return {c.name: c.version for c in result.mapping.values() if c.kind == "package"}

    def required_note(
        self, provider: Provider, causes: list[RequirementInformation[Req, Candidate]]
    ) -> str:
        """Which packages of a failure lost versions to ``required-environments``."""
        names = sorted(
            {info.requirement.name for info in causes if info.requirement.kind == "package"}
        )
        lost = [
            n
            for n in names
            if any(not provider.fit.meets_required(n, r.version) for r in self.catalog.releases(n))
        ]
        if not lost:
            return ""
        markers = ", ".join(f"`{m}`" for m in self.spec.resolution.required_environments)
        return (
            f"\nVersions of {', '.join(f'`{n}`' for n in lost)} without a wheel for the "
            f"required environments ({markers}) were not considered."
        )

    def where(self, envs: tuple[Environment, ...]) -> str | None:
        expr = describe(envs, self.universe)
        return None if expr is None else render(expr)

    def run(self, classes: Sequence[tuple[Environment, ...]] = ()) -> list[Fork]:
        """The forks of the universe; ``classes``: a first partition of it, each resolved on its
        own (`resolve.variants` splits by which versions have files there)."""
        forks: list[Fork] = []
        # (environments, the parent's pins, names not to inherit, retried without them once)
        queue: deque[
            tuple[
                tuple[Environment, ...],
                dict[NormalizedName, Version] | None,
                frozenset[NormalizedName],
                bool,
            ]
        ]
        queue = deque((envs, None, frozenset(), False) for envs in classes or (self.universe,))
        known: dict[NormalizedName, Version] = {}
        while queue:
            envs, parent, drop, retried = queue.popleft()
            # A child fork tries its parent's pins first, then versions other forks chose (fewer
            # distinct versions in the lock), then the newest.
            seed = None
            if parent is not None:
                seed = {n: v for n, v in {**known, **parent}.items() if n not in drop}
            locked = self.preferences.for_fork(envs)
            provider = self.provider(envs, seed or {}, locked)
            if locked:
                # The pins locked on this fork's representative hold before any parent's; with
                # them even the first fork may need no resolver run (a relock after a change).
                seed = {**(seed or {}), **{name: versions[0] for name, versions in locked.items()}}
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
            self.met |= graph.met
            by_python = self.python_parts(envs, graph)
            if len(by_python) > 1 or (by_python[0][1] and not retried):
                # Requires-Python: newer versions for part of the class; resolve each part anew
                for part, names in by_python:
                    queue.append((part, pins, names, len(by_python) == 1))
                continue
            for name, version in pins.items():
                known.setdefault(name, version)
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
                queue.append((part, pins, frozenset(), False))
        return forks


@dataclass(frozen=True)
class ForkInputs:
    """What one run of the fork loop works on: a spec, its catalog, roots and locked pins."""

    spec: ProjectSpec
    catalog: Catalog
    roots: ProjectRoots
    prefs: Pins


def direct_packages(
    spec: ProjectSpec,
    finder: PackageFinder,
    locked_direct: Mapping[NormalizedName, DirectOrigin],
    upgrade: bool | frozenset[NormalizedName],
) -> DirectPackages | None:
    """The project's direct references, fetched (None when it has none)."""
    references = direct_references(spec)
    if not references:
        return None
    direct = DirectPackages(references, finder, locked=locked_direct, upgrade=upgrade)
    direct.expand()
    return direct


def fork_inputs(
    spec: ProjectSpec, finder: PackageFinder, direct: DirectPackages | None, prefs: Pins
) -> ForkInputs:
    """A catalog over ``finder`` for ``spec``, its named packages' pages prefetched."""
    catalog = Catalog(
        finder,
        direct,
        no_build=spec.resolution.no_build,
        no_binary=spec.resolution.no_binary,
    )
    tables = (
        spec.dependencies,
        *spec.optional_dependencies.values(),
        *spec.dependency_groups.values(),
    )
    named = {canonicalize_name(r.name) for reqs in tables for r in reqs}
    # the locked names too: a relock walks them before any resolver run
    catalog.prefetch(sorted((named | prefs.names) - {spec.name}))
    return ForkInputs(spec, catalog, ProjectRoots(spec), prefs)


def resolve_lock(
    spec: ProjectSpec,
    finder: PackageFinder,
    *,
    preferences: Preferences | None = None,
    upgrade: bool | frozenset[NormalizedName] = False,
    locked_direct: Mapping[NormalizedName, DirectOrigin] = {},
) -> Resolution:
    """Resolve the project's dependencies, every extra and every group, for every environment.

    ``preferences`` (versions in the current lock: one per name, or every locked entry as
    `Pin`s, each preferred on the environments its marker covers) are tried first, except for
    every package when ``upgrade`` is True or for the names in ``upgrade``; so are the commits
    of ``locked_direct`` (the lock's git entries). Raises `ResolutionError` with an
    explanation when no resolution exists, `IndexError_` when an index cannot be read.
    A project with ``[tool.pallet.variants]`` is resolved once per variant and merged
    (`resolve.variants`).
    """
    required_environments(
        spec, make_universe(spec.requires_python, spec.resolution)
    )  # errors before I/O
    if spec.variants is not None:
        from .variants import resolve_variants

        return resolve_variants(
            spec, finder, preferences=preferences, upgrade=upgrade, locked_direct=locked_direct
        )
    started = time.perf_counter()
    direct = direct_packages(spec, finder, locked_direct, upgrade)
    inputs = fork_inputs(spec, finder, direct, effective_preferences(preferences or {}, upgrade))
    evaluate = SharedMarkerEvaluator()
    cuts: set[Version] = set()
    while True:
        universe = make_universe(spec.requires_python, spec.resolution, cuts)
        forker = Forker(spec, inputs.catalog, inputs.roots, evaluate, inputs.prefs, universe)
        forks = forker.run()
        more = cuts | full_version_cuts(m for m, _ in forker.met)
        if make_universe(spec.requires_python, spec.resolution, more) == universe:
            break
        cuts = more  # a python_full_version marker splits a minor: redo with the finer universe
    packages = _merge(spec, inputs.catalog, universe, forks)
    logger.info(
        "resolved %d packages in %d forks (%d resolver runs, %d rounds, %d metadata) in %.2fs",
        len(packages),
        len(forks),
        forker.resolver_runs,
        forker.rounds,
        inputs.catalog.metadata_calls,
        time.perf_counter() - started,
    )
    return Resolution(
        packages=packages,
        environments=environment_markers(universe),
        universe=universe,
        forks=tuple(forks),
        requires_python=spec.requires_python,
        extras=tuple(sorted(spec.optional_dependencies)),
        dependency_groups=tuple(sorted(spec.dependency_groups)),
    )


def index_url(spec: ProjectSpec, index: str) -> str:
    """PEP 751 ``packages.index``: the index's URL, empty for a local folder (no key)."""
    for config in spec.indexes:
        if index in (config.name, config.url):
            return lock_index_url(config.url)
    return lock_index_url(index)


def _merge(
    spec: ProjectSpec, catalog: Catalog, universe: tuple[Environment, ...], forks: list[Fork]
) -> tuple[LockedPackage, ...]:
    """One entry per (name, version): marker = union over forks of (environments x activation)."""
    described: dict[tuple[frozenset[Environment], frozenset[Environment] | None], Expr | None]
    described = {}

    def _describe(envs: list[Environment], within: tuple[Environment, ...]) -> Expr | None:
        # many entries share a set of environments (every fork of a Python range, say)
        key = (frozenset(envs), None if within is universe else frozenset(within))
        if key not in described:
            described[key] = describe(envs, within)
        return described[key]

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
            (_describe(envs, universe if not activation else rest), activation_expr(activation))
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
        packages.append(
            locked_entry(spec, catalog, name, version, envs_all, to_marker(terms), dependencies)
        )
    packages.sort(key=lambda p: (p.name, p.version, str(p.marker) if p.marker else ""))
    return tuple(packages)


def locked_entry(
    spec: ProjectSpec,
    catalog: Catalog,
    name: NormalizedName,
    version: Version,
    envs: Sequence[Environment],
    marker: Marker | None,
    dependencies: tuple[Dependency, ...],
) -> LockedPackage:
    """One entry of the lock: a direct reference's origin (PEP 751 archive/directory/vcs: no
    files), else the index's files kept for ``envs`` (`index_files`)."""
    direct: DirectOrigin | None = None
    files: tuple[str, tuple[DistFile, ...], DistFile | None] = ("", (), None)
    if catalog.direct is not None and name in catalog.direct.names:
        direct = catalog.direct.get(name).origin
        warn_wheel_gaps(name, direct, envs)
    else:
        files = index_files(spec, catalog, name, version, envs)
    index, wheels, sdist = files
    return LockedPackage(
        name=name,
        version=version,
        marker=marker,
        requires_python=catalog.requires_python(name, version),
        index=index,
        wheels=wheels,
        sdist=sdist,
        dependencies=dependencies,
        direct=direct,
    )


def index_files(
    spec: ProjectSpec,
    catalog: Catalog,
    name: NormalizedName,
    version: Version,
    envs: Sequence[Environment],
) -> tuple[str, tuple[DistFile, ...], DistFile | None]:
    """An index package's entry: its index URL, the wheels kept for ``envs`` and its sdist;
    warns when the release is yanked or leaves some of ``envs`` without a file."""
    release = catalog.release(name, version)
    if release.all_yanked:  # PEP 592: say so, with the reason (only a project pin gets here)
        reason = f" ({release.yank_reason})" if release.yank_reason else ""
        logger.warning(
            "%s %s is yanked%s; it is locked because the project pins it with ==",
            name,
            version,
            reason,
        )
    wheels = wheels_for(release.wheels, envs)
    gaps = uncovered(wheels, release.sdist, envs)
    if not wheels and release.sdist is None:
        wheels = tuple(sorted(release.wheels, key=lambda w: w.filename))
    if gaps:
        logger.warning(
            "%s %s has no sdist and no wheel for %s: installing the lock there will fail",
            name,
            version,
            gaps,
            extra={"lock_entry": (name, str(version))},  # the CLI shows it once per entry
        )
    return index_url(spec, release.files[0].index), wheels, release.sdist
