"""install.plan: what to install, keep and remove, from selected packages and installed dists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pallet.install.plan import Change, make_plan
from pallet.install.select import LockedFile, Wanted


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    direct_url: Mapping[str, object] | None = None


def wheel(name: str, version: str) -> Wanted:
    file = LockedFile(name, version, f"{name}-{version}-py3-none-any.whl", "0" * 64, None, None, 1)
    return Wanted(name, version, "wheel", file=file)


def test_new_changed_kept_removed() -> None:
    installed = {
        "a": Dist("a", "1.0"),  # same: kept (whoever installed it)
        "b": Dist("b", "1.0"),  # other version
        "six": Dist("six", "1.16.0"),  # not in the lock
        "pip": Dist("pip", "24.0"),  # kept when seeded
    }
    plan = make_plan(
        [wheel("a", "1.0.0"), wheel("b", "2.0"), wheel("c", "3.0")],
        installed,
        exact=True,
        keep={"pip"},
    )
    assert plan.unchanged == ("a",)
    assert [str(c) for c in plan.changes()] == [
        "~ b 1.0 -> 2.0",
        "+ c 3.0",
        "- six 1.16.0",
    ]
    assert plan.changes()[0] == Change("~", "b", "1.0", "2.0")


def test_inexact_keeps_extraneous() -> None:
    plan = make_plan([wheel("a", "1.0")], {"six": Dist("six", "1.16.0")}, exact=False)
    assert [str(c) for c in plan.changes()] == ["+ a 1.0"]


def test_same_version_other_source_is_reinstalled() -> None:
    direct = {"url": "file:///somewhere/a", "dir_info": {}}
    plan = make_plan([wheel("a", "1.0")], {"a": Dist("a", "1.0", direct)}, exact=True)
    assert [str(c) for c in plan.changes()] == ["~ a 1.0 -> 1.0"]


def test_directory_matches_by_url_and_editable_flag() -> None:
    url = "file:///work/proj"
    want = Wanted(
        "p",
        None,
        "directory",
        editable=True,
        direct_url={"url": url, "dir_info": {"editable": True}},
    )
    same = Dist("p", "0.1", {"url": url, "dir_info": {"editable": True}})
    other = Dist("p", "0.1", {"url": url, "dir_info": {}})
    assert make_plan([want], {"p": same}, exact=True).empty
    assert not make_plan([want], {"p": other}, exact=True).empty


def test_force_reinstalls_a_matching_package() -> None:
    plan = make_plan([wheel("a", "1.0")], {"a": Dist("a", "1.0")}, exact=True, force={"a"})
    assert [s.wanted.name for s in plan.install] == ["a"]
