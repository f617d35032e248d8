"""Read a project's pyproject.toml into a validated `ProjectSpec` (what the lock depends on)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from ..errors import ProjectError
from .groups import normalize_group_name, parse_dependency_groups
from .model import ProjectSpec
from .problems import Problems, type_name
from .settings import parse_tool_settings
from .variants import parse_variants

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

__all__ = ["PYPROJECT", "find_project_root", "load_toml", "parse_project", "read_project"]

PYPROJECT = "pyproject.toml"
# tomllib puts the position at the end of its message: "Invalid value (at line 2, column 5)".
_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_END_POSITION = re.compile(r"\s*\(at end of document\)$")
_PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
# PEP 685: extra names are normalized like project names.
_EXTRA_NAME = _PROJECT_NAME


def load_toml(path: Path, display: str) -> dict[str, Any]:
    """Parse a TOML file; bad TOML -> `ProjectError` ``<display>:LINE:COL: invalid TOML: …``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ProjectError(f"{display}: file not found ({path})", path=display) from exc
    except OSError as exc:
        raise ProjectError(f"{display}: cannot be read: {exc.strerror}", path=display) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{display}: not UTF-8 text ({exc.reason})", path=display) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _POSITION.search(message)
        if position:
            line, col = position.group(1), position.group(2)
            message = message[: position.start()]
        else:
            lines = text.splitlines() or [""]
            line, col = str(len(lines)), str(len(lines[-1]) + 1)
            message = _END_POSITION.sub("", message)
        raise ProjectError(
            f"{display}:{line}:{col}: invalid TOML: {message}", path=display
        ) from exc


