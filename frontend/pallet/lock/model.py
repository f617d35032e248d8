"""The lock as data: what the resolver produces and `lock.pylock` writes as PEP 751 pylock.toml."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from ..resolve.packages import Dependency, LockedPackage
from .variants import LockVariants

__all__ = ["Dependency", "Lock", "LockedPackage"]


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
    #: the ``exclude-newer`` cutoffs the lock was resolved with (RFC 3339, UTC), by index name
    #: (``"*"``: the resolution's); stored in [tool.pallet] so that a duration ("7 days") gives
    #: the same cutoff on a re-lock (`project.exclude_newer`)
    exclude_newer: tuple[tuple[str, str], ...] = ()
    #: digest of the raw inputs as pyproject.toml spelled them (see `lock.fingerprint`); a match
    #: lets ``pallet lock`` skip normalizing anything
    raw_inputs: str = ""
    #: digest of the lock format and pyproject.toml's bytes (see `lock.stamp`): a match lets
    #: ``pallet lock`` skip even parsing TOML
    pyproject_digest: str = ""
    #: the requires-python pallet inferred (and wrote as ``requires-python``) because the project
    #: declares none; kept in [tool.pallet] so that later locks keep the same floor
    inferred_requires_python: str = ""
    #: the hardware variants (``[tool.pallet.variants]``) the lock was resolved for, written in
    #: [tool.pallet] (`lock.variants`); None for a lock without variants
    variants: LockVariants | None = None
