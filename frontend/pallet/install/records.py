"""RECORD files of installed distributions (PEP 376, PEP 627): written, read, resolved.

Paths are relative to the folder that holds the ``.dist-info`` folder (``../../../bin/x`` for a
script); hashes are ``sha256=`` and the urlsafe base64 digest without padding; RECORD lists
itself with an empty hash and size.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import InstallError

__all__ = ["hash_of_bytes", "read_record_paths", "record_text"]


def hash_of_bytes(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def record_text(rows: Iterable[tuple[str, str, int | None]], record_path: str) -> str:
    """RECORD's text: one ``path,hash,size`` row per file, RECORD itself last with no hash.

    CSV as the csv module writes it (PEP 376); paths without a comma, quote or line break, which
    is nearly all of them, skip the csv writer."""
    rows = list(rows)
    paths = "".join(path for path, _, _ in rows)
    if any(ch in paths for ch in ',"\r\n'):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for path, digest, size in rows:
            writer.writerow((path, digest, "" if size is None else size))
        writer.writerow((record_path, "", ""))
        return buffer.getvalue()
    lines = [f"{path},{digest},{'' if size is None else size}\n" for path, digest, size in rows]
    lines.append(f"{record_path},,\n")
    return "".join(lines)


def read_record_paths(dist_info: Path, root: Path) -> list[str]:
    """The absolute, normalized paths RECORD of `dist_info` lists; every one must lie inside
    `root` (the environment), else `InstallError` before anything is removed."""
    record = os.path.join(dist_info, "RECORD")
    try:
        with open(record, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise InstallError(f"{record}: missing; cannot tell which files to remove") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InstallError(f"{record}: cannot be read: {exc}") from None
    base = os.path.dirname(os.path.abspath(dist_info))
    top = os.path.normpath(os.path.abspath(root))
    out = []
    for row in rows:
        if not row or not row[0]:
            continue
        path = os.path.normpath(os.path.join(base, row[0]))
        if not path.startswith(top + os.sep):
            raise InstallError(
                f"{record}: {row[0]!r} lies outside the environment {top}; refusing to remove it"
            )
        out.append(path)
    return out
