"""Locked versions to keep: each package's pins from the current lock, per environment.

A lock may hold several entries of one package (``numpy 1.26.4`` where ``python_version <
"3.10"``, ``2.0.0`` elsewhere). Each is a preference only on the environments its PEP 751 marker
covers, so a relock without ``--upgrade`` keeps every pin that still satisfies, per environment.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Union

from packaging.markers import Marker
from packaging.utils import NormalizedName
from packaging.version import Version

from .environments import UNDECIDABLE, Environment

__all__ = ["Pin", "Pins", "Preferences", "pins_of"]


@dataclass(frozen=True)
class Pin:
    """One locked entry: its version and where it holds.

    ``marker`` is the entry's PEP 751 marker (``None``: everywhere); ``extras`` and ``groups``
    are the lock's extras and dependency groups, all taken as selected when the marker is
    evaluated (an entry reached only through an extra still pins that environment).
    """

    version: Version
    marker: Marker | None = None
    extras: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


#: What `resolve_lock` takes: per name, one version for every environment or the locked entries.
Preferences = Mapping[NormalizedName, Union[Version, Sequence[Pin]]]


def pins_of(
    packages: Iterable[tuple[NormalizedName, Version, Marker | None]],
    extras: Collection[str] = (),
    groups: Collection[str] = (),
) -> dict[NormalizedName, tuple[Pin, ...]]:
    """The pins of a lock's entries ``(name, version, marker)``; ``extras``/``groups``: the
    lock's own lists."""
    selected = (frozenset(extras), frozenset(groups))
    out: dict[NormalizedName, list[Pin]] = {}
    for name, version, marker in packages:
        out.setdefault(name, []).append(Pin(version, marker, *selected))
    return {name: tuple(pins) for name, pins in out.items()}


class Pins:
    """The preferences of one lock, answered per fork (markers evaluated once per environment)."""

    def __init__(self, preferences: Preferences, dropped: Collection[NormalizedName]) -> None:
        self._pins: dict[NormalizedName, tuple[Pin, ...]] = {}
        for name, value in preferences.items():
            if name in dropped:
                continue
            pins = (Pin(value),) if isinstance(value, Version) else tuple(value)
            # highest first: the order among the pins that hold on neither representative
            self._pins[name] = tuple(sorted(pins, key=lambda p: p.version, reverse=True))
        # keyed by the pin's identity: hashing a Marker renders it as text
        self._holds: dict[tuple[int, Environment], bool] = {}

    def __bool__(self) -> bool:
        return bool(self._pins)

    @property
    def names(self) -> frozenset[NormalizedName]:
        """Every name with a pin."""
        return frozenset(self._pins)

    def holds(self, pin: Pin, env: Environment) -> bool:
        """Whether ``pin``'s entry covers ``env`` (PEP 751 lock-file marker context)."""
        if pin.marker is None:
            return True
        key = (id(pin), env)
        hit = self._holds.get(key)
        if hit is None:
            values: dict[str, str | frozenset[str]] = dict(env.values)
            values["extras"] = pin.extras
            values["dependency_groups"] = pin.groups
            try:
                hit = pin.marker.evaluate(values, context="lock_file")
            except UNDECIDABLE:
                hit = False
            self._holds[key] = hit
        return hit

    def for_fork(self, envs: Sequence[Environment]) -> dict[NormalizedName, tuple[Version, ...]]:
        """Per name, the locked versions to try in a fork, best first: the one locked on the
        fork's representative ``envs[0]``, then those locked on other environments of the fork.
        A name locked on none of the fork's environments is left out."""
        out: dict[NormalizedName, tuple[Version, ...]] = {}
        for name, pins in self._pins.items():
            if len(pins) == 1 and pins[0].marker is None:
                out[name] = (pins[0].version,)
                continue
            first = [p.version for p in pins if self.holds(p, envs[0])]
            rest = [
                p.version
                for p in pins
                if p.version not in first and any(self.holds(p, e) for e in envs[1:])
            ]
            if first or rest:
                out[name] = tuple(dict.fromkeys(first + rest))
        return out
