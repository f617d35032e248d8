"""The resolvelib provider: where packaging rules (PEP 440, 508, 592, Requires-Python) meet the
engine. One provider resolves one fork: one class of environments, evaluated at a representative.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version
from resolvelib import AbstractProvider

from ..project.model import PrereleaseMode, ProjectSpec
from .candidates import (
    PYTHON,
    Candidate,
    Catalog,
    Edge,
    Req,
    RootSource,
    package_reqs,
    root_identifier,
)
from .environments import Environment, MarkerEvaluator, PythonRange
from .fit import Fit

if TYPE_CHECKING:
    from resolvelib.providers import Preference
    from resolvelib.structs import RequirementInformation

    Info = RequirementInformation[Req, Candidate]

__all__ = ["ForkContext", "ProjectRoots", "Provider", "active_reqs"]

logger = logging.getLogger(__name__)

#: Cap on how many candidates `get_preference` counts for one identifier.
_COUNT_CAP = 20


class ProjectRoots:
    """The project as virtual root candidates: its dependencies, each extra, each group.

    A requirement on the project itself (``app[extra]`` in a dependency group, PEP 735's usual
    self-reference; or ``app[other]`` inside an extra) becomes a requirement on the root of that
    extra, or on the base root for a bare ``app``.
    """

    def __init__(self, spec: ProjectSpec) -> None:
        self.project = spec.name
        self.requires_python = spec.requires_python
        #: a workspace's members (`project.workspace`): conflicts are told by member
        self.members = frozenset(member.name for member in spec.workspace_members)
        try:
            self.version = Version(spec.version or "0")
        except InvalidVersion:  # dynamic or odd: the roots' version is never compared
            self.version = Version("0")
        self.sources: tuple[RootSource, ...] = (
            ("base", ""),
            *(("extra", x) for x in sorted(spec.optional_dependencies)),
            *(("group", g) for g in sorted(spec.dependency_groups)),
        )
        tables: dict[RootSource, Sequence[Requirement]] = {("base", ""): spec.dependencies}
        tables.update({("extra", x): reqs for x, reqs in spec.optional_dependencies.items()})
        tables.update({("group", g): reqs for g, reqs in spec.dependency_groups.items()})
        self._edges = {
            source: tuple(self._edge(r) for r in reqs) for source, reqs in tables.items()
        }

    def _edge(self, requirement: Requirement) -> Edge:
        if canonicalize_name(requirement.name) != self.project:
            return Edge(requirement.marker, "", package_reqs(requirement, direct=True))
        extras = sorted({canonicalize_name(e) for e in requirement.extras})
        targets: list[RootSource] = [("extra", x) for x in extras] or [("base", "")]
        return Edge(requirement.marker, "", tuple(self.requirement(t) for t in targets))

    def requirement(self, source: RootSource) -> Req:
        return Req(root_identifier(source), self.project, None, SpecifierSet(), kind="root")

    def candidate(self, identifier: str) -> Candidate:
        return Candidate(identifier, self.project, self.version, kind="root")

    def edges(self, identifier: str) -> tuple[Edge, ...]:
        _, kind, name = identifier.split(":", 2)
        return self._edges.get((kind, name), ())


@dataclass(frozen=True)
class ForkContext:
    """What one fork resolves for."""

    representative: Environment
    ranges: tuple[PythonRange, ...]  # the fork's Python ranges (for Requires-Python)
    prerelease: PrereleaseMode
    #: per name, the versions to try first, best first (locked pins, then other forks' choices)
    preferences: Mapping[NormalizedName, tuple[Version, ...]]
    #: the fork's environments (file coverage) and those of them that are required (see `fit`)
    environments: tuple[Environment, ...] = ()
    required: tuple[Environment, ...] = ()


def active_reqs(
    catalog: Catalog,
    roots: ProjectRoots,
    candidate: Candidate,
    env: Environment,
    evaluate: MarkerEvaluator,
    met: set[tuple[Marker, str]] | None = None,
) -> list[Req]:
    """The requirements of ``candidate`` on ``env``; every marker evaluated goes into ``met``."""
    if candidate.kind == "python":
        return []
    edges = (
        roots.edges(candidate.identifier)
        if candidate.kind == "root"
        else catalog.edges(candidate, env)
    )
    out: list[Req] = []
    for edge in edges:
        if edge.marker is not None:
            if met is not None:
                met.add((edge.marker, edge.extra))
                if edge.only_extra:
                    met.add((edge.marker, ""))
            if not evaluate(edge.marker, env, edge.extra):
                continue
            if edge.only_extra and evaluate(edge.marker, env, ""):
                continue
        out.extend(edge.reqs)
    return out


def _project_pins(reqs: Iterable[Req]) -> set[Version]:
    """Versions the project's own requirements among ``reqs`` pin with ``==``/``===``."""
    pins: set[Version] = set()
    for r in reqs:
        if r.direct:
            pins.update(r.exact_pins)
    return pins


