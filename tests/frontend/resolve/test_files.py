"""Which wheels fit which environments."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.tags import parse_tag
from packaging.utils import parse_sdist_filename, parse_wheel_filename
from pallet.index.models import DistFile
from pallet.project.model import ResolutionSettings
from pallet.resolve.environments import Environment, make_universe
from pallet.resolve.files import tag_fits, uncovered, wheels_for

UNIVERSE = make_universe(SpecifierSet(">=3.9"), ResolutionSettings(max_python="3.13"))


def _fits(tag: str) -> set[str]:
    """``label/minor`` of every environment some tag of ``tag`` fits."""
    return {
        f"{e.platform.label}/{e.python.minor}"
        for e in UNIVERSE
        if any(tag_fits(t, e) for t in parse_tag(tag))
    }


def _all(platforms: list[str], minors: list[str]) -> set[str]:
    return {f"{p}/{m}" for p in platforms for m in minors}


LINUX = ["linux-x86_64", "linux-arm64"]
MAC = ["darwin-x86_64", "darwin-arm64"]
WIN = ["win32-x86_64", "win32-arm64"]
MINORS = ["3.9", "3.10", "3.11", "3.12", "3.13"]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("py3-none-any", _all(LINUX + MAC + WIN, MINORS)),
        ("py2.py3-none-any", _all(LINUX + MAC + WIN, MINORS)),
        ("py311-none-any", _all(LINUX + MAC + WIN, ["3.11", "3.12", "3.13"])),
        ("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", {"linux-x86_64/3.11"}),
        # musl wheels do not install on glibc Linux (the default universe)
        ("cp311-cp311-musllinux_1_2_aarch64", set()),
        ("cp39-abi3-macosx_11_0_arm64", _all(["darwin-arm64"], MINORS)),
        ("cp312-cp312-macosx_10_13_universal2", _all(MAC, ["3.12"])),
        ("cp312-cp312-win_amd64", {"win32-x86_64/3.12"}),
        ("cp312-cp312-win_arm64", {"win32-arm64/3.12"}),
        ("cp312-cp312-win32", set()),
        # free-threaded CPython is another ABI
        ("cp313-cp313t-manylinux_2_17_x86_64", set()),
        # the last range means "3.13 and newer", checked at 3.13: a cp315 wheel does not cover it
        ("cp315-cp315-win_amd64", set()),
        ("pp310-pypy310_pp73-manylinux_2_17_x86_64", set()),
        ("cp312-cp312-manylinux_2_17_ppc64le", set()),
        ("py3-none-macosx_11_0_x86_64", _all(["darwin-x86_64"], MINORS)),
    ],
)
def test_tag_fits(tag: str, expected: set[str]) -> None:
    assert _fits(tag) == expected


def test_environment_labels() -> None:
    env: Environment = UNIVERSE[0]
    assert str(env) == "linux-x86_64 python>=3.9.0,<3.10.0"


def _file(filename: str) -> DistFile:
    if filename.endswith(".whl"):
        name, version, _, tags = parse_wheel_filename(filename)
        return DistFile(filename, f"https://x/{filename}", "i", name, version, "wheel", tags=tags)
    name, version = parse_sdist_filename(filename)
    return DistFile(filename, f"https://x/{filename}", "i", name, version, "sdist")


def test_uncovered_names_where_nothing_installs() -> None:
    universe = make_universe(SpecifierSet(">=3.10"), ResolutionSettings(max_python="3.12"))
    cp311_linux = _file("m-1.0-cp311-cp311-manylinux_2_17_x86_64.whl")
    assert uncovered([cp311_linux], None, universe) == (
        "Python 3.10, 3.12+ on every platform; Python 3.11 on linux-arm64, darwin-x86_64, "
        "darwin-arm64, win32-x86_64, win32-arm64"
    )
    assert uncovered([_file("m-1.0-py3-none-any.whl")], None, universe) == ""
    assert uncovered([], _file("m-1.0.tar.gz"), universe) == ""


def test_cp315_wheel_is_kept_for_the_open_range_but_covers_nothing() -> None:
    wheel = _file("m-1.0-cp315-cp315-win_amd64.whl")
    assert wheels_for([wheel], UNIVERSE) == (wheel,)
    assert "3.13+ on every platform" in uncovered([wheel], None, UNIVERSE)
