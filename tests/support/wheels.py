"""Wheels with everything an installer must handle, and wheels broken on purpose.

`support.dists.make_wheel` makes the plain wheels the lock tests need; this module adds what the
install tests need: entry points, ``.data`` schemes, Unix modes (executables, symlink members),
Root-Is-Purelib false, and access to the members before they are written, so a test can break
RECORD or a path and write the zip as it is::

    members = wheel_members("demo", "1.0", {"demo/cli.py": "def main(): print('hi')"},
                            entry_points={"console_scripts": {"demo": "demo.cli:main"}})
    members["../evil"] = b"x"                         # a traversal member, not in RECORD
    write_wheel(tmp_path / "demo-1.0-py3-none-any.whl", members)

`wheel_members` returns the members in order with a valid RECORD last; `with_record` recomputes
RECORD after a change that should stay consistent.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Union

from packaging.utils import canonicalize_name

__all__ = ["build_wheel", "wheel_members", "with_record", "write_wheel"]

Contents = Union[str, bytes]
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _escape(name: str) -> str:
    return canonicalize_name(name).replace("-", "_")


def _hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def with_record(members: Mapping[str, bytes], dist_info: str) -> dict[str, bytes]:
    """`members` with a fresh RECORD (every member hashed, RECORD itself last with no hash)."""
    record_path = f"{dist_info}/RECORD"
    out = {k: v for k, v in members.items() if k != record_path}
    lines = [f"{path},{_hash(data)},{len(data)}" for path, data in out.items()]
    lines.append(f"{record_path},,")
    out[record_path] = ("\n".join(lines) + "\n").encode()
    return out


def wheel_members(
    name: str,
    version: str,
    files: Mapping[str, Contents],
    *,
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
    root_is_purelib: bool = True,
    tag: str = "py3-none-any",
    requires_dist: tuple[str, ...] = (),
) -> dict[str, bytes]:
    """The members of a valid wheel: `files`, then the dist-info files, RECORD last."""
    dist_info = f"{_escape(name)}-{version}.dist-info"
    members = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires_dist]
    members[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n\n").encode()
    purelib = "true" if root_is_purelib else "false"
    wheel = f"Wheel-Version: 1.0\nGenerator: pallet-tests\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n"
    members[f"{dist_info}/WHEEL"] = wheel.encode()
    if entry_points:
        text = "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
            for group, entries in entry_points.items()
        )
        members[f"{dist_info}/entry_points.txt"] = text.encode()
    return with_record(members, dist_info)


def write_wheel(
    path: Path, members: Mapping[str, bytes], *, modes: Mapping[str, int] | None = None
) -> Path:
    """Write `members` as they are into the zip `path`; `modes` gives Unix modes (with type
    bits, e.g. ``stat.S_IFLNK | 0o777`` for a symlink member) by member name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in members.items():
            info = zipfile.ZipInfo(arcname, ZIP_DATE)
            info.external_attr = ((modes or {}).get(arcname, 0o100644)) << 16
            info.create_system = 3  # Unix, so that the mode bits mean what they say
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def build_wheel(
    dest_dir: Path,
    name: str,
    version: str,
    files: Mapping[str, Contents],
    *,
    modes: Mapping[str, int] | None = None,
    tag: str = "py3-none-any",
    **kwargs: object,
) -> Path:
    """A valid wheel in `dest_dir`; keyword arguments as `wheel_members`."""
    members = wheel_members(name, version, files, tag=tag, **kwargs)  # type: ignore[arg-type]
    return write_wheel(
        Path(dest_dir) / f"{_escape(name)}-{version}-{tag}.whl", members, modes=modes
    )
