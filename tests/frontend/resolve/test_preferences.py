"""Locked pins are kept per environment: a lock with two entries of one package relocks to the
same two entries after newer versions appear, and only ``--upgrade-package`` moves them."""

from __future__ import annotations

import copy
import random

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version
from pallet.errors import ResolutionError
from pallet.resolve.preferences import pins_of
from pallet.resolve.universal import Resolution

from .memfinder import Index, MemoryFinder, entries, project, resolve_checked
from .test_random_graphs import MARKERS, _random_index

OLD = 'python_version < "3.10"'
NEW = 'python_version >= "3.10"'
ANYWHERE = "os_name != 'java'"


def _pins(resolution: Resolution) -> dict[str, object]:
    return dict(
        pins_of(
            ((p.name, p.version, p.marker) for p in resolution.packages),
            resolution.extras,
            resolution.dependency_groups,
        )
    )


def _index(*published: str) -> Index:
    """pkg 1.x needs shared<2, pkg 2.x needs shared>=2; ``published`` adds newer versions."""
    index: Index = {
        "pkg": {"1.0": {"requires": ["shared<2"]}, "2.0": {"requires": ["shared>=2"]}},
        "shared": {"1.0": {}, "2.0": {}},
        "other": {"1.0": {}},
        "extra-dep": {"1.0": {}},
    }
    for name_version in published:
        name, version = name_version.split(" ")
        index[name][version] = copy.deepcopy(index[name][f"{version[0]}.0"])
    return index


ROOTS = ["pkg<2; python_version < '3.10'", "pkg>=2; python_version >= '3.10'", "other"]
FIRST = {
    ("pkg", "1.0"): OLD,
    ("pkg", "2.0"): NEW,
    ("shared", "1.0"): OLD,
    ("shared", "2.0"): NEW,
    ("other", "1.0"): None,
}


def test_two_entries_of_one_package_stay_when_newer_ones_appear() -> None:
    first = resolve_checked(MemoryFinder(_index()), project(ROOTS))
    assert entries(first) == FIRST
    newer = _index("pkg 1.1", "pkg 2.1", "shared 1.1", "shared 2.1")
    # an unrelated change (a new dependency) re-resolves; nothing that still satisfies moves
    spec = project([*ROOTS, "extra-dep"])
    again = resolve_checked(MemoryFinder(newer), spec, preferences=_pins(first))
    assert entries(again) == {**FIRST, ("extra-dep", "1.0"): None}
    assert not any(fork.resolved for fork in again.forks)  # the pins held: no resolver run
    # a fresh resolution would have moved all four
    fresh = resolve_checked(MemoryFinder(newer), spec)
    assert {k for k in entries(fresh) if k[0] in ("pkg", "shared")} == {
        ("pkg", "1.1"),
        ("pkg", "2.1"),
        ("shared", "1.1"),
        ("shared", "2.1"),
    }


def test_upgrade_package_moves_only_that_package_in_every_environment() -> None:
    first = resolve_checked(MemoryFinder(_index()), project(ROOTS))
    newer = MemoryFinder(_index("pkg 1.1", "pkg 2.1", "shared 1.1", "shared 2.1"))
    moved = resolve_checked(
        newer,
        project(ROOTS),
        preferences=_pins(first),
        upgrade=frozenset({canonicalize_name("pkg")}),
    )
    assert entries(moved) == {
        ("pkg", "1.1"): OLD,
        ("pkg", "2.1"): NEW,
        ("shared", "1.0"): OLD,
        ("shared", "2.0"): NEW,
        ("other", "1.0"): None,
    }


def test_a_pin_that_no_longer_satisfies_moves_in_its_environment_only() -> None:
    first = resolve_checked(MemoryFinder(_index()), project(ROOTS))
    newer = MemoryFinder(_index("pkg 1.1", "pkg 2.1"))
    roots = ["pkg<2; python_version < '3.10'", "pkg>=2.1; python_version >= '3.10'", "other"]
    again = resolve_checked(newer, project(roots), preferences=_pins(first))
    assert ("pkg", "1.0") in entries(again)
    assert ("pkg", "2.1") in entries(again)


def test_a_plain_version_is_a_preference_everywhere() -> None:
    newer = MemoryFinder(_index("pkg 1.1", "pkg 2.1"))
    prefs = {canonicalize_name("pkg"): Version("2.0")}
    result = resolve_checked(newer, project(ROOTS), preferences=prefs)
    assert {k for k in entries(result) if k[0] == "pkg"} == {("pkg", "1.1"), ("pkg", "2.0")}


def _publish_newer(index: Index, rng: random.Random) -> Index:
    """Every package gets a newer release (random requirements) and some get a 1.5."""
    out = copy.deepcopy(index)
    names = sorted(index)
    for name in names:
        for version in ("9.0", "1.5") if rng.random() < 0.5 else ("9.0",):
            target = rng.choice(names)
            marker = rng.choice(MARKERS) or ANYWHERE
            requires = [] if target == name else [f"{target}; {marker}"]
            out[name][version] = {"requires": requires, "extras": ["x"]}
    return out


@pytest.mark.parametrize("seed", range(25))
def test_random_graphs_relock_to_the_same_lock(seed: int) -> None:
    """Property: with the project unchanged and newer versions published, a relock keeping the
    lock's pins writes the same entries (name, version, marker) as before."""
    rng = random.Random(seed)
    index = _random_index(rng)
    roots = [
        f"p{i}{rng.choice(['', '[x]'])}; {rng.choice(MARKERS) or ANYWHERE}"
        for i in rng.sample(range(6), 3)
    ]
    spec = project(roots, extras={"e": [f"p{rng.randint(0, 11)}"]}, groups={"g": ["p7"]})
    try:
        first = resolve_checked(MemoryFinder(index), spec)
    except ResolutionError:
        return  # unsatisfiable graphs say nothing about pins
    newer = MemoryFinder(_publish_newer(index, rng))
    again = resolve_checked(newer, spec, preferences=_pins(first))
    assert entries(again) == entries(first)
