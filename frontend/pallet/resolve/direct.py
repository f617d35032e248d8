"""Direct references in the resolution: the project's and those their own metadata names,
fetched once each before resolving, and the rule for dependencies that carry a URL.

A package with a direct reference has exactly one candidate, the version its metadata states;
any requirement on that name (the project's or a dependency's ``name>=1``) is satisfied by it
when its specifier contains that version. Like uv (and unlike pip), an index package's
``name @ url`` is accepted only when it matches a reference the project (or one of its direct
packages) already makes, so an index package cannot make the lock download from an address
the project never named. Direct packages may name further direct references.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from urllib.parse import unquote, urlsplit

from packaging.requirements import Requirement
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)

from ..errors import ResolutionError
from ..index.models import DirectDist, DirectFinder, DirectOrigin, DistFile, PackageFinder
from ..project.direct import DirectReference, parse_direct_url
from .environments import Environment
from .files import uncovered

__all__ = ["DirectPackages", "warn_wheel_gaps"]

logger = logging.getLogger(__name__)


class DirectPackages:
    """The direct references by name (`expand` adds those of the direct packages), fetched
    once each through the finder."""

    def __init__(
        self,
        references: Mapping[NormalizedName, DirectReference],
        finder: PackageFinder,
        *,
        locked: Mapping[NormalizedName, DirectOrigin] | None = None,
        upgrade: bool | frozenset[NormalizedName] = False,
    ) -> None:
        self.references = dict(references)
        self.names = frozenset(references)
        self._finder = finder
        self._locked = dict(locked or {})
        self._upgrade = upgrade
        self._fetched: dict[NormalizedName, DirectDist] = {}

    def get(self, name: NormalizedName) -> DirectDist:
        found = self._fetched.get(name)
        if found is None:
            reference = self.references[name]
            if not isinstance(self._finder, DirectFinder):
                raise ResolutionError(
                    f"{reference.origin}: this package finder cannot fetch direct references"
                )
            upgrading = self._upgrade is True or (
                isinstance(self._upgrade, frozenset) and name in self._upgrade
            )
            locked = None if upgrading else self._locked.get(name)
            found = self._fetched[name] = self._finder.direct(reference, locked, refresh=upgrading)
        return found

    def expand(self) -> None:
        """Fetch every reference, and add the direct references their own metadata names (a
        path or git dependency may use others: followed, as uv does), before resolving, so that
        the set of direct packages is known before any candidate is chosen."""
        queue = sorted(self.references)
        while queue:
            name = queue.pop(0)
            for requirement in self.get(name).metadata.requires_dist:
                if not requirement.url:
                    continue
                wanted = canonicalize_name(requirement.name)
                parent = f"{name} (from {self.references[name].origin})"
                try:
                    reference = parse_direct_url(wanted, requirement.url, f"`{requirement}`")
                except ValueError as exc:
                    raise ResolutionError(f"{parent} depends on `{requirement}`: {exc}") from None
                known = self.references.get(wanted)
                if known is None:
                    self.references[wanted] = reference
                    queue.append(wanted)
                elif not known.same_source(reference):
                    raise ResolutionError(
                        f"{parent} depends on `{requirement}`, but {requirement.name} comes "
                        f"from {known.origin}; the two must agree"
                    )
        self.names = frozenset(self.references)

    def check_dependency(self, parent: str, requirement: Requirement) -> None:
        """Refuse a dependency's ``name @ url`` that the project does not declare itself."""
        assert requirement.url is not None
        name = canonicalize_name(requirement.name)
        declared = self.references.get(name)
        hint = (
            f"add `{requirement.name} @ {requirement.url}` to the project's dependencies if "
            "you trust it"
        )
        try:
            wanted = parse_direct_url(name, requirement.url, f"`{requirement}`")
        except ValueError as exc:
            raise ResolutionError(f"{parent} depends on `{requirement}`: {exc}") from None
        if declared is None:
            raise ResolutionError(
                f"{parent} depends on `{requirement}`, a direct reference; pallet takes URLs "
                f"only from the project and its direct references (as uv does): {hint}"
            )
        if not declared.same_source(wanted):
            raise ResolutionError(
                f"{parent} depends on `{requirement}`, but the project takes "
                f"{requirement.name} from {declared.origin}; the two must agree"
            )


def warn_wheel_gaps(
    name: NormalizedName, origin: DirectOrigin, envs: Sequence[Environment]
) -> None:
    """Warn when a direct wheel cannot install on some environment the lock holds it for (a
    platform wheel given by URL); sdists, directories and checkouts build anywhere."""
    if origin.kind != "archive":
        return
    location = origin.url or origin.path or ""
    filename = unquote(urlsplit(location).path.rsplit("/", 1)[-1])
    try:
        _, version, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return  # not a wheel
    wheel = DistFile(filename, location, "", name, version, "wheel", tags=tags)
    gaps = uncovered((wheel,), None, envs)
    if gaps:
        logger.warning(
            "%s %s (%s) is a wheel that does not install on %s: installing the lock there "
            "will fail; give the requirement a marker",
            name,
            version,
            filename,
            gaps,
        )
