"""The resolver's output, one entry per locked package: what `lock.model.Lock` holds and
`lock.pylock` writes as PEP 751 ``[[packages]]``.

These types live in `resolve` (not `lock`) because the resolver builds them and the layers import
one way (docs/architecture.md): `lock` imports them from here, never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from ..index.models import DirectOrigin, DistFile

__all__ = ["Dependency", "LockedPackage"]


@dataclass(frozen=True)
class Dependency:
    """PEP 751 ``packages.dependencies`` entry: enough to identify another ``[[packages]]`` entry.

    ``version`` is set only when the lock holds several entries of that name; ``index`` only when
    it holds that name and version from several indexes (hardware variants, `resolve.variants`).
    """

    name: NormalizedName
    version: Version | None = None
    index: str | None = None


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