class Provider(AbstractProvider[Req, Candidate, str]):
    """Resolvelib provider for one fork."""

    def __init__(
        self,
        catalog: Catalog,
        roots: ProjectRoots,
        context: ForkContext,
        evaluate: MarkerEvaluator,
    ) -> None:
        self.catalog = catalog
        self.roots = roots
        self.context = context
        self.evaluate = evaluate
        #: identifier -> every (requirement, parent) seen for it, for explanations
        self.parents: dict[str, list[tuple[Req, Candidate]]] = {}
        self._deps: dict[Candidate, list[Req]] = {}
        self._eligible_cache: dict[NormalizedName, list[tuple[Version, bool]]] = {}
        self.conflicts: dict[str, int] = {}
        self._causes_key: int | None = None
        self._causes: frozenset[str] = frozenset()
        self.fit = Fit(catalog, context.environments, context.required)

    # -- resolvelib interface ------------------------------------------------------------------

    def identify(self, requirement_or_candidate: Req | Candidate) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Info]],
        backtrack_causes: Sequence[Info],
    ) -> Preference:
        if identifier.startswith(":"):
            return (0, False, False, 0, 0, identifier)
        pinned = any(i.requirement.exact_pins for i in information[identifier])
        causes = self._cause_identifiers(backtrack_causes)
        count = sum(1 for _ in itertools.islice(candidates[identifier], _COUNT_CAP))
        # Smaller first: roots, exact pins, what just caused a backtrack, what caused most
        # backtracks so far, fewest candidates; the name last, for a stable order.
        return (
            1,
            not pinned,
            identifier not in causes,
            -self.conflicts.get(identifier, 0),
            count,
            identifier,
        )

    def note_conflict(self, causes: Sequence[Info]) -> None:
        """Count each identifier met in a backtrack (called by the reporter)."""
        for identifier in self._cause_identifiers(causes):
            self.conflicts[identifier] = self.conflicts.get(identifier, 0) + 1

    def _cause_identifiers(self, causes: Sequence[Info]) -> frozenset[str]:
        if id(causes) != self._causes_key or not causes:
            ids: set[str] = set()
            for info in causes:
                ids.add(info.requirement.identifier)
                if info.parent is not None:
                    ids.add(info.parent.identifier)
            self._causes_key = id(causes)
            self._causes = frozenset(ids)
        return self._causes

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Req]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> list[Candidate]:
        reqs = list(requirements[identifier])
        bad = {c.version for c in incompatibilities[identifier]}
        if identifier.startswith(":"):
            if bad:  # the one candidate was ruled out while backtracking
                return []
            if identifier == PYTHON.identifier:
                ok = all(self.catalog.admits(r.specifier, self.context.ranges) for r in reqs)
                return [PYTHON] if ok else []
            return [self.roots.candidate(identifier)]
        if not reqs:
            # resolvelib may patch a criterion whose requirements were all withdrawn
            name, _, rest = identifier.partition("[")
            reqs = [Req(identifier, NormalizedName(name), rest[:-1] or None, SpecifierSet())]
        return [
            Candidate(identifier, reqs[0].name, v, reqs[0].extra) for v in self.versions(reqs, bad)
        ]

    def versions(self, reqs: Sequence[Req], bad: Iterable[Version] = ()) -> list[Version]:
        """The versions that may satisfy all ``reqs`` (at least one) in this fork, most
        preferred first."""
        name = reqs[0].name
        allowed = self.catalog.matching(reqs[0])
        for r in reqs[1:]:
            allowed = allowed & self.catalog.matching(r)
        excluded = set(bad)
        pins = _project_pins(reqs)
        out = [
            v
            for v, all_yanked in self._eligible(name)
            if v in allowed
            and v not in excluded
            # PEP 592: a yanked release is selected only when pinned with == or ===, and only
            # by the project itself, never because a dependency's == names it (as uv does).
            and (not all_yanked or v in pins)
        ]
        out = self.fit.order(name, self._prerelease_filter(reqs, out))
        preferred = self.context.preferences.get(name)
        if preferred:
            first = [v for v in preferred if v in out]
            if first:
                out = first + [v for v in out if v not in first]
        return out

    def accepts(self, version: Version, reqs: Sequence[Req]) -> bool:
        """Whether ``version`` is one `versions` would offer for ``reqs`` (cheaper)."""
        if any(version not in self.catalog.matching(r) for r in reqs):
            return False
        release = self.catalog.release(reqs[0].name, version)
        if release.all_yanked and version not in _project_pins(reqs):
            return False
        if not self.catalog.python_ok(release, self.context.ranges):
            return False
        if not self.fit.meets_required(reqs[0].name, version):
            return False
        return not version.is_prerelease or version in self.versions(reqs)

    def _eligible(self, name: NormalizedName) -> list[tuple[Version, bool]]:
        """Releases whose files' Requires-Python admits this fork, newest first (memoised)."""
        hit = self._eligible_cache.get(name)
        if hit is None:
            ranges = self.context.ranges
            hit = [
                (r.version, r.all_yanked)
                for r in self.catalog.releases(name)
                if self.catalog.python_ok(r, ranges)
            ]
            self._eligible_cache[name] = hit
        return hit

    def _prerelease_filter(self, reqs: Sequence[Req], versions: list[Version]) -> list[Version]:
        # PEP 440: pre-releases are excluded unless asked for (setting "allow", or a specifier
        # naming one); with "if-necessary" they are also taken when nothing else is left.
        mode = self.context.prerelease
        if mode == "allow":
            return versions
        finals = [v for v in versions if not v.is_prerelease]
        if mode == "disallow":
            return finals
        if any(r.specifier.prereleases for r in reqs):
            return versions
        return finals or versions

    def is_satisfied_by(self, requirement: Req, candidate: Candidate) -> bool:
        if requirement.kind == "python":
            return self.catalog.admits(requirement.specifier, self.context.ranges)
        if requirement.kind == "root":
            return True
        return candidate.version in self.catalog.matching(requirement)

    def get_dependencies(self, candidate: Candidate) -> list[Req]:
        hit = self._deps.get(candidate)
        if hit is None:
            hit = active_reqs(
                self.catalog, self.roots, candidate, self.context.representative, self.evaluate
            )
            self._deps[candidate] = hit
            self.catalog.prefetch([r.name for r in hit if r.kind == "package"])
            for r in hit:
                self.parents.setdefault(r.identifier, []).append((r, candidate))
        return hit

    def root_requirements(self) -> list[Req]:
        return [self.roots.requirement(s) for s in self.roots.sources]
