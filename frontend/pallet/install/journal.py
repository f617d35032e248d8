"""The sync journal: what an unfinished sync was changing, so that the next one can repair it.

``<venv>/.pallet-journal`` is written (and fsynced) before a sync changes the environment and
removed after its last change. It names every package the sync installs or removes and, for each
one it replaces or removes, the files that version had (its RECORD, as absolute paths). Each
package is installed atomically (`install.link`: staged, renamed into place, the ``.dist-info``
last), so after a kill the environment holds, per package, the old version, the new one, or the
new one's files beside the old version's: a journal left behind makes the next sync reinstall
every package it names and then delete the old files no installed RECORD claims any more. An
unreadable journal (killed while writing it) is repaired as "everything may be touched".
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from .stamp import SYNC_JOURNAL

__all__ = ["JOURNAL", "Journal", "clear_journal", "read_journal", "record_files", "write_journal"]

JOURNAL = SYNC_JOURNAL


@dataclass(frozen=True)
class Journal:
    """`names` being installed or removed; `old_files` the files of the versions they replace.
    ``complete`` False: the journal could not be read, so any package may be half-installed."""

    names: frozenset[str]
    old_files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    complete: bool = True


def record_files(dist_info: Path) -> tuple[str, ...]:
    """The absolute paths an installed distribution's RECORD lists (PEP 376/627: relative to
    the folder holding the ``.dist-info``); empty when there is no readable RECORD."""
    base = dist_info.parent
    try:
        with (dist_info / "RECORD").open(encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError, csv.Error):
        return ()
    return tuple(str(os.path.normpath(base / row[0])) for row in rows if row and row[0])


def write_journal(venv: Path, names: Iterable[str], old_files: Mapping[str, Iterable[str]]) -> None:
    """Write the journal durably (temp file, fsync, rename, fsync of the folder)."""
    data = {
        "pallet": __version__,
        "pid": os.getpid(),
        "names": sorted(names),
        "old_files": {name: sorted(files) for name, files in sorted(old_files.items())},
    }
    path = venv / JOURNAL
    tmp = venv / f"{JOURNAL}.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as stream:
        json.dump(data, stream)
        stream.flush()
        os.fsync(stream.fileno())
    tmp.replace(path)
    _fsync_dir(venv)


def read_journal(venv: Path) -> Journal | None:
    """The journal an unfinished sync left, None when there is none."""
    path = venv / JOURNAL
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return Journal(frozenset(), complete=False)
    try:
        data = json.loads(text)
        names = frozenset(str(n) for n in data["names"])
        old = {str(k): tuple(str(f) for f in v) for k, v in data["old_files"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return Journal(frozenset(), complete=False)
    return Journal(names, old)


def clear_journal(venv: Path) -> None:
    """Remove the journal (the sync's last change is made)."""
    with contextlib.suppress(FileNotFoundError):
        (venv / JOURNAL).unlink()
    _fsync_dir(venv)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
