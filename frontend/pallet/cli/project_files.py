"""pyproject.toml and pylock.toml as the editing commands (``pallet add``/``remove``, ``pallet
variants add``) change them: read, replaced atomically, put back byte for byte when the lock or the
sync that follows fails, and locked through ``pallet lock``'s own code. `write_atomic` is the
one atomic file writer of the commands (pyproject.toml, an export, a shell start-up file).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .. import ui
from ..errors import ProjectError

__all__ = [
    "LOCK",
    "PYPROJECT",
    "lock_project",
    "lock_with_bounds",
    "locked_versions",
    "read_or_none",
    "replace_file",
    "restore_files",
    "write_atomic",
]

PYPROJECT = "pyproject.toml"
LOCK = "pylock.toml"


def read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ProjectError(f"{path.name}: cannot be read ({path}): {exc.strerror}") from exc


def restore_files(path: Path, before: bytes, lock_path: Path, old_lock: bytes | None) -> None:
    """pyproject.toml and the lock as they were before the command."""
    replace_file(path, before)
    if old_lock is None:
        lock_path.unlink(missing_ok=True)
    elif read_or_none(lock_path) != old_lock:
        replace_file(lock_path, old_lock)
    ui.info(f"{PYPROJECT} and {lock_path.name} restored: the command failed")


def locked_versions(lock_path: Path) -> dict[str, list[str]]:
    """Package name (normalized) -> the versions of its entries in the lock just written."""
    from packaging.utils import canonicalize_name

    from ..project.pyproject import load_toml

    data = load_toml(lock_path, LOCK)
    versions: dict[str, list[str]] = {}
    for package in data.get("packages", []):
        if isinstance(package, dict) and "name" in package and "version" in package:
            name = canonicalize_name(str(package["name"]))
            versions.setdefault(name, []).append(str(package["version"]))
    return versions


def lock_project(root: Path, args: argparse.Namespace) -> int:
    """``pallet lock --project ROOT``, through the lock command's own parser and code."""
    from . import lock

    parser = argparse.ArgumentParser(prog="pallet")
    argv = ["--project", str(root)] + (["--offline"] if getattr(args, "offline", False) else [])
    lock_args = lock.add_parser(parser.add_subparsers()).parse_args(argv)
    lock_args.verbose = getattr(args, "verbose", False)
    lock_args.quiet = getattr(args, "quiet", False)
    code: int = lock.run(lock_args)
    return code


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file beside it (`mode`,
    flushed to the disk with `fsync`), then `os.replace`. Raises `OSError`; the caller names
    the file in its own words."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            if fsync:
                stream.flush()
                os.fsync(stream.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (`write_atomic`), keeping the file's mode."""
    try:
        write_atomic(path, data, mode=path.stat().st_mode & 0o7777)
    except OSError as exc:
        raise ProjectError(
            f"{PYPROJECT}: cannot be written ({path}): {exc.strerror}", path=PYPROJECT
        ) from exc


def lock_with_bounds(
    root: Path,
    args: argparse.Namespace,
    path: Path,
    before: bytes,
    old_lock: bytes | None,
    bounded: Callable[[dict[str, list[str]]], tuple[str, str] | None],
) -> int:
    """Lock; then, when ``bounded`` (given the locked versions) returns a new pyproject.toml text
    and a message (bare names given their locked lower bounds), write it, say so and lock again
    (the lock's own pins are kept, so that costs little). A failure or interruption puts
    pyproject.toml (``before``) and the lock (``old_lock``, None: none) back as they were."""
    from .lock import workspace_root

    lock_path = workspace_root(root) / LOCK  # a workspace member's: the root's one lock
    try:
        code = lock_project(root, args)
        if code == 0:
            again = bounded(locked_versions(lock_path))
            if again is not None:
                replace_file(path, again[0].encode("utf-8"))
                ui.info(again[1])
                code = lock_project(root, args)
    except BaseException:
        restore_files(path, before, lock_path, old_lock)
        raise
    if code != 0:
        restore_files(path, before, lock_path, old_lock)
    return code
