"""`tag_fits` agrees with `packaging.tags` on many wheel tags, for every kind of environment.

The expected answer is whether the tag is in the set `packaging.tags` generates for a concrete
interpreter on a concrete machine of the environment's kind (glibc 2.39 or musl 1.2 Linux,
macOS 15, Windows), not a restatement of pallet's rules.
"""

from __future__ import annotations

import itertools

import pytest
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, generic_tags, mac_platforms
from pallet.project.model import ResolutionSettings
from pallet.resolve.environments import Environment, make_universe
from pallet.resolve.files import tag_fits

UNIVERSE = make_universe(
    SpecifierSet(">=3.9"),
    ResolutionSettings(
        max_python="3.13", implementations=("cpython", "pypy"), linux_libc=("glibc", "musl")
    ),
)

INTERPRETERS = ["py2", "py3", "py30", "py39", "py311", "py313", "py315", "graalpy311"] + [
    f"{impl}3{minor}" for impl in ("cp", "pp") for minor in (8, 9, 10, 11, 12, 13, 15)
]
ABIS = ["none", "abi3", "cp39", "cp311", "cp313", "cp313t", "cp312d", "cp38m"] + [
    f"pypy3{minor}_pp73" for minor in (9, 10, 11)
]
PLATFORM_TAGS = [
    "any",
    "linux_x86_64",
    "linux_aarch64",
    "linux_i686",
    "manylinux1_x86_64",
    "manylinux2010_x86_64",
    "manylinux2014_x86_64",
    "manylinux2014_aarch64",
    "manylinux1_aarch64",
    "manylinux_2_5_x86_64",
    "manylinux_2_17_aarch64",
    "manylinux_2_28_x86_64",
    "manylinux_2_39_aarch64",
    "manylinux_2_17_ppc64le",
    "manylinux_2_17_i686",
    "musllinux_1_1_x86_64",
    "musllinux_1_2_aarch64",
    "musllinux_1_2_armv7l",
    "macosx_10_9_x86_64",
    "macosx_10_6_intel",
    "macosx_10_9_universal2",
    "macosx_10_13_universal",
    "macosx_11_0_arm64",
    "macosx_14_0_arm64",
    "macosx_15_0_x86_64",
    "macosx_11_0_x86_64",
    "win32",
    "win_amd64",
    "win_arm64",
    "freebsd_14_0_amd64",
]


def _linux(arch: str, libc: str) -> list[str]:
    """The platform tags a Linux machine with glibc 2.39 or musl 1.2 accepts (PEP 600/656)."""
    if libc == "musl":
        tags = [f"musllinux_1_{n}_{arch}" for n in (2, 1, 0)]
    else:
        tags = [f"manylinux_2_{n}_{arch}" for n in range(39, 4, -1)]
        tags += [f"manylinux2014_{arch}"]
        if arch == "x86_64":
            tags += [f"manylinux2010_{arch}", f"manylinux1_{arch}"]
    return [*tags, f"linux_{arch}"]


def _machine_platforms(env: Environment) -> list[str]:
    platform = env.platform
    if platform.sys_platform == "darwin":
        return list(mac_platforms((15, 0), platform.arch))
    if platform.sys_platform == "win32":
        return ["win_amd64" if platform.arch == "x86_64" else "win_arm64"]
    return _linux("x86_64" if platform.arch == "x86_64" else "aarch64", platform.libc)


def _supported(env: Environment) -> set[Tag]:
    version = (3, env.python.low.minor)
    platforms = _machine_platforms(env)
    if env.platform.implementation == "pypy":
        interpreter = f"pp3{version[1]}"
        abi = f"pypy3{version[1]}_pp73"
        return {
            *generic_tags(interpreter, [abi], platforms),
            *compatible_tags(version, interpreter, platforms),
        }
    interpreter = f"cp3{version[1]}"
    return {
        *cpython_tags(version, [interpreter], platforms),
        *compatible_tags(version, interpreter, platforms),
    }


TAGS = [Tag(*parts) for parts in itertools.product(INTERPRETERS, ABIS, PLATFORM_TAGS)]


@pytest.mark.parametrize("env", UNIVERSE, ids=str)
def test_tag_fits_agrees_with_packaging_tags(env: Environment) -> None:
    supported = _supported(env)
    wrong = [str(t) for t in TAGS if tag_fits(t, env) != (t in supported)]
    assert wrong == []
    # the sample is not trivial: some fit, most do not
    assert 0 < sum(t in supported for t in TAGS) < len(TAGS) // 2


def test_universe_has_every_kind() -> None:
    labels = {e.platform.label for e in UNIVERSE}
    assert {"linux-x86_64", "musllinux-arm64", "pypy-darwin-arm64"} <= labels
    assert "pypy-win32-arm64" not in labels
