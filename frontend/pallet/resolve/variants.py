"""Hardware variants in the universal lock (issue 12): one resolution per variant, merged.

Each variant of ``[tool.pallet.variants]`` is resolved by the ordinary fork loop over its own
spec: the variant's extra folded into the base requirements, the other variant extras left out,
and the variant's packages (the names its extra lists, plus ``packages``) looked up on the
variant's index wherever that index has a page for them. Every variant shares one finder, so each
file's metadata is read once (the index client keeps pages by (index, name), metadata by URL).

The merge keys entries by (name, version, index). An entry's marker is the OR over
environments x effective variant x activation; `markers.variant_expr` spells which selections of
extras make a variant effective (PEP 751 ``"x" in extras``; the first variant in preference order
that is selected and available, else the default). A variant is *unavailable* on an environment
when one of its packages there that the default's resolution does not have has no wheel that
installs there and no sdist (CUDA builds on macOS): there the default is installed whatever is
selected. See docs/resolver.md, "Variants".
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from ..errors import ResolutionError
from ..index.locations import lock_index_url
from ..index.models import DirectOrigin, DistFile, DistMetadata, PackageFinder
from ..project.model import ProjectSpec
from ..project.variants import VariantSpec
from .candidates import Catalog
from .environments import Environment, make_universe
from .evaluate import SharedMarkerEvaluator
from .files import covers
from .markers import (
    Activation,
    Expr,
    activation_expr,
    and_,
    describe,
    environment_markers,
    full_version_cuts,
    render,
    to_marker,
    variant_expr,
)
from .packages import Dependency, LockedPackage
from .preferences import Pin, Preferences
from .universal import (
    Fork,
    Forker,
    ForkInputs,
    Resolution,
    direct_packages,
    effective_preferences,
    fork_inputs,
    index_url,
    locked_entry,
)

__all__ = [
    "ResolvedVariant",
    "VariantFinder",
    "coverage_classes",
    "resolve_variants",
    "variant_finder",
    "variant_spec",
]

logger = logging.getLogger(__name__)

#: An entry of the merged lock: name, version and the index URL ("" for a direct reference).
EntryKey = tuple[NormalizedName, Version, str]


@dataclass(frozen=True)
class ResolvedVariant:
    """One variant as resolved: what the lock records of it, and its forks for `check`."""

    name: str
    requires: str | None
    #: the variant's index URL as the lock writes it (no credentials); None without one
    index: str | None
    #: PEP 508 marker of the environments where it cannot install; None: it installs everywhere
    unavailable: Marker | None
    unavailable_on: frozenset[Environment]
    spec: ProjectSpec
    forks: tuple[Fork, ...]


class VariantFinder:
    """A `PackageFinder` that looks the variant's packages up on the variant's index (when it has
    files of them) and passes everything else on; the inner finder's caches are shared."""

    def __init__(
        self, inner: PackageFinder, index: str | None, names: Iterable[NormalizedName]
    ) -> None:
        self._inner = inner
        self.index = index
        self.names = frozenset(names) if index is not None else frozenset()

    def files(self, name: NormalizedName) -> Sequence[DistFile]:
        if name in self.names:
            files_on = getattr(self._inner, "files_on", None)
            if files_on is None:
                raise TypeError("a variant index needs a finder with files_on (IndexClient)")
            found: Sequence[DistFile] = files_on(self.index, name)
            if found:
                return found
        return self._inner.files(name)

    def metadata(self, file: DistFile) -> DistMetadata:
        return self._inner.metadata(file)

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        wanted = list(names)
        self._inner.prefetch([n for n in wanted if n not in self.names])
        ours = [n for n in wanted if n in self.names]
        prefetch_on = getattr(self._inner, "prefetch_on", None)
        if ours and prefetch_on is not None:  # every variant's pages are read at once
            prefetch_on(self.index, ours)

    def __getattr__(self, name: str) -> Any:  # direct(), lock_files(), … as the finder has them
        return getattr(self._inner, name)


def _variant_names(spec: ProjectSpec, variant: VariantSpec) -> set[NormalizedName]:
    """The variant's packages: the names its extra lists, and its ``packages``."""
    listed = {canonicalize_name(r.name) for r in spec.optional_dependencies[variant.name]}
    return (listed | set(variant.packages)) - {spec.name}


