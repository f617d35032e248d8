"""pallet.project.groups: PEP 735 dependency groups with include-group."""

from __future__ import annotations

import pytest
from pallet.errors import ProjectError
from pallet.project.groups import normalize_group_name, parse_dependency_groups
from pallet.project.problems import Problems


def _groups(raw: object) -> dict[str, list[str]]:
    problems = Problems("pyproject.toml")
    groups = parse_dependency_groups(raw, problems)
    problems.raise_if_any()
    return {name: [str(r) for r in reqs] for name, reqs in groups.items()}


def test_include_group_expands_in_order_without_repeats() -> None:
    assert _groups(
        {
            "Test": ["pytest>=8", "coverage"],
            "lint": ["ruff", "coverage"],
            "dev": [{"include-group": "test"}, {"include-group": "LINT"}, "ipython"],
        }
    ) == {
        "test": ["pytest>=8", "coverage"],
        "lint": ["ruff", "coverage"],
        "dev": ["pytest>=8", "coverage", "ruff", "ipython"],
    }


def test_nested_includes() -> None:
    groups = _groups(
        {"a": [{"include-group": "b"}], "b": [{"include-group": "c"}, "y"], "c": ["x"]}
    )
    assert groups["a"] == ["x", "y"]


def test_no_groups() -> None:
    assert _groups(None) == {}


@pytest.mark.parametrize(
    ("name", "expected"), [("Dev_Tools", "dev-tools"), ("a.b--c", "a-b-c"), ("X", "x")]
)
def test_normalize_group_name(name: str, expected: str) -> None:
    assert normalize_group_name(name) == expected


def test_self_include_is_a_cycle() -> None:
    with pytest.raises(ProjectError, match=r"group 'dev': include-group cycle dev -> dev$"):
        _groups({"dev": [{"include-group": "dev"}]})


def test_longer_cycle_reported_once() -> None:
    with pytest.raises(ProjectError) as info:
        _groups(
            {
                "a": [{"include-group": "b"}],
                "b": [{"include-group": "c"}],
                "c": [{"include-group": "a"}],
            }
        )
    assert str(info.value) == (
        "pyproject.toml: [dependency-groups] group 'a': include-group cycle a -> b -> c -> a"
    )


def test_group_must_be_array() -> None:
    with pytest.raises(ProjectError, match=r"group 'dev': must be an array .* not a string"):
        _groups({"dev": "pytest"})


def test_table_must_be_a_table() -> None:
    with pytest.raises(ProjectError, match=r"\[dependency-groups\] must be a table, not an array"):
        _groups(["pytest"])


def test_bad_requirement_in_group() -> None:
    with pytest.raises(ProjectError, match=r"group 'test' entry 1: 'py test' is not a valid"):
        _groups({"test": ["py test"]})
