"""``[tool.pallet.resolution]``: how the resolver chooses (pre-releases, the universe of
environments, Requires-Python forks, required environments, exclude-newer, no-build/no-binary).

Every problem is collected in `Problems` (file, table, key, what is allowed) and raised once by
the caller, as for the rest of ``[tool.pallet]`` (`project.settings`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from packaging.markers import InvalidMarker, Marker
from packaging.utils import NormalizedName, canonicalize_name

from .exclude_newer import ExcludeNewer, parse_exclude_newer
from .model import (
    PROJECT_NAME,
    ForkStrategy,
    PackageSwitch,
    PrereleaseMode,
    ResolutionSettings,
)
from .problems import Problems, did_you_mean, type_name

__all__ = ["exclude_newer_key", "parse_resolution"]

_RESOLUTION_KEYS = (
    "prerelease",
    "environments",
    "max-python",
    "fork-strategy",
    "required-environments",
    "implementations",
    "linux-libc",
    "exclude-newer",
    "no-build",
    "no-binary",
)
_FORK_STRATEGIES = ("requires-python", "fewest")
_IMPLEMENTATIONS = ("cpython", "pypy")
_LIBCS = ("glibc", "musl")
_PRERELEASE: tuple[PrereleaseMode, ...] = ("if-necessary", "allow", "disallow")
_PYTHON_MINOR = re.compile(r"^3\.(\d+)$")


def parse_resolution(raw: object, problems: Problems) -> ResolutionSettings:
    table = "tool.pallet.resolution"
    if raw is None:
        return ResolutionSettings()
    if not isinstance(raw, dict):
        problems.add_plain(table, f"[{table}] must be a table, not {type_name(raw)}")
        return ResolutionSettings()
    for key in raw:
        if key not in _RESOLUTION_KEYS:
            problems.add(
                table, key, f"key {key!r} is not allowed{did_you_mean(key, _RESOLUTION_KEYS)}"
            )
    defaults = ResolutionSettings()
    prerelease = _one_of(raw, "prerelease", _PRERELEASE, defaults.prerelease, problems)
    max_python = raw.get("max-python", defaults.max_python)
    if not isinstance(max_python, str) or not _PYTHON_MINOR.match(max_python):
        problems.add(
            table,
            "max-python",
            f"key 'max-python' is {max_python!r}; use a Python 3 minor version like '3.14'",
        )
        max_python = defaults.max_python
    fork_strategy = _one_of(
        raw, "fork-strategy", _FORK_STRATEGIES, defaults.fork_strategy, problems
    )
    no_build, no_binary = _parse_build_switches(raw, problems)
    return ResolutionSettings(
        prerelease=cast(PrereleaseMode, prerelease),
        max_python=max_python,
        environments=_markers(raw, "environments", problems),
        fork_strategy=cast(ForkStrategy, fork_strategy),
        required_environments=_markers(raw, "required-environments", problems),
        implementations=_choices(raw, "implementations", _IMPLEMENTATIONS, problems)
        or defaults.implementations,
        linux_libc=_choices(raw, "linux-libc", _LIBCS, problems) or defaults.linux_libc,
        exclude_newer=exclude_newer_key(raw, table, "", problems),
        no_build=no_build,
        no_binary=no_binary,
    )


def _one_of(
    raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str, problems: Problems
) -> str:
    """One name from ``allowed`` (``default`` when not given, or after reporting a bad one)."""
    value = raw.get(key, default)
    if value in allowed:
        return str(value)
    names = [repr(a) for a in allowed]
    choices = f"{', '.join(names[:-1])} or {names[-1]}"
    problems.add("tool.pallet.resolution", key, f"key {key!r} is {value!r}; use {choices}")
    return default


def _choices(
    raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], problems: Problems
) -> tuple[str, ...]:
    """A non-empty array of names from ``allowed`` (empty tuple: not given, or bad)."""
    table = "tool.pallet.resolution"
    if key not in raw:
        return ()
    value = raw[key]
    choices = " and/or ".join(repr(a) for a in allowed)
    if not isinstance(value, list) or not value or not all(v in allowed for v in value):
        problems.add(table, key, f"key {key!r} is {value!r}; use a non-empty array of {choices}")
        return ()
    return tuple(dict.fromkeys(value))


def _markers(raw: Mapping[str, Any], key: str, problems: Problems) -> tuple[str, ...]:
    """An array of PEP 508 marker strings (bad entries reported and dropped)."""
    table = "tool.pallet.resolution"
    out: list[str] = []
    raw_envs = raw.get(key, [])
    if not isinstance(raw_envs, list):
        problems.add(
            table,
            key,
            f"key {key!r} must be an array of marker strings, not {type_name(raw_envs)}",
        )
        raw_envs = []
    for i, text in enumerate(raw_envs):
        if not isinstance(text, str):
            problems.add(
                table,
                key,
                f"key {key!r} entry {i + 1}: must be a marker string, not {type_name(text)}",
            )
            continue
        try:
            Marker(text)
        except InvalidMarker as exc:
            detail = str(exc).splitlines()[0]
            problems.add(
                table,
                key,
                f"key {key!r} entry {i + 1}: {text!r} is not a valid marker: {detail}",
            )
            continue
        out.append(text)
    return tuple(out)


def exclude_newer_key(
    raw: Mapping[str, object], table: str, where: str, problems: Problems
) -> ExcludeNewer | None:
    if "exclude-newer" not in raw:
        return None
    try:
        return parse_exclude_newer(raw["exclude-newer"])
    except ValueError as exc:
        problems.add(table, "exclude-newer", f"{where}key 'exclude-newer': {exc}")
        return None


def _parse_switch(raw: Mapping[str, object], key: str, problems: Problems) -> PackageSwitch:
    """``true``/``false`` (every package or none) or an array of package names."""
    table = "tool.pallet.resolution"
    value = raw.get(key, False)
    if isinstance(value, bool):
        return value
    if not isinstance(value, list):
        problems.add(
            table,
            key,
            f"key {key!r} must be true, false or an array of package names, not {type_name(value)}",
        )
        return False
    names: set[NormalizedName] = set()
    for i, item in enumerate(value):
        if not isinstance(item, str) or not PROJECT_NAME.match(item):
            shown = repr(item) if isinstance(item, str) else type_name(item)
            problems.add(
                table, key, f"key {key!r} entry {i + 1}: {shown} is not a valid package name"
            )
            continue
        names.add(canonicalize_name(item))
    return frozenset(names)


def _parse_build_switches(
    raw: Mapping[str, object], problems: Problems
) -> tuple[PackageSwitch, PackageSwitch]:
    """``no-build`` and ``no-binary``; a package under both could not be installed at all."""
    no_build = _parse_switch(raw, "no-build", problems)
    no_binary = _parse_switch(raw, "no-binary", problems)
    if no_build is True and no_binary is True:
        both = "every package"
    else:
        build = no_build if isinstance(no_build, frozenset) else frozenset()
        binary = no_binary if isinstance(no_binary, frozenset) else frozenset()
        named = binary if no_build is True else build if no_binary is True else build & binary
        both = ", ".join(repr(n) for n in sorted(named))
    if both:
        problems.add(
            "tool.pallet.resolution",
            "no-binary",
            f"keys 'no-build' and 'no-binary' both name {both}: such a package could be "
            "installed neither from a wheel nor from an sdist; drop it from one of them",
        )
    return no_build, no_binary
