# ruff: noqa: PTH119
"""pallet's ``[tool.pallet]`` table in pylock.toml: the digests that tell whether a lock is current.

pallet writes the table last, so a reader parses only that tail::

    [tool.pallet]
    fingerprint = "sha256:…"               # normalized inputs (lock.fingerprint)
    inputs = { requires-python = "…", … }  # one short digest per input section
    raw-inputs = "sha256:…"                # the inputs as TOML parsed them (lock.fingerprint)
    pyproject = "sha256:…"                 # the lock format and pyproject.toml's bytes
    inferred-requires-python = ">=3.10"    # only when the project declares none
    content = "sha256:…"                   # everything above this line, always the last line

``content`` makes any edit to the file visible (a merge conflict, a truncated file, a removed
hash, a hand edit): a lock whose ``content`` matches is exactly what pallet wrote. With
``pyproject`` matching too, nothing that decides the lock has changed since, and
`is_current_unparsed` says so without parsing TOML at all.

On the fast path: standard library only, ``os.path`` rather than pathlib, tomllib only when the
table has to be parsed.
"""

from __future__ import annotations

import os
import sys

from ..errors import LockError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path
    from typing import Any

__all__ = [
    "LOCK_FORMAT",
    "TAIL_HEADER",
    "StoredFingerprint",
    "content_line",
    "is_current_unparsed",
    "pyproject_digest",
    "read_pallet_table",
    "read_stored_fingerprint",
    "sha256_hex",
    "stored_fingerprint_of",
]

#: Bump when pallet writes a different lock for the same inputs (a new key, another wheel
#: selection rule, …): every existing lock then reads as stale.
LOCK_FORMAT = 2  # 2: Requires-Python forks, `environments` always written
#: The line that starts pallet's table; pallet writes it last in pylock.toml.
TAIL_HEADER = "[tool.pallet]"
_CONTENT = 'content = "sha256:'
_PYPROJECT = '\npyproject = "'


def _load_sha256() -> Callable[[bytes], Any]:
    """sha256 from CPython's built-in module where there is one: hashlib loads OpenSSL first,
    which costs more than the rest of the fast path's digests."""
    import importlib

    for name in ("_sha2", "_sha256"):  # CPython >= 3.12, <= 3.11
        try:
            found: Callable[[bytes], Any] = importlib.import_module(name).sha256
            return found
        except (ImportError, AttributeError):
            continue
    from hashlib import sha256

    return sha256


_sha256 = _load_sha256()


def sha256_hex(data: bytes) -> str:
    """The sha256 hex digest of `data`."""
    return str(_sha256(data).hexdigest())


def content_line(covered: str) -> str:
    """The last line of a lock: the digest of everything above it (`covered`, LF line ends)."""
    return f'{_CONTENT}{sha256_hex(covered.encode("utf-8"))}"\n'


def _intact(text: str) -> bool:
    """The text ends with a `content_line` that matches everything above it, and no file entry
    lacks its hash (PEP 751: at least one per file; pallet's emitter writes none as ``{}``)."""
    if not text.endswith('"\n'):
        return False
    start = text.rfind("\n", 0, len(text) - 1) + 1
    return (
        len(text) - start == len(_CONTENT) + 64 + 2
        and text.startswith(_CONTENT, start)
        and content_line(text[:start]) == text[start:]
        and "hashes = {}" not in text
    )


def pyproject_digest(data: bytes) -> str:
    """``sha256:<hex>`` of the lock format and pyproject.toml's bytes (a new format makes every
    lock stale, as in `lock.fingerprint`)."""
    return "sha256:" + sha256_hex(b"pallet lock format %d\n" % LOCK_FORMAT + data)


def is_current_unparsed(lock_text: str, pyproject: bytes) -> bool:
    """The quickest check: the lock is intact and was written for these very pyproject.toml
    bytes. No TOML is parsed: ``content`` vouches for the whole file, ``pyproject`` included."""
    if not _intact(lock_text):
        return False
    tail = lock_text.rfind(f"\n{TAIL_HEADER}\n")
    at = lock_text.find(_PYPROJECT, tail) if tail >= 0 else -1
    if at < 0:
        return False
    start = at + len(_PYPROJECT)
    end = lock_text.find('"', start)
    return lock_text[start:end] == pyproject_digest(pyproject)


