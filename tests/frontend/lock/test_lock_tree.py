"""`lock.marker_reduce.reduce_marker` as `pallet tree` uses it, judged by packaging: for every
selection and environment, the reduced marker must answer as ``packaging.markers.Marker.evaluate``
answers for the whole PEP 751 marker in the ``lock_file`` context (extras and dependency_groups as
sets)."""

from __future__ import annotations

import itertools

import pytest
from packaging.markers import Marker
from pallet.lock.marker_reduce import reduce_marker

MARKERS = [
    '"dev" in dependency_groups',
    '"dev" in dependency_groups and python_version >= "3.11"',
    '"cu126" in extras or "cpu" in extras',
    '("cu126" in extras and sys_platform == "linux")'
    ' or ("cpu" in extras and python_version < "3.11")',
    '"dev" not in dependency_groups or sys_platform == "win32"',
    'python_version < "3.11" and (sys_platform == "linux" or sys_platform == "win32")',
    '"Fast" in extras and "dev" in dependency_groups',
]
SELECTIONS = [
    (set(), set()),
    ({"cpu"}, {"dev"}),
    ({"cu126", "fast"}, set()),
    ({"fast"}, {"dev"}),
]
ENVIRONMENTS = [
    {"python_version": v, "sys_platform": p}
    for v, p in itertools.product(("3.9", "3.12"), ("linux", "win32", "darwin"))
]


@pytest.mark.parametrize("text", MARKERS)
def test_reduced_marker_answers_as_packaging_does(text: str) -> None:
    marker = Marker(text)
    for (extras, groups), env in itertools.product(SELECTIONS, ENVIRONMENTS):
        full = marker.evaluate(
            {**env, "extras": extras, "dependency_groups": groups}, context="lock_file"
        )
        reduced = reduce_marker(marker, extras, groups)
        got = reduced if isinstance(reduced, bool) else Marker(reduced).evaluate(env)
        assert got == full, (text, extras, groups, env, reduced)


def test_only_environment_terms_remain() -> None:
    marker = Marker('"dev" in dependency_groups and python_version >= "3.11"')
    assert reduce_marker(marker, (), ["dev"]) == 'python_version >= "3.11"'
    assert reduce_marker(marker, (), ()) is False
    assert reduce_marker(Marker('"cpu" in extras or "cu126" in extras'), ["cpu"], ()) is True
    assert reduce_marker(None, (), ()) is True
