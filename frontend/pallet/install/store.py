"""The content-addressed store of archives, unpacked wheels and built wheels in the cache root.

Layout under the global cache root (the index cache's, ``PALLET_CACHE_DIR`` or platformdirs'
user cache dir)::

    archives-v1/<h[:2]>/<h>/<filename>        a wheel or sdist whose sha256 is h, verified
    unpacked-v1/<h[:2]>/<h>/                  the wheel h unpacked (complete iff its marker exists)
    built-v1/<h[:2]>/<h>/<wheel filename>     the wheel built from the sdist h
    environments-v1/<key>/                    cached environments (`pallet run`)
    projects-v1/<sha256 of a lock's path>.json   which archives a synced lock needs (for prune)

Every entry is written under a temp name that starts with ``.`` in its final folder, then moved
into place with one atomic call: no lock is taken, a reader never sees half a file, and of two
writers of the same entry the second finds it there and discards its own copy (the content is
the same: it is named by its hash). Maintenance (`pallet cache clean`/``prune``) skips names
that start with ``.``, so it never removes a file someone is writing.

This module imports only the standard library (the no-op ``pallet sync`` path may reach it).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from .. import envvars

__all__ = [
    "ARCHIVES",
    "BUILT",
    "ENVIRONMENTS",
    "PROJECTS",
    "UNPACKED",
    "Store",
    "place_file",
    "temp_file",
]

ARCHIVES = "archives-v1"
UNPACKED = "unpacked-v1"
BUILT = "built-v1"
ENVIRONMENTS = "environments-v1"
PROJECTS = "projects-v1"


def _check_hash(sha256: str) -> str:
    """A sha256 hex digest, lower case; anything else would make a path of its text."""
    h = sha256.lower()
    if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return h


def _check_filename(filename: str) -> str:
    if not filename or filename.startswith(".") or "/" in filename or "\\" in filename:
        raise ValueError(f"not a plain file name: {filename!r}")
    return filename


def place_file(tmp: Path, dest: Path) -> Path:
    """Move ``tmp`` (a finished file in ``dest``'s folder) to ``dest`` unless ``dest`` exists.

    The first writer wins: a hard link refuses to replace an existing name, so the entry, once
    there, is never swapped for another inode (a venv may have hard-linked it). Where the
    filesystem has no hard links, ``os.replace`` (same content, so equally right). ``tmp`` is
    gone afterwards either way.
    """
    try:
        os.link(tmp, dest)
    except FileExistsError:
        pass
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            tmp.unlink(missing_ok=True)
            raise
        if not dest.exists():
            tmp.replace(dest)
            return dest
    tmp.unlink(missing_ok=True)
    return dest


def temp_file(folder: Path, name: str) -> tuple[int, Path]:
    """A new temp file in ``folder`` (created), named so that maintenance skips it."""
    for attempt in range(3):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
            return fd, Path(tmp)
        except FileNotFoundError:  # `pallet cache clean` removed the empty folder just now
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class Store:
    """The archives, unpacked wheels and built wheels under one cache root."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def default(cls, env: Mapping[str, str] | None = None) -> Store:
        """The store in the global cache root (as `pallet.index.cache.Cache.default`)."""
        env = os.environ if env is None else env
        configured = env.get(envvars.PALLET_CACHE_DIR)
        if configured:
            return cls(Path(configured).expanduser())
        import platformdirs

        return cls(Path(platformdirs.user_cache_dir("pallet")))

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # -- archives ------------------------------------------------------------------------------
    def _entry(self, kind: str, sha256: str) -> Path:
        h = _check_hash(sha256)
        return self.root / kind / h[:2] / h

    def archive(self, sha256: str, filename: str) -> Path:
        """Where the archive with this hash lives (it may not exist)."""
        return self._entry(ARCHIVES, sha256) / _check_filename(filename)

    def has_archive(self, sha256: str, filename: str) -> Path | None:
        path = self.archive(sha256, filename)
        return path if path.is_file() else None

    # -- unpacked wheels -----------------------------------------------------------------------
    def unpacked(self, sha256: str) -> Path:
        """The folder of the wheel with this hash, unpacked (it may not exist or be complete:
        `pallet.install.wheelfile.load_unpacked` checks its marker)."""
        return self._entry(UNPACKED, sha256)

    # -- wheels built from sdists --------------------------------------------------------------
    def built(self, sdist_sha256: str) -> Path | None:
        """The wheel built from the sdist with this hash, if one is stored."""
        folder = self._entry(BUILT, sdist_sha256)
        try:
            names = sorted(
                e.name
                for e in os.scandir(folder)
                if e.name.endswith(".whl") and not e.name.startswith(".") and e.is_file()
            )
        except OSError:
            return None
        return folder / names[0] if names else None

    def store_built(self, sdist_sha256: str, wheel: Path) -> Path:
        """Put ``wheel`` (a file anywhere) into built-v1 under the sdist's hash; the stored path.

        The file is moved when it is on the same filesystem, else copied. A wheel already
        stored for that sdist (another process built it too) wins; ``wheel`` is then dropped.
        """
        existing = self.built(sdist_sha256)
        if existing is not None:
            wheel.unlink(missing_ok=True)
            return existing
        folder = self._entry(BUILT, sdist_sha256)
        dest = folder / _check_filename(wheel.name)
        fd, tmp = temp_file(folder, wheel.name)
        os.close(fd)
        try:
            try:
                wheel.replace(tmp)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                import shutil

                shutil.copyfile(wheel, tmp)
                wheel.unlink(missing_ok=True)
            return place_file(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    # -- environments and usage records --------------------------------------------------------
    def environments(self) -> Path:
        return self.root / ENVIRONMENTS

    def projects(self) -> Path:
        return self.root / PROJECTS

    def record_use(self, lock_path: Path, hashes: Iterable[str]) -> None:
        """Note that the lock at ``lock_path`` was synced now and needs these archives (by
        sha256): `pallet cache prune` keeps what a lock that still exists needs."""
        lock = str(Path(lock_path).absolute())
        key = hashlib.sha256(lock.encode()).hexdigest()
        record = {"lock": lock, "hashes": sorted({h.lower() for h in hashes}), "used": time.time()}
        folder = self.projects()
        fd, tmp = temp_file(folder, key)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record, f, indent=1)
            tmp.replace(folder / f"{key}.json")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
