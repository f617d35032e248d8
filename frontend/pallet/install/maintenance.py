"""Measuring and emptying the cache: what ``pallet cache size``, ``clean`` and ``prune`` do.

The cache root holds one folder per kind, each with entries at a fixed depth (`KINDS`). Names
that start with ``.`` are temp files and folders being written (`pallet.install.store`): every
walk here skips them, so a sync or lock running at the same time never loses a file it is
writing; ``prune`` removes the ones a crash left behind (older than a day). A folder entry is
first renamed to such a temp name, then removed: a reader sees it whole or not at all. Removing
an unpacked wheel never breaks an environment installed from it: the environment holds hard
links (other names of the same files), not references to the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .. import envvars
from ..errors import SetupError
from .store import ARCHIVES, BUILT, ENVIRONMENTS, PROJECTS, UNPACKED

__all__ = ["KINDS", "Removed", "Usage", "clean", "prune", "usage"]


@dataclass(frozen=True)
class Kind:
    folder: str
    depth: int  # entries sit this many levels below the folder
    entry: Literal["file", "folder"]


#: Every kind of entry in the cache root, by the name ``pallet cache size`` shows.
KINDS: dict[str, Kind] = {
    "pages": Kind("simple-v1", 2, "file"),  # <index-key>/<project>.json
    "metadata": Kind("metadata-v1", 2, "file"),  # <key[:2]>/<key>.METADATA and .json
    "files": Kind("wheels-v1", 2, "file"),  # <sha256>/<filename> (pallet lock's downloads)
    "archives": Kind(ARCHIVES, 3, "file"),
    "unpacked": Kind(UNPACKED, 2, "folder"),
    "built": Kind(BUILT, 3, "file"),
    "environments": Kind(ENVIRONMENTS, 1, "folder"),
    # pallet build: resolved build requirements (<key>/pylock.toml); the isolated environments
    # themselves live under temp names (.env-*) only while a hook runs (cli/build_env.py)
    "build-locks": Kind("build-locks-v1", 1, "folder"),
    "build-envs": Kind("build-envs-v1", 1, "folder"),
    "git": Kind("git-v1", 2, "folder"),  # db/<key>, checkouts/<key>
    "interpreters": Kind("interpreters-v1", 1, "file"),
    "machines": Kind("variants-v1", 1, "file"),  # hardware detection, per boot (pallet.variants)
    "projects": Kind(PROJECTS, 1, "file"),  # usage records (prune reads them)
}
#: The kinds ``prune`` may remove entries of: those a synced lock's record names by hash.
#: Built wheels first: the unpacked folder of a kept one (named by the built wheel's own hash,
#: which no record lists) is kept with it.
PRUNED = ("built", "archives", "unpacked")
DAY = 86400.0
#: A temp name older than this is a crash's leftover (``prune`` removes it).
STALE = DAY


@dataclass
class Usage:
    """Bytes per kind (hard links counted once), and the total under the root."""

    kinds: dict[str, int] = field(default_factory=dict)
    total: int = 0


@dataclass
class Removed:
    """What a clean or prune removed: entries per kind, records, and the bytes it freed (a
    file still linked from elsewhere, such as an environment, frees nothing)."""

    entries: dict[str, int] = field(default_factory=dict)
    records: int = 0
    freed: int = 0

    def count(self) -> int:
        return sum(self.entries.values())


def _check_root(root: Path, *, write: bool = False) -> bool:
    """False when there is no cache yet; `SetupError` when the root is not a folder (or, with
    ``write``, cannot be written)."""
    if not root.exists():
        return False
    if not root.is_dir():
        raise SetupError(f"cache folder {str(root)!r} ({envvars.PALLET_CACHE_DIR}) is not a folder")
    if write:
        from ..index.cache import Cache

        Cache(root).check_writable()
    return True


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _entries(root: Path, kind: Kind) -> Iterator[Path]:
    """The kind's entries (at its depth), skipping temp names at every level."""
    level = [root / kind.folder]
    for depth in range(kind.depth):
        last = depth == kind.depth - 1
        found = []
        for folder in level:
            for entry in _scan(folder):
                if entry.name.startswith("."):
                    continue
                if last:
                    wanted = entry.is_file(follow_symlinks=False) if kind.entry == "file" else True
                    if wanted:
                        found.append(Path(entry.path))
                elif entry.is_dir(follow_symlinks=False):
                    found.append(Path(entry.path))
        level = found
    return iter(level)


