"""Putting files in place: links from the store (hard, reflink, copy, symlink), folders,
atomic moves that merge into existing folders.

Hot code: an install calls `place_files` for thousands of files, so it loops over plain strings
with the os functions bound once, and switches mode once for the rest of the files when the
filesystem refuses the one asked for.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
from collections.abc import Iterable
from typing import Literal

from ..errors import InstallError

__all__ = ["LinkMode", "make_folders", "merge", "place_files", "remove_tree", "write_file"]

LinkMode = Literal["hardlink", "clone", "copy", "symlink"]

_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
#: errors of os.link that mean "not here": another filesystem, no hard links on it, too many
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}
#: errors of FICLONE that mean "this filesystem cannot clone"
_NO_CLONE = {
    errno.EXDEV,
    errno.EOPNOTSUPP,
    errno.ENOTSUP,
    errno.EINVAL,
    errno.ENOTTY,
    errno.EBADF,
    errno.EPERM,
}


def place_files(pairs: list[tuple[str, str]], mode: LinkMode) -> None:
    """Create each target from its store file: a hard link, else a clone, else a copy (or a
    symlink when asked). Targets must not exist; their folders must."""
    start = 0
    if mode == "hardlink":
        link = os.link
        try:
            for start, (source, target) in enumerate(pairs):  # noqa: B007  # hot loop
                link(source, target)
            return
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            mode = "clone"
    if mode == "symlink":
        for source, target in pairs[start:]:
            os.symlink(source, target)
        return
    if mode == "clone":
        if not sys.platform.startswith("linux"):
            mode = "copy"
        else:
            for index in range(start, len(pairs)):
                if not _clone(*pairs[index]):
                    start, mode = index, "copy"
                    break
            else:
                return
    for source, target in pairs[start:]:
        shutil.copyfile(source, target)
        shutil.copymode(source, target)


def _clone(source: str, target: str) -> bool:
    """Reflink `source` to `target` (Linux FICLONE); False, with no target, if it cannot."""
    import fcntl

    with open(source, "rb") as src:
        mode = os.fstat(src.fileno()).st_mode & 0o777
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            fcntl.ioctl(fd, _FICLONE, src.fileno())
        except OSError as exc:
            os.close(fd)
            os.unlink(target)
            if exc.errno in _NO_CLONE:
                return False
            raise
        os.close(fd)
    return True


def make_folders(folders: Iterable[str]) -> None:
    """Create the folders; sorted, so a parent is made before its children (one mkdir each)."""
    mkdir = os.mkdir
    for folder in sorted(folders):
        try:
            mkdir(folder)
        except FileExistsError:
            pass
        except FileNotFoundError:  # a parent that holds no file of its own
            os.makedirs(folder, exist_ok=True)


def write_file(path: str, content: bytes, *, executable: bool) -> None:
    """A new file (the umask applies, as for any file an installer writes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o777 if executable else 0o666)
    with os.fdopen(fd, "wb") as f:
        f.write(content)


def move_into_place(staged: str, target: str) -> None:
    """Rename the staged file or folder to `target`. A file replaces what is there (atomic); a
    folder goes in by one rename where `target` does not exist, else it is merged into the
    folder there file by file (namespace packages and upgrades share folders; a shared folder
    is never replaced wholesale)."""
    if not os.path.isdir(staged) or os.path.islink(staged):
        os.replace(staged, target)
        return
    try:
        os.rename(staged, target)
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise
    if not os.path.isdir(target):
        raise InstallError(f"{target}: is a file where the wheel has a folder")
    merge(staged, target)
    remove_tree(staged)


def merge(source: str, dest: str) -> None:
    """Move the entries of folder `source` into the existing folder `dest`, recursively."""
    with os.scandir(source) as entries:
        found = [(e.name, e.path, e.is_dir(follow_symlinks=False)) for e in entries]
    for name, path, is_dir in found:
        target = f"{dest}/{name}"
        if not is_dir:
            os.replace(path, target)
            continue
        try:
            os.rename(path, target)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise
            if not os.path.isdir(target):
                raise InstallError(f"{target}: is a file where the wheel has a folder") from None
            merge(path, target)


def remove_tree(path: str) -> None:
    """Remove a file or folder tree if it exists; quick when only emptied folders are left."""
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path) or os.path.islink(path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    try:
        os.rmdir(path)
        return
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)
