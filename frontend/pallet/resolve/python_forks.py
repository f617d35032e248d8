"""Fork on Requires-Python: give each Python range the newest versions that support it.

After a class of environments is resolved, every package of the result gets a *target* per
Python range of the class: the version a resolution for that range alone would take first (the
locked version when it still fits, else the newest version that the requirements met, its
Requires-Python, yanking, pre-release rules and required environments allow, preferring one with
a file for every environment of the range; see `fit`). Where the targets of some package change
from one range to the next, the class is cut there; each part drops the pins whose target is
not the class's choice, so that it takes the newer version. A class is cut only where a newer
version's Requires-Python (or files) actually exclude part of it: a lock whose packages support
every Python of the class forks no more than before. ``fork-strategy = "fewest"`` turns this off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.utils import NormalizedName
from packaging.version import Version

from ..project.model import PrereleaseMode
from .candidates import Catalog, Release, Req
from .environments import Environment, PythonRange
from .fit import Fit

__all__ = ["Part", "split_by_python", "targets"]

#: One part of a class: its environments and the names whose pins it must not inherit.
Part = tuple[tuple[Environment, ...], frozenset[NormalizedName]]


def _target(
    catalog: Catalog,
    reqs: Sequence[Req],
    pin: Version,
    python: PythonRange,
    fit: Fit,
    preferred: Version | None,
    prerelease: PrereleaseMode,
) -> Version:
    name = reqs[0].name
    one = catalog.intern((python,))
    exact = {v for r in reqs for v in r.exact_pins}
    pre_ok = prerelease == "allow" or (
        prerelease == "if-necessary"
        and (pin.is_prerelease or any(r.specifier.prereleases for r in reqs))
    )

    def ok(release: Release) -> bool:
        version = release.version
        return (
            (pre_ok or not version.is_prerelease)
            and all(version in catalog.matching(r) for r in reqs)
            # PEP 592: an all-yanked release only for an exact pin
            and (not release.all_yanked or version in exact)
            and catalog.python_ok(release, one)
            and catalog.admits(catalog.requires_python(name, version), one)
            and fit.meets_required(name, version)
        )

    if preferred is not None:
        try:
            if ok(catalog.release(name, preferred)):
                return preferred
        except KeyError:  # the locked version is gone from the index
            pass
    first: Version | None = None
    for release in catalog.releases(name):
        if not ok(release):
            continue
        if fit.installs_everywhere(name, release.version):
            return release.version
        first = first or release.version
    return first or pin


def targets(
    catalog: Catalog,
    reqs_by_name: Mapping[NormalizedName, Sequence[Req]],
    pins: Mapping[NormalizedName, Version],
    fits: Sequence[tuple[PythonRange, Fit]],
    preferences: Sequence[Mapping[NormalizedName, Version]],
    prerelease: PrereleaseMode,
) -> dict[NormalizedName, tuple[Version, ...]]:
    """Per pinned package, its target version on each Python range of ``fits`` (in order);
    ``preferences``: the versions locked on each range (same order), tried first."""
    out: dict[NormalizedName, tuple[Version, ...]] = {}
    for name, reqs in reqs_by_name.items():
        pin = pins.get(name)
        if pin is None or not reqs:
            continue
        preferred = [p.get(name) for p in preferences]
        newest = catalog.releases(name)[0].version
        # nothing newer: the pin is every range's target unless an older version installs on
        # some range's environments where the pin does not
        if (
            pin == newest
            and all(p in (None, pin) for p in preferred)
            and all(fit.installs_everywhere(name, pin) for _, fit in fits)
        ):
            out[name] = (pin,) * len(fits)
            continue
        out[name] = tuple(
            _target(catalog, reqs, pin, python, fit, locked, prerelease)
            for (python, fit), locked in zip(fits, preferred)
        )
    return out


def split_by_python(
    envs: tuple[Environment, ...],
    ranges: Sequence[PythonRange],
    wanted: Mapping[NormalizedName, tuple[Version, ...]],
    pins: Mapping[NormalizedName, Version],
) -> list[Part]:
    """Cut ``envs`` between consecutive ``ranges`` where some target changes; each part with the
    names whose target there differs from the class's pin. One part (``envs`` itself) when no
    target changes."""
    groups: list[list[int]] = [[0]]
    for i in range(1, len(ranges)):
        if any(t[i] != t[i - 1] for t in wanted.values()):
            groups.append([])
        groups[-1].append(i)
    parts: list[Part] = []
    for group in groups:
        chosen = {ranges[i] for i in group}
        drop = frozenset(n for n, t in wanted.items() if t[group[0]] != pins[n])
        parts.append((tuple(e for e in envs if e.python in chosen), drop))
    return parts
