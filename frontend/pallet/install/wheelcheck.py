"""A wheel's zip checked before anything is extracted (PEP 427, PEP 491, the binary distribution
format spec): member paths, member types, the one ``.dist-info`` folder against the file name,
METADATA, WHEEL, RECORD against the members, ``.data`` schemes, entry points.

`plan_wheel` reads only the zip's directory and its small metadata files; the hashes are checked
as the members stream out (`wheelfile`). Every problem is an `InstallError` naming the wheel
file and the problem in one line.
"""

from __future__ import annotations

import configparser
import csv
import hashlib
import io
import re
import stat
import zipfile
from dataclasses import dataclass

from ..errors import InstallError

__all__ = ["MARKER", "Member", "WheelPlan", "normalize_name", "plan_wheel"]

#: The name of pallet's marker file in an unpacked wheel; no wheel may have a member so named.
MARKER = ".pallet-unpacked.json"
#: PEP 427: RECORD lists itself without a hash; its signatures are not hashed either.
_UNHASHED = ("RECORD", "RECORD.jws", "RECORD.p7s")
#: PEP 427: "md5 and sha1 are not permitted" as RECORD hashes.
_WEAK_HASHES = {"md5", "sha1"}
#: The install schemes a wheel's ``.data`` folder may hold (PEP 427, sysconfig's keys).
_DATA_SCHEMES = ("purelib", "platlib", "scripts", "headers", "data")
_DRIVE = re.compile(r"^[A-Za-z]:")
_NAME_SEPARATORS = re.compile(r"[-_.]+")
#: An entry point's object reference: ``module.sub:attr.attr`` (packaging's entry points spec).
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def normalize_name(name: str) -> str:
    """PEP 503 normalization (as `packaging.utils.canonicalize_name`), standard library only."""
    return _NAME_SEPARATORS.sub("-", name).lower()


@dataclass(frozen=True)
class Member:
    info: zipfile.ZipInfo
    path: str
    algorithm: str | None  # RECORD's hash algorithm, None for the unhashed files
    digest: str | None  # RECORD's urlsafe-base64 digest
    size: int | None  # RECORD's size, if given
    executable: bool


@dataclass(frozen=True)
class WheelPlan:
    members: tuple[Member, ...]
    folders: tuple[str, ...]
    dist_info: str
    data_dir: str
    name: str
    version: str
    root_is_purelib: bool
    console_scripts: tuple[tuple[str, str], ...]
    gui_scripts: tuple[tuple[str, str], ...]


def _check_path(name: str, filename: str) -> str:
    """The member's path if it is safe to extract: relative, no ``..``, posix separators."""
    problem = ""
    if "\\" in name:
        problem = "has a backslash"
    elif name.startswith("/") or _DRIVE.match(name):
        problem = "is absolute"
    elif "\0" in name:
        problem = "has a NUL character"
    else:
        parts = name[:-1].split("/") if name.endswith("/") else name.split("/")
        if ".." in parts:
            problem = "leaves the wheel (`..`)"
        elif "" in parts or "." in parts:
            problem = "is not a normalized path"
        elif name == MARKER:
            problem = "is pallet's own marker file"
    if problem:
        raise InstallError(f"{filename}: member {name!r} {problem}; refusing the wheel")
    return name


def _member_kind(info: zipfile.ZipInfo) -> int:
    """The file type bits of a member's Unix mode (0 when the zip does not record one)."""
    return stat.S_IFMT(info.external_attr >> 16)


def _parse_headers(text: str) -> dict[str, str]:
    """``Key: value`` lines up to the first blank line (WHEEL, METADATA's header)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and not line[:1].isspace():
            out.setdefault(key.strip().lower(), value.strip())
    return out


def _read_text(zf: zipfile.ZipFile, name: str, filename: str) -> str:
    try:
        return zf.read(name).decode("utf-8")
    except KeyError:
        raise InstallError(f"{filename}: {name} is missing") from None
    except UnicodeDecodeError:
        raise InstallError(f"{filename}: {name} is not UTF-8 text") from None


def _find_dist_info(names: list[str], filename: str, name: str, version: str) -> str:
    """The one ``.dist-info`` folder; PEP 427: ``{name}-{version}.dist-info`` as the file name."""
    from packaging.version import InvalidVersion, Version

    found = sorted({n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")})
    if len(found) != 1:
        what = ", ".join(found) if found else "none"
        raise InstallError(f"{filename}: a wheel needs exactly one .dist-info folder, found {what}")
    dist_info = found[0]
    dist_name, sep, dist_version = dist_info[: -len(".dist-info")].partition("-")
    try:
        same = (
            bool(sep)
            and normalize_name(dist_name) == name
            and Version(dist_version) == Version(version)
        )
    except InvalidVersion:
        same = False
    if not same:
        raise InstallError(
            f"{filename}: its {dist_info} folder does not match the file name's {name} {version}"
        )
    return dist_info


def _parse_record(text: str, filename: str) -> dict[str, tuple[str | None, str | None, int | None]]:
    """RECORD's rows: path -> (algorithm, urlsafe-b64 digest, size) (PEP 376, PEP 427)."""
    rows: dict[str, tuple[str | None, str | None, int | None]] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row:
            continue
        if len(row) != 3:
            raise InstallError(f"{filename}: RECORD line {number} does not have 3 fields")
        path, hash_text, size_text = row
        algorithm: str | None = None
        digest: str | None = None
        if hash_text:
            algorithm, sep, digest = hash_text.partition("=")
            if not sep or algorithm not in hashlib.algorithms_guaranteed:
                raise InstallError(f"{filename}: RECORD line {number}: bad hash {hash_text!r}")
            if algorithm in _WEAK_HASHES:
                raise InstallError(
                    f"{filename}: RECORD line {number}: {algorithm} hashes are not allowed "
                    "(PEP 427: sha256 or stronger)"
                )
        try:
            size = int(size_text) if size_text else None
        except ValueError:
            raise InstallError(
                f"{filename}: RECORD line {number}: bad size {size_text!r}"
            ) from None
        if path in rows:
            raise InstallError(f"{filename}: RECORD lists {path!r} twice")
        rows[path] = (algorithm, digest, size)
    return rows


