"""PEP 735 ``[dependency-groups]``: parse, normalize names and expand ``include-group``."""

from __future__ import annotations

import re
from collections.abc import Mapping

from packaging.requirements import InvalidRequirement, Requirement

from .problems import Problems, type_name

__all__ = ["normalize_group_name", "parse_dependency_groups"]

_TABLE = "dependency-groups"
# PEP 735: group names follow the PEP 503 normalization rules for comparison.
_SEPARATORS = re.compile(r"[-_.]+")
_VALID_NAME = re.compile(r"^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$", re.IGNORECASE)


def normalize_group_name(name: str) -> str:
    """PEP 735: group names are compared after PEP 503 normalization."""
    return _SEPARATORS.sub("-", name).lower()


def parse_dependency_groups(raw: object, problems: Problems) -> dict[str, tuple[Requirement, ...]]:
    """``[dependency-groups]`` -> normalized group name -> requirements, includes expanded.

    Problems (bad names, duplicates after normalization, bad requirements, unknown or cyclic
    includes) are added to ``problems``; a group with problems maps to what could be parsed.
    Requirements keep their order; one reached twice through includes is kept once.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add_plain(_TABLE, f"[{_TABLE}] must be a table, not {type_name(raw)}")
        return {}

    written: dict[str, str] = {}  # normalized -> name as written
    parsed: dict[str, list[Requirement | str]] = {}
    for name, items in raw.items():
        label = f"group {name!r}"
        if not _VALID_NAME.match(name):
            problems.add(
                _TABLE,
                name,
                f"{label}: not a valid group name; use letters, digits, '-', '_' and '.', "
                "starting and ending with a letter or digit",
            )
            continue
        key = normalize_group_name(name)
        if key in written:
            problems.add(
                _TABLE,
                name,
                f"{label}: same name as group {written[key]!r} after normalization (PEP 735)",
            )
            continue
        written[key] = name
        parsed[key] = _parse_items(name, items, problems)

    for key, items in parsed.items():
        for item in items:
            if isinstance(item, str) and item not in parsed:
                others = [name for other, name in written.items() if other != key]
                defined = ", ".join(others) or "none"
                problems.add(
                    _TABLE,
                    written[key],
                    f"group {written[key]!r}: include-group {item!r} is not defined; "
                    f"defined groups: {defined}",
                )

    result: dict[str, tuple[Requirement, ...]] = {}
    reported_cycles: set[frozenset[str]] = set()
    for key in parsed:
        result[key] = tuple(_expand(key, parsed, written, (), problems, reported_cycles))
    return result


def _parse_items(name: str, items: object, problems: Problems) -> list[Requirement | str]:
    label = f"group {name!r}"
    if not isinstance(items, list):
        problems.add(
            _TABLE,
            name,
            f"{label}: must be an array of requirement strings and "
            f"{{include-group = ...}} tables, not {type_name(items)}",
        )
        return []
    out: list[Requirement | str] = []
    for i, item in enumerate(items):
        where = f"{label} entry {i + 1}"
        if isinstance(item, str):
            try:
                out.append(Requirement(item))
            except InvalidRequirement as exc:
                detail = str(exc).splitlines()[0]
                problems.add(
                    _TABLE, name, f"{where}: {item!r} is not a valid PEP 508 requirement: {detail}"
                )
        elif isinstance(item, dict):
            keys = sorted(item)
            if keys != ["include-group"]:
                problems.add(
                    _TABLE,
                    name,
                    f"{where}: a table must have exactly one key, 'include-group' (PEP 735); "
                    f"found {', '.join(repr(k) for k in keys) or 'none'}",
                )
            elif not isinstance(item["include-group"], str):
                problems.add(
                    _TABLE,
                    name,
                    f"{where}: include-group must be a string, "
                    f"not {type_name(item['include-group'])}",
                )
            else:
                out.append(normalize_group_name(item["include-group"]))
        else:
            problems.add(
                _TABLE,
                name,
                f"{where}: must be a requirement string or an {{include-group = ...}} table, "
                f"not {type_name(item)}",
            )
    return out


def _expand(
    key: str,
    parsed: Mapping[str, list[Requirement | str]],
    written: Mapping[str, str],
    stack: tuple[str, ...],
    problems: Problems,
    reported: set[frozenset[str]],
) -> list[Requirement]:
    """Requirements of group ``key``, includes expanded depth first (order kept, no repeats)."""
    out: list[Requirement] = []
    seen: set[str] = set()
    stack = (*stack, key)
    for item in parsed[key]:
        if isinstance(item, Requirement):
            found = [item]
        elif item not in parsed:
            continue  # reported as undefined above
        elif item in stack:
            cycle = stack[stack.index(item) :]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                chain = " -> ".join(written[g] for g in (*cycle, item))
                problems.add(
                    _TABLE,
                    written[cycle[0]],
                    f"group {written[cycle[0]]!r}: include-group cycle {chain}",
                )
            continue
        else:
            found = _expand(item, parsed, written, stack, problems, reported)
        for requirement in found:
            text = str(requirement)
            if text not in seen:
                seen.add(text)
                out.append(requirement)
    return out
