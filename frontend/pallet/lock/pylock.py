"""PEP 751 pylock.toml: a deterministic writer and a reader, `Lock` <-> text.

The writer follows the key order of the specification
(https://packaging.python.org/en/latest/specifications/pylock-toml/), sorts every array and
inline table, and always produces the same bytes for the same `Lock` (PEP 751: "tools SHOULD
write their lock files in a consistent way to minimize noise in diff output").
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from ..errors import LockError
from ..index.models import DirectOrigin, DistFile
from . import _toml
from .model import Dependency, Lock, LockedPackage
from .stamp import TAIL_HEADER, content_line, read_pallet_table
from .variants import read_lock_variants, variants_tail

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

__all__ = ["LOCK_FILE", "LOCK_VERSION", "dumps_lock", "loads_lock", "read_lock", "write_lock"]

LOCK_FILE = "pylock.toml"
#: PEP 751 ``lock-version``: the only version the specification defines so far.
LOCK_VERSION = "1.0"


def _sort_key(package: LockedPackage) -> tuple[str, Version, str]:
    return (package.name, package.version, str(package.marker) if package.marker else "")


def _public_url(url: str) -> str:
    """``url`` without userinfo: credentials never reach the lock file (they come from the
    environment or netrc at install time)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _file_table(file: DistFile) -> list[tuple[str, _toml.TomlValue]]:
    """``[[packages.wheels]]`` / ``[packages.sdist]`` keys in specification order:
    name, upload-time, url, path, size, hashes."""
    rows: list[tuple[str, _toml.TomlValue]] = [("name", file.filename)]
    if file.upload_time:
        moment = _toml.parse_datetime(file.upload_time)
        if moment is not None:  # PEP 751: upload-time is a TOML datetime, never a string
            rows.append(("upload-time", moment))
    if "://" in file.url:
        rows.append(("url", _public_url(file.url)))
    else:  # a file of a local index: a path, relative to the lock's folder (index.locations)
        rows.append(("path", file.url))
    if file.size is not None:
        rows.append(("size", file.size))
    # PEP 751: at least one hash per file; the algorithm names are hashlib names.
    rows.append(("hashes", dict(sorted(file.hashes.items()))))
    return rows


def _direct_table(origin: DirectOrigin) -> list[tuple[str, _toml.TomlValue]]:
    """``[packages.archive]``, ``[packages.directory]`` or ``[packages.vcs]`` keys in
    specification order."""
    rows: list[tuple[str, _toml.TomlValue]] = []
    if origin.kind == "vcs":
        rows.append(("type", origin.vcs_type))
    if origin.url is not None:
        # The direct URL data structure lets a VCS URL keep a user name that is no secret
        # (``ssh://git@host/repo``); a password never reaches the lock.
        parts = urlsplit(origin.url)
        user, colon, _ = parts.netloc.rpartition("@")[0].partition(":")
        keep = origin.kind == "vcs" and parts.scheme == "ssh" and user and not colon
        rows.append(("url", origin.url if keep else _public_url(origin.url)))
    if origin.path is not None:
        rows.append(("path", origin.path))
    if origin.kind == "directory" and origin.editable:
        rows.append(("editable", True))
    if origin.kind == "vcs":
        if origin.requested_revision is not None:
            rows.append(("requested-revision", origin.requested_revision))
        rows.append(("commit-id", origin.commit_id or ""))
    if origin.kind == "archive":
        if origin.size is not None:
            rows.append(("size", origin.size))
        rows.append(("hashes", dict(sorted(origin.hashes.items()))))
    if origin.subdirectory is not None:
        rows.append(("subdirectory", origin.subdirectory))
    return rows


def _lines(rows: list[tuple[str, _toml.TomlValue]]) -> list[str]:
    return [f"{_toml.key(k)} = {_toml.value(v)}" for k, v in rows]


def _array_lines(name: str, items: list[_toml.TomlValue]) -> list[str]:
    """``name = [...]``: empty on one line, else one item per line (readable diffs)."""
    if not items:
        return [f"{name} = []"]
    return [f"{name} = [", *(f"    {_toml.value(item)}," for item in items), "]"]