def _allowed_versions(
    spec: ProjectSpec, variant: VariantSpec
) -> dict[NormalizedName, SpecifierSet]:
    """The variant's packages, each with the specifiers its extra gives it (all versions for
    a name it does not constrain)."""
    allowed = {name: SpecifierSet() for name in _variant_names(spec, variant)}
    for requirement in spec.optional_dependencies[variant.name]:
        name = canonicalize_name(requirement.name)
        if name in allowed:
            allowed[name] &= requirement.specifier
    return allowed


def variant_spec(spec: ProjectSpec, variant: VariantSpec) -> ProjectSpec:
    """The spec one variant is resolved with: its extra folded into the base, the other variant
    extras left out."""
    assert spec.variants is not None
    names = spec.variants.names
    return dataclasses.replace(
        spec,
        dependencies=(*spec.dependencies, *spec.optional_dependencies[variant.name]),
        optional_dependencies={
            k: v for k, v in spec.optional_dependencies.items() if k not in names
        },
        variants=None,
    )


def variant_finder(spec: ProjectSpec, variant: VariantSpec, finder: PackageFinder) -> VariantFinder:
    return VariantFinder(finder, variant.index, _variant_names(spec, variant))


def _variant_preferences(
    preferences: Preferences, names: Sequence[str], variant: str
) -> dict[NormalizedName, Version | Sequence[Pin]]:
    """The lock's pins as seen by one variant: each entry's marker evaluated with that
    variant's extra selected and no other variant's."""
    out: dict[NormalizedName, Version | Sequence[Pin]] = {}
    for name, value in preferences.items():
        if isinstance(value, Version):
            out[name] = value
            continue
        out[name] = tuple(
            dataclasses.replace(pin, extras=(pin.extras - set(names)) | {variant}) for pin in value
        )
    return out


def coverage_classes(
    catalog: Catalog,
    names: Mapping[NormalizedName, SpecifierSet],
    universe: tuple[Environment, ...],
) -> list[tuple[Environment, ...]]:
    """The universe split by the newest version of each of the variant's packages that has a
    file there. A variant index often serves another build per platform (``2.5.1+cpu`` for
    Linux and Windows, plain ``2.5.1`` for macOS): no version installs everywhere, and one
    class would lock the newest, fileless on macOS; resolved per class, each platform gets the
    build it has. ``names``: each package with the versions the variant's extra allows."""
    signature: dict[Environment, tuple[Version | None, ...]] = {}
    for env in universe:
        best: list[Version | None] = []
        for name, allowed in sorted(names.items()):
            if catalog.direct is not None and name in catalog.direct.names:
                continue
            found = next(
                (
                    r.version
                    for r in catalog.releases(name)
                    if allowed.contains(r.version, prereleases=True)
                    and covers(r.wheels, r.sdist, env)
                ),
                None,
            )
            best.append(found)
        signature[env] = tuple(best)
    classes: dict[tuple[Version | None, ...], list[Environment]] = {}
    for env in universe:
        classes.setdefault(signature[env], []).append(env)
    return [tuple(envs) for envs in classes.values()]


