# ruff: noqa: PTH105, PTH108, PTH112, PTH118, SIM105 (os.path strings, no contextlib: fast path)
"""What `project.locate` read of a pyproject.toml's workspace table, remembered in ``.venv``.

The no-op ``pallet sync``/``run``/``lock`` of a workspace needs the root's ``members`` and
``exclude`` globs (and whether a member's pyproject.toml, which mentions ``workspace`` in its
``{ workspace = true }`` sources, declares a workspace of its own). Importing ``tomllib`` for that
costs more than the rest of the check, so the answer is kept in ``<root>/.venv/`` (`MEMO`),
keyed by the pyproject.toml's exact bytes: an answer depends on nothing else, so a file that
changed in any way is parsed again, and a memo written by another pallet, or damaged, is
ignored. Standard library only (the fast paths call it before argparse); writing is best
effort (a read-only or missing ``.venv`` only means parsing next time too).
"""

from __future__ import annotations

import os

__all__ = ["MEMO", "read_memo", "write_memo"]

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping

    #: None: no workspace table; else its string ``members`` and ``exclude`` globs
    Answer = tuple[tuple[str, ...], tuple[str, ...]] | None

MEMO = ".pallet-workspace-memo"
_MAGIC = b"pallet-workspace-memo-1\n"
_KEEP = 16  # answers kept per memo (a pyproject.toml edited often leaves old ones behind)
_NONE = b"-"


def read_memo(folder: str) -> dict[bytes, Answer]:
    """The answers kept in ``<folder>/.venv``; {} when there is none or it cannot be read."""
    try:
        with open(os.path.join(folder, ".venv", MEMO), "rb") as stream:
            data = stream.read()
    except OSError:
        return {}
    if not data.startswith(_MAGIC):
        return {}
    found: dict[bytes, Answer] = {}
    at = len(_MAGIC)
    try:
        while at < len(data):
            key, at = _chunk(data, at)
            value, at = _chunk(data, at)
            found[key] = _decode(value)
    except (ValueError, UnicodeDecodeError):
        return {}
    return found


def write_memo(folder: str, answers: Mapping[bytes, Answer]) -> None:
    """Keep `answers` (with the newest of those already kept, up to `_KEEP`) in
    ``<folder>/.venv``, when that folder exists; replaced atomically, errors ignored."""
    venv = os.path.join(folder, ".venv")
    if not answers or not os.path.isdir(venv):
        return
    merged = {k: v for k, v in read_memo(folder).items() if k not in answers}
    merged.update(answers)
    kept = list(merged.items())[-_KEEP:]
    parts = [_MAGIC]
    for key, answer in kept:
        value = _encode(answer)
        if value is None:
            return
        parts += [b"%d\n" % len(key), key, b"%d\n" % len(value), value]
    path = os.path.join(venv, MEMO)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as stream:
            stream.write(b"".join(parts))
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _chunk(data: bytes, at: int) -> tuple[bytes, int]:
    end = data.index(b"\n", at)
    size = int(data[at:end])
    start = end + 1
    if size < 0 or start + size > len(data):
        raise ValueError("truncated")
    return data[start : start + size], start + size


def _encode(answer: Answer) -> bytes | None:
    """``-`` for no table; else ``m<glob>`` and ``x<glob>`` items, NUL-separated (None: a glob
    holding NUL, which is not kept)."""
    if answer is None:
        return _NONE
    members, exclude = answer
    items = [f"m{g}" for g in members] + [f"x{g}" for g in exclude]
    if any("\0" in item for item in items):
        return None
    return "\0".join(["t", *items]).encode("utf-8", "surrogatepass")


def _decode(value: bytes) -> Answer:
    if value == _NONE:
        return None
    items = value.decode("utf-8", "surrogatepass").split("\0")
    if items[0] != "t" or any(not item or item[0] not in "mx" for item in items[1:]):
        raise ValueError("not a memo entry")
    members = tuple(item[1:] for item in items[1:] if item[0] == "m")
    exclude = tuple(item[1:] for item in items[1:] if item[0] == "x")
    return members, exclude