def find_project_root(start: Path) -> Path:
    """The nearest directory from ``start`` upwards holding a pyproject.toml."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / PYPROJECT).is_file():
            return directory
    raise ProjectError(
        f"no {PYPROJECT} found in {start} or any parent directory; "
        "run pallet inside a project or pass --project DIR",
        path=PYPROJECT,
    )


def read_project(root: Path) -> ProjectSpec:
    """``<root>/pyproject.toml`` -> `ProjectSpec`; every problem is collected and raised as one
    `ProjectError` (one line per problem)."""
    return parse_project(load_toml(root / PYPROJECT, PYPROJECT), root)


def parse_project(data: dict[str, Any], root: Path, display: str = PYPROJECT) -> ProjectSpec:
    """A parsed pyproject.toml -> `ProjectSpec` (`read_project`); ``display`` names the file in
    the problems (a workspace member's ``packages/lib/pyproject.toml``)."""
    problems = Problems(display)
    project = data.get("project")
    if not isinstance(project, dict):
        found = "missing" if project is None else f"{type_name(project)}, not a table"
        problems.add_plain(
            "project", f"[project] table is {found}; pallet needs at least [project] name"
        )
        project = {}

    name = project.get("name")
    if "project" in data and not isinstance(name, str):
        got = "missing" if name is None else f"{type_name(name)}, not a string"
        problems.add("project", "name", f"field 'name' is {got}")
    elif isinstance(name, str) and not _PROJECT_NAME.match(name):
        problems.add(
            "project",
            "name",
            f"field 'name': {name!r} is not a valid project name; use letters, digits, "
            "'-', '_' and '.', starting and ending with a letter or digit",
        )

    version = project.get("version")
    if version is not None and not isinstance(version, str):
        problems.add(
            "project", "version", f"field 'version' must be a string, not {type_name(version)}"
        )
        version = None

    dynamic = project.get("dynamic", [])
    if not isinstance(dynamic, list):
        problems.add(
            "project", "dynamic", f"field 'dynamic' must be an array, not {type_name(dynamic)}"
        )
        dynamic = []
    for key in ("dependencies", "optional-dependencies", "requires-python"):
        if key in dynamic:
            problems.add(
                "project",
                "dynamic",
                f"field 'dynamic': {key!r} is dynamic; pallet lock needs it written in "
                "pyproject.toml",
            )

    requires_python = SpecifierSet()
    raw_python = project.get("requires-python")
    if raw_python is not None:
        if not isinstance(raw_python, str):
            problems.add(
                "project",
                "requires-python",
                f"field 'requires-python' must be a string, not {type_name(raw_python)}",
            )
        else:
            try:
                requires_python = SpecifierSet(raw_python)
            except InvalidSpecifier:
                problems.add(
                    "project",
                    "requires-python",
                    f"field 'requires-python': {raw_python!r} is not a valid version "
                    "specifier (PEP 440), e.g. '>=3.9'",
                )

    dependencies = _requirements(
        project.get("dependencies", []), "project", "dependencies", problems
    )

    extras: dict[str, tuple[Requirement, ...]] = {}
    raw_extras = project.get("optional-dependencies", {})
    if not isinstance(raw_extras, dict):
        problems.add(
            "project",
            "optional-dependencies",
            f"field 'optional-dependencies' must be a table, not {type_name(raw_extras)}",
        )
        raw_extras = {}
    written: dict[str, str] = {}
    for extra, items in raw_extras.items():
        table = "project.optional-dependencies"
        if not _EXTRA_NAME.match(extra):
            problems.add(table, extra, f"extra {extra!r}: not a valid extra name (PEP 685)")
            continue
        key = canonicalize_name(extra)
        if key in written:
            problems.add(
                table,
                extra,
                f"extra {extra!r}: same name as extra {written[key]!r} after normalization "
                "(PEP 685)",
            )
            continue
        written[key] = extra
        extras[key] = _requirements(items, table, extra, problems, label=f"extra {extra!r}")

    groups = parse_dependency_groups(data.get("dependency-groups"), problems)

    tool = data.get("tool", {})
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    settings = parse_tool_settings(pallet, problems)
    variants = parse_variants(
        pallet.get("variants") if isinstance(pallet, dict) else None,
        extras,
        settings.indexes,
        problems,
    )

    if settings.default_groups is None:
        # Like uv: a group named "dev" is installed by default unless default-groups says else.
        default_groups: tuple[str, ...] = ("dev",) if "dev" in groups else ()
    else:
        normalized = []
        for group in settings.default_groups:
            key = normalize_group_name(group)
            if key not in groups:
                defined = ", ".join(groups) or "none"
                problems.add(
                    "tool.pallet",
                    "default-groups",
                    f"key 'default-groups': group {group!r} is not defined in "
                    f"[dependency-groups]; defined groups: {defined}",
                )
            elif key not in normalized:
                normalized.append(key)
        default_groups = tuple(normalized)

    problems.raise_if_any()
    assert isinstance(name, str)
    return ProjectSpec(
        root=root,
        name=canonicalize_name(name),
        version=version,
        requires_python=requires_python,
        dependencies=dependencies,
        optional_dependencies=extras,
        dependency_groups=groups,
        default_groups=default_groups,
        indexes=settings.indexes,
        sources=settings.sources,
        resolution=settings.resolution,
        direct_sources=settings.direct_sources,
        variants=variants,
        workspace_sources=settings.workspace_sources,
    )


def _requirements(
    raw: object, table: str, key: str, problems: Problems, *, label: str | None = None
) -> tuple[Requirement, ...]:
    """An array of PEP 508 strings -> requirements; each bad entry is one problem."""
    label = label or f"field {key!r}"
    if not isinstance(raw, list):
        problems.add(
            table, key, f"{label} must be an array of PEP 508 strings, not {type_name(raw)}"
        )
        return ()
    out: list[Requirement] = []
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            problems.add(
                table, key, f"{label} entry {i + 1}: must be a string, not {type_name(item)}"
            )
            continue
        try:
            out.append(Requirement(item))
        except InvalidRequirement as exc:
            detail = str(exc).splitlines()[0]
            problems.add(
                table,
                key,
                f"{label} entry {i + 1}: {item!r} is not a valid PEP 508 requirement: {detail}",
            )
    return tuple(out)
