"""The lock as data: what the resolver produces and `lock.pylock` writes as PEP 751 pylock.toml."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from ..index.models import DirectOrigin, DistFile

__all__ = ["Dependency", "Lock", "LockedPackage"]


@dataclass(frozen=True)
class Dependency:
    """PEP 751 ``packages.dependencies`` entry: enough to identify another ``[[packages]]`` entry.

    ``version`` is set only when the lock holds several entries of that name.
    """

    name: NormalizedName
    version: Version | None = None


@dataclass(frozen=True)
class LockedPackage:
    """One ``[[packages]]`` entry.

    ``marker`` is the full PEP 751 marker: environment conditions and, for packages reachable only
    through extras or groups, ``'x' in extras`` / ``'g' in dependency_groups`` terms. Two entries of
    one name carry disjoint markers. ``wheels`` are sorted by file name; ``index`` is the simple API
    URL of the index the files came from (PEP 751 ``packages.index``).
    """

    name: NormalizedName
    version: Version
    marker: Marker | None
    requires_python: SpecifierSet | None
    index: str
    wheels: tuple[DistFile, ...]
    sdist: DistFile | None
    dependencies: tuple[Dependency, ...] = ()
    #: set for a package from a direct reference (PEP 751 ``archive``/``directory``/``vcs``);
    #: then ``index`` is empty and there are no wheels or sdist
    direct: DirectOrigin | None = None


@dataclass(frozen=True)
class Lock:
    """A whole pylock.toml. ``packages`` sorted by (name, version, marker text)."""

    requires_python: SpecifierSet
    environments: tuple[Marker, ...]
    extras: tuple[str, ...]
    dependency_groups: tuple[str, ...]
    default_groups: tuple[str, ...]
    packages: tuple[LockedPackage, ...]
    #: sha256 over the normalized lock inputs (see `lock.fingerprint`); stored in [tool.pallet]
    fingerprint: str
    created_by: str = "pallet"
    #: digest of each input section (``("dependencies", "…")``, see `lock.fingerprint`), stored in
    #: [tool.pallet] so that a stale lock can say which inputs changed
    input_digests: tuple[tuple[str, str], ...] = ()