class StoredFingerprint:
    """``[tool.pallet]`` of an existing pylock.toml (a plain class: cheaper to import than
    dataclasses or typing.NamedTuple, which matters on the fast path)."""

    __slots__ = (
        "content_intact",
        "fingerprint",
        "inferred_requires_python",
        "input_digests",
        "pyproject",
        "raw_inputs",
    )

    def __init__(
        self,
        fingerprint: str,
        input_digests: Mapping[str, str],
        raw_inputs: str = "",
        content_intact: bool = False,
        inferred_requires_python: str = "",
        pyproject: str = "",
    ) -> None:
        self.fingerprint = fingerprint
        self.input_digests = input_digests
        #: `raw_input_digest` of the pyproject.toml it was locked from ("" in older locks)
        self.raw_inputs = raw_inputs
        #: True when the lock's text above [tool.pallet] is exactly what pallet wrote
        self.content_intact = content_intact
        #: the requires-python pallet inferred when the project declares none ("" otherwise)
        self.inferred_requires_python = inferred_requires_python
        #: `pyproject_digest` of the pyproject.toml it was locked from ("" in older locks)
        self.pyproject = pyproject


_STRING_KEYS = ("fingerprint", "raw-inputs", "content", "pyproject", "inferred-requires-python")


def _pallet_table(data: Mapping[str, Any], name: str) -> dict[str, str | dict[str, str]]:
    """The checked ``[tool.pallet]`` of a parsed lock; a wrong type -> one-line `LockError`."""
    tool = data.get("tool", {})
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    if pallet is None:
        raise LockError(
            f"{name}: [tool.pallet] fingerprint is missing; it was not written by pallet"
        )
    if not isinstance(pallet, dict):
        raise LockError(f"{name}: [tool.pallet] must be a table, not {type(pallet).__name__}")
    out: dict[str, str | dict[str, str]] = {}
    for key in _STRING_KEYS:
        if key in pallet and not isinstance(pallet[key], str):
            raise LockError(
                f"{name}: [tool.pallet] key {key!r} must be a string, not "
                f"{type(pallet[key]).__name__}"
            )
        if key in pallet:
            out[key] = pallet[key]
    inputs = pallet.get("inputs", {})
    if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
        raise LockError(f"{name}: [tool.pallet] key 'inputs' must be a table of strings")
    out["inputs"] = inputs
    if "fingerprint" not in out:
        raise LockError(
            f"{name}: [tool.pallet] fingerprint is missing; it was not written by pallet"
        )
    return out


def read_pallet_table(data: Mapping[str, Any], name: str = "pylock.toml") -> StoredFingerprint:
    """`StoredFingerprint` of a parsed lock (``content_intact`` False: the text is not known)."""
    table = _pallet_table(data, name)
    inputs = table["inputs"]
    assert isinstance(inputs, dict)
    return StoredFingerprint(
        fingerprint=str(table["fingerprint"]),
        input_digests=inputs,
        raw_inputs=str(table.get("raw-inputs", "")),
        inferred_requires_python=str(table.get("inferred-requires-python", "")),
        pyproject=str(table.get("pyproject", "")),
    )


def read_stored_fingerprint(path: Path | str) -> StoredFingerprint | None:
    """The fingerprint stored in a pylock.toml, or None when the file does not exist.

    Fast: only the ``[tool.pallet]`` tail pallet writes last is parsed; a file written by another
    tool (or hand-edited) is parsed whole. Raises `LockError` (one line, naming the file) when
    the file is a folder, cannot be read or parsed, or holds no well-formed pallet table.
    """
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError as exc:
        raise LockError(f"{path}: is a folder, not a lock file; move it away") from exc
    except OSError as exc:
        raise LockError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise LockError(f"{name}: not UTF-8 text ({exc.reason})") from exc
    return stored_fingerprint_of(text, name)


def stored_fingerprint_of(text: str, name: str = "pylock.toml") -> StoredFingerprint:
    """`read_stored_fingerprint` of a lock's text; `name` is the file name for messages."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib

    at = text.rfind(f"\n{TAIL_HEADER}\n")
    data: dict[str, Any] | None = None
    if at >= 0:
        try:
            data = tomllib.loads(text[at + 1 :])
        except tomllib.TOMLDecodeError:
            data = None
    if data is None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LockError(f"{name}: invalid TOML: {exc}") from exc
    stored = read_pallet_table(data, name)
    stored.content_intact = at >= 0 and _intact(text)
    return stored
