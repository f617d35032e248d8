"""`lock.marker_reduce`: a PEP 751 marker's extras/dependency_groups terms decided for a
selection. The oracle is packaging.markers itself: for every environment and selection, the
reduced marker must evaluate as the whole marker does in PEP 751's lock-file context."""

from __future__ import annotations

import itertools

import pytest
from packaging.markers import Marker
from pallet.lock.marker_reduce import reduce_marker

MARKERS = [
    '"cli" in extras',
    '"dev" in dependency_groups',
    'sys_platform == "linux" and "cu126" in extras',
    '("cu126" in extras and sys_platform == "linux" and platform_machine == "x86_64") or '
    '("cpu" in extras and sys_platform == "win32") or "dev" in dependency_groups',
    'sys_platform == "linux" and ("cli" not in extras or os_name == "nt")',
    '"cu126" not in extras and ("cpu" in extras or python_version < "3.11")',
    "python_version >= '3.10' or 'cli' in extras",
    'sys_platform == "darwin"',
]
ENVIRONMENTS = [
    {"sys_platform": p, "platform_machine": m, "os_name": o, "python_version": v}
    for p, m, o, v in [
        ("linux", "x86_64", "posix", "3.12"),
        ("linux", "aarch64", "posix", "3.9"),
        ("win32", "AMD64", "nt", "3.10"),
        ("darwin", "arm64", "posix", "3.11"),
    ]
]
SELECTIONS = [
    (frozenset(e), frozenset(g))
    for e, g in itertools.product(
        [(), ("cli",), ("cu126",), ("cpu",), ("cli", "cpu")], [(), ("dev",)]
    )
]


@pytest.mark.parametrize("text", MARKERS)
def test_the_reduced_marker_agrees_with_the_whole_one_everywhere(text: str) -> None:
    whole = Marker(text)
    for extras, groups in SELECTIONS:
        reduced = reduce_marker(whole, extras, groups)
        if isinstance(reduced, str):
            assert "extras" not in reduced and "dependency_groups" not in reduced
        for env in ENVIRONMENTS:
            full = dict(env, extras=extras, dependency_groups=groups)
            expected = whole.evaluate(full, "lock_file")  # type: ignore[arg-type]
            got = reduced if isinstance(reduced, bool) else Marker(reduced).evaluate(env)
            assert got == expected, (text, sorted(extras), sorted(groups), env)


def test_decided_terms_fold_to_constants_and_plain_markers() -> None:
    assert reduce_marker(None, (), ()) is True
    assert reduce_marker('"cli" in extras', {"cli"}, ()) is True
    assert reduce_marker('"cli" in extras', (), ()) is False
    assert reduce_marker('"dev" in dependency_groups and os_name == "nt"', (), {"dev"}) == (
        'os_name == "nt"'
    )
    text = '("a" in extras and sys_platform == "linux") or ("b" in extras and os_name == "nt")'
    assert reduce_marker(text, {"a", "b"}, ()) == 'sys_platform == "linux" or os_name == "nt"'
    nested = 'sys_platform == "linux" and ("a" in extras or os_name == "nt" or "b" in extras)'
    assert reduce_marker(nested, (), ()) == 'sys_platform == "linux" and os_name == "nt"'
    assert reduce_marker(nested, {"b"}, ()) == 'sys_platform == "linux"'


def test_what_is_left_always_true_or_never_true_is_decided() -> None:
    # a variant's default build: "not the other variant's platform, or no other variant asked"
    text = (
        'sys_platform != "win32" or platform_machine != "AMD64" or '
        '(sys_platform == "win32" and platform_machine == "AMD64" and "cu124" not in extras)'
    )
    assert reduce_marker(text, (), ()) is True
    assert reduce_marker(text, {"cu124"}, ()) == (
        'sys_platform != "win32" or platform_machine != "AMD64"'
    )
    never = 'os_name == "nt" and ("a" in extras or os_name != "nt")'
    assert reduce_marker(never, (), ()) is False
    assert reduce_marker(never, {"a"}, ()) == 'os_name == "nt"'
