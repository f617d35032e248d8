"""Failed resolutions become short explanations (`ResolutionError`), never tracebacks."""

from __future__ import annotations

import pytest
from pallet.errors import ResolutionError
from pallet.project.model import ProjectSpec
from pallet.resolve.universal import resolve_lock

from .memfinder import Index, MemoryFinder, project


def _message(projects: Index, spec: ProjectSpec) -> str:
    with pytest.raises(ResolutionError) as caught:
        resolve_lock(spec, MemoryFinder(projects))
    assert caught.value.exit_code == 1
    return str(caught.value)


def test_conflict_chain() -> None:
    projects: Index = {
        "a": {"1.0": {"requires": ["b<1"]}, "2.0": {"requires": ["b<1"]}},
        "b": {"0.5": {}, "1.0": {}, "2.0": {}},
    }
    assert _message(projects, project(["a>=2", "b>=1"])) == (
        "`b<1` and `b>=1` conflict; no version of `b` satisfies both:\n"
        "  app depends on a>=2\n"
        "  a 2.0 depends on b<1\n"
        "  app depends on b>=1"
    )


def test_conflict_deep_chain_through_a_group() -> None:
    projects: Index = {
        "a": {"1.0": {"requires": ["b"]}},
        "b": {"1.0": {"requires": ["c<1"]}},
        "c": {"0.1": {}, "2.0": {}},
    }
    message = _message(projects, project(["c>=1"], groups={"dev": ["a"]}))
    assert message == (
        "`c<1` and `c>=1` conflict; no version of `c` satisfies both:\n"
        "  app's dependency group `dev` depends on a\n"
        "  a 1.0 depends on b\n"
        "  b 1.0 depends on c<1\n"
        "  app depends on c>=1"
    )


def test_conflict_in_one_fork_names_the_environments() -> None:
    projects: Index = {
        "a": {"1.0": {"requires": ["c<1"]}},
        "b": {"1.0": {"requires": ["c>=2"]}},
        "c": {"0.1": {}, "2.0": {}},
    }
    message = _message(projects, project(["a", "b; sys_platform == 'win32'"]))
    assert message.splitlines() == [
        'For environments where `sys_platform == "win32"`:',
        "`c<1` and `c>=2` conflict; no version of `c` satisfies both:",
        "  app depends on a",
        "  a 1.0 depends on c<1",
        "  app depends on b",
        "  b 1.0 depends on c>=2",
    ]


def test_no_matching_version() -> None:
    message = _message({"x": {"1.0": {}, "2.0": {}}}, project(["x>=9"]))
    assert message == (
        "No versions of `x` match `x>=9` (available: 1.0, 2.0):\n  app depends on x>=9"
    )


def test_unknown_project() -> None:
    assert _message({}, project(["nothere"])) == (
        "`nothere` was not found on the package index:\n  app depends on nothere"
    )


def test_requires_python_from_the_index() -> None:
    projects: Index = {"x": {"1.0": {"python": ">=3.12"}, "2.0": {"python": ">=3.12"}}}
    assert _message(projects, project(["x"])) == (
        "No version of `x` fits Python 3.9, 3.10, 3.11, which the project supports "
        "(requires-python >=3.9):\n"
        "  app depends on x\n"
        "  `x` matches only 1.0, 2.0, which require Python >=3.12"
    )


def test_requires_python_from_metadata() -> None:
    projects: Index = {"x": {"1.0": {"python": ">=3.12", "file_python": None}}}
    message = _message(projects, project(["x"]))
    assert message == (
        "The lock cannot hold for Python 3.9, 3.10, 3.11, which the project supports "
        "(requires-python >=3.9):\n"
        "  app depends on x\n"
        "  x 1.0 requires Python >=3.12\n"
        "hint: raise requires-python to exclude Python 3.9, 3.10, 3.11, or constrain x to a "
        "version that supports it"
    )


def test_only_yanked() -> None:
    message = _message({"x": {"1.0": {"yanked": ""}}}, project(["x"]))
    assert message == (
        "`x` matches only yanked releases (1.0); a yanked release is used only when the "
        "project itself pins it exactly (add `x==1.0` to its dependencies to use it):\n"
        "  app depends on x"
    )


def test_only_prereleases_when_disallowed() -> None:
    message = _message({"x": {"1.0b1": {}}}, project(["x"], prerelease="disallow"))
    assert message.startswith("`x` matches only pre-releases (1.0b1); allow them with")


def test_group_conflicting_with_the_dependencies() -> None:
    projects: Index = {"a": {"1.0": {}, "2.0": {}}}
    message = _message(projects, project(["a>=2"], groups={"dev": ["a<2"]}))
    assert message == (
        "`a>=2` and `a<2` conflict; no version of `a` satisfies both:\n"
        "  app depends on a>=2\n"
        "  app's dependency group `dev` depends on a<2"
    )


def _pytest_index(metadata_only: bool) -> Index:
    """pytest 8.4.2 needs iniconfig>=2.3, whose only release needs Python >=3.10; attrs and
    numpy (Python >=3.9) are bystanders. ``metadata_only``: the index page gives no
    Requires-Python, so the resolver learns it from the metadata after choosing iniconfig."""

    def python(spec: str) -> dict[str, object]:
        return {"python": spec, "file_python": None} if metadata_only else {"python": spec}

    return {
        "pytest": {
            "8.4.2": {**python(">=3.9"), "requires": ["iniconfig>=2.3", "pluggy>=1.5"]},
        },
        "iniconfig": {"2.1.0": python(">=3.8"), "2.3.0": python(">=3.10")},
        "pluggy": {"1.6.0": python(">=3.9")},
        "attrs": {"25.0.0": python(">=3.8"), "26.1.0": python(">=3.9")},
        "numpy": {"2.0.0": python(">=3.9")},
    }


@pytest.mark.parametrize("roots", [["attrs", "numpy", "pytest>=8.4.2"], ["pytest>=8.4.2", "attrs"]])
def test_requires_python_chain_names_only_the_causes(roots: list[str]) -> None:
    message = _message(_pytest_index(metadata_only=True), project(roots))
    assert message.splitlines() == [
        "The lock cannot hold for Python 3.9, which the project supports (requires-python >=3.9):",
        "  app depends on pytest>=8.4.2",
        "  pytest 8.4.2 depends on iniconfig>=2.3",
        "  iniconfig 2.3.0 requires Python >=3.10",
        "hint: raise requires-python to exclude Python 3.9, or constrain pytest to a version "
        "that supports it",
    ]
    for bystander in ("attrs", "numpy", "pluggy", "versions it excludes"):
        assert bystander not in message


def test_requires_python_chain_from_the_index_page() -> None:
    message = _message(_pytest_index(metadata_only=False), project(["attrs", "pytest>=8.4.2"]))
    assert message.splitlines() == [
        "No version of `iniconfig` fits Python 3.9, which the project supports "
        "(requires-python >=3.9):",
        "  app depends on pytest>=8.4.2",
        "  pytest 8.4.2 depends on iniconfig>=2.3",
        "  `iniconfig>=2.3` matches only 2.3.0, which requires Python >=3.10",
    ]
