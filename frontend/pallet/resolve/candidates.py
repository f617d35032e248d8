"""The resolver's requirements and candidates, and `Catalog`: the finder's answers, memoised.

Identifiers (what resolvelib keys its state by):
- ``name``: a package (normalized name); ``name[extra]``: that package's extra, a candidate that
  depends on ``name`` at the same version plus the extra's own requirements;
- ``:base:``, ``:extra:<x>``, ``:group:<g>``: the project's dependencies, one optional-dependency
  table and one dependency group (virtual candidates, the roots of the graph);
- ``:python:``: the Python versions of the fork, required by every Requires-Python.

One `Catalog` serves every fork of a lock, so each project page, each metadata file and each
specifier match is computed once per lock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from ..index.models import DistFile, DistMetadata, PackageFinder
from ..project.model import PackageSwitch, switch_applies
from .environments import Environment, PythonRange
from .files import wheel_fits

if TYPE_CHECKING:
    from .direct import DirectPackages

__all__ = [
    "PYTHON",
    "Candidate",
    "Catalog",
    "Edge",
    "Release",
    "Req",
    "RootSource",
    "package_reqs",
]

logger = logging.getLogger(__name__)

Kind = Literal["package", "root", "python"]
#: ``("base", "")``, ``("extra", x)`` or ``("group", g)``
RootSource = tuple[str, str]


@dataclass(frozen=True)
class Req:
    """One requirement as resolvelib sees it: an identifier and a specifier."""

    identifier: str
    name: NormalizedName
    extra: str | None
    specifier: SpecifierSet
    kind: Kind = "package"
    source: Requirement | None = field(default=None, compare=False, hash=False)
    #: a requirement of the project itself (its dependencies, an extra, a group)
    direct: bool = field(default=False, compare=False, hash=False)

    def __str__(self) -> str:
        if self.kind == "python":
            return f"Python {self.specifier}"
        if self.kind == "root":
            return root_label(self.name, root_source(self.identifier))
        base = self.name if self.extra is None else f"{self.name}[{self.extra}]"
        return f"{base}{self.specifier}"

    @property
    def exact_pins(self) -> tuple[Version, ...]:
        """Versions this requirement names with ``==`` or ``===`` (no wildcard)."""
        pins: list[Version] = []
        for spec in self.specifier:
            if spec.operator in ("==", "===") and not spec.version.endswith(".*"):
                try:
                    pins.append(Version(spec.version))
                except ValueError:
                    continue
        return tuple(pins)


@dataclass(frozen=True)
class Candidate:
    """One choice for an identifier: a package version, a root source or the fork's Python."""

    identifier: str
    name: NormalizedName
    version: Version
    extra: str | None = None
    kind: Kind = "package"

    def __str__(self) -> str:
        if self.kind == "root":
            return root_label(self.name, root_source(self.identifier))
        if self.kind == "python":
            return "Python"
        base = self.name if self.extra is None else f"{self.name}[{self.extra}]"
        return f"{base} {self.version}"


PYTHON = Candidate(":python:", NormalizedName("python"), Version("0"), kind="python")


def root_identifier(source: RootSource) -> str:
    kind, name = source
    return ":base:" if kind == "base" else f":{kind}:{name}"


def root_source(identifier: str) -> RootSource:
    _, kind, name = identifier.split(":", 2)
    return (kind, name)


def root_label(project: str, source: RootSource) -> str:
    kind, name = source
    if kind == "base":
        return project
    if kind == "extra":
        return f"{project}[{name}]"
    return f"{project}'s dependency group `{name}`"


def package_reqs(requirement: Requirement, *, direct: bool = False) -> tuple[Req, ...]:
    """``a[x,y]>=1`` -> ``a>=1``, ``a[x]>=1``, ``a[y]>=1``; ``direct``: the project's own. A
    direct reference (``a @ url``) becomes a requirement with no specifier: its one candidate
    comes from the `Catalog`."""
    name = canonicalize_name(requirement.name)
    spec = requirement.specifier
    reqs = [Req(name, name, None, spec, source=requirement, direct=direct)]
    for extra in sorted({canonicalize_name(e) for e in requirement.extras}):
        reqs.append(Req(f"{name}[{extra}]", name, extra, spec, source=requirement, direct=direct))
    return tuple(reqs)


@dataclass(frozen=True)
class Edge:
    """One declared requirement line of a candidate, before its marker is evaluated.

    It applies when ``marker`` is ``None`` or true with ``extra`` set to ``extra``; with
    ``only_extra`` it must also be false with no extra (requirements of an extra candidate that
    the base candidate already carries are left to the base).
    """

    marker: Marker | None
    extra: str
    reqs: tuple[Req, ...]
    only_extra: bool = False


