"""``[tool.pallet.build]`` and ``[tool.pallet.version]`` parsed into immutable NamedTuples.

TOML keys are kebab-case; unknown keys are errors with a "did you mean". Other ``[tool.pallet]``
tables (``index``, ``sources``, ``resolution`` ...) belong to the pallet frontend and are ignored
here, except a name that is a likely misspelling of ``build`` or ``version``.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pallet_core._frozen import Frozen
from pallet_core.errors import Problems
from pallet_core.pyproject import relative_path_problem

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DATA_SCHEMES",
    "EDITABLE_MODES",
    "VERSION_SOURCES",
    "BuildSettings",
    "VersionSettings",
    "parse_build_settings",
    "parse_settings",
    "parse_version_settings",
    "read_settings",
]

#: PEP 427: the ``.data/<scheme>/`` directories a wheel may carry.
DATA_SCHEMES = ("data", "headers", "platlib", "purelib", "scripts")
EDITABLE_MODES = ("auto", "hook", "pth")
VERSION_SOURCES = ("attr", "vcs")
DEFAULT_TAG_PATTERN = r"^v?(?P<version>.+)$"

_BUILD_KEYS = (
    "source",
    "packages",
    "namespace",
    "include",
    "exclude",
    "sdist-include",
    "sdist-exclude",
    "data",
    "editable-mode",
)
_VERSION_KEYS = ("source", "path", "fallback", "tag-pattern")
_IMPORT_NAME = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"


class BuildSettings(Frozen):
    """``[tool.pallet.build]``: what to ship (see docs/CONTRACT-backend.md)."""

    # In field order, which Frozen's __init__ and repr follow.
    __slots__ = (  # noqa: RUF023
        "source",
        "packages",
        "namespace",
        "include",
        "exclude",
        "sdist_include",
        "sdist_exclude",
        "data",
        "editable_mode",
    )

    source: str | None
    packages: tuple[str, ...]
    namespace: bool
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    sdist_include: tuple[str, ...]
    sdist_exclude: tuple[str, ...]
    data: Mapping[str, str]
    editable_mode: str

    def __init__(
        self,
        source: str | None = None,
        packages: tuple[str, ...] = (),
        namespace: bool = False,
        include: tuple[str, ...] = (),
        exclude: tuple[str, ...] = (),
        sdist_include: tuple[str, ...] = (),
        sdist_exclude: tuple[str, ...] = (),
        data: Mapping[str, str] = MappingProxyType({}),
        editable_mode: str = "auto",
    ) -> None:
        super().__init__(
            source,
            packages,
            namespace,
            include,
            exclude,
            sdist_include,
            sdist_exclude,
            data,
            editable_mode,
        )


class VersionSettings(Frozen):
    """``[tool.pallet.version]``: where a dynamic ``version`` comes from."""

    # In field order, which Frozen's __init__ and repr follow.
    __slots__ = (  # noqa: RUF023
        "source",
        "path",
        "fallback",
        "tag_pattern",
    )

    source: str
    path: str | None
    fallback: str | None
    tag_pattern: str

    def __init__(
        self,
        source: str = "attr",
        path: str | None = None,
        fallback: str | None = None,
        tag_pattern: str = DEFAULT_TAG_PATTERN,
    ) -> None:
        super().__init__(source, path, fallback, tag_pattern)


def _table(parent: Mapping[str, Any], key: str, name: str, problems: Problems) -> Mapping[str, Any]:
    value = parent.get(key, {})
    if not isinstance(value, dict):
        table, _, field_name = name.rpartition(".")
        problems.add_type(table, field_name, value, "a table")
        return {}
    return value


def _string_list(
    table: Mapping[str, Any], key: str, name: str, problems: Problems
) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list):
        problems.add_type(name, key, value, "an array of strings")
        return ()
    good = []
    for item in value:
        if isinstance(item, str) and item:
            good.append(item)
        else:
            problems.add(
                name,
                key,
                f"item {item!r} is {'empty' if item == '' else 'not a string'}",
                "expected an array of non-empty strings",
                value=item,
            )
    return tuple(good)


def _choice(
    table: Mapping[str, Any],
    key: str,
    name: str,
    choices: tuple[str, ...],
    default: str,
    problems: Problems,
) -> str:
    value = table.get(key, default)
    if value in choices:
        return str(value)
    allowed = "use " + ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
    if isinstance(value, str):
        problems.add(name, key, f"{value!r} is not a known value", allowed, value=value)
    else:
        problems.add_type(name, key, value, f"a string ({allowed[4:]})")
    return default


def _optional_path(table: Mapping[str, Any], key: str, name: str, problems: Problems) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add_type(name, key, value, "a string (a relative path)")
        return None
    why = relative_path_problem(value)
    if why:
        problems.add(name, key, why, "use a relative path with '/' separators", value=value)
        return None
    return value.rstrip("/") or "."


def _check_unknown(
    table: Mapping[str, Any], name: str, known: tuple[str, ...], problems: Problems
) -> None:
    for key in table:
        if key not in known:
            problems.add_unknown(name, key, known)


def parse_build_settings(tool_pallet: Mapping[str, Any], problems: Problems) -> BuildSettings:
    """``[tool.pallet.build]`` from the ``[tool.pallet]`` table; problems go to ``problems``."""
    name = "tool.pallet.build"
    table = _table(tool_pallet, "build", name, problems)
    _check_unknown(table, name, _BUILD_KEYS, problems)

    packages = _string_list(table, "packages", name, problems)
    for package in packages:
        if not re.match(_IMPORT_NAME, package):
            problems.add(
                name,
                "packages",
                f"{package!r} is not an import name",
                "use dotted Python identifiers such as 'acme.tools'",
                value=package,
            )
    namespace = table.get("namespace", False)
    if not isinstance(namespace, bool):
        problems.add_type(name, "namespace", namespace, "a boolean")
        namespace = False

    data: dict[str, str] = {}
    raw_data = _table(table, "data", f"{name}.data", problems)
    for scheme in sorted(raw_data):
        if scheme not in DATA_SCHEMES:
            problems.add(
                f"{name}.data",
                scheme,
                "is not a wheel data scheme",
                "use one of " + ", ".join(repr(s) for s in DATA_SCHEMES),
                value=scheme,
            )
            continue
        directory = _optional_path(raw_data, scheme, f"{name}.data", problems)
        if directory is not None:
            data[scheme] = directory

    return BuildSettings(
        source=_optional_path(table, "source", name, problems),
        packages=packages,
        namespace=namespace,
        include=_string_list(table, "include", name, problems),
        exclude=_string_list(table, "exclude", name, problems),
        sdist_include=_string_list(table, "sdist-include", name, problems),
        sdist_exclude=_string_list(table, "sdist-exclude", name, problems),
        data=MappingProxyType(data),
        editable_mode=_choice(table, "editable-mode", name, EDITABLE_MODES, "auto", problems),
    )


def parse_version_settings(tool_pallet: Mapping[str, Any], problems: Problems) -> VersionSettings:
    """``[tool.pallet.version]`` from the ``[tool.pallet]`` table; problems go to ``problems``."""
    name = "tool.pallet.version"
    table = _table(tool_pallet, "version", name, problems)
    _check_unknown(table, name, _VERSION_KEYS, problems)

    source = _choice(table, "source", name, VERSION_SOURCES, "attr", problems)
    fallback = table.get("fallback")
    if fallback is not None:
        if not isinstance(fallback, str):
            problems.add_type(name, "fallback", fallback, "a string (a PEP 440 version)")
            fallback = None
        else:
            from packaging.version import InvalidVersion, Version

            try:
                Version(fallback)
            except InvalidVersion:
                problems.add(
                    name,
                    "fallback",
                    f"{fallback!r} is not a valid PEP 440 version",
                    "use a version such as '0.0.0' or '1.2.3.dev0'",
                    value=fallback,
                )
                fallback = None

    pattern = table.get("tag-pattern", DEFAULT_TAG_PATTERN)
    if not isinstance(pattern, str):
        problems.add_type(name, "tag-pattern", pattern, "a string (a regular expression)")
        pattern = DEFAULT_TAG_PATTERN
    else:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            problems.add(
                name,
                "tag-pattern",
                f"{pattern!r} is not a valid regular expression ({exc})",
                "use a Python regular expression with a group named 'version'",
                value=pattern,
            )
            pattern = DEFAULT_TAG_PATTERN
        else:
            if "version" not in compiled.groupindex:
                problems.add(
                    name,
                    "tag-pattern",
                    f"{pattern!r} has no group named 'version'",
                    r"use a regular expression such as '^v?(?P<version>.+)$'",
                    value=pattern,
                )
                pattern = DEFAULT_TAG_PATTERN

    if source == "attr" and ("fallback" in table or "tag-pattern" in table):
        key = "fallback" if "fallback" in table else "tag-pattern"
        problems.add(
            name,
            key,
            "only applies to source = 'vcs'",
            "set source = 'vcs' or remove the field",
        )
    if source == "vcs" and "path" in table:
        problems.add(
            name, "path", "only applies to source = 'attr'", "remove it or set source = 'attr'"
        )

    return VersionSettings(
        source=source,
        path=_optional_path(table, "path", name, problems),
        fallback=fallback,
        tag_pattern=pattern,
    )


def parse_settings(
    pyproject: Mapping[str, Any], problems: Problems
) -> tuple[BuildSettings, VersionSettings]:
    """Both pallet-core tables of a parsed ``pyproject.toml``; problems go to ``problems``."""
    tool = pyproject.get("tool", {})
    if not isinstance(tool, dict):
        problems.add_type("tool", "tool", tool, "a table")  # pragma: no cover - TOML forbids it
        tool = {}
    tool_pallet = _table(tool, "pallet", "tool.pallet", problems)
    for key in tool_pallet:
        if key in ("build", "version"):
            continue
        # Other [tool.pallet] tables belong to the frontend; flag only likely misspellings.
        import difflib

        close = difflib.get_close_matches(key, ("build", "version"), n=1, cutoff=0.75)
        if close:
            problems.add(
                "tool.pallet",
                key,
                "unknown table",
                f"did you mean {close[0]!r}?",
                value=key,
            )
    return parse_build_settings(tool_pallet, problems), parse_version_settings(
        tool_pallet, problems
    )


def read_settings(
    pyproject: Mapping[str, Any], file: str = "pyproject.toml"
) -> tuple[BuildSettings, VersionSettings]:
    """Like ``parse_settings``, raising one ``ConfigError`` with every problem found."""
    problems = Problems(file)
    result = parse_settings(pyproject, problems)
    problems.raise_if_any()
    return result
