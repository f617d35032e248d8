"""A wheel validated and unpacked once into the store, and read back from there cheaply.

`unpack_wheel` checks everything that can be checked from the zip's directory before it writes a
byte (member paths, symlinks, the ``.dist-info`` folder against the file name, RECORD against the
members: PEP 427, PEP 491, the binary distribution format spec), then extracts into a hidden
sibling of ``dest`` while hashing each member, and renames the sibling to ``dest`` only when every
hash and size matched RECORD. A refused wheel leaves nothing at ``dest``. The facts the installer
needs (files with their sha256, entry points, Root-Is-Purelib) go into ``.pallet-unpacked.json``,
so `load_unpacked` reads one small JSON file instead of RECORD, WHEEL and entry_points.txt.
"""

from __future__ import annotations

import base64
import configparser
import csv
import errno
import hashlib
import io
import json
import os
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InstallError

__all__ = ["MARKER", "RecordEntry", "UnpackedWheel", "load_unpacked", "unpack_wheel"]

#: Written last into an unpacked wheel; its presence means the folder is complete.
MARKER = ".pallet-unpacked.json"
_FORMAT = 1
#: PEP 427: RECORD lists itself without a hash; its signatures are not hashed either.
_UNHASHED = ("RECORD", "RECORD.jws", "RECORD.p7s")
#: PEP 427: "md5 and sha1 are not permitted" as RECORD hashes.
_WEAK_HASHES = {"md5", "sha1"}
_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
_NAME_SEPARATORS = re.compile(r"[-_.]+")
#: An entry point's object reference: ``module.sub:attr.attr`` (packaging's entry points spec).
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def normalize_name(name: str) -> str:
    """PEP 503 normalization (as `packaging.utils.canonicalize_name`), standard library only."""
    return _NAME_SEPARATORS.sub("-", name).lower()


@dataclass(frozen=True)
class RecordEntry:
    """One file of a wheel: its path as in RECORD (posix, relative to the wheel's root), the hex
    sha256 and size of its content as checked while unpacking (None for RECORD itself and its
    signatures, which RECORD does not hash)."""

    path: str
    sha256: str | None
    size: int | None


@dataclass(frozen=True)
class UnpackedWheel:
    """A wheel unpacked and validated in the store; everything the installer needs."""

    root: Path  # the unpacked tree (store.unpacked(h))
    name: str  # normalized project name, from the dist-info folder
    version: str
    dist_info: str  # "name-1.0.dist-info"
    data_dir: str  # "name-1.0.data" (may not exist)
    root_is_purelib: bool  # WHEEL's Root-Is-Purelib
    files: tuple[RecordEntry, ...]  # every file of the wheel, RECORD order checked against them
    console_scripts: tuple[tuple[str, str], ...]  # (name, "module:attr") from entry_points.txt
    gui_scripts: tuple[tuple[str, str], ...]


# -- reading back --------------------------------------------------------------------------


def load_unpacked(dest: Path) -> UnpackedWheel | None:
    """The unpacked wheel at `dest`, or None unless it is complete (its marker file present)."""
    try:
        with open(os.path.join(dest, MARKER), "rb") as f:
            facts = json.loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(facts, dict) or facts.get("format") != _FORMAT:
        return None
    try:
        return _from_facts(Path(dest), facts)
    except (KeyError, TypeError, ValueError):
        return None


def _from_facts(root: Path, facts: dict[str, object]) -> UnpackedWheel:
    files = facts["files"]
    console = facts["console_scripts"]
    gui = facts["gui_scripts"]
    assert isinstance(files, list) and isinstance(console, list) and isinstance(gui, list)
    return UnpackedWheel(
        root=root,
        name=str(facts["name"]),
        version=str(facts["version"]),
        dist_info=str(facts["dist_info"]),
        data_dir=str(facts["data_dir"]),
        root_is_purelib=bool(facts["root_is_purelib"]),
        files=tuple(RecordEntry(p, h, s) for p, h, s in files),
        console_scripts=tuple((n, v) for n, v in console),
        gui_scripts=tuple((n, v) for n, v in gui),
    )


# -- validating ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    path: str
    algorithm: str | None  # RECORD's hash algorithm, None for the unhashed files
    digest: str | None  # RECORD's urlsafe-base64 digest
    size: int | None  # RECORD's size, if given
    executable: bool


@dataclass(frozen=True)
class _Plan:
    members: tuple[_Member, ...]
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


