"""The synthetic benchmark graph (see synthetic.py) resolves exactly and quickly."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import replace

from packaging.requirements import Requirement
from pallet.project.model import ProjectSpec
from pallet.resolve.check import check_exact
from pallet.resolve.universal import resolve_lock

from .memfinder import MemoryFinder
from .synthetic import make_index
from .synthetic import spec as default_spec


def spec() -> ProjectSpec:
    """The benchmark project with one version per package where possible (the figures of
    docs/resolver.md); `test_synthetic_graph_forked_on_requires_python` covers the default."""
    base = default_spec()
    return replace(base, resolution=replace(base.resolution, fork_strategy="fewest"))


#: Generous: the machine is shared; the measured figure is ~0.1 s warm (docs/resolver.md).
BUDGET_SECONDS = 3.0


def test_synthetic_graph() -> None:
    finder = MemoryFinder(make_index())
    resolve_lock(spec(), finder)  # warm the finder's file lists, as the index cache would be
    finder.metadata_calls.clear()
    started = time.perf_counter()
    result = resolve_lock(spec(), finder)
    elapsed = time.perf_counter() - started
    assert elapsed < BUDGET_SECONDS
    assert len(result.packages) == 45
    assert sum(1 for f in result.forks if f.resolved) == 1
    # one metadata read per chosen version, however many forks
    assert set(finder.metadata_calls.values()) == {1}
    assert check_exact(result, spec(), finder) == []
    markers = {str(p.name): str(p.marker) for p in result.packages if p.marker is not None}
    assert markers["colorama"] == 'sys_platform == "win32"'
    assert markers["tomli"] == 'python_version < "3.11"'
    assert markers["importlib-metadata"] == 'python_version < "3.10"'


def test_synthetic_graph_warm_re_resolve() -> None:
    """A relock after adding one dependency keeps every pin and runs no resolver."""
    from pallet.resolve.preferences import pins_of

    finder = MemoryFinder(make_index())
    first = resolve_lock(spec(), finder)
    prefs = pins_of(((p.name, p.version, p.marker) for p in first.packages), ("cli",), ("dev",))
    grown = spec()
    grown = dataclasses.replace(grown, dependencies=(*grown.dependencies, Requirement("six")))
    started = time.perf_counter()
    again = resolve_lock(grown, finder, preferences=prefs)
    elapsed = time.perf_counter() - started
    assert elapsed < BUDGET_SECONDS
    assert not any(fork.resolved for fork in again.forks)
    before = {(p.name, p.version, str(p.marker)) for p in first.packages}
    assert before <= {(p.name, p.version, str(p.marker)) for p in again.packages}
    assert check_exact(again, grown, finder) == []


def test_synthetic_graph_forked_on_requires_python() -> None:
    finder = MemoryFinder(make_index())
    resolve_lock(default_spec(), finder)
    started = time.perf_counter()
    result = resolve_lock(default_spec(), finder)
    elapsed = time.perf_counter() - started
    assert elapsed < BUDGET_SECONDS
    assert check_exact(result, default_spec(), finder) == []
    # the newest releases of each package need 3.10 and 3.11 (synthetic.make_index): the lock
    # holds one version for 3.9 and the newest for 3.10 and for 3.11+, per package that has them
    click = sorted((str(p.version), str(p.marker)) for p in result.packages if p.name == "click")
    assert [marker for _, marker in click] == [
        'python_version < "3.10"',
        'python_version == "3.10"',
        'python_version >= "3.11"',
    ]
    assert len(result.forks) <= 2 * len(resolve_lock(spec(), finder).forks)