# -- size ------------------------------------------------------------------------------------
def _tree_bytes(path: Path, seen: set[tuple[int, int]]) -> int:
    total = 0
    stack = [path]
    while stack:
        folder = stack.pop()
        for entry in _scan(folder):
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def usage(root: Path) -> Usage:
    """The bytes each kind holds; a file with several names in the cache counts once (in the
    kind listed first: a lock-time download linked into archives counts under files)."""
    result = Usage()
    if not _check_root(root):
        return result
    seen: set[tuple[int, int]] = set()
    for name, kind in KINDS.items():
        result.kinds[name] = _tree_bytes(root / kind.folder, seen)
    result.total = sum(result.kinds.values()) + _tree_bytes(root, seen)  # anything else too
    return result


# -- removal ---------------------------------------------------------------------------------
def _unlink(path: Path) -> int:
    """Remove one file; the bytes freed (0 while another name still links its data)."""
    try:
        st = path.lstat()
        path.unlink()
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise SetupError(f"{path}: cannot remove: {exc.strerror or exc}") from None
    return st.st_size if st.st_nlink == 1 else 0


def _remove_tree(path: Path) -> int:
    """Remove a folder: renamed to a temp name first (atomic for readers), then emptied."""
    doomed = path.with_name(f".{path.name}.removing-{uuid.uuid4().hex[:8]}")
    try:
        path.rename(doomed)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise SetupError(f"{path}: cannot remove: {exc.strerror or exc}") from None
    return _remove_all(doomed)


def _remove_all(path: Path) -> int:
    """Remove ``path`` (a file or a whole tree); the bytes freed."""
    if not path.is_dir() or path.is_symlink():
        return _unlink(path)
    freed = 0
    for entry in _scan(path):
        freed += _remove_all(Path(entry.path))
    try:
        path.rmdir()
    except OSError as exc:
        raise SetupError(f"{path}: cannot remove: {exc.strerror or exc}") from None
    return freed


def _remove_entry(path: Path, kind: Kind) -> int:
    freed = _unlink(path) if kind.entry == "file" else _remove_tree(path)
    _prune_parents(path.parent, kind, kind.depth - 1)
    return freed


def _prune_parents(folder: Path, kind: Kind, levels: int) -> None:
    """Remove now-empty folders above an entry (not the kind's own folder); a folder someone
    is writing into is not empty, and stays."""
    for _ in range(levels):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _remove(removed: Removed, name: str, path: Path) -> None:
    removed.freed += _remove_entry(path, KINDS[name])
    removed.entries[name] = removed.entries.get(name, 0) + 1


