"""Values the index client hands to the resolver and the lock: files, their metadata, the protocol.

This module is the seam between ``index/`` and ``resolve/``: the resolver sees only
`PackageFinder`, so tests can give it an in-memory finder and the real client serves HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

if TYPE_CHECKING:
    from ..project.direct import DirectReference

__all__ = [
    "DirectDist",
    "DirectFinder",
    "DirectOrigin",
    "DistFile",
    "DistMetadata",
    "PackageFinder",
]


@dataclass(frozen=True)
class DistFile:
    """One file of one project on one index (PEP 503/691 project page entry).

    ``url`` is absolute and carries no credentials (they are added at request time).
    ``hashes`` maps algorithm to lower-case hex digest (``{"sha256": "…"}``).
    ``core_metadata``: PEP 658/714 — ``None`` when the index offers no metadata file, else the
    hashes of that file (possibly empty when the index offers it without hashes).
    """

    filename: str
    url: str
    index: str
    name: NormalizedName
    version: Version
    kind: Literal["wheel", "sdist"]
    hashes: Mapping[str, str] = field(default_factory=dict)
    requires_python: SpecifierSet | None = None
    yanked: str | None = None  # None: not yanked; "" yanked without a reason; else the reason
    size: int | None = None
    upload_time: str | None = None  # RFC 3339, as the index gave it
    core_metadata: Mapping[str, str] | None = None
    tags: frozenset[Tag] = frozenset()  # wheels only (packaging.utils.parse_wheel_filename)

    @property
    def is_yanked(self) -> bool:
        return self.yanked is not None


@dataclass(frozen=True)
class DistMetadata:
    """The parts of core metadata the resolver needs (from METADATA, PKG-INFO or a PEP 517 hook)."""

    name: NormalizedName
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extra: tuple[str, ...]  # normalized (PEP 685)


@dataclass(frozen=True)
class DirectOrigin:
    """Where a package that comes from no index lies, as PEP 751 records it.

    ``kind`` names the table: ``archive`` (``url`` or ``path``, ``size``, ``hashes``),
    ``directory`` (``path``, ``editable``) or ``vcs`` (``vcs_type``, ``url``,
    ``requested_revision``, ``commit_id``); each may have a ``subdirectory``. ``path`` is as the
    lock writes it: relative to the lock's folder (POSIX separators) or absolute.
    """

    kind: Literal["archive", "directory", "vcs"]
    url: str | None = None
    path: str | None = None
    editable: bool = False
    size: int | None = None
    hashes: Mapping[str, str] = field(default_factory=dict)
    vcs_type: str = "git"
    requested_revision: str | None = None
    commit_id: str | None = None
    subdirectory: str | None = None


@dataclass(frozen=True)
class DirectDist:
    """A direct reference fetched: its origin (with hashes or commit), its metadata, and where
    its archive or source tree lies on this machine."""

    origin: DirectOrigin
    metadata: DistMetadata
    local: Path


class PackageFinder(Protocol):
    """What the resolver asks of the package indexes. Implemented by `index.client.IndexClient`."""

    def files(self, name: NormalizedName) -> Sequence[DistFile]:
        """Every file of a project on the one index it is looked up on (sources pinning applies).

        Raises `pallet.errors.IndexError_` when the index cannot be read; an unknown project is an
        empty list.
        """
        ...

    def metadata(self, file: DistFile) -> DistMetadata:
        """Core metadata of one file: PEP 658 file, else range request into the wheel, else the
        whole file (cached); for an sdist, its PEP 517 ``prepare_metadata_for_build_wheel``."""
        ...

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        """Start fetching these project pages in the background (a hint; may do nothing)."""
        ...


@runtime_checkable
class DirectFinder(Protocol):
    """A finder that can also fetch direct references (`index.client.IndexClient` can)."""

    def direct(
        self,
        reference: DirectReference,
        locked: DirectOrigin | None = None,
        *,
        refresh: bool = False,
    ) -> DirectDist:
        """The package behind ``reference``; a matching ``locked`` vcs origin keeps its commit;
        ``refresh`` reads a remote archive or a directory again instead of from the cache.

        Raises `pallet.errors.PalletError` subclasses for anything the user can fix.
        """
        ...
