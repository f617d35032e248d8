"""Where a locked file is, as the lock writes it: a URL, or a path for files of a local index.

PEP 751 (https://packaging.python.org/en/latest/specifications/pylock-toml/) gives each file a
``url`` or a ``path``, and a relative ``path`` is relative to the lock file's folder. So that a
lock moves with its checkout, a file of an index configured by a relative path
(``url = "wheels"``) is written as a path relative to the project folder (where pylock.toml
lives); a file of an index configured by an absolute path or a ``file://`` URL keeps an absolute
path, the same on every checkout. ``packages.index`` must be a URL (uv refuses anything else),
and a ``file://`` URL would tie the lock to one machine's layout, so a package from a local index
has no ``index`` key: its files' paths say where they are.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from .models import DistFile
from .pages import local_path

__all__ = ["is_relative_path", "lock_index_url", "lock_location"]


def is_relative_path(url: str) -> bool:
    """``url`` names a local folder by a relative path (``wheels``, ``./dist``, ``../wheels``)."""
    return local_path(url) is not None and "://" not in url and not Path(url).is_absolute()


def lock_index_url(configured: str) -> str:
    """PEP 751 ``packages.index`` for an index configured as ``configured``; empty (no key) for
    a local folder."""
    return "" if local_path(configured) is not None else configured


def lock_location(file: DistFile, configured: str, root: Path) -> DistFile:
    """``file`` with its ``url`` as the lock writes it: unchanged for a network URL, else a
    POSIX path, relative to ``root`` when the index was configured by a relative path."""
    path = local_path(file.url)
    if path is None:
        return file
    if is_relative_path(configured):
        text = Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    else:
        text = path.resolve().as_posix()
    return dataclasses.replace(file, url=text)
