# ruff: noqa: PTH119
"""The lock's fingerprint and staleness: is pylock.toml up to date with pyproject.toml?

Two digests, stored in the lock's ``[tool.pallet]`` table (written last, so only that tail is
parsed):

- ``fingerprint``: sha256 over the *normalized* inputs that decide what the lock holds, grouped in
  sections (requires-python, dependencies, extras, groups, indexes, resolution, lock format). Each
  section is normalized (names canonicalized, requirement lists sorted, specifiers in packaging's
  canonical order) and serialized as canonical JSON, so reformatting pyproject.toml, reordering
  requirements or changing unrelated keys (description, [tool.ruff], ...) leaves it alone.
  Per-section digests (``inputs``) let a stale lock say which input changed.
- ``raw-inputs``: sha256 over the same keys of pyproject.toml as TOML parsed them, before any
  normalization, and ``content``: sha256 over the lock's own text above ``[tool.pallet]``. When
  both match, the lock is what pallet wrote for these very inputs: the fast path of ``pallet lock``
  stops there without importing ``packaging`` (about 100 ms). Any mismatch (a reformatted
  pyproject.toml, a hand-edited or merge-conflicted lock, a hash removed) sends pallet down the
  full path, which parses and validates everything.

This module is on the fast path: it imports only the standard library at module level, and reads
the lock through ``os.path`` (pathlib is not imported on that path).
"""

from __future__ import annotations

import os
import sys

from ..errors import LockError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from pathlib import Path
    from typing import Any

    from packaging.requirements import Requirement

    from ..project.model import ProjectSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib


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

__all__ = [
    "LOCK_FORMAT",
    "SECTION_LABELS",
    "TAIL_HEADER",
    "StoredFingerprint",
    "compute_fingerprint",
    "content_digest",
    "input_digests",
    "raw_input_digest",
    "read_stored_fingerprint",
    "split_lock_text",
    "stale_sections",
]

#: The line that starts pallet's table; pallet writes it last in pylock.toml.
TAIL_HEADER = "[tool.pallet]"
#: Bump when pallet writes a different lock for the same inputs (a new key, another wheel
#: selection rule, …): every existing lock then reads as stale.
LOCK_FORMAT = 1

#: Section -> what a user edits to change it (used in staleness messages).
SECTION_LABELS = {
    "requires-python": "[project] requires-python",
    "dependencies": "[project] name or dependencies",
    "optional-dependencies": "[project.optional-dependencies]",
    "dependency-groups": "[dependency-groups] (or [tool.pallet] default-groups)",
    "indexes": "[[tool.pallet.index]] or [tool.pallet.sources]",
    "resolution": "[tool.pallet.resolution]",
    "format": "the lock format (pallet was upgraded)",
}


def _requirement(requirement: Requirement) -> str:
    """A requirement in one canonical spelling (name and extras normalized, specifiers sorted)."""
    from packaging.utils import canonicalize_name  # off the fast path

    extras = ",".join(sorted(canonicalize_name(e) for e in requirement.extras))
    text: str = canonicalize_name(requirement.name)
    if extras:
        text += f"[{extras}]"
    if requirement.url:
        text += f" @ {requirement.url}"
    else:
        text += str(requirement.specifier)
    if requirement.marker is not None:
        text += f"; {requirement.marker}"
    return text


def _requirements(requirements: Iterable[Requirement]) -> list[str]:
    return sorted({_requirement(r) for r in requirements})


def _sections(spec: ProjectSpec) -> dict[str, Any]:
    return {
        "requires-python": str(spec.requires_python),
        "dependencies": {"name": spec.name, "requirements": _requirements(spec.dependencies)},
        "optional-dependencies": {
            extra: _requirements(reqs) for extra, reqs in spec.optional_dependencies.items()
        },
        "dependency-groups": {
            "groups": {
                group: _requirements(reqs) for group, reqs in spec.dependency_groups.items()
            },
            "default": sorted(spec.default_groups),
        },
        "indexes": {
            "indexes": sorted(
                [index.name, index.url, index.default, index.explicit, index.format]
                for index in spec.indexes
            ),
            "sources": sorted([name, index] for name, index in spec.sources.items()),
        },
        "resolution": {
            "prerelease": spec.resolution.prerelease,
            "max-python": spec.resolution.max_python,
            "environments": list(spec.resolution.environments),  # order is kept in the lock
        },
        "format": LOCK_FORMAT,
    }


def _digest(data: object) -> str:
    import json  # off the fast path

    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return str(_sha256(text.encode("ascii")).hexdigest())


def compute_fingerprint(spec: ProjectSpec) -> str:
    """``sha256:<hex>`` over every section of the normalized lock inputs."""
    return "sha256:" + _digest(_sections(spec))


def input_digests(spec: ProjectSpec) -> tuple[tuple[str, str], ...]:
    """Per-section short digests (16 hex digits), in `SECTION_LABELS` order."""
    sections = _sections(spec)
    return tuple((name, _digest(sections[name])[:16]) for name in SECTION_LABELS)


