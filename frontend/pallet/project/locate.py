# ruff: noqa: PTH112, PTH113, PTH117, PTH118, PTH120, PTH207
"""Where a command's project is: the nearest pyproject.toml, or the workspace root above it.

Standard library only, ``os.path`` strings (the fast paths of ``pallet lock``/``sync``/``run``
call it before argparse): a folder holding pyproject.toml is the project; walking further up,
the first pyproject.toml with a ``[tool.pallet.workspace]`` table whose ``members`` globs (less
its ``exclude`` globs) match that folder is the workspace root, and the command works on the
whole workspace from there (uv's rule). TOML is parsed only for a pyproject.toml that mentions
``workspace``. `project.workspace` validates the table; here a malformed one is "no workspace".
"""

from __future__ import annotations

import glob
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "PYPROJECT",
    "find_root",
    "input_bytes",
    "member_folders",
    "nearest_pyproject",
    "workspace_above",
    "workspace_table",
]

PYPROJECT = "pyproject.toml"
_MARK = b"workspace"


def nearest_pyproject(start: str) -> str | None:
    """The nearest folder from `start` upwards holding a pyproject.toml (a real path)."""
    folder = os.path.realpath(start)
    while True:
        if os.path.isfile(os.path.join(folder, PYPROJECT)):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def find_root(start: str) -> tuple[str, str] | None:
    """``(root, project)``: the folder the command works in (a workspace root, or the project
    itself) and the nearest project folder from `start` (a member, the root, or a plain
    project); None when no pyproject.toml is found."""
    nearest = nearest_pyproject(start)
    if nearest is None:
        return None
    if workspace_table(_load(nearest)) is not None:
        return nearest, nearest
    folder = nearest
    while True:
        parent = os.path.dirname(folder)
        if parent == folder:
            return nearest, nearest
        folder = parent
        if not os.path.isfile(os.path.join(folder, PYPROJECT)):
            continue
        table = workspace_table(_load(folder))
        if table is None:
            continue
        if nearest in member_folders(folder, table):
            return folder, nearest
        return nearest, nearest  # the first workspace above does not include it: its own root


def workspace_above(folder: str) -> tuple[str, dict[str, Any]] | None:
    """The first folder above `folder` whose pyproject.toml has a ``[tool.pallet.workspace]``
    table, with the table (``pallet init`` inside a workspace joins it)."""
    current = os.path.realpath(folder)
    while True:
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
        table = workspace_table(_load(current))
        if table is not None:
            return current, table


def workspace_table(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """``[tool.pallet.workspace]`` of a parsed pyproject.toml, when it is a table."""
    tool = data.get("tool") if data else None
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    table = pallet.get("workspace") if isinstance(pallet, dict) else None
    return table if isinstance(table, dict) else None


def member_folders(root: str, table: dict[str, Any]) -> list[str]:
    """The folders the ``members`` globs match under `root`, less ``exclude``'s, sorted (real
    paths; files and the root itself skipped). Globs are ``glob`` patterns relative to the
    root, as uv's are; a pattern that is not a string is skipped (`project.workspace` says
    so)."""
    base = os.path.realpath(root)

    def matches(key: str) -> set[str]:
        patterns = table.get(key, [])
        found: set[str] = set()
        for pattern in patterns if isinstance(patterns, list) else ():
            if isinstance(pattern, str) and pattern and not os.path.isabs(pattern):
                for path in glob.glob(os.path.join(glob.escape(base), pattern)):
                    if os.path.isdir(path):
                        found.add(os.path.realpath(path))
        return found

    return sorted(matches("members") - matches("exclude") - {base})


def input_bytes(root: str) -> bytes | None:
    """What the lock's ``pyproject`` digest covers: the root's pyproject.toml bytes, and in a
    workspace each member's (path and bytes, sorted by path); None when one cannot be read."""
    try:
        with open(os.path.join(root, PYPROJECT), "rb") as stream:
            data = stream.read()
    except OSError:
        return None
    if _MARK not in data:
        return data
    table = workspace_table(_parse(data))
    if table is None:
        return data
    parts = [data]
    base = os.path.realpath(root)
    for folder in member_folders(root, table):
        try:
            with open(os.path.join(folder, PYPROJECT), "rb") as stream:
                member = stream.read()
        except OSError:
            return None
        relative = os.path.relpath(folder, base).replace(os.sep, "/")
        parts.append(b"\0member %s\0%s" % (relative.encode("utf-8", "surrogateescape"), member))
    return b"".join(parts)


def _load(folder: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(folder, PYPROJECT), "rb") as stream:
            data = stream.read()
    except OSError:
        return None
    return _parse(data) if _MARK in data else None


def _parse(data: bytes) -> dict[str, Any] | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
