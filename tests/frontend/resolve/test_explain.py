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
        "Because app depends on a>=2 and a 2.0 depends on b<1, while app depends on b>=1, "
        "no version of `a` satisfies the requirements (`b<1` and `b>=1` conflict)."
    )


def test_conflict_deep_chain_through_a_group() -> None:
    projects: Index = {
        "a": {"1.0": {"requires": ["b"]}},
        "b": {"1.0": {"requires": ["c<1"]}},
        "c": {"0.1": {}, "2.0": {}},
    }
    message = _message(projects, project(["c>=1"], groups={"dev": ["a"]}))
    assert message == (
        "Because app's dependency group `dev` depends on a and a 1.0 depends on b and "
        "b 1.0 depends on c<1, while app depends on c>=1, no version of `b` satisfies the "
        "requirements (`c<1` and `c>=1` conflict)."
    )


def test_conflict_in_one_fork_names_the_environments() -> None:
    projects: Index = {
        "a": {"1.0": {"requires": ["c<1"]}},
        "b": {"1.0": {"requires": ["c>=2"]}},
        "c": {"0.1": {}, "2.0": {}},
    }
    message = _message(projects, project(["a", "b; sys_platform == 'win32'"]))
    assert message.startswith('For environments where `sys_platform == "win32"`:\nBecause ')
    assert "`c<1` and `c>=2` conflict" in message


def test_no_matching_version() -> None:
    message = _message({"x": {"1.0": {}, "2.0": {}}}, project(["x>=9"]))
    assert message == "No versions of `x` match `x>=9` (available: 1.0, 2.0); app depends on x>=9."


def test_unknown_project() -> None:
    assert _message({}, project(["nothere"])) == (
        "`nothere` was not found on the package index (app depends on nothere)."
    )


def test_requires_python_from_the_index() -> None:
    projects: Index = {"x": {"1.0": {"python": ">=3.12"}, "2.0": {"python": ">=3.12"}}}
    assert _message(projects, project(["x"])) == (
        "`x` matches 1.0, 2.0, but they require Python >=3.12, which leaves out Python 3.9, "
        "3.10, 3.11 (allowed by the project's requires-python); app depends on x."
    )


def test_requires_python_from_metadata() -> None:
    projects: Index = {"x": {"1.0": {"python": ">=3.12", "file_python": None}}}
    message = _message(projects, project(["x"]))
    assert message.startswith(
        "Because app depends on x and x 1.0 depends on Python >=3.12, while the lock must also "
        "hold for Python 3.9, 3.10, 3.11 (the project's requires-python)"
    )


def test_only_yanked() -> None:
    message = _message({"x": {"1.0": {"yanked": ""}}}, project(["x"]))
    assert message == (
        "`x` matches only yanked releases (1.0); a yanked release is used only when the "
        "project itself pins it exactly (add `x==1.0` to its dependencies to use it)."
    )


def test_only_prereleases_when_disallowed() -> None:
    message = _message({"x": {"1.0b1": {}}}, project(["x"], prerelease="disallow"))
    assert message.startswith("`x` matches only pre-releases (1.0b1); allow them with")


def test_group_conflicting_with_the_dependencies() -> None:
    projects: Index = {"a": {"1.0": {}, "2.0": {}}}
    message = _message(projects, project(["a>=2"], groups={"dev": ["a<2"]}))
    assert message == (
        "Because app depends on a>=2, while app's dependency group `dev` depends on a<2, "
        "no version of `a` satisfies them (`a>=2` and `a<2` conflict)."
    )