def stale_sections(stored: Mapping[str, str], current: Iterable[tuple[str, str]]) -> list[str]:
    """Labels of the sections whose digest differs from the stored one (all when none stored)."""
    return [SECTION_LABELS[name] for name, digest in current if stored.get(name) != digest]


#: ``[project]`` keys the lock depends on. ``dynamic`` decides whether pallet may lock at all;
#: ``classifiers`` count only without ``requires-python`` (they suggest the Python floor then).
_RAW_PROJECT_KEYS = ("name", "requires-python", "dependencies", "optional-dependencies", "dynamic")
#: ``[tool.pallet]`` sub-tables of the build backend: not lock inputs.
_BUILD_TABLES = ("build", "version")


def raw_input_digest(pyproject: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` over the lock's inputs as TOML parsed them from pyproject.toml.

    Cheap (no packaging import): reformatting and comments do not change it (TOML parsed them
    away), but any edit to an input does, even one the normalized `compute_fingerprint` ignores.
    """
    project = pyproject.get("project")
    project = project if isinstance(project, dict) else {}
    tool = pyproject.get("tool")
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    pallet = pallet if isinstance(pallet, dict) else {}
    raw: dict[str, Any] = {
        "project": {k: project[k] for k in _RAW_PROJECT_KEYS if k in project},
        "dependency-groups": pyproject.get("dependency-groups"),
        "tool.pallet": {k: v for k, v in pallet.items() if k not in _BUILD_TABLES},
        "format": LOCK_FORMAT,
    }
    if "requires-python" not in project:
        raw["project"]["classifiers"] = project.get("classifiers")
    return _hex(_canonical(raw))


def _canonical(value: object) -> str:
    """One text per TOML value: tables with sorted keys, everything else by `repr` (which keeps
    ``"1"``, ``1`` and ``true`` apart). Cheaper to import than json."""
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{k!r}:{_canonical(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)


def split_lock_text(text: str) -> tuple[str, str] | None:
    """``(body, tail)`` of a pylock.toml: tail starts at the last ``[tool.pallet]`` line."""
    at = text.rfind(f"\n{TAIL_HEADER}\n")
    return None if at < 0 else (text[: at + 1], text[at + 1 :])


def content_digest(body: str) -> str:
    """``sha256:<hex>`` of a lock's text above ``[tool.pallet]`` (what `split_lock_text` cuts)."""
    return _hex(body)


def _hex(text: str) -> str:
    return "sha256:" + str(_sha256(text.encode("utf-8")).hexdigest())


class StoredFingerprint:
    """``[tool.pallet]`` of an existing pylock.toml (a plain class: cheaper to import than
    dataclasses or typing.NamedTuple, which matters on the fast path)."""

    __slots__ = (
        "content_intact",
        "fingerprint",
        "inferred_requires_python",
        "input_digests",
        "raw_inputs",
    )

    def __init__(
        self,
        fingerprint: str,
        input_digests: Mapping[str, str],
        raw_inputs: str = "",
        content_intact: bool = False,
        inferred_requires_python: str = "",
    ) -> None:
        self.fingerprint = fingerprint
        self.input_digests = input_digests
        #: `raw_input_digest` of the pyproject.toml it was locked from ("" in older locks)
        self.raw_inputs = raw_inputs
        #: True when the lock's text above [tool.pallet] is exactly what pallet wrote
        self.content_intact = content_intact
        #: the requires-python pallet inferred when the project declares none ("" otherwise)
        self.inferred_requires_python = inferred_requires_python


_STRING_KEYS = {
    "fingerprint": "fingerprint",
    "raw-inputs": "raw_inputs",
    "content": "content",
    "inferred-requires-python": "inferred_requires_python",
}


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
    """`StoredFingerprint` of a parsed lock (``content_intact`` is False: the text is not known)."""
    table = _pallet_table(data, name)
    inputs = table["inputs"]
    assert isinstance(inputs, dict)
    return StoredFingerprint(
        fingerprint=str(table["fingerprint"]),
        input_digests=inputs,
        raw_inputs=str(table.get("raw-inputs", "")),
        inferred_requires_python=str(table.get("inferred-requires-python", "")),
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
    parts = split_lock_text(text)
    data: dict[str, Any] | None = None
    if parts is not None:
        try:
            data = tomllib.loads(parts[1])
        except tomllib.TOMLDecodeError:
            data = None
    if data is None or parts is None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LockError(f"{name}: invalid TOML: {exc}") from exc
        parts = None  # the tail is not pallet's own: nothing vouches for the body
    table = _pallet_table(data, name)
    inputs = table["inputs"]
    assert isinstance(inputs, dict)
    stored_content = table.get("content")
    intact = (
        parts is not None
        and isinstance(stored_content, str)
        and content_digest(parts[0]) == stored_content
        # PEP 751: every file has at least one hash; pallet's emitter writes none as "{}"
        and "hashes = {}" not in parts[0]
    )
    return StoredFingerprint(
        fingerprint=str(table["fingerprint"]),
        input_digests=inputs,
        raw_inputs=str(table.get("raw-inputs", "")),
        content_intact=intact,
        inferred_requires_python=str(table.get("inferred-requires-python", "")),
    )
