"""Removing installed files: a distribution's RECORD, its bytecode, the folders left empty."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable

from .scheme import Scheme

__all__ = ["drop_bytecode", "remove_files", "remove_replaced"]


def drop_bytecode(sources: Iterable[str]) -> None:
    """Remove ``__pycache__/<stem>.*.pyc`` of each source file (PEP 3147), which pip does not
    always list in RECORD."""
    by_folder: dict[str, set[str]] = {}
    for source in sources:
        folder, _, name = source.rpartition("/")
        by_folder.setdefault(folder, set()).add(name[: -len(".py")] + ".")
    for folder, stems in by_folder.items():
        cache = f"{folder}/__pycache__"
        try:
            names = os.listdir(cache)
        except OSError:
            continue
        for name in names:
            if name.endswith(".pyc") and name[: name.index(".") + 1] in stems:
                _unlink(f"{cache}/{name}")


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
        os.unlink(path)


def _prune(folders: Iterable[str], scheme: Scheme) -> None:
    """Remove folders left empty, upwards; never the scheme's own folders or anything above."""
    keep = {
        os.path.normpath(os.fspath(p))
        for p in (scheme.root, scheme.purelib, scheme.platlib, scheme.scripts, scheme.include)
    }
    top = os.path.normpath(os.fspath(scheme.root)) + os.sep
    for folder in sorted(set(folders), key=len, reverse=True):
        while folder.startswith(top) and folder not in keep:
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)


def remove_files(paths: Iterable[str], scheme: Scheme) -> None:
    """Remove the files (missing ones are fine), their bytecode, then the folders left empty."""
    removed = list(paths)
    for path in removed:
        _unlink(path)
    sources = [p for p in removed if p.endswith(".py")]
    drop_bytecode(sources)
    folders = {os.path.dirname(p) for p in removed}
    folders |= {f"{os.path.dirname(p)}/__pycache__" for p in sources}
    _prune(folders, scheme)


def remove_replaced(old_files: list[str], new_files: set[str], scheme: Scheme) -> None:
    """Remove the replaced version's files that the new one does not have (compared through
    real folders, so a ``lib64`` link does not make a kept file look removed)."""
    real: dict[str, str] = {}

    def resolved(path: str) -> str:
        folder, _, name = path.rpartition("/")
        if folder not in real:
            real[folder] = os.path.realpath(folder)
        return f"{real[folder]}/{name}"

    keep = {resolved(p) for p in new_files}
    remove_files((p for p in old_files if resolved(p) not in keep), scheme)
