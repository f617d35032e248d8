"""The universe of a lock and its partition into classes."""

from __future__ import annotations

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pallet.errors import ProjectError
from pallet.project.model import ResolutionSettings
from pallet.resolve.environments import MarkerEvaluator, make_universe, partition, python_ranges


def test_python_ranges_follow_requires_python_and_max_python() -> None:
    ranges = python_ranges(SpecifierSet(">=3.10"), "3.13")
    assert [str(r) for r in ranges] == [
        ">=3.10.0,<3.11.0",
        ">=3.11.0,<3.12.0",
        ">=3.12.0,<3.13.0",
        ">=3.13.0",
    ]
    assert [r.minor for r in python_ranges(SpecifierSet(">=3.8,<3.11"), "3.14")] == [
        "3.8",
        "3.9",
        "3.10",
    ]
    assert str(python_ranges(SpecifierSet(">=3.9.2"), "3.9")[0].low) == "3.9.2"
    # beyond max_python: the first allowed minor alone
    assert [r.minor for r in python_ranges(SpecifierSet(">=3.16"), "3.14")] == ["3.16"]


def test_python_ranges_cut_at_full_versions() -> None:
    ranges = python_ranges(SpecifierSet(">=3.9"), "3.10", [Version("3.9.2"), Version("3.8.1")])
    assert [str(r.low) for r in ranges] == ["3.9.0", "3.9.2", "3.10.0"]


def test_universe_and_environment_values() -> None:
    universe = make_universe(SpecifierSet(">=3.9"), ResolutionSettings(max_python="3.14"))
    assert len(universe) == 6 * 6
    win_arm = next(e for e in universe if e.platform.platform_machine == "ARM64")
    assert win_arm.values["sys_platform"] == "win32"
    assert win_arm.values["platform_system"] == "Windows"
    assert win_arm.values["os_name"] == "nt"
    assert win_arm.values["implementation_name"] == "cpython"
    assert win_arm.values["python_full_version"] == "3.9.0"


def test_universe_narrowed_by_environments() -> None:
    settings = ResolutionSettings(
        environments=("sys_platform == 'darwin' and python_version >= '3.12'",)
    )
    universe = make_universe(SpecifierSet(">=3.9"), settings)
    assert {(e.platform.label, e.python.minor) for e in universe} == {
        (p, v) for p in ("darwin-x86_64", "darwin-arm64") for v in ("3.12", "3.13", "3.14")
    }
    with pytest.raises(ProjectError, match="environments"):
        make_universe(
            SpecifierSet(">=3.9"), ResolutionSettings(environments=("os_name == 'java'",))
        )
    with pytest.raises(ProjectError, match="not a valid marker"):
        make_universe(SpecifierSet(">=3.9"), ResolutionSettings(environments=("os_name ==",)))


def test_requires_python_admitting_nothing() -> None:
    with pytest.raises(ProjectError, match="requires-python"):
        python_ranges(SpecifierSet("<3"), "3.14")


def test_partition() -> None:
    universe = make_universe(SpecifierSet(">=3.9"), ResolutionSettings())
    evaluate = MarkerEvaluator()
    marks = [(Marker("sys_platform == 'win32'"), ""), (Marker("python_version < '3.11'"), "")]
    classes = partition(universe, marks, evaluate)
    assert [len(c) for c in classes] == [8, 16, 4, 8]
    assert classes[0][0] == universe[0]
    with_extra = [(Marker("extra == 'x' and os_name == 'nt'"), "x")]
    assert [len(c) for c in partition(universe, with_extra, evaluate)] == [24, 12]
