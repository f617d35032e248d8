"""PEP 592: a yanked release is chosen only when the project itself pins it with ``==``/``===``;
a dependency's ``==`` does not select one, and choosing one warns with the index's reason."""

from __future__ import annotations

import logging

import pytest
from pallet.errors import ResolutionError

from .memfinder import Index, MemoryFinder, entries, project, resolve_checked

INDEX: Index = {
    "x": {"1.0": {}, "2.0": {"yanked": "broken build"}, "2.1": {"yanked": ""}},
    "a": {"0.9": {"requires": ["x"]}, "1.0": {"requires": ["x==2.0"]}},
    "b": {"1.0": {"requires": ["x===2.0"]}},
}


def test_yanked_releases_are_skipped() -> None:
    assert entries(resolve_checked(MemoryFinder(INDEX), project(["x"]))) == {("x", "1.0"): None}


@pytest.mark.parametrize("pin", ["x==2.0", "x===2.0", "x==2.0; os_name != 'java'"])
def test_the_projects_exact_pin_selects_a_yanked_release_and_warns(
    pin: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        result = resolve_checked(MemoryFinder(INDEX), project([pin]))
    assert entries(result) == {("x", "2.0"): None}
    assert "x 2.0 is yanked (broken build); it is locked because the project pins it" in (
        caplog.text
    )


def test_a_yanked_release_without_a_reason_warns_without_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        resolve_checked(MemoryFinder(INDEX), project(["x==2.1"]))
    assert "x 2.1 is yanked; it is locked because" in caplog.text


def test_a_dependencys_exact_pin_does_not_select_a_yanked_release() -> None:
    # a 1.0 needs x==2.0 (yanked): the resolver falls back to a 0.9
    result = resolve_checked(MemoryFinder(INDEX), project(["a"]))
    assert entries(result) == {("a", "0.9"): None, ("x", "1.0"): None}


def test_only_a_dependencys_pin_names_it_is_an_explained_failure() -> None:
    for roots in (["a==1.0"], ["b"]):
        with pytest.raises(ResolutionError) as caught:
            resolve_checked(MemoryFinder(INDEX), project(roots))
        message = str(caught.value)
        assert "matches only yanked releases (2.0)" in message
        assert "only when the project itself pins it exactly" in message


def test_the_project_pin_also_serves_the_dependency() -> None:
    result = resolve_checked(MemoryFinder(INDEX), project(["a==1.0", "x==2.0"]))
    assert entries(result) == {("a", "1.0"): None, ("x", "2.0"): None}


def test_a_wildcard_pin_does_not_select_a_yanked_release() -> None:
    with pytest.raises(ResolutionError, match="only yanked releases"):
        resolve_checked(MemoryFinder(INDEX), project(["x==2.*"]))
