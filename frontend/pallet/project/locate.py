# ruff: noqa: PTH112, PTH113, PTH117, PTH118, PTH120, PTH207, PTH208
"""Where a command's project is: the nearest pyproject.toml, or the workspace root above it.

Standard library only, ``os.path`` strings (the fast paths of ``pallet lock``/``sync``/``run``
call it before argparse): a folder holding pyproject.toml is the project; walking further up,
the first pyproject.toml with a ``[tool.pallet.workspace]`` table whose ``members`` globs (less
its ``exclude`` globs) match that folder is the workspace root, and the command works on the
whole workspace from there (uv's rule). TOML is parsed only for a pyproject.toml that mentions
``workspace``, and on the fast paths (`find_root`, `input_bytes`) only once per version of its
bytes: the answer is kept in the root's ``.venv`` (`project.table_memo`).
`project.workspace` validates the table; here a malformed one is "no workspace".
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from .table_memo import Answer

__all__ = [
    "PYPROJECT",
    "expand_glob",
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
    folders = [nearest]  # nearest, then every folder above holding a pyproject.toml
    folder = nearest
    while (parent := os.path.dirname(folder)) != folder:
        folder = parent
        if os.path.isfile(os.path.join(folder, PYPROJECT)):
            folders.append(folder)
    answers = _Answers(folders)
    if answers.of(nearest) is not None:
        return nearest, nearest
    for folder in folders[1:]:
        answer = answers.of(folder)
        if answer is None:
            continue
        if nearest in _members(folder, answer):
            return folder, nearest
        return nearest, nearest  # the first workspace above does not include it: its own root
    return nearest, nearest


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
                for path in expand_glob(base, pattern):
                    if os.path.isdir(path):
                        found.add(os.path.realpath(path))
        return found

    return sorted(matches("members") - matches("exclude") - {base})


def expand_glob(base: str, pattern: str) -> list[str]:
    """``glob.glob(os.path.join(glob.escape(base), pattern))``, answered without ``glob`` (whose
    ``re`` import costs more than a workspace's whole no-op check) for the usual patterns:
    ``/``-separated parts that are each ``*`` (any name not starting with ``.``, as glob's) or
    hold no wildcard; anything else is glob's."""
    parts = pattern.split("/")
    plain = os.sep == "/" and all(
        part and (part in ("*", "**") or not any(c in part for c in "*?[")) for part in parts
    )
    if not plain:
        import glob

        return glob.glob(os.path.join(glob.escape(base), pattern))
    paths = [base]
    for part in parts:
        if part in ("*", "**"):  # no recursive=True: ** is *
            found = []
            for folder in paths:
                try:
                    names = os.listdir(folder)
                except OSError:
                    continue
                found += [os.path.join(folder, n) for n in names if not n.startswith(".")]
            paths = found
        else:
            paths = [os.path.join(folder, part) for folder in paths]
    return [path for path in paths if os.path.lexists(path)]


def input_bytes(root: str) -> bytes | None:
    """What the lock's ``pyproject`` digest covers: the root's pyproject.toml bytes, and in a
    workspace each member's (path and bytes, sorted by path); None when one cannot be read.
    The root's workspace table is read through `project.table_memo` (no TOML parsed while the
    root's pyproject.toml keeps the bytes it had when the memo was written)."""
    try:
        with open(os.path.join(root, PYPROJECT), "rb") as stream:
            data = stream.read()
    except OSError:
        return None
    answer = _Answers([root]).of_bytes(data)
    _Answers.save(root)
    if answer is None:
        return data
    parts = [data]
    base = os.path.realpath(root)
    for folder in _members(root, answer):
        try:
            with open(os.path.join(folder, PYPROJECT), "rb") as stream:
                member = stream.read()
        except OSError:
            return None
        relative = os.path.relpath(folder, base).replace(os.sep, "/")
        parts.append(b"\0member %s\0%s" % (relative.encode("utf-8", "surrogateescape"), member))
    return b"".join(parts)


class _Answers:
    """Whether a pyproject.toml declares a workspace, and its globs (`table_memo.Answer`):
    from this process's earlier answers, the memos in `folders`' ``.venv`` (read at the first
    file that needs one), else by parsing; `save` keeps what was parsed in a root's memo."""

    known: ClassVar[dict[bytes, Answer]] = {}
    parsed: ClassVar[dict[bytes, Answer]] = {}

    def __init__(self, folders: list[str]) -> None:
        self.folders = folders
        self.loaded = False

    def of(self, folder: str) -> Answer:
        try:
            with open(os.path.join(folder, PYPROJECT), "rb") as stream:
                data = stream.read()
        except OSError:
            return None
        return self.of_bytes(data)

    def of_bytes(self, data: bytes) -> Answer:
        if _MARK not in data:
            return None
        if data not in self.known and not self.loaded:
            from .table_memo import read_memo

            self.loaded = True
            for folder in self.folders:
                for key, answer in read_memo(folder).items():
                    self.known.setdefault(key, answer)
        if data in self.known:
            return self.known[data]
        table = workspace_table(_parse(data))
        found: Answer = None
        if table is not None:
            found = (_globs(table, "members"), _globs(table, "exclude"))
        self.known[data] = self.parsed[data] = found
        return found

    @classmethod
    def save(cls, root: str) -> None:
        if cls.parsed:
            from .table_memo import write_memo

            write_memo(root, cls.parsed)
            cls.parsed.clear()


def _globs(table: dict[str, Any], key: str) -> tuple[str, ...]:
    """The string patterns of a ``members``/``exclude`` array (what `member_folders` uses)."""
    patterns = table.get(key, [])
    return tuple(p for p in patterns if isinstance(p, str)) if isinstance(patterns, list) else ()


def _members(root: str, answer: tuple[tuple[str, ...], tuple[str, ...]]) -> list[str]:
    return member_folders(root, {"members": list(answer[0]), "exclude": list(answer[1])})


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
