"""Requirements added to and removed from pyproject.toml's dependency tables (tomlkit).

`pallet add` and `pallet remove` edit one array: ``[project] dependencies`` (PEP 621),
``[project.optional-dependencies] EXTRA`` (PEP 621) or ``[dependency-groups] GROUP`` (PEP 735),
and the ``[tool.pallet.sources]`` entry of a package (an index name, ``{ path = ..., editable =
true }`` or ``{ git = ..., rev = ... }``). Everything else in the text is kept as it was:
comments, order, a multi-line array's layout and trailing comma (tomlkit). A requirement whose
name (PEP 503 normalized) is already in the array is replaced in place. The text written is read
back with tomllib and compared with the expected data; a layout tomlkit mishandles is refused.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from ..errors import ProjectError

__all__ = [
    "Target",
    "add_requirements",
    "bounded_requirements",
    "find_targets",
    "parse_requirement",
    "remove_requirements",
]

_PYPROJECT = "pyproject.toml"
_TRAILING_COMMA = re.compile(r",(\s*)\]$")
_LAST_ITEM = re.compile(r"([^\s,\[])(\s*)\]$")


@dataclass(frozen=True)
class Target:
    """The array a requirement goes to: ``[project] dependencies``, an extra or a group."""

    kind: Literal["project", "optional", "group", "script"]
    name: str = ""

    @property
    def label(self) -> str:
        if self.kind == "project":
            return "[project] dependencies"
        if self.kind == "script":
            return "the script's dependencies"
        if self.kind == "optional":
            return f"[project.optional-dependencies] {self.name!r}"
        return f"[dependency-groups] {self.name!r}"


def parse_requirement(text: str) -> Requirement:
    """A PEP 508 requirement from the command line; `ProjectError` naming it otherwise."""
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise ProjectError(f"{text!r}: not a PEP 508 requirement: {exc}") from exc


def bounded_requirements(
    requirements: Sequence[str], locked: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """Each bare requirement (no version specifier, no URL) given the lowest public version the
    lock chose for it as a lower bound: ``torch`` -> ``torch>=2.5.1`` when the lock holds
    ``2.5.1+cpu`` (PEP 440: a local label is not part of a specifier's version). Names the lock
    does not hold are left as they are."""
    out = []
    for text in requirements:
        requirement = Requirement(text)
        versions = locked.get(canonicalize_name(requirement.name), ())
        if requirement.specifier or requirement.url or not versions:
            out.append(text)
            continue
        lowest = min(Version(v) for v in versions)
        requirement.specifier = SpecifierSet(f">={lowest.public}")
        out.append(str(requirement))
    return tuple(out)


def add_requirements(
    text: str,
    requirements: Sequence[str],
    target: Target,
    sources: Mapping[str, Any] | None = None,
) -> str:
    """pyproject.toml ``text`` with ``requirements`` in ``target`` (a name already there is
    replaced in place) and ``sources`` (package name -> value) in ``[tool.pallet.sources]``."""
    import tomlkit

    doc = _parse(text)
    array = _array(doc, target, create=True)
    trailing = _TRAILING_COMMA.search(array.as_string()) is not None
    for item in requirements:
        name = canonicalize_name(parse_requirement(item).name)
        at = _index_of(array, name)
        if at is None:
            array.append(item)
        else:
            array[at] = item
    _keep_trailing_comma(doc, target, array, trailing)
    if sources:
        table = _sources_table(doc, create=True)
        for package, value in sources.items():
            if isinstance(value, dict):
                inline = tomlkit.inline_table()
                inline.update(value)
                table[package] = inline
            else:
                table[package] = value
    out = tomlkit.dumps(doc)
    _check(text, out, lambda data: _expect_add(data, requirements, target, sources or {}))
    return out


def remove_requirements(
    text: str, names: Sequence[str], target: Target, drop_sources: Sequence[str] = ()
) -> str:
    """pyproject.toml ``text`` without ``names`` in ``target`` and without the
    ``[tool.pallet.sources]`` entries of ``drop_sources``; a name missing from ``target`` is a
    `ProjectError` saying where it is (`find_targets`)."""
    doc = _parse(text)
    array = _array(doc, target, create=False)
    for name in names:
        at = _index_of(array, canonicalize_name(name)) if array is not None else None
        if at is None:
            raise ProjectError(_absent(text, name, target), path=_PYPROJECT)
        trailing = _TRAILING_COMMA.search(array.as_string()) is not None
        del array[at]
        array = _keep_trailing_comma(doc, target, array, trailing)
    table = _sources_table(doc, create=False)
    for package in drop_sources:
        key = _source_key(table, package)
        if key is not None:
            del table[key]
    dropped = drop_sources and table is not None and not table.as_string().strip()
    if dropped:
        _drop_empty_sources(doc)  # the table `add` made for this source goes with it
    import tomlkit

    out = tomlkit.dumps(doc)
    if dropped and text.endswith("\n"):  # with the blank line tomlkit put before that table
        out = out.rstrip("\n") + "\n"
    _check(text, out, lambda data: _expect_remove(data, names, target, drop_sources))
    return out


def find_targets(data: Mapping[str, Any], name: str) -> list[Target]:
    """Every array of parsed pyproject ``data`` that holds a requirement named ``name``."""
    wanted = canonicalize_name(name)
    found = []
    project = data.get("project", {})
    candidates: list[tuple[Target, Any]] = [(Target("project"), project.get("dependencies"))]
    for extra, items in (project.get("optional-dependencies") or {}).items():
        candidates.append((Target("optional", extra), items))
    for group, items in (data.get("dependency-groups") or {}).items():
        candidates.append((Target("group", group), items))
    for target, items in candidates:
        if isinstance(items, list) and any(_name_of(i) == wanted for i in items):
            found.append(target)
    return found


def needed_elsewhere(data: Mapping[str, Any], name: str) -> bool:
    """Whether any dependency array of ``data`` still names ``name``."""
    return bool(find_targets(data, name))


def _absent(text: str, name: str, target: Target) -> str:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    where = find_targets(tomllib.loads(text), name)
    there = f"; it is in {', '.join(t.label for t in where)}" if where else ""
    return f"{_PYPROJECT}: {name!r} is not in {target.label}{there}"


def _name_of(item: object) -> str | None:
    if not isinstance(item, str):
        return None  # a PEP 735 {include-group = ...} table
    try:
        return canonicalize_name(Requirement(item).name)
    except InvalidRequirement:
        return None


def _index_of(array: Any, name: str) -> int | None:
    for at, item in enumerate(array):
        if _name_of(item) == name:
            return at
    return None


def _keep_trailing_comma(doc: Any, target: Target, array: Any, trailing: bool) -> Any:
    """The array as tomlkit left it, or put in place again with its closing comma as it was
    (tomlkit drops ``[ "a", ]``'s when it appends and leaves ``[ "a", ]`` when it deletes the
    last item of ``[ "a", "b" ]``); its trailing comment kept."""
    import tomlkit

    text = array.as_string()
    has = _TRAILING_COMMA.search(text) is not None
    if has == trailing or not len(array) or (not has and "\n" in text):
        return array  # a comma is added only where no comment can follow the last item
    text = _TRAILING_COMMA.sub(r"\1]", text) if has else _LAST_ITEM.sub(r"\1,\2]", text)
    fixed = tomlkit.parse(f"v = {text}")["v"]
    fixed.trivia.__dict__.update(array.trivia.__dict__)
    holder, key = _holder(doc, target)
    holder[key] = fixed
    return holder[key]


def _holder(doc: Any, target: Target) -> tuple[Any, str]:
    """The table holding ``target``'s array (which exists) and its key there."""
    if target.kind == "script":
        return doc, "dependencies"
    if target.kind == "project":
        return doc["project"], "dependencies"
    table = (
        doc["project"]["optional-dependencies"]
        if target.kind == "optional"
        else doc["dependency-groups"]
    )
    return table, _key(table, target.name)


def _parse(text: str) -> Any:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ProjectError(f"{_PYPROJECT}: invalid TOML: {exc}", path=_PYPROJECT) from exc


def _array(doc: Any, target: Target, *, create: bool) -> Any:
    """The tomlkit array of ``target``; created (with its table) when ``create``."""
    import tomlkit

    if target.kind == "script":  # PEP 723: the block's TOML has a top-level array
        holder, key = doc, "dependencies"
    elif target.kind == "group":
        table = doc.get("dependency-groups")
        if table is None:
            if not create:
                return None
            table = tomlkit.table()
            doc["dependency-groups"] = table
        key = _key(table, target.name)
        holder = table
    else:
        project = doc.get("project")
        if not isinstance(project, dict):
            raise _refuse("[project]", "the table is missing")
        dynamic = project.get("dynamic", [])
        field = "dependencies" if target.kind == "project" else "optional-dependencies"
        if isinstance(dynamic, list) and field in dynamic:
            raise _refuse("[project] 'dynamic'", f"lists {field}; pallet cannot edit it")
        if target.kind == "project":
            holder, key = project, "dependencies"
        else:
            holder = project.get("optional-dependencies")
            if holder is None:
                if not create:
                    return None
                holder = tomlkit.table()
                project["optional-dependencies"] = holder
            key = _key(holder, target.name)
    if not isinstance(holder, dict):
        raise _refuse(target.label, "its table is not a table")
    array = holder.get(key)
    if array is None:
        if not create:
            return None
        holder[key] = tomlkit.array()
        array = holder[key]
    if not isinstance(array, list):
        raise _refuse(target.label, "is not an array")
    return array


def _key(table: Any, name: str) -> str:
    """The key as written for a PEP 685/735 name (``Dev`` finds ``dev``), else ``name``."""
    wanted = canonicalize_name(name)
    return next((str(k) for k in table if canonicalize_name(str(k)) == wanted), name)


def _sources_table(doc: Any, *, create: bool) -> Any:
    import tomlkit

    tool = doc.get("tool")
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    sources = pallet.get("sources") if isinstance(pallet, dict) else None
    if sources is not None or not create:
        return sources
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        doc["tool"] = tool
    if pallet is None:
        pallet = tomlkit.table(is_super_table=True)
        tool["pallet"] = pallet
    pallet["sources"] = tomlkit.table()
    return pallet["sources"]


def _drop_empty_sources(doc: Any) -> None:
    """``[tool.pallet.sources]`` removed, and ``[tool.pallet]``/``[tool]`` when that leaves them
    with nothing written in them (no keys, no comments)."""
    tool = doc["tool"]
    pallet = tool["pallet"]
    del pallet["sources"]
    if not pallet.as_string().strip():
        del tool["pallet"]
        if not tool.as_string().strip():
            del doc["tool"]


def _source_key(table: Any, package: str) -> str | None:
    if not isinstance(table, dict):
        return None
    wanted = canonicalize_name(package)
    return next((str(k) for k in table if canonicalize_name(str(k)) == wanted), None)


def _expect_add(
    data: dict[str, Any], requirements: Sequence[str], target: Target, sources: Mapping[str, Any]
) -> None:
    items = _plain_array(data, target)
    for item in requirements:
        name = canonicalize_name(Requirement(item).name)
        at = next((i for i, old in enumerate(items) if _name_of(old) == name), None)
        if at is None:
            items.append(item)
        else:
            items[at] = item
    if sources:
        table = data.setdefault("tool", {}).setdefault("pallet", {}).setdefault("sources", {})
        for package, value in sources.items():
            table[package] = dict(value) if isinstance(value, dict) else value


def _expect_remove(
    data: dict[str, Any], names: Sequence[str], target: Target, drop: Sequence[str]
) -> None:
    items = _plain_array(data, target)
    for name in names:
        wanted = canonicalize_name(name)
        items.pop(next(i for i, old in enumerate(items) if _name_of(old) == wanted))
    tool = data.get("tool", {})
    table = tool.get("pallet", {}).get("sources", {})
    for package in drop:
        key = _source_key(table, package)
        if key is not None:
            del table[key]
    if drop and "sources" in tool.get("pallet", {}) and not table:
        del tool["pallet"]["sources"]
        if not tool["pallet"]:
            del tool["pallet"]
            if not tool:
                del data["tool"]


def _plain_array(data: dict[str, Any], target: Target) -> list[Any]:
    if target.kind in ("project", "script"):
        holder = data["project"] if target.kind == "project" else data
        key = "dependencies"
    elif target.kind == "optional":
        holder = data["project"].setdefault("optional-dependencies", {})
        key = _key(holder, target.name)
    else:
        holder = data.setdefault("dependency-groups", {})
        key = _key(holder, target.name)
    items: list[Any] = holder.setdefault(key, [])
    return items


def _check(before: str, after: str, change: Any) -> None:
    """``after`` must read (by tomllib, not tomlkit, which wrote it) as ``before`` with only
    ``change`` applied; otherwise nothing is written."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    expected = tomllib.loads(before)
    change(expected)
    try:
        ok = tomllib.loads(after) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise ProjectError(
            f"{_PYPROJECT}: its layout defeats an exact edit; nothing was written: "
            "edit the dependency by hand",
            path=_PYPROJECT,
        )


def _refuse(key: str, problem: str) -> ProjectError:
    return ProjectError(f"{_PYPROJECT}: {key}: {problem}", path=_PYPROJECT, key=key)