def _public_url(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def resolve_variants(
    spec: ProjectSpec,
    finder: PackageFinder,
    *,
    preferences: Preferences | None = None,
    upgrade: bool | frozenset[NormalizedName] = False,
    locked_direct: Mapping[NormalizedName, DirectOrigin] = {},
) -> Resolution:
    """`universal.resolve_lock` for a project with ``[tool.pallet.variants]``."""
    config = spec.variants
    assert config is not None
    started = time.perf_counter()
    direct = direct_packages(spec, finder, locked_direct, upgrade)
    inputs: list[ForkInputs] = []
    for variant in config.order:
        prefs = _variant_preferences(preferences or {}, config.names, variant.name)
        inputs.append(
            fork_inputs(
                variant_spec(spec, variant),
                variant_finder(spec, variant, finder),
                direct,
                effective_preferences(prefs, upgrade),
            )
        )
    evaluate = SharedMarkerEvaluator()
    cuts: set[Version] = set()
    while True:
        universe = make_universe(spec.requires_python, spec.resolution, cuts)
        forkers = [Forker(i.spec, i.catalog, i.roots, evaluate, i.prefs, universe) for i in inputs]
        runs: list[list[Fork]] = []
        for variant, forker, given in zip(config.order, forkers, inputs):
            allowed = _allowed_versions(spec, variant)
            try:
                runs.append(forker.run(coverage_classes(given.catalog, allowed, universe)))
            except ResolutionError as exc:
                raise ResolutionError(f"variant {variant.name!r}: {exc}") from None
        more = cuts | full_version_cuts(m for f in forkers for m, _ in f.met)
        if make_universe(spec.requires_python, spec.resolution, more) == universe:
            break
        cuts = more  # a python_full_version marker splits a minor: redo with the finer universe
    merge = _Merge(spec, inputs, universe, runs)
    packages = merge.packages()
    logger.info(
        "resolved %d variants, %d packages in %d forks (%d resolver runs, %d metadata) in %.2fs",
        len(config.order),
        len(packages),
        sum(len(r) for r in runs),
        sum(f.resolver_runs for f in forkers),
        sum(i.catalog.metadata_calls for i in inputs),
        time.perf_counter() - started,
    )
    default_run = runs[config.names.index(config.default)]
    return Resolution(
        packages=packages,
        environments=environment_markers(universe),
        universe=universe,
        forks=tuple(default_run),
        requires_python=spec.requires_python,
        extras=tuple(sorted(spec.optional_dependencies)),
        dependency_groups=tuple(sorted(spec.dependency_groups)),
        variants=merge.resolved_variants(),
    )


class _Merge:
    """The variants' forks merged into one set of entries (see the module docstring)."""

    def __init__(
        self,
        spec: ProjectSpec,
        inputs: Sequence[ForkInputs],
        universe: tuple[Environment, ...],
        runs: Sequence[Sequence[Fork]],
    ) -> None:
        assert spec.variants is not None
        self.spec = spec
        self.config = spec.variants
        self.inputs = inputs
        self.universe = universe
        self.runs = runs
        self.names = self.config.names
        self.default = self.config.default
        self.fork_of: list[dict[Environment, Fork]] = [
            {e: fork for fork in run for e in fork.environments} for run in runs
        ]
        self._index: dict[tuple[int, NormalizedName, Version], str] = {}
        self.unavailable = [self._unavailable(i) for i in range(len(self.names))]

    def index_of(self, variant: int, name: NormalizedName, version: Version) -> str:
        """The entry's index URL in this variant's resolution ("" for a direct reference)."""
        key = (variant, name, version)
        hit = self._index.get(key)
        if hit is None:
            catalog = self.inputs[variant].catalog
            if catalog.direct is not None and name in catalog.direct.names:
                hit = ""
            else:
                hit = index_url(self.spec, catalog.release(name, version).files[0].index)
            self._index[key] = hit
        return hit

    def _unavailable(self, variant: int) -> frozenset[Environment]:
        """Where one of the variant's own packages (not the default's entry) has no file."""
        if self.names[variant] == self.default:
            return frozenset()
        base = self.names.index(self.default)
        catalog = self.inputs[variant].catalog
        out: set[Environment] = set()
        for env in self.universe:
            fork = self.fork_of[variant][env]
            theirs = self.fork_of[base][env].pins
            for name, version in fork.pins.items():
                key = self.index_of(variant, name, version)
                same = name in theirs and theirs[name] == version
                if key == "" or (same and self.index_of(base, name, version) == key):
                    continue
                release = catalog.release(name, version)
                if not covers(release.wheels, release.sdist, env):
                    out.add(env)
                    break
        return frozenset(out)

    def available(self, env: Environment) -> tuple[str, ...]:
        return tuple(
            v
            for i, v in enumerate(self.names)
            if v == self.default or env not in self.unavailable[i]
        )

    def packages(self) -> tuple[LockedPackage, ...]:
        # entry -> environment -> activation -> the variants in which it is so
        where: dict[EntryKey, dict[Environment, dict[Activation, set[str]]]] = {}
        deps: dict[EntryKey, set[EntryKey]] = {}
        owner: dict[EntryKey, int] = {}
        for i, run in enumerate(self.runs):
            for fork in run:
                envs = [e for e in fork.environments if e not in self.unavailable[i]]
                if not envs:
                    continue
                for name, activation in fork.activation.items():
                    version = fork.pins[name]
                    key = (name, version, self.index_of(i, name, version))
                    owner.setdefault(key, i)
                    by_env = where.setdefault(key, {})
                    for env in envs:
                        by_env.setdefault(env, {}).setdefault(activation, set()).add(self.names[i])
                    deps.setdefault(key, set()).update(
                        (d, fork.pins[d], self.index_of(i, d, fork.pins[d]))
                        for d in fork.requires.get(name, ())
                    )
        versions_of: dict[NormalizedName, set[Version]] = {}
        indexes_of: dict[tuple[NormalizedName, Version], set[str]] = {}
        for name, version, index in where:
            versions_of.setdefault(name, set()).add(version)
            indexes_of.setdefault((name, version), set()).add(index)
        described: dict[tuple[frozenset[Environment], frozenset[Environment] | None], Expr | None]
        described = {}
        packages: list[LockedPackage] = []
        for key, by_env in where.items():
            name, version, _ = key
            groups: dict[tuple[Activation, str], tuple[Expr | None, list[Environment]]] = {}
            for env, by_activation in by_env.items():
                available = self.available(env)
                for activation, variants in by_activation.items():
                    expr = variant_expr(variants, available, self.default)
                    text = "" if expr is None else render(expr)
                    groups.setdefault((activation, text), (expr, []))[1].append(env)
            # Where the entry is always installed (no extra, every variant) the other terms may
            # be true too (shorter): they describe their environments against the rest.
            base = set(groups.get((frozenset(), ""), (None, []))[1])
            rest = tuple(e for e in self.universe if e not in base) if base else self.universe
            rest_key = frozenset(rest) if base else None
            terms: list[tuple[Expr | None, Expr | None]] = []
            for (activation, _text), (expr, envs) in sorted(
                groups.items(), key=lambda kv: (sorted(kv[0][0]), kv[0][1])
            ):
                always = not activation and expr is None
                chosen = envs if always else [e for e in envs if e not in base]
                if not chosen:
                    continue  # covered by the base term
                cell = (frozenset(chosen), None if always else rest_key)
                if cell not in described:
                    described[cell] = describe(chosen, self.universe if always else rest)
                terms.append((described[cell], and_([activation_expr(activation), expr])))
            envs_all = list(by_env)
            dependencies = tuple(
                sorted(
                    (
                        Dependency(
                            d,
                            v if len(versions_of[d]) > 1 else None,
                            ix if len(indexes_of[(d, v)]) > 1 else None,
                        )
                        for d, v, ix in deps[key]
                    ),
                    key=lambda dep: (dep.name, dep.version or Version("0"), dep.index or ""),
                )
            )
            catalog = self.inputs[owner[key]].catalog
            packages.append(
                locked_entry(
                    self.spec, catalog, name, version, envs_all, to_marker(terms), dependencies
                )
            )
        packages.sort(key=lambda p: (p.name, p.version, str(p.marker) if p.marker else ""))
        return tuple(packages)

    def resolved_variants(self) -> tuple[ResolvedVariant, ...]:
        out: list[ResolvedVariant] = []
        indexes = {config.name: config for config in self.spec.indexes}
        for i, variant in enumerate(self.config.order):
            envs = self.unavailable[i]
            marker: Marker | None = None
            if envs and len(envs) == len(self.universe):
                logger.warning(
                    "variant %r installs nowhere: its packages have no file for any environment "
                    "of the lock; the default %r is installed instead",
                    variant.name,
                    self.default,
                )
                marker = Marker(" or ".join(f"({m})" for m in environment_markers(self.universe)))
            elif envs:
                expr = describe(envs, self.universe)
                marker = None if expr is None else Marker(render(expr))
            url = None
            if variant.index is not None:
                url = lock_index_url(indexes[variant.index].url) or None
            out.append(
                ResolvedVariant(
                    name=variant.name,
                    requires=variant.requires,
                    index=_public_url(url) if url else None,
                    unavailable=marker,
                    unavailable_on=envs,
                    spec=self.inputs[i].spec,
                    forks=tuple(self.runs[i]),
                )
            )
        return tuple(out)
