"""What an environment holds: its installed distributions, found cheaply.

PEP 376/627: a distribution is installed when site-packages has a ``<name>-<version>.dist-info``
folder with a METADATA file. The name and version come from the folder's name (the binary
distribution format escapes ``-`` in both, so the first ``-`` splits them); only a folder whose
name cannot be split that way has its METADATA read. INSTALLER (PEP 627) and
``direct_url.json`` (PEP 610) are read only where they exist. Standard library only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .scheme import Scheme

__all__ = ["InstalledDist", "installed", "read_dist"]

_SEPARATORS = re.compile(r"[-_.]+")


@dataclass(frozen=True)
class InstalledDist:
    """One installed distribution."""

    name: str  # normalized
    version: str
    dist_info: Path
    installer: str | None  # INSTALLER's first line
    direct_url: Mapping[str, object] | None
    editable: bool  # direct_url dir_info.editable


def installed(scheme: Scheme) -> dict[str, InstalledDist]:
    """The distributions in the scheme's purelib (and platlib if different), by normalized name.
    Where two folders claim one name, the first found (purelib first, then by name) wins."""
    out: dict[str, InstalledDist] = {}
    folders = [str(scheme.purelib)]
    if scheme.platlib != scheme.purelib and os.path.realpath(scheme.platlib) != os.path.realpath(
        scheme.purelib
    ):
        folders.append(str(scheme.platlib))
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in names:
            if entry.endswith(".dist-info"):
                dist = read_dist(Path(folder, entry))
                if dist is not None and dist.name not in out:
                    out[dist.name] = dist
    return out


def read_dist(dist_info: Path) -> InstalledDist | None:
    """The distribution whose ``.dist-info`` folder is `dist_info`; None if it is not one (not a
    folder, or no METADATA). Plain os calls: Python's buffered ``open`` would be most of the
    cost of a scan."""
    path = os.fspath(dist_info)
    if not os.path.exists(f"{path}/METADATA"):
        return None
    stem = os.path.basename(path)[: -len(".dist-info")]
    name, sep, version = stem.partition("-")
    if not sep or "-" in version or not name:  # not escaped as the spec says: ask METADATA
        name, version = _metadata_name_version(path)
        if not name:
            return None
    installer = None
    data = _read_small(f"{path}/INSTALLER")
    if data:
        installer = data.decode("utf-8", "replace").partition("\n")[0].strip() or None
    direct_url: Mapping[str, object] | None = None
    data = _read_small(f"{path}/direct_url.json")
    if data is not None:
        try:
            loaded = json.loads(data)
        except ValueError:
            loaded = None
        direct_url = loaded if isinstance(loaded, dict) else None
    editable = False
    if direct_url is not None:
        dir_info = direct_url.get("dir_info")
        editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
    return InstalledDist(
        name=_SEPARATORS.sub("-", name).lower(),
        version=version,
        dist_info=Path(path),
        installer=installer,
        direct_url=direct_url,
        editable=editable,
    )


def _read_small(path: str) -> bytes | None:
    """A small file's bytes; None if it cannot be read (absent, most often)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _metadata_name_version(path: str) -> tuple[str, str]:
    """METADATA's Name and Version headers; empty strings if unreadable."""
    name = version = ""
    try:
        with open(os.path.join(path, "METADATA"), encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                key = key.strip().lower()
                if key == "name" and not name:
                    name = value.strip()
                elif key == "version" and not version:
                    version = value.strip()
    except OSError:
        return "", ""
    return name, version
