"""Readable, exact markers for sets of environments."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pallet.project.model import ResolutionSettings
from pallet.resolve.environments import Environment, make_universe
from pallet.resolve.markers import activation_expr, describe, full_version_cuts, render, to_marker

UNIVERSE = make_universe(SpecifierSet(">=3.9"), ResolutionSettings())
Select = Callable[[Environment], bool]


def _text(select: Select) -> str | None:
    chosen = [e for e in UNIVERSE if select(e)]
    expr = describe(chosen, UNIVERSE)
    marker = to_marker([(expr, None)])
    # exact on the universe
    for env in UNIVERSE:
        holds = True if marker is None else marker.evaluate(dict(env.values))
        assert holds == select(env), env
    return None if marker is None else str(marker)


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        (lambda e: True, None),
        (lambda e: e.platform.sys_platform == "win32", 'sys_platform == "win32"'),
        (lambda e: e.platform.sys_platform != "win32", 'sys_platform != "win32"'),
        (lambda e: e.python.low < Version("3.11"), 'python_version < "3.11"'),
        (lambda e: e.python.low >= Version("3.12"), 'python_version >= "3.12"'),
        (lambda e: e.python.minor == "3.11", 'python_version == "3.11"'),
        (lambda e: e.python.minor != "3.11", 'python_version != "3.11"'),
        (lambda e: e.python.minor == "3.9", 'python_version < "3.10"'),
        (
            lambda e: e.platform.sys_platform == "darwin" and e.platform.arch == "arm64",
            'sys_platform == "darwin" and platform_machine == "arm64"',
        ),
        (
            lambda e: e.platform.sys_platform == "win32" and e.python.low < Version("3.11"),
            'sys_platform == "win32" and python_version < "3.11"',
        ),
        (
            lambda e: e.platform.sys_platform == "linux" or e.python.minor == "3.13",
            'sys_platform == "linux" or python_version == "3.13"',
        ),
    ],
)
def test_describe(select: Select, expected: str | None) -> None:
    assert _text(select) == expected


def test_describe_is_exact_on_many_irregular_sets() -> None:
    for seed in range(1, 60):
        chosen = {e for i, e in enumerate(UNIVERSE) if (i * seed) % 7 < 3}
        _text(lambda e, chosen=chosen: e in chosen)  # type: ignore[misc]


def test_activation_terms() -> None:
    expr = activation_expr(frozenset({("group", "dev"), ("extra", "cli")}))
    assert expr is not None
    assert render(expr) == '"cli" in extras or "dev" in dependency_groups'
    win = describe([e for e in UNIVERSE if e.platform.sys_platform == "win32"], UNIVERSE)
    marker = to_marker([(win, expr)])
    assert (
        str(marker) == 'sys_platform == "win32" and ("cli" in extras or "dev" in dependency_groups)'
    )
    values = dict(UNIVERSE[-1].values)  # a Windows environment
    assert marker is not None
    assert marker.evaluate({**values, "extras": {"cli"}, "dependency_groups": set()}, "lock_file")
    assert not marker.evaluate({**values, "extras": set(), "dependency_groups": set()}, "lock_file")
    assert to_marker([(None, None)]) is None


def test_full_version_cuts() -> None:
    from packaging.markers import Marker

    marker = Marker(
        'python_full_version >= "3.9.2" and (os_name == "nt" or "3.11.4" > python_full_version)'
    )
    assert full_version_cuts([marker]) == {Version("3.9.2"), Version("3.11.4")}
    # Single quotes, `in`, a value that looks like the variable, nested parentheses.
    other = Marker(
        "platform_release == 'python_full_version' and ((python_full_version != '3.10.1' "
        "or 'linux' in sys_platform) and python_version < '3.13')"
    )
    assert full_version_cuts([other]) == {Version("3.10.1")}
    assert full_version_cuts([marker, other]) == {
        Version("3.9.2"),
        Version("3.11.4"),
        Version("3.10.1"),
    }