def dumps_lock(lock: Lock) -> str:
    """The pylock.toml text of a lock (LF line ends, UTF-8 safe, byte-stable)."""
    out: list[str] = [f"lock-version = {_toml.value(LOCK_VERSION)}"]
    if lock.environments:
        out += _array_lines("environments", [str(m) for m in lock.environments])
    if str(lock.requires_python):
        out.append(f"requires-python = {_toml.value(str(lock.requires_python))}")
    out.append(f"extras = {_toml.value(sorted(lock.extras))}")
    out.append(f"dependency-groups = {_toml.value(sorted(lock.dependency_groups))}")
    out.append(f"default-groups = {_toml.value(sorted(lock.default_groups))}")
    out.append(f"created-by = {_toml.value(lock.created_by)}")
    if not lock.packages:  # PEP 751: `packages` is required, an empty array when nothing is locked
        out.append("packages = []")

    for package in sorted(lock.packages, key=_sort_key):
        out += ["", "[[packages]]"]
        rows: list[tuple[str, _toml.TomlValue]] = [("name", package.name)]
        # PEP 751: "The version MUST NOT be included when it cannot be guaranteed to be
        # consistent with the code used (i.e. when a source tree is used)" (a local directory;
        # a git commit is immutable, so vcs entries keep it, as uv's do).
        source_tree = package.direct is not None and package.direct.kind == "directory"
        if not source_tree:
            rows.append(("version", str(package.version)))
        if package.marker is not None:
            rows.append(("marker", str(package.marker)))
        if package.requires_python is not None and str(package.requires_python):
            rows.append(("requires-python", str(package.requires_python)))
        out += _lines(rows)
        if package.dependencies:
            deps: list[_toml.TomlValue] = []
            for dep in sorted(
                package.dependencies,
                key=lambda d: (d.name, d.version or Version("0"), d.index or ""),
            ):
                entry: dict[str, _toml.TomlValue] = {"name": dep.name}
                if dep.version is not None:
                    entry["version"] = str(dep.version)
                if dep.index is not None:  # the same name and version from two indexes
                    entry["index"] = _public_url(dep.index)
                deps.append(entry)
            out += _array_lines("dependencies", deps)
        if package.direct is not None:
            out += ["", f"[packages.{package.direct.kind}]", *_lines(_direct_table(package.direct))]
            if source_tree:  # disposable (PEP 751 [packages.tool]): for pallet's change report
                version = _toml.value(str(package.version))
                out += ["", "[packages.tool.pallet]", f"version = {version}"]
            continue
        if package.index:  # none for a local folder (index.locations)
            out.append(f"index = {_toml.value(_public_url(package.index))}")
        if package.sdist is not None:
            out += ["", "[packages.sdist]", *_lines(_file_table(package.sdist))]
        for wheel in sorted(package.wheels, key=lambda w: w.filename):
            out += ["", "[[packages.wheels]]", *_lines(_file_table(wheel))]

    body = "\n".join(out) + "\n\n"
    # pallet's table, last; see lock.stamp for what each key is for
    tail = [TAIL_HEADER, f"fingerprint = {_toml.value(lock.fingerprint)}"]
    if lock.input_digests:
        tail.append(f"inputs = {_toml.value(dict(lock.input_digests))}")
    if lock.exclude_newer:
        tail.append(f"exclude-newer = {_toml.value(dict(sorted(lock.exclude_newer)))}")
    if lock.raw_inputs:
        tail.append(f"raw-inputs = {_toml.value(lock.raw_inputs)}")
    if lock.pyproject_digest:
        tail.append(f"pyproject = {_toml.value(lock.pyproject_digest)}")
    if lock.inferred_requires_python:
        tail.append(f"inferred-requires-python = {_toml.value(lock.inferred_requires_python)}")
    if lock.variants is not None:
        tail += variants_tail(lock.variants)
    covered = body + "\n".join(tail) + "\n"
    return covered + content_line(covered)  # the digest of everything above it


