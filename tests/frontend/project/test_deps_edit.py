"""`pallet.project.deps_edit`: the tomlkit edits behind ``pallet add`` and ``pallet remove``, on
layouts the end-to-end tests do not cover; round trips compare text, edits are read back with
tomllib."""

from __future__ import annotations

import sys

import pytest
from pallet.errors import ProjectError
from pallet.project.deps_edit import (
    Target,
    add_requirements,
    bounded_requirements,
    find_targets,
    remove_requirements,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HEAD = '[project]\nname = "demo"\nversion = "1.0"\n'


@pytest.mark.parametrize(
    "array",
    [
        '["a"]',
        '[ "a" ]  # spaced',
        '[ "a", ]',
        '[ "a" , "b",]',
        '[\n    "a",\n]',
        '[\n    "a"\n]',
        '[\n  # first\n  "a",  # why\n]',
        "[]",
    ],
)
def test_add_then_remove_gives_the_text_back(array: str) -> None:
    text = f"{HEAD}dependencies = {array}\n\n[tool.other]\nx = 1\n"
    added = add_requirements(text, ["six>=1"], Target("project"))
    assert tomllib.loads(added)["project"]["dependencies"][-1] == "six>=1"
    assert remove_requirements(added, ["SIX"], Target("project")) == text


def test_include_group_tables_are_kept_and_skipped() -> None:
    text = '[dependency-groups]\nall = [{include-group = "test"}, "a"]\ntest = ["b"]\n'
    out = add_requirements(text, ["a>=2"], Target("group", "All"))
    assert tomllib.loads(out)["dependency-groups"]["all"] == [{"include-group": "test"}, "a>=2"]
    assert find_targets(tomllib.loads(text), "B") == [Target("group", "test")]


def test_dynamic_dependencies_are_refused() -> None:
    text = '[project]\nname = "demo"\ndynamic = ["dependencies", "version"]\n'
    with pytest.raises(ProjectError, match=r"\[project\] 'dynamic': lists dependencies"):
        add_requirements(text, ["a"], Target("project"))


def test_a_bad_requirement_names_itself() -> None:
    with pytest.raises(ProjectError, match=r"'a >>= 1': not a PEP 508 requirement"):
        add_requirements(f"{HEAD}dependencies = []\n", ["a >>= 1"], Target("project"))


def test_lower_bounds_use_the_public_version() -> None:
    # PEP 440: a local label (+cpu) has no place in a specifier's version
    locked = {"torch": ["2.5.1+cu126", "2.5.1+cpu"], "six": ["1.16.0"]}
    assert bounded_requirements(["torch", "six<2", "other"], locked) == (
        "torch>=2.5.1",
        "six<2",
        "other",
    )
