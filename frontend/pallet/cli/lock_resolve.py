"""``pallet lock``'s resolution: the index client for the project, the resolver under a progress
line, and every locked file hashed and placed (`IndexClient.lock_files`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Union

from .. import ui
from ..errors import ResolutionError

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from ..index.client import IndexClient
    from ..lock.model import Lock, LockedPackage
    from ..project.model import ProjectSpec
    from ..resolve.preferences import Preferences

    Upgrade = Union[bool, frozenset[NormalizedName]]

__all__ = ["direct_names", "lock_files", "make_finder", "resolve"]


def make_finder(
    spec: ProjectSpec,
    *,
    offline: bool,
    cutoffs: Mapping[str, str],
    speculate: bool = True,
    refresh: bool = False,
) -> IndexClient:
    from ..index.cache import Cache
    from ..index.client import IndexClient
    from ..resolve.environments import make_universe
    from ..resolve.prefetch import prefetch_filter

    # Speculative prefetching need not fetch what no environment of the lock can use.
    universe = make_universe(spec.requires_python, spec.resolution)
    return IndexClient(
        spec.indexes,
        spec.sources,
        Cache.default(),
        offline=offline,
        refresh=refresh,
        speculate=speculate,
        root=spec.root,  # relative index paths, and the paths the lock writes, start there
        exclude_newer={
            i.name: cutoffs.get(i.name) or cutoffs["*"]
            for i in spec.indexes
            if i.name in cutoffs or ("*" in cutoffs and i.format == "simple")
        },
        prefetch_filter=prefetch_filter(environment.values for environment in universe),
        no_binary=spec.resolution.no_binary,
        direct_names=direct_names(spec),
    )


def direct_names(spec: ProjectSpec) -> set[NormalizedName]:
    """Packages the project takes from a direct reference (``name @ url`` or a path/git
    source): the index client never asks an index about them."""
    from packaging.utils import canonicalize_name

    tables = (spec.dependencies, *spec.optional_dependencies.values())
    tables += tuple(spec.dependency_groups.values())
    names = {canonicalize_name(r.name) for reqs in tables for r in reqs if r.url}
    return names | set(spec.direct_sources)


def resolve(
    spec: ProjectSpec,
    fingerprint: str,
    preferences: Preferences,
    upgrade: Upgrade,
    *,
    offline: bool,
    cutoffs: Mapping[str, str],
    known: Lock | None = None,
    refresh: bool = False,
) -> Lock:
    """Resolve with a progress line; warnings about entries `known` already holds (the same name
    and version) were shown when that lock was made and are not repeated."""
    from ..lock.fingerprint import input_digests
    from ..lock.model import Lock
    from ..lock.variants import lock_variants_of
    from ..resolve.universal import resolve_lock
    from .progress import CountingFinder, quiet_known_entries

    # With locked pins to keep, the resolver knows what it needs (it prefetches the locked
    # names' pages itself); guessing the newest versions would only read metadata it discards.
    keep_pins = bool(preferences) and upgrade is not True
    # git entries keep their commit unless upgraded (pallet lock -P NAME moves it)
    locked_direct = {
        p.name: p.direct for p in (known.packages if known else ()) if p.direct is not None
    }
    entries = {(str(p.name), str(p.version)) for p in known.packages} if known else set()
    finding = make_finder(
        spec, offline=offline, cutoffs=cutoffs, speculate=not keep_pins, refresh=refresh
    )
    with finding as client, quiet_known_entries(entries):
        finder = CountingFinder(client)
        with ui.Progress(finder.status):
            try:
                result = resolve_lock(
                    spec,
                    finder,
                    preferences=preferences,
                    upgrade=upgrade,
                    locked_direct=locked_direct,
                )
            except ResolutionError as exc:
                unasked = client.pages_unasked
                if not unasked:
                    raise
                raise ResolutionError(
                    f"{exc}\nhint: {unasked} index page{'s' if unasked != 1 else ''} came from "
                    "the cache without asking the index (a page is reused for up to 10 minutes); "
                    "`pallet lock --refresh` asks again, in case a release is newer"
                ) from None
        packages = lock_files(client, result.packages)
    return Lock(
        requires_python=spec.requires_python,
        environments=result.environments,
        extras=tuple(sorted(spec.optional_dependencies)),
        dependency_groups=tuple(sorted(spec.dependency_groups)),
        default_groups=tuple(sorted(spec.default_groups)),
        packages=tuple(sorted(packages, key=lambda p: (p.name, p.version, str(p.marker or "")))),
        fingerprint=fingerprint,
        input_digests=input_digests(spec),
        exclude_newer=tuple(sorted(cutoffs.items())),
        variants=lock_variants_of(result, spec.variants),
    )


def lock_files(finder: IndexClient, packages: Sequence[LockedPackage]) -> list[LockedPackage]:
    """Every file with a hash and at its lock location (`IndexClient.lock_files`)."""
    import dataclasses

    files = finder.lock_files(
        f for p in packages for f in (*p.wheels, *([p.sdist] if p.sdist else []))
    )
    return [
        dataclasses.replace(
            p,
            wheels=tuple(files[w.url] for w in p.wheels),
            sdist=files[p.sdist.url] if p.sdist else None,
        )
        for p in packages
    ]