@dataclass(frozen=True)
class Release:
    """One version of a project: its files (yanked ones dropped unless all are yanked)."""

    version: Version
    files: tuple[DistFile, ...]
    all_yanked: bool

    @property
    def wheels(self) -> tuple[DistFile, ...]:
        return tuple(f for f in self.files if f.kind == "wheel")

    @property
    def sdist(self) -> DistFile | None:
        return next((f for f in self.files if f.kind == "sdist"), None)

    @property
    def yank_reason(self) -> str:
        """The index's reason for yanking (PEP 592), ``""`` when it gave none."""
        return next((f.yanked for f in self.files if f.yanked), "")


class Catalog:
    """Memoised view of a `PackageFinder` shared by every fork of one lock."""

    def __init__(
        self,
        finder: PackageFinder,
        direct: DirectPackages | None = None,
        *,
        no_build: PackageSwitch = False,
        no_binary: PackageSwitch = False,
    ) -> None:
        self.finder = finder
        #: packages taken from direct references (one release each, no index lookup)
        self.direct = direct
        self._direct_names = direct.names if direct is not None else frozenset()
        #: ``[tool.pallet.resolution]`` no-build / no-binary: which files of a package count
        self.no_build = no_build
        self.no_binary = no_binary
        #: versions that no-build / no-binary left without a usable file, per package
        self.excluded: dict[NormalizedName, tuple[Version, ...]] = {}
        self._releases: dict[NormalizedName, tuple[Release, ...]] = {}
        # Keyed by object identity: hashing a SpecifierSet re-canonicalizes every version in it,
        # which dominated the profile. Keys stay valid because `_alive` holds the objects.
        self._matching: dict[tuple[NormalizedName, int], frozenset[Version]] = {}
        self._alive: list[object] = []
        self._metadata: dict[tuple[NormalizedName, Version], DistMetadata] = {}
        self._edges: dict[Candidate, tuple[Edge, ...]] = {}
        self._admits: dict[tuple[int, int], bool] = {}
        self._python_ok: dict[tuple[int, int], bool] = {}
        self._release_pythons: dict[int, tuple[SpecifierSet | None, ...]] = {}
        self._specs: dict[str, SpecifierSet | None] = {}
        self._by_version: dict[NormalizedName, dict[Version, Release]] = {}
        self._ranges: dict[tuple[PythonRange, ...], tuple[PythonRange, ...]] = {}
        self._prefetched: set[NormalizedName] = set()
        self.metadata_calls = 0

    def prefetch(self, names: Sequence[NormalizedName]) -> None:
        new = [
            n
            for n in names
            if n not in self._prefetched and n not in self._releases and n not in self._direct_names
        ]
        if new:
            self._prefetched.update(new)
            self.finder.prefetch(new)

    def releases(self, name: NormalizedName) -> tuple[Release, ...]:
        """Every version of ``name``, newest first."""
        cached = self._releases.get(name)
        if cached is None and name in self._direct_names:
            assert self.direct is not None
            metadata = self.direct.get(name).metadata
            self._metadata[(name, metadata.version)] = metadata
            cached = self._releases[name] = (Release(metadata.version, (), False),)
        if cached is None:
            by_version: dict[Version, list[DistFile]] = {}
            for file in self.finder.files(name):
                by_version.setdefault(file.version, []).append(file)
            out: list[Release] = []
            usable = self._usable_kinds(name)
            excluded: list[Version] = []
            for version in sorted(by_version, reverse=True):
                files = [f for f in by_version[version] if f.kind in usable]
                if not files:  # no-build: only an sdist; no-binary: only wheels
                    excluded.append(version)
                    continue
                # PEP 592: yanked files are ignored unless nothing else is left (then only the
                # project's own exact == pin may select them; the provider checks that).
                kept = [f for f in files if not f.is_yanked]
                out.append(Release(version, tuple(kept or files), not kept))
            if excluded:
                self.excluded[name] = tuple(excluded)
            cached = self._releases[name] = tuple(out)
        return cached

    def _usable_kinds(self, name: NormalizedName) -> frozenset[str]:
        """no-build: an sdist is never a source (it would need its backend); no-binary: a wheel
        never is. The project itself is never looked up here, so neither applies to it."""
        kinds = {"wheel", "sdist"}
        if switch_applies(self.no_build, name):
            kinds.discard("sdist")
        if switch_applies(self.no_binary, name):
            kinds.discard("wheel")
        return frozenset(kinds)

    def constraint(self, name: NormalizedName) -> tuple[str, str] | None:
        """Why no-build / no-binary left versions of ``name`` out: the file kind they lack and
        the setting, ``("wheel", "no-build")``; None when nothing was left out."""
        if name not in self.excluded:
            return None
        if switch_applies(self.no_build, name):
            return ("wheel", "no-build")
        return ("sdist", "no-binary")

    def release(self, name: NormalizedName, version: Version) -> Release:
        index = self._by_version.get(name)
        if index is None:
            index = self._by_version[name] = {r.version: r for r in self.releases(name)}
        return index[version]

    def matching(self, req: Req) -> frozenset[Version]:
        """Versions of ``req.name`` its specifier contains (pre-releases included)."""
        key = (req.name, id(req.specifier))
        hit = self._matching.get(key)
        if hit is None:
            self._alive.append(req.specifier)
            hit = frozenset(
                r.version
                for r in self.releases(req.name)
                if req.specifier.contains(r.version, prereleases=True)
            )
            self._matching[key] = hit
        return hit

    def intern(self, ranges: tuple[PythonRange, ...]) -> tuple[PythonRange, ...]:
        """One shared tuple per distinct set of Python ranges (the caches key on its identity)."""
        return self._ranges.setdefault(ranges, ranges)

    def admits(self, spec: SpecifierSet | None, ranges: tuple[PythonRange, ...]) -> bool:
        """Whether a Requires-Python admits every Python range of a fork (checked at the low
        end of each range). ``ranges`` must come from `intern`."""
        if spec is None:
            return True
        key = (id(spec), id(ranges))
        hit = self._admits.get(key)
        if hit is None:
            self._alive.append(spec)
            hit = self._admits[key] = all(spec.contains(r.low, prereleases=True) for r in ranges)
        return hit

    def python_ok(self, release: Release, ranges: tuple[PythonRange, ...]) -> bool:
        """The index's ``data-requires-python``: some file admits the fork's Pythons."""
        if not release.files:  # a direct reference: its metadata's Requires-Python decides
            return True
        key = (id(release), id(ranges))
        hit = self._python_ok.get(key)
        if hit is None:
            self._alive.append(release)
            specs = self._release_pythons.get(id(release))
            if specs is None:
                # one shared object per text, so `admits` hits its cache across releases
                texts = sorted(
                    {str(f.requires_python): f.requires_python for f in release.files}.items()
                )
                specs = self._release_pythons[id(release)] = tuple(
                    self._specs.setdefault(text, spec) for text, spec in texts
                )
            hit = any(self.admits(spec, ranges) for spec in specs)
            self._python_ok[key] = hit
        return hit

    def metadata(self, name: NormalizedName, version: Version, env: Environment) -> DistMetadata:
        """Metadata of one version, from one file: a wheel for ``env``, else the smallest wheel,
        else the sdist (all wheels of a version are assumed to share their metadata)."""
        key = (name, version)
        hit = self._metadata.get(key)
        if hit is None:
            release = self.release(name, version)
            wheels = release.wheels
            fitting = [w for w in wheels if wheel_fits(w, [env])]
            if fitting:
                chosen = min(fitting, key=lambda w: w.filename)
            elif wheels:
                chosen = min(wheels, key=lambda w: (w.size or 0, w.filename))
            else:
                sdist = release.sdist
                chosen = sdist if sdist is not None else release.files[0]
            self.metadata_calls += 1
            logger.debug("metadata of %s %s from %s", name, version, chosen.filename)
            hit = self._metadata[key] = self.finder.metadata(chosen)
        return hit

    def requires_python(self, name: NormalizedName, version: Version) -> SpecifierSet | None:
        md = self._metadata.get((name, version))
        if md is not None:
            return md.requires_python
        return next(
            (f.requires_python for f in self.release(name, version).files if f.requires_python),
            None,
        )

    def edges(self, candidate: Candidate, env: Environment) -> tuple[Edge, ...]:
        """The requirement lines of a package candidate (not of roots; see the provider)."""
        hit = self._edges.get(candidate)
        if hit is None:
            md = self.metadata(candidate.name, candidate.version, env)
            edges: list[Edge] = []
            if md.requires_python is not None and candidate.extra is None:
                python = Req(":python:", PYTHON.name, None, md.requires_python, kind="python")
                edges.append(Edge(None, "", (python,)))
            for r in md.requires_dist:
                if r.url:
                    self._check_url(candidate, r)
            if candidate.extra is None:
                for r in md.requires_dist:
                    edges.append(Edge(r.marker, "", package_reqs(r)))
            else:
                exact = SpecifierSet(f"=={candidate.version}")
                edges.append(Edge(None, "", (Req(candidate.name, candidate.name, None, exact),)))
                if candidate.extra not in md.provides_extra:
                    logger.warning(
                        "%s %s does not provide the extra %r",
                        candidate.name,
                        candidate.version,
                        candidate.extra,
                    )
                for r in md.requires_dist:
                    if r.marker is not None:
                        edges.append(Edge(r.marker, candidate.extra, package_reqs(r), True))
            hit = self._edges[candidate] = tuple(edges)
        return hit

    def _check_url(self, candidate: Candidate, requirement: Requirement) -> None:
        """A dependency's ``name @ url`` stands only where the project declares the same."""
        from .direct import DirectPackages

        direct = self.direct if self.direct is not None else DirectPackages({}, self.finder)
        direct.check_dependency(f"{candidate.name} {candidate.version}", requirement)
