"""Check a pylock.toml against the rules of PEP 751; every problem with its dotted path.

pallet's own checks collect all problems (``packages[2].wheels[0].hashes: at least one hash is
required``); ``packaging.pylock`` (packaging >= 26.0), when installed, checks the file too and
reports its first problem if ours found none.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

__all__ = ["validate_lock"]

_TOP_KEYS = (
    "lock-version",
    "environments",
    "requires-python",
    "extras",
    "dependency-groups",
    "default-groups",
    "created-by",
    "packages",
    "tool",
)
_PACKAGE_KEYS = (
    "name",
    "version",
    "marker",
    "requires-python",
    "dependencies",
    "vcs",
    "directory",
    "archive",
    "index",
    "sdist",
    "wheels",
    "attestation-identities",
    "tool",
)
_FILE_KEYS = ("name", "upload-time", "url", "path", "size", "hashes")
_VCS_KEYS = ("type", "url", "path", "requested-revision", "commit-id", "subdirectory")
_DIRECTORY_KEYS = ("path", "editable", "subdirectory")
_ARCHIVE_KEYS = ("url", "path", "size", "upload-time", "hashes", "subdirectory")


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in table:
            if key not in allowed:
                self.add(
                    _join(path, key), "unknown key (PEP 751 allows: " + ", ".join(allowed) + ")"
                )

    def typed(
        self, table: Mapping[str, Any], key: str, kind: type, path: str, *, required: bool = False
    ) -> Any:
        """The value of ``key`` if it has the TOML type ``kind`` (bool is not int), else None."""
        if key not in table:
            if required:
                self.add(_join(path, key), "required key is missing")
            return None
        value = table[key]
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if wrong:
            self.add(_join(path, key), f"must be {_kind(kind)}, not {_kind(type(value))}")
            return None
        return value

    def strings(self, table: Mapping[str, Any], key: str, path: str) -> list[str]:
        value = self.typed(table, key, list, path)
        out: list[str] = []
        for i, item in enumerate(value or []):
            if isinstance(item, str):
                out.append(item)
            else:
                self.add(f"{_join(path, key)}[{i}]", f"must be a string, not {_kind(type(item))}")
        return out

    def tables(
        self, table: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> list[tuple[str, dict[str, Any]]]:
        value = self.typed(table, key, list, path, required=required)
        out: list[tuple[str, dict[str, Any]]] = []
        for i, item in enumerate(value or []):
            where = f"{_join(path, key)}[{i}]"
            if isinstance(item, dict):
                out.append((where, item))
            else:
                self.add(where, f"must be a table, not {_kind(type(item))}")
        return out

    def marker(self, value: str, path: str) -> None:
        try:
            Marker(value)
        except InvalidMarker as exc:
            self.add(path, f"invalid marker {value!r}: {str(exc).splitlines()[0]}")

    def specifier(self, value: str, path: str) -> None:
        try:
            SpecifierSet(value)
        except InvalidSpecifier:
            self.add(path, f"invalid version specifier {value!r}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(kind: type) -> str:
    names = {
        str: "a string",
        int: "an integer",
        bool: "a boolean",
        list: "an array",
        dict: "a table",
        float: "a float",
        datetime: "a datetime",
    }
    return names.get(kind, kind.__name__)


def validate_lock(lock: Mapping[str, Any] | Path, *, cross_check: bool = True) -> list[str]:
    """Problems of a parsed pylock.toml (or the file at a path), each ``<dotted.path>: <what>``;
    an empty list means the lock follows PEP 751. ``cross_check=False`` skips the second
    opinion of ``packaging.pylock`` (for a lock whose content digest shows that pallet wrote it
    unchanged: every lock pallet writes passes it, which the test matrix checks)."""
    if isinstance(lock, Path):
        try:
            data: Mapping[str, Any] = tomllib.loads(lock.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            return [f"{lock.name}: cannot be read: {exc}"]
        except tomllib.TOMLDecodeError as exc:
            return [f"{lock.name}: invalid TOML: {exc}"]
    else:
        data = lock
    check = _Checker()
    check.keys(data, _TOP_KEYS, "")
    version = check.typed(data, "lock-version", str, "", required=True)
    if version is not None:
        try:
            parsed = Version(version)
        except InvalidVersion:
            check.add("lock-version", f"{version!r} is not a version")
        else:
            if not Version("1") <= parsed < Version("2"):
                check.add("lock-version", f"{version!r} is not supported; this reader knows 1.x")
    for i, env in enumerate(check.strings(data, "environments", "")):
        check.marker(env, f"environments[{i}]")
    python = check.typed(data, "requires-python", str, "")
    if python is not None:
        check.specifier(python, "requires-python")
    for i, extra in enumerate(check.strings(data, "extras", "")):
        if canonicalize_name(extra) != extra:
            check.add(f"extras[{i}]", f"{extra!r} is not a normalized name (PEP 685)")
    check.strings(data, "dependency-groups", "")
    check.strings(data, "default-groups", "")
    check.typed(data, "created-by", str, "", required=True)
    check.typed(data, "tool", dict, "")
    packages = check.tables(data, "packages", "", required=True)
    names = [p.get("name") for _, p in packages]
    seen: dict[tuple[Any, Any, Any], str] = {}
    for path, package in packages:
        _check_package(check, path, package, names)
        identity = (package.get("name"), package.get("version"), package.get("marker"))
        if identity in seen:
            check.add(path, f"same name, version and marker as {seen[identity]}")
        else:
            seen[identity] = path
    if not check.problems and cross_check:
        check.problems.extend(_packaging_problems(data))
    return check.problems


def _check_package(check: _Checker, path: str, package: dict[str, Any], names: list[Any]) -> None:
    check.keys(package, _PACKAGE_KEYS, path)
    name = check.typed(package, "name", str, path, required=True)
    if name is not None and canonicalize_name(name) != name:
        check.add(f"{path}.name", f"{name!r} is not normalized; write {canonicalize_name(name)!r}")
    version = None
    raw_version = check.typed(package, "version", str, path)
    if raw_version is not None:
        try:
            version = Version(raw_version)
        except InvalidVersion:
            check.add(f"{path}.version", f"{raw_version!r} is not a valid version (PEP 440)")
    marker = check.typed(package, "marker", str, path)
    if marker is not None:
        check.marker(marker, f"{path}.marker")
    python = check.typed(package, "requires-python", str, path)
    if python is not None:
        check.specifier(python, f"{path}.requires-python")
    for where, dep in check.tables(package, "dependencies", path):
        dep_name = dep.get("name")
        if isinstance(dep_name, str) and dep_name not in names:
            check.add(f"{where}.name", f"no package named {dep_name!r} in the lock")
    check.typed(package, "index", str, path)
    check.typed(package, "tool", dict, path)
    for where, identity in check.tables(package, "attestation-identities", path):
        check.typed(identity, "kind", str, where, required=True)

    # PEP 751: a package comes from wheels and/or an sdist, or else from exactly one of
    # vcs, directory and archive.
    dists = [k for k in ("sdist", "wheels") if k in package]
    direct = [k for k in ("vcs", "directory", "archive") if k in package]
    if dists and direct:
        check.add(
            path,
            f"has {' and '.join(dists)} and {' and '.join(direct)}; "
            "a package has wheels/sdist or one of vcs, directory, archive",
        )
    elif len(direct) > 1:
        check.add(
            path, f"has {' and '.join(direct)}; only one of vcs, directory, archive is allowed"
        )
    elif not dists and not direct:
        check.add(path, "has no source: needs wheels, sdist, vcs, directory or archive")

    sdist = check.typed(package, "sdist", dict, path)
    if sdist is not None:
        filename = _check_file(check, f"{path}.sdist", sdist, _FILE_KEYS)
        if filename is not None:
            try:
                sdist_name, sdist_version = parse_sdist_filename(filename)
            except InvalidSdistFilename:
                check.add(f"{path}.sdist.name", f"{filename!r} is not a valid sdist file name")
            else:
                _consistent(
                    check, f"{path}.sdist", filename, sdist_name, sdist_version, name, version
                )
    for where, wheel in check.tables(package, "wheels", path):
        filename = _check_file(check, where, wheel, _FILE_KEYS)
        if filename is not None:
            try:
                wheel_name, wheel_version, _, _ = parse_wheel_filename(filename)
            except InvalidWheelFilename:
                check.add(f"{where}.name", f"{filename!r} is not a valid wheel file name")
            else:
                _consistent(check, where, filename, wheel_name, wheel_version, name, version)
    vcs = check.typed(package, "vcs", dict, path)
    if vcs is not None:
        check.keys(vcs, _VCS_KEYS, f"{path}.vcs")
        check.typed(vcs, "type", str, f"{path}.vcs", required=True)
        check.typed(vcs, "commit-id", str, f"{path}.vcs", required=True)
        _url_or_path(check, f"{path}.vcs", vcs)
    directory = check.typed(package, "directory", dict, path)
    if directory is not None:
        check.keys(directory, _DIRECTORY_KEYS, f"{path}.directory")
        check.typed(directory, "path", str, f"{path}.directory", required=True)
        check.typed(directory, "editable", bool, f"{path}.directory")
    archive = check.typed(package, "archive", dict, path)
    if archive is not None:
        _check_file(check, f"{path}.archive", archive, _ARCHIVE_KEYS)


def _consistent(
    check: _Checker,
    where: str,
    filename: str,
    file_name: str,
    file_version: Version,
    name: str | None,
    version: Version | None,
) -> None:
    if name is not None and file_name != canonicalize_name(name):
        check.add(where, f"file {filename!r} is not of package {name!r}")
    if version is not None and file_version != version:
        check.add(where, f"file {filename!r} is not of version {str(version)!r}")


def _url_or_path(check: _Checker, where: str, table: Mapping[str, Any]) -> None:
    url = check.typed(table, "url", str, where)
    path = check.typed(table, "path", str, where)
    if not url and not path and "url" not in table and "path" not in table:
        check.add(where, "needs url or path")


def _check_file(
    check: _Checker, where: str, table: dict[str, Any], allowed: tuple[str, ...]
) -> str | None:
    """Common checks of a wheel, sdist or archive table; returns its file name when known."""
    check.keys(table, allowed, where)
    _url_or_path(check, where, table)
    name = check.typed(table, "name", str, where) if "name" in allowed else None
    check.typed(table, "upload-time", datetime, where)
    size = check.typed(table, "size", int, where)
    if size is not None and size < 0:
        check.add(f"{where}.size", f"{size} is negative")
    hashes = check.typed(table, "hashes", dict, where, required=True)
    if hashes is not None:
        if not hashes:
            check.add(f"{where}.hashes", "at least one hash is required")
        for algorithm, digest in hashes.items():
            if not isinstance(digest, str) or not digest:
                check.add(f"{where}.hashes.{algorithm}", "must be a non-empty string")
    if name is None and "name" in allowed:
        location = table.get("url") or table.get("path")
        if isinstance(location, str) and location:
            name = unquote(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])
    return name


def _packaging_problems(data: Mapping[str, Any]) -> list[str]:
    """``packaging.pylock``'s verdict, when that module exists (packaging >= 26.0)."""
    try:
        from packaging.pylock import Pylock, PylockValidationError
    except ImportError:  # pragma: no cover - older packaging
        return []
    try:
        Pylock.from_dict(data)
    except PylockValidationError as exc:
        return [f"{exc.context or '(top level)'}: {exc.message}"]
    return []
