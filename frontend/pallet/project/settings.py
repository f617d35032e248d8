"""``[tool.pallet]`` tables the frontend reads: indexes, sources, default groups, and the
resolution table through `project.resolution`.

``[tool.pallet.build]`` and ``[tool.pallet.version]`` belong to pallet-core (the build backend);
they are accepted here and left to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from packaging.utils import NormalizedName, canonicalize_name

from .model import (
    PROJECT_NAME,
    PYPI,
    DirectSource,
    IndexConfig,
    ResolutionSettings,
)
from .problems import Problems, did_you_mean, type_name
from .resolution import exclude_newer_key, parse_resolution

__all__ = ["ToolSettings", "parse_tool_settings"]

_TOOL_KEYS = (
    "index",
    "sources",
    "resolution",
    "default-groups",
    "variants",
    "build",
    "version",
    "scripts",  # pallet run's tasks and env files: project/tasks.py checks them
    "env-file",
    "workspace",  # `project.workspace` reads it
)
_INDEX_KEYS = ("name", "url", "default", "explicit", "format", "exclude-newer", "publish-url")
_FORMATS = ("simple", "flat")
_PATH_SOURCE_KEYS = ("path", "editable")
_GIT_SOURCE_KEYS = ("git", "rev", "tag", "branch", "subdirectory")
_WORKSPACE_SOURCE_KEYS = ("workspace",)
_INDEX_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class ToolSettings:
    """What ``[tool.pallet]`` contributes to a `ProjectSpec`."""

    indexes: tuple[IndexConfig, ...] = (PYPI,)
    sources: Mapping[NormalizedName, str] = field(default_factory=dict)
    resolution: ResolutionSettings = field(default_factory=ResolutionSettings)
    #: ``default-groups`` as written (None: not given); checked against the groups by the caller
    default_groups: tuple[str, ...] | None = None
    #: ``[tool.pallet.sources]`` entries that are tables (path or git), by package
    direct_sources: Mapping[NormalizedName, DirectSource] = field(default_factory=dict)
    #: ``{ workspace = true }`` entries: packages that are members of the same workspace
    workspace_sources: frozenset[NormalizedName] = frozenset()


def parse_tool_settings(raw: object, problems: Problems) -> ToolSettings:
    """``[tool.pallet]`` (the parsed table, or None) -> `ToolSettings`; problems are collected."""
    if raw is None:
        return ToolSettings()
    if not isinstance(raw, dict):
        problems.add_plain("tool.pallet", f"[tool.pallet] must be a table, not {type_name(raw)}")
        return ToolSettings()
    for key in raw:
        if key not in _TOOL_KEYS:
            problems.add(
                "tool.pallet",
                key,
                f"key {key!r} is not allowed{did_you_mean(key, _TOOL_KEYS)}",
            )
    indexes = _parse_indexes(raw.get("index"), problems)
    sources = _parse_sources(raw.get("sources"), indexes, problems)
    resolution = parse_resolution(raw.get("resolution"), problems)
    default_groups: tuple[str, ...] | None = None
    if "default-groups" in raw:
        value = raw["default-groups"]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            default_groups = tuple(value)
        else:
            problems.add(
                "tool.pallet",
                "default-groups",
                f"key 'default-groups': must be an array of group names, not {type_name(value)}",
            )
    direct = _parse_direct_sources(raw.get("sources"), problems)
    members = _parse_workspace_sources(raw.get("sources"), problems)
    return ToolSettings(indexes, sources, resolution, default_groups, direct, members)


def _parse_workspace_sources(raw: object, problems: Problems) -> frozenset[NormalizedName]:
    """``name = { workspace = true }`` (uv's spelling): the package is a member of the same
    workspace (`project.workspace`), installed editable from its folder."""
    out: set[NormalizedName] = set()
    if not isinstance(raw, dict):
        return frozenset()
    for package, value in raw.items():
        if not isinstance(value, dict) or "workspace" not in value:
            continue
        if not PROJECT_NAME.match(package):
            continue
        where = f"package {package!r}"
        if value["workspace"] is not True:
            problems.add(
                "tool.pallet.sources",
                package,
                f"{where}: key 'workspace' must be true, not {value['workspace']!r}",
            )
        elif set(value) - set(_WORKSPACE_SOURCE_KEYS):
            others = ", ".join(repr(k) for k in value if k not in _WORKSPACE_SOURCE_KEYS)
            problems.add(
                "tool.pallet.sources",
                package,
                f"{where}: a workspace source takes no other keys ({others})",
            )
        else:
            out.add(canonicalize_name(package))
    return frozenset(out)


def _parse_indexes(raw: object, problems: Problems) -> tuple[IndexConfig, ...]:
    """``[[tool.pallet.index]]`` -> indexes in declaration order; PyPI is added as the default
    when no index is marked ``default = true``."""
    table = "[tool.pallet.index]"
    if raw is None:
        return (PYPI,)
    if not isinstance(raw, list):
        problems.add_plain(
            "tool.pallet.index",
            f"[[tool.pallet.index]] must be an array of tables, not {type_name(raw)}",
        )
        return (PYPI,)
    out: list[IndexConfig] = []
    names: set[str] = set()
    for i, entry in enumerate(raw):
        where = f"entry {i + 1}"
        if not isinstance(entry, dict):
            problems.add(table[1:-1], "index", f"{where}: must be a table, not {type_name(entry)}")
            continue
        name = entry.get("name")
        if isinstance(name, str):
            where = f"index {name!r}"
        ok = True
        for key in entry:
            if key not in _INDEX_KEYS:
                problems.add(
                    table[1:-1],
                    key,
                    f"{where}: key {key!r} is not allowed{did_you_mean(key, _INDEX_KEYS)}",
                )
                ok = False
        if not isinstance(name, str) or not _INDEX_NAME.match(name):
            got = "missing" if name is None else f"{name!r} is not valid"
            problems.add(
                table[1:-1],
                "name",
                f"{where}: key 'name' is {got}; use letters, digits, '.', '_' and '-'",
            )
            ok = False
        elif name.lower() in names:
            problems.add(table[1:-1], "name", f"{where}: name {name!r} is used by another index")
            ok = False
        url = entry.get("url")
        if not isinstance(url, str) or not url:
            got = "missing" if url is None else f"{type_name(url)}, not a URL"
            problems.add(table[1:-1], "url", f"{where}: key 'url' is {got}")
            ok = False
        flags: dict[str, bool] = {}
        for flag in ("default", "explicit"):
            value = entry.get(flag, False)
            if not isinstance(value, bool):
                problems.add(
                    table[1:-1],
                    flag,
                    f"{where}: key {flag!r} must be true or false, not {value!r}",
                )
                ok = False
            flags[flag] = bool(value)
        fmt = entry.get("format", "simple")
        if fmt not in _FORMATS:
            problems.add(
                table[1:-1],
                "format",
                f"{where}: key 'format' is {fmt!r}; use 'simple' or 'flat'",
            )
            ok = False
        if isinstance(url, str) and url and fmt in _FORMATS:
            scheme = urlsplit(url).scheme.lower()
            if fmt == "simple" and scheme not in ("http", "https", "file"):
                problems.add(
                    table[1:-1],
                    "url",
                    f"{where}: key 'url' is {url!r}; a simple index needs an http, https or "
                    "file URL (a local directory of files is format = 'flat')",
                )
                ok = False
        exclude_newer = exclude_newer_key(entry, table[1:-1], f"{where}: ", problems)
        if exclude_newer is not None and fmt == "flat":
            problems.add(
                table[1:-1],
                "exclude-newer",
                f"{where}: key 'exclude-newer' cannot apply to a flat index (its files have no "
                "upload time); remove it",
            )
            ok = False
        publish_url = entry.get("publish-url")
        if publish_url is not None and not _publish_url_ok(publish_url, where, problems):
            ok = False
        if flags["default"] and flags["explicit"]:
            problems.add(
                table[1:-1],
                "explicit",
                f"{where}: the default index cannot be explicit (an explicit index serves only "
                "packages pinned to it in [tool.pallet.sources])",
            )
            ok = False
        if isinstance(name, str):
            names.add(name.lower())
        if ok:
            out.append(
                IndexConfig(
                    name=cast(str, name),
                    url=cast(str, url),
                    default=flags["default"],
                    explicit=flags["explicit"],
                    format=cast(Any, fmt),
                    exclude_newer=exclude_newer,
                    publish_url=cast("str | None", publish_url),
                )
            )
    defaults = [index.name for index in out if index.default]
    if len(defaults) > 1:
        problems.add(
            table[1:-1],
            "default",
            f"indexes {', '.join(repr(n) for n in defaults)} are all marked default = true; "
            "exactly one index may be the default",
        )
    if not defaults:
        if PYPI.name in names:
            problems.add(
                table[1:-1],
                "name",
                f"index {PYPI.name!r}: no index is marked default = true, and the name "
                f"{PYPI.name!r} is reserved for the implicit default ({PYPI.url}); mark this "
                "index default = true or rename it",
            )
        else:
            out.append(PYPI)
    return tuple(out)


def _publish_url_ok(value: object, where: str, problems: Problems) -> bool:
    """``publish-url``: an http(s) URL with a host and no userinfo. The file names the index;
    credentials come from the environment, keyring or netrc (docs/publish.md), never from
    pyproject.toml, so a URL with ``user:password@`` is refused (without repeating it)."""
    table = "tool.pallet.index"
    if not isinstance(value, str) or not value:
        got = f"{type_name(value)}, not a URL" if not isinstance(value, str) else "empty"
        problems.add(table, "publish-url", f"{where}: key 'publish-url' is {got}")
        return False
    parts = urlsplit(value)
    if "@" in parts.netloc:
        problems.add(
            table,
            "publish-url",
            f"{where}: key 'publish-url' holds credentials (user@ or user:password@); never "
            "put them in pyproject.toml: use PALLET_PUBLISH_TOKEN, keyring or netrc",
        )
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        problems.add(
            table,
            "publish-url",
            f"{where}: key 'publish-url' is {value!r}; use an http or https URL "
            "(PyPI's is https://upload.pypi.org/legacy/)",
        )
        return False
    return True


def _parse_sources(
    raw: object, indexes: tuple[IndexConfig, ...], problems: Problems
) -> dict[NormalizedName, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add_plain(
            "tool.pallet.sources", f"[tool.pallet.sources] must be a table, not {type_name(raw)}"
        )
        return {}
    known = {index.name: index for index in indexes}
    out: dict[NormalizedName, str] = {}
    written: dict[NormalizedName, str] = {}
    for package, index_name in raw.items():
        if not PROJECT_NAME.match(package):
            problems.add(
                "tool.pallet.sources", package, f"key {package!r} is not a valid package name"
            )
            continue
        name = canonicalize_name(package)
        if name in written:
            problems.add(
                "tool.pallet.sources",
                package,
                f"key {package!r} names the same package as {written[name]!r}",
            )
            continue
        written[name] = package
        if isinstance(index_name, dict):
            continue  # a path or git source: `_parse_direct_sources`
        if not isinstance(index_name, str):
            problems.add(
                "tool.pallet.sources",
                package,
                f"package {package!r}: the value must be an index name (a string) or a "
                f"path or git table, not {type_name(index_name)}",
            )
        elif index_name not in known:
            problems.add(
                "tool.pallet.sources",
                package,
                f"package {package!r}: index {index_name!r} is not defined; defined indexes: "
                + ", ".join(known),
            )
        else:
            out[name] = index_name
    return out


def _parse_direct_sources(raw: object, problems: Problems) -> dict[NormalizedName, DirectSource]:
    """The table entries of ``[tool.pallet.sources]``: ``{ path = "../lib", editable = true }``
    or ``{ git = "https://…/repo.git", rev = "v1.2", subdirectory = "pkg" }`` (as uv spells
    them). Names are checked by `_parse_sources`."""
    out: dict[NormalizedName, DirectSource] = {}
    if not isinstance(raw, dict):
        return out
    table = "tool.pallet.sources"
    for package, value in raw.items():
        if not isinstance(value, dict) or not PROJECT_NAME.match(package) or "workspace" in value:
            continue  # `_parse_workspace_sources` takes { workspace = true }
        where = f"package {package!r}"
        kinds = [k for k in ("path", "git") if k in value]
        if len(kinds) != 1:
            problems.add(
                table,
                package,
                f"{where}: a source table needs exactly one of 'path' or 'git'"
                + (", not both" if kinds else "; an index is named by a string"),
            )
            continue
        allowed = _PATH_SOURCE_KEYS if kinds[0] == "path" else _GIT_SOURCE_KEYS
        unknown = [k for k in value if k not in allowed]
        for key in unknown:
            problems.add(
                table, package, f"{where}: key {key!r} is not allowed{did_you_mean(key, allowed)}"
            )
        wrong = [
            k
            for k in value
            if k in allowed and not isinstance(value[k], bool if k == "editable" else str)
        ]
        for key in wrong:
            kind = "true or false" if key == "editable" else "a string"
            problems.add(
                table, package, f"{where}: key {key!r} must be {kind}, not {type_name(value[key])}"
            )
        if unknown or wrong:
            continue
        if kinds[0] == "path":
            if not value["path"]:
                problems.add(table, package, f"{where}: key 'path' is empty")
                continue
            out[canonicalize_name(package)] = DirectSource(
                "path", path=value["path"], editable=value.get("editable", False)
            )
            continue
        refs = [k for k in ("rev", "tag", "branch") if k in value]
        if len(refs) > 1:
            problems.add(table, package, f"{where}: give at most one of 'rev', 'tag' and 'branch'")
            continue
        url = value["git"]
        if urlsplit(url).scheme.lower() not in ("http", "https", "file", "ssh", "git"):
            problems.add(
                table,
                package,
                f"{where}: key 'git' is {url!r}; use an http, https, ssh, git or file URL",
            )
            continue
        subdirectory = value.get("subdirectory")
        parts = (subdirectory or "").replace("\\", "/").split("/")
        if subdirectory is not None and (subdirectory.startswith(("/", "\\")) or ".." in parts):
            problems.add(
                table,
                package,
                f"{where}: key 'subdirectory' is {subdirectory!r}; use a path inside the "
                "repository",
            )
            continue
        out[canonicalize_name(package)] = DirectSource(
            "git",
            url=url,
            requested=value[refs[0]] if refs else None,
            reference=cast(Any, refs[0]) if refs else None,
            subdirectory=subdirectory,
        )
    return out
