"""Reading sdists someone else built: safe unpacking and PEP 643 static metadata."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from ..errors import BuildFailed

__all__ = ["static_pkg_info", "unpack_sdist"]

_DEPENDENCY_FIELDS = {"requires-dist", "requires-python", "provides-extra"}


def _check_member(name: str, filename: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.startswith(("/", "\\")) or ":" in name:
        raise BuildFailed(f"{filename}: refusing unsafe path {name!r} in the archive")
    return path


def unpack_sdist(archive: Path, dest: Path, filename: str) -> Path:
    """Extract a .tar.gz or .zip sdist into ``dest`` and return its project directory.

    Members with absolute paths or ``..``, device files and links pointing outside the archive
    are refused (``filename`` names the archive in errors).
    """
    if filename.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                _check_member(name, filename)
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            for member in members:
                path = _check_member(member.name, filename)
                if member.isdev():
                    raise BuildFailed(f"{filename}: refusing device file {member.name!r}")
                if member.issym() or member.islnk():
                    base = path.parent if member.issym() else PurePosixPath()
                    _check_member(str(base / member.linkname), filename)
            if hasattr(tarfile, "data_filter"):
                tf.extractall(dest, members=members, filter="data")
            else:  # pragma: no cover - Python without PEP 706 backports
                tf.extractall(dest, members=members)
    entries = [p for p in dest.iterdir() if p.is_dir()]
    if len(entries) == 1 and not (dest / "pyproject.toml").exists():
        return entries[0]
    return dest


def static_pkg_info(project_dir: Path) -> bytes | None:
    """PKG-INFO when PEP 643 makes its dependency fields reliable (2.2+, not Dynamic)."""
    from packaging.metadata import parse_email
    from packaging.version import InvalidVersion, Version

    try:
        data = (project_dir / "PKG-INFO").read_bytes()
    except OSError:
        return None
    raw, _ = parse_email(data)
    try:
        if Version(raw.get("metadata_version") or "0") < Version("2.2"):
            return None
    except InvalidVersion:
        return None
    if {d.lower() for d in raw.get("dynamic", [])} & _DEPENDENCY_FIELDS:
        return None
    return data