def write_lock(lock: Lock, path: Path) -> bool:
    """Write ``path`` atomically (temp file in the same directory, then `os.replace`).

    Returns False, touching nothing, when the file already holds exactly these bytes.
    """
    data = dumps_lock(lock).encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = 0o644
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def read_lock(path: Path, *, trusted: bool = False) -> Lock:
    """Parse and validate a pylock.toml; any problem -> `LockError` naming the file and the
    dotted path of each problem. ``trusted``: its content digest is intact (`loads_lock`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError as exc:
        raise LockError(f"{path}: is a folder, not a lock file; move it away") from exc
    except OSError as exc:
        raise LockError(f"{path.name}: cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise LockError(f"{path.name}: not UTF-8 text ({exc.reason})") from exc
    return loads_lock(text, display=path.name, trusted=trusted)


def loads_lock(text: str, *, display: str = LOCK_FILE, trusted: bool = False) -> Lock:
    """pylock.toml text -> `Lock`, validated with `lock.validate` first (without the
    ``packaging.pylock`` cross-check when ``trusted``: the caller saw that the text is what
    pallet wrote, its content digest intact).

    Packages from an index (``wheels``/``sdist``) and from direct references (``vcs``,
    ``directory``, ``archive``); a ``directory`` entry without ``version`` needs the one pallet
    records in ``[packages.tool.pallet]``.
    """
    from .validate import validate_lock  # not needed by the writer

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"{display}: invalid TOML: {exc}") from exc
    problems = validate_lock(data, cross_check=not trusted)
    if problems:
        raise LockError("\n".join(f"{display}: {problem}" for problem in problems))
    packages = []
    for i, raw in enumerate(data["packages"]):
        if "version" not in raw and not _tool_version(raw):
            raise LockError(f"{display}: packages[{i}].version: missing (pallet needs it)")
        packages.append(_package(raw))
    tool = data.get("tool")
    has_pallet = isinstance(tool, dict) and "pallet" in tool
    stored = read_pallet_table(data, display) if has_pallet else None
    return Lock(
        requires_python=SpecifierSet(data.get("requires-python", "")),
        environments=tuple(Marker(m) for m in data.get("environments", [])),
        extras=tuple(data.get("extras", [])),
        dependency_groups=tuple(data.get("dependency-groups", [])),
        default_groups=tuple(data.get("default-groups", [])),
        packages=tuple(sorted(packages, key=_sort_key)),
        fingerprint=stored.fingerprint if stored else "",
        created_by=data["created-by"],
        input_digests=tuple(stored.input_digests.items()) if stored else (),
        raw_inputs=stored.raw_inputs if stored else "",
        pyproject_digest=stored.pyproject if stored else "",
        inferred_requires_python=stored.inferred_requires_python if stored else "",
        exclude_newer=_exclude_newer(tool["pallet"].get("exclude-newer"))
        if isinstance(tool, dict) and isinstance(tool.get("pallet"), dict)
        else (),
        variants=read_lock_variants(tool["pallet"], display)
        if isinstance(tool, dict) and isinstance(tool.get("pallet"), dict)
        else None,
    )


def _exclude_newer(raw: object) -> tuple[tuple[str, str], ...]:
    """``[tool.pallet] exclude-newer``; anything malformed is ignored (a fresh cutoff)."""
    if not isinstance(raw, dict):
        return ()
    return tuple(sorted((str(k), v) for k, v in raw.items() if isinstance(v, str)))


def _tool_version(raw: Mapping[str, Any]) -> str | None:
    """The version pallet recorded in ``[packages.tool.pallet]`` for a source tree entry."""
    tool = raw.get("tool", {})
    pallet = tool.get("pallet", {}) if isinstance(tool, dict) else {}
    version = pallet.get("version") if isinstance(pallet, dict) else None
    return version if isinstance(version, str) else None


def _direct_origin(raw: Mapping[str, Any]) -> DirectOrigin | None:
    for kind in ("vcs", "directory", "archive"):
        table = raw.get(kind)
        if isinstance(table, dict):
            return DirectOrigin(
                kind,
                url=table.get("url"),
                path=table.get("path"),
                editable=bool(table.get("editable", False)),
                size=table.get("size"),
                hashes=dict(sorted(table.get("hashes", {}).items())),
                vcs_type=str(table.get("type", "git")),
                requested_revision=table.get("requested-revision"),
                commit_id=table.get("commit-id"),
                subdirectory=table.get("subdirectory"),
            )
    return None


def _package(raw: Mapping[str, Any]) -> LockedPackage:
    name = NormalizedName(raw["name"])
    version = Version(str(raw["version"] if "version" in raw else _tool_version(raw)))
    index = str(raw.get("index", ""))
    wheels = tuple(
        sorted(
            (_dist_file(w, name, version, index, "wheel") for w in raw.get("wheels", [])),
            key=lambda w: w.filename,
        )
    )
    sdist = _dist_file(raw["sdist"], name, version, index, "sdist") if "sdist" in raw else None
    return LockedPackage(
        name=name,
        version=version,
        marker=Marker(raw["marker"]) if "marker" in raw else None,
        requires_python=SpecifierSet(raw["requires-python"]) if "requires-python" in raw else None,
        index=index,
        wheels=wheels,
        sdist=sdist,
        dependencies=tuple(
            Dependency(
                name=NormalizedName(dep["name"]),
                version=Version(dep["version"]) if "version" in dep else None,
                index=dep.get("index"),
            )
            for dep in raw.get("dependencies", [])
            if "name" in dep
        ),
        direct=_direct_origin(raw),
    )


def _dist_file(
    raw: Mapping[str, Any], name: NormalizedName, version: Version, index: str, kind: str
) -> DistFile:
    url = str(raw.get("url") or raw.get("path") or "")
    filename = str(raw.get("name") or unquote(urlsplit(url).path.rsplit("/", 1)[-1]))
    upload = raw.get("upload-time")
    tags = parse_wheel_filename(filename)[3] if kind == "wheel" else frozenset()
    if kind == "sdist":
        parse_sdist_filename(filename)  # validated already; keeps the two kinds symmetric
    return DistFile(
        filename=filename,
        url=url,
        index=index,
        name=name,
        version=version,
        kind="wheel" if kind == "wheel" else "sdist",
        hashes=dict(sorted(raw["hashes"].items())),
        size=raw.get("size"),
        upload_time=_toml.format_datetime(upload) if isinstance(upload, datetime) else None,
        tags=tags,
    )