def _entry_points(text: str, filename: str) -> dict[str, tuple[tuple[str, str], ...]]:
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # names are case-sensitive
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        message = str(exc).splitlines()[0]
        raise InstallError(f"{filename}: entry_points.txt cannot be read: {message}") from None
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for group in ("console_scripts", "gui_scripts"):
        if not parser.has_section(group):
            out[group] = ()
            continue
        entries = []
        for script, value in parser.items(group):
            script_ok = script not in (".", "..") and not re.search(r"[/\\\0]", script)
            target = value.split("[", 1)[0].strip()  # extras are not the installer's concern
            module, sep, attr = target.partition(":")
            if not (script_ok and sep and _DOTTED.match(module.strip())):
                raise InstallError(f"{filename}: bad [{group}] entry point {script} = {value}")
            if not _DOTTED.match(attr.strip()):
                raise InstallError(f"{filename}: bad [{group}] entry point {script} = {value}")
            entries.append((script, f"{module.strip()}:{attr.strip()}"))
        out[group] = tuple(entries)
    return out


def plan_wheel(zf: zipfile.ZipFile, filename: str, name: str, version: str) -> WheelPlan:
    """Every check that needs no member's content; `InstallError` on the first problem."""
    infos = zf.infolist()
    seen: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    folders: list[str] = []
    for info in infos:
        path = _check_path(info.filename, filename)
        if path in seen:
            raise InstallError(f"{filename}: member {path!r} appears twice; refusing the wheel")
        seen.add(path)
        kind = _member_kind(info)
        if kind == stat.S_IFLNK:
            raise InstallError(f"{filename}: member {path!r} is a symlink; refusing the wheel")
        if info.is_dir():
            folders.append(path.rstrip("/"))
            continue
        if kind not in (0, stat.S_IFREG):
            raise InstallError(f"{filename}: member {path!r} is not a regular file")
        files.append(info)
    paths = [info.filename for info in files]
    dist_info = _find_dist_info(paths, filename, name, version)
    stem = dist_info[: -len(".dist-info")]
    data_dir = f"{stem}.data"

    metadata = _parse_headers(_read_text(zf, f"{dist_info}/METADATA", filename))
    meta_name, meta_version = metadata.get("name", ""), metadata.get("version", "")
    if normalize_name(meta_name) != name or not _same_version(meta_version, version):
        raise InstallError(
            f"{filename}: METADATA says {meta_name or '(no name)'} {meta_version or '(no version)'}"
            f", the file name {name} {version}"
        )
    wheel = _parse_headers(_read_text(zf, f"{dist_info}/WHEEL", filename))
    wheel_version = wheel.get("wheel-version", "")
    if wheel_version.split(".")[0] != "1":  # PEP 427: refuse a major version we do not know
        raise InstallError(f"{filename}: Wheel-Version {wheel_version or '(none)'} is not 1.x")
    root_is_purelib = wheel.get("root-is-purelib", "").lower() == "true"

    record = _parse_record(_read_text(zf, f"{dist_info}/RECORD", filename), filename)
    unhashed = {f"{dist_info}/{n}" for n in _UNHASHED}
    members = []
    for info in files:
        path = info.filename
        if path.startswith(f"{data_dir}/"):
            key, _, rest = path[len(data_dir) + 1 :].partition("/")
            if key not in _DATA_SCHEMES or not rest:
                raise InstallError(
                    f"{filename}: {path}: {data_dir} has no scheme {key!r} "
                    f"(PEP 427: {', '.join(_DATA_SCHEMES)})"
                )
        row = record.pop(path, None)
        if row is None:
            raise InstallError(f"{filename}: {path} is not listed in RECORD")
        algorithm, digest, size = row
        if algorithm is None and path not in unhashed:
            raise InstallError(f"{filename}: {path} has no hash in RECORD")
        if size is not None and size != info.file_size:
            raise InstallError(f"{filename}: {path} is {info.file_size} bytes, RECORD says {size}")
        executable = bool((info.external_attr >> 16) & 0o111) or path.startswith(
            f"{data_dir}/scripts/"  # scripts are made executable when installed (PEP 427)
        )
        members.append(Member(info, path, algorithm, digest, size, executable))
    missing = sorted(p for p in record if p not in folders and p + "/" not in seen)
    if missing:
        raise InstallError(f"{filename}: RECORD lists {missing[0]}, which is not in the wheel")

    text = (
        zf.read(f"{dist_info}/entry_points.txt") if f"{dist_info}/entry_points.txt" in seen else b""
    )
    scripts = _entry_points(text.decode("utf-8", "replace"), filename) if text else {}
    return WheelPlan(
        members=tuple(members),
        folders=tuple(folders),
        dist_info=dist_info,
        data_dir=data_dir,
        name=name,
        version=stem.partition("-")[2],
        root_is_purelib=root_is_purelib,
        console_scripts=scripts.get("console_scripts", ()),
        gui_scripts=scripts.get("gui_scripts", ()),
    )


def _same_version(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False