def _plan(zf: zipfile.ZipFile, filename: str, name: str, version: str) -> _Plan:
    """Every check that needs no member's content; raises InstallError on the first problem."""
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
        members.append(_Member(info, path, algorithm, digest, size, executable))
    missing = sorted(p for p in record if p not in folders and p + "/" not in seen)
    if missing:
        raise InstallError(f"{filename}: RECORD lists {missing[0]}, which is not in the wheel")

    text = (
        zf.read(f"{dist_info}/entry_points.txt") if f"{dist_info}/entry_points.txt" in seen else b""
    )
    scripts = _entry_points(text.decode("utf-8", "replace"), filename) if text else {}
    return _Plan(
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


# -- extracting ----------------------------------------------------------------------------


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _extract(zf: zipfile.ZipFile, plan: _Plan, into: str, filename: str) -> list[list[object]]:
    """Write every member under `into`, checking hashes and sizes as they stream; the files'
    ``[path, sha256 hex, size]`` rows for the marker."""
    made = {""}
    for folder in plan.folders:
        os.makedirs(os.path.join(into, folder), exist_ok=True)
        made.add(folder)
    rows: list[list[object]] = []
    for member in plan.members:
        parent = member.path.rpartition("/")[0]
        if parent not in made:
            os.makedirs(os.path.join(into, parent), exist_ok=True)
            made.add(parent)
        sha256 = hashlib.sha256()
        other = (
            hashlib.new(member.algorithm)
            if member.algorithm and member.algorithm != "sha256"
            else None
        )
        size = 0
        mode = 0o777 if member.executable else 0o666  # the umask applies, as for any file
        fd = os.open(os.path.join(into, member.path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as out, zf.open(member.info) as source:
            while True:
                chunk = source.read(_CHUNK)
                if not chunk:
                    break
                sha256.update(chunk)
                if other is not None:
                    other.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if member.size is not None and member.size != size:
            raise InstallError(
                f"{filename}: {member.path} is {size} bytes, RECORD says {member.size}"
            )
        if member.algorithm is not None:
            got = _b64((other or sha256).digest())
            if got != member.digest:
                raise InstallError(
                    f"{filename}: {member.path} does not match its RECORD hash "
                    f"(expected {member.algorithm}={member.digest}, got {got})"
                )
            rows.append([member.path, sha256.hexdigest(), size])
        else:
            rows.append([member.path, None, None])
    return rows


def unpack_wheel(archive: Path, dest: Path, *, filename: str) -> UnpackedWheel:
    """Validate the wheel `archive` (named `filename`) and unpack it into `dest`, once.

    If `dest` is already complete it is returned as it is. Otherwise the wheel is extracted into a
    hidden sibling of `dest` and renamed into place; a concurrent writer that wins the rename
    race wins, and this copy is discarded. A bad wheel raises `InstallError` naming `filename`
    and the problem, with nothing left at `dest`.
    """
    done = load_unpacked(dest)
    if done is not None:
        return done
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        name, version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise InstallError(f"{filename}: not a wheel file name ({exc})") from None
    dest = Path(dest)
    staging = dest.parent / f".{dest.name}.pallet-tmp-{os.urandom(4).hex()}"
    try:
        with zipfile.ZipFile(archive) as zf:
            plan = _plan(zf, filename, str(name), str(version))
            dest.parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
            rows = _extract(zf, plan, str(staging), filename)
        facts = {
            "format": _FORMAT,
            "name": plan.name,
            "version": plan.version,
            "dist_info": plan.dist_info,
            "data_dir": plan.data_dir,
            "root_is_purelib": plan.root_is_purelib,
            "files": rows,
            "console_scripts": [list(e) for e in plan.console_scripts],
            "gui_scripts": [list(e) for e in plan.gui_scripts],
        }
        (staging / MARKER).write_text(json.dumps(facts, separators=(",", ":")), encoding="utf-8")
        return _publish(staging, dest, facts)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise InstallError(f"{filename}: not a readable wheel: {exc}") from None
    except OSError as exc:
        raise InstallError(
            f"{filename}: cannot unpack into {dest}: {exc.strerror or exc}"
        ) from None
    finally:
        if os.path.lexists(staging):
            shutil.rmtree(staging, ignore_errors=True)


def _publish(staging: Path, dest: Path, facts: dict[str, object]) -> UnpackedWheel:
    """Rename `staging` to `dest`; an incomplete `dest` left by a killed writer is replaced, a
    complete one (a concurrent writer's) is kept."""
    for _ in range(3):
        try:
            os.rename(staging, dest)
            return _from_facts(dest, facts)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
        existing = load_unpacked(dest)
        if existing is not None:
            return existing
        aside = dest.parent / f".{dest.name}.pallet-old-{os.urandom(4).hex()}"
        try:
            os.rename(dest, aside)
        except FileNotFoundError:
            continue
        if aside.is_dir() and not aside.is_symlink():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            aside.unlink()
    raise InstallError(f"{dest}: another process keeps writing here; try again")
