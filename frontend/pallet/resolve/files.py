"""Which files of a locked version are kept, and where a wheel installs.

A wheel installs on an environment when one of its PEP 425 tags is among the tags that
environment's interpreter supports. The interpreter and ABI part comes from `packaging.tags`
itself (`cpython_tags` + `compatible_tags` for CPython 3.N, `generic_tags` + `compatible_tags`
for PyPy), so a free-threaded ``cp313t`` wheel does not count for a regular 3.13, nor a
``cp315`` wheel for the range "3.13 and newer" (it is checked at the range's low end). The
platform part is the tags a machine of that kind accepts:
- glibc Linux: ``manylinux_2_N_<arch>`` for any N (PEP 600), the legacy ``manylinux1``,
  ``manylinux2010`` and ``manylinux2014`` aliases, and ``linux_<arch>``; musl Linux:
  ``musllinux_1_N_<arch>`` (PEP 656) and ``linux_<arch>``. A newer glibc/musl is assumed.
- macOS: `packaging.tags.mac_platforms` for the newest macOS (``universal2`` included);
- Windows: ``win_amd64`` / ``win_arm64``.
Each answer is memoised per (tag, platform, Python minor): the resolver asks often.

The sdist is always kept. An entry that no wheel fits anywhere and that has no sdist keeps all
its wheels, so that it still names a file (PEP 751 requires a source); `uncovered` says where it
cannot install, and the resolver warns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

from packaging.tags import Tag, compatible_tags, cpython_tags, generic_tags, mac_platforms

from ..index.models import DistFile
from .environments import Environment, Platform

__all__ = ["covers", "tag_fits", "uncovered", "wheel_fits", "wheels_for"]

#: The macOS version whose accepted platform tags stand for "a Mac" (macOS 26, 2025).
MACOS = (26, 0)
#: ``platform_machine`` of Linux as wheel tags spell it.
_LINUX_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}
_WINDOWS = {"x86_64": "win_amd64", "arm64": "win_arm64"}
_PROBE = "pallet_probe"  # a platform tag no wheel has: isolates the interpreter/ABI part
_MINOR = re.compile(r"^(?:cp|pp|py)3(\d+)$")


@cache
def _interpreter_abis(implementation: str, minor: int) -> tuple[frozenset[str], frozenset[str]]:
    """``interpreter-abi`` pairs the interpreter accepts on its own platform, and with ``any``."""
    version = (3, minor)
    if implementation == "pypy":
        interpreter = f"pp3{minor}"
        # PEP 425 / packaging: PyPy 7.3's ABI tag is ``pypy3N_pp73``
        tags = [
            *generic_tags(interpreter, [f"pypy3{minor}_pp73"], [_PROBE]),
            *compatible_tags(version, interpreter, [_PROBE]),
        ]
    else:
        interpreter = f"cp3{minor}"
        tags = [
            *cpython_tags(version, [interpreter], [_PROBE]),
            *compatible_tags(version, interpreter, [_PROBE]),
        ]
    on_platform = frozenset(f"{t.interpreter}-{t.abi}" for t in tags if t.platform == _PROBE)
    anywhere = frozenset(f"{t.interpreter}-{t.abi}" for t in tags if t.platform == "any")
    return on_platform, anywhere


@cache
def _mac_tags(arch: str) -> frozenset[str]:
    return frozenset(mac_platforms(MACOS, arch))


@lru_cache(maxsize=4096)
def _platform_fits(tag_platform: str, platform: Platform) -> bool:
    """Whether a machine of this platform accepts this (non-``any``) platform tag."""
    if platform.sys_platform == "darwin":
        return tag_platform in _mac_tags(platform.arch)
    if platform.sys_platform == "win32":
        return tag_platform == _WINDOWS[platform.arch]
    arch = _LINUX_ARCH[platform.arch]
    if tag_platform == f"linux_{arch}":
        return True
    if platform.libc == "musl":
        return re.fullmatch(rf"musllinux_1_\d+_{arch}", tag_platform) is not None
    legacy = ("manylinux2014",) + (("manylinux1", "manylinux2010") if arch == "x86_64" else ())
    return re.fullmatch(rf"manylinux_2_\d+_{arch}", tag_platform) is not None or tag_platform in {
        f"{name}_{arch}" for name in legacy
    }


@lru_cache(maxsize=65536)
def _fits(tag: Tag, platform: Platform, minor: int) -> bool:
    on_platform, anywhere = _interpreter_abis(platform.implementation, minor)
    pair = f"{tag.interpreter}-{tag.abi}"
    if tag.platform == "any":
        return pair in anywhere
    return pair in on_platform and _platform_fits(tag.platform, platform)


def tag_fits(tag: Tag, env: Environment) -> bool:
    """Whether a wheel with this tag installs on this environment (at its lowest Python)."""
    low = env.python.low
    return low.major == 3 and _fits(tag, env.platform, low.minor)


def _may_fit(tag: Tag, env: Environment) -> bool:
    """`tag_fits`, or for the open last range a later Python of it that the tag names."""
    if tag_fits(tag, env):
        return True
    if env.python.high is not None:
        return False
    named = _MINOR.match(tag.interpreter)
    return (
        named is not None
        and int(named.group(1)) > env.python.low.minor
        and _fits(tag, env.platform, int(named.group(1)))
    )


def wheel_fits(wheel: DistFile, envs: Iterable[Environment]) -> bool:
    """Whether the wheel installs on at least one of these environments."""
    environments = list(envs)
    return any(tag_fits(tag, env) for tag in wheel.tags for env in environments)


def covers(wheels: Iterable[DistFile], sdist: DistFile | None, env: Environment) -> bool:
    """Whether some file of a release installs on ``env`` (an sdist can be built anywhere)."""
    return sdist is not None or any(wheel_fits(w, (env,)) for w in wheels)


def wheels_for(wheels: Iterable[DistFile], envs: Iterable[Environment]) -> tuple[DistFile, ...]:
    """The wheels that install on some environment of ``envs`` (for the open last range, on
    some Python of it), sorted by file name."""
    environments = list(envs)
    return tuple(
        sorted(
            (w for w in wheels if any(_may_fit(t, e) for t in w.tags for e in environments)),
            key=lambda w: w.filename,
        )
    )


def uncovered(
    wheels: Iterable[DistFile], sdist: DistFile | None, envs: Iterable[Environment]
) -> str:
    """Where no file of an entry installs, as short text ("" when everywhere is covered).

    An sdist covers every environment (it can be built there); without one, an environment no
    wheel fits is a place where installing the lock will fail. Reads like ``Python 3.10, 3.14+
    on every platform; Python 3.11 on win32-arm64``.
    """
    if sdist is not None:
        return ""
    candidates = list(wheels)
    environments = list(envs)
    by_python: dict[str, dict[str, None]] = {}
    for env in environments:
        if not any(wheel_fits(wheel, [env]) for wheel in candidates):
            label = env.python.minor + ("+" if env.python.high is None else "")
            by_python.setdefault(label, {})[env.platform.label] = None
    every = {env.platform.label for env in environments}
    groups: dict[tuple[str, ...], list[str]] = {}
    for python, platforms in by_python.items():
        groups.setdefault(tuple(platforms), []).append(python)
    return "; ".join(
        f"Python {', '.join(pythons)} on "
        + ("every platform" if set(platforms) == every else ", ".join(platforms))
        for platforms, pythons in groups.items()
    )