# -- clean -----------------------------------------------------------------------------------
def _project_of(filename: str) -> str | None:
    """The normalized project name of a wheel or sdist file name (None if it is neither)."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[0]
        return parse_sdist_filename(filename)[0]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def _unpacked_project(folder: Path) -> str | None:
    """The project of an unpacked wheel, from its ``<name>-<version>.dist-info`` folder."""
    from packaging.utils import canonicalize_name

    for entry in _scan(folder):
        if entry.name.endswith(".dist-info") and entry.is_dir():
            return canonicalize_name(entry.name[: -len(".dist-info")].rpartition("-")[0])
    return None


def clean(root: Path, names: Iterable[str] = ()) -> Removed:
    """Remove every entry of every kind, or with ``names`` only those projects' archives,
    unpacked and built wheels, lock-time files, pages and metadata."""
    removed = Removed()
    if not _check_root(root, write=True):
        return removed
    wanted = set(names)
    if not wanted:
        for name, kind in KINDS.items():
            for path in list(_entries(root, kind)):
                _remove(removed, name, path)
        return removed
    from packaging.utils import canonicalize_name

    wanted = {canonicalize_name(n) for n in wanted}
    hashes: set[str] = set()  # of the removed files: their metadata goes too
    for name in ("archives", "built", "files"):
        for path in list(_entries(root, KINDS[name])):
            if _project_of(path.name) in wanted:
                hashes.add(path.parent.name)
                _remove(removed, name, path)
    for path in list(_entries(root, KINDS["unpacked"])):
        if path.name in hashes or _unpacked_project(path) in wanted:
            _remove(removed, "unpacked", path)
    for path in list(_entries(root, KINDS["pages"])):
        if path.suffix == ".json" and path.stem in wanted:
            hashes |= _page_hashes(path)
            _remove(removed, "pages", path)
    for h in sorted(hashes):
        key = hashlib.sha256(f"sha256={h}".encode()).hexdigest()  # index.cache metadata_key
        for suffix in (".METADATA", ".json"):
            path = root / KINDS["metadata"].folder / key[:2] / f"{key}{suffix}"
            if path.is_file():
                _remove(removed, "metadata", path)
    return removed


def _page_hashes(path: Path) -> set[str]:
    """The sha256 of every file a stored page lists (their metadata is keyed by it)."""
    try:
        files = json.loads(path.read_bytes())["files"]
        return {str(f["hashes"]["sha256"]).lower() for f in files if "sha256" in f["hashes"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


# -- prune -----------------------------------------------------------------------------------
def _read_records(root: Path) -> list[tuple[Path, str, set[str], float]]:
    """(record file, lock path, hashes, used) of every readable usage record."""
    records: list[tuple[Path, str, set[str], float]] = []
    for path in _entries(root, KINDS["projects"]):
        try:
            data = json.loads(path.read_bytes())
            lock, used = str(data["lock"]), float(data["used"])
            hashes = {str(h).lower() for h in data["hashes"]}
        except (OSError, ValueError, KeyError, TypeError):
            records.append((path, "", set(), 0.0))  # unreadable: dropped like a gone lock
            continue
        records.append((path, lock, hashes, used))
    return records


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def prune(root: Path, *, max_age: float = 30 * DAY, now: float | None = None) -> Removed:
    """Drop the usage records of locks that no longer exist; then remove the archives,
    unpacked and built wheels no remaining record needs and none used for ``max_age`` seconds
    (last use: the newest of the entry's own time and the records that named it); and temp
    names a crash left behind."""
    removed = Removed()
    if not _check_root(root, write=True):
        return removed
    now = time.time() if now is None else now
    needed: set[str] = set()
    last_used: dict[str, float] = {}
    for path, lock, hashes, used in _read_records(root):
        for h in hashes:
            last_used[h] = max(last_used.get(h, 0.0), used)
        if lock and Path(lock).is_file():
            needed |= hashes
        else:
            removed.freed += _unlink(path)
            removed.records += 1
    for name in PRUNED:
        kind = KINDS[name]
        for path in list(_entries(root, kind)):
            h = path.name if kind.entry == "folder" else path.parent.name
            if h in needed or now - max(_mtime(path), last_used.get(h, 0.0)) <= max_age:
                if name == "built":  # its unpacked folder shares its fate
                    digest = _file_sha256(path)
                    if h in needed:
                        needed.add(digest)
                    last_used[digest] = max(last_used.get(digest, 0.0), last_used.get(h, 0.0))
                continue
            _remove(removed, name, path)
        removed.freed += _remove_stale(root / kind.folder, kind.depth, now)
    return removed


def _remove_stale(folder: Path, depth: int, now: float) -> int:
    """Temp names older than `STALE` at any level down to ``depth`` (a crash's leftovers)."""
    freed = 0
    level = [folder]
    for _ in range(depth):
        below = []
        for parent in level:
            for entry in _scan(parent):
                path = Path(entry.path)
                if entry.name.startswith("."):
                    if now - _mtime(path) > STALE:
                        freed += _remove_all(path)
                elif entry.is_dir(follow_symlinks=False):
                    below.append(path)
        level = below
    return freed
