"""The lock's fingerprint: sha256 over the normalized inputs that decide what the lock holds.

Inputs are grouped in sections (requires-python, dependencies, extras, groups, indexes,
resolution, lock format); each section is normalized (names canonicalized, requirement lists
sorted, specifiers in packaging's canonical order) and serialized as canonical JSON, so
reformatting pyproject.toml, reordering requirements or changing unrelated keys (description,
[tool.ruff], …) leaves the fingerprint alone. Per-section digests are stored beside the
fingerprint in ``[tool.pallet]`` so that a stale lock can say which input changed.

This module is on the fast path of ``pallet lock``: it imports no index or resolver code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ..errors import LockError
from ..project.model import ProjectSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

__all__ = [
    "LOCK_FORMAT",
    "SECTION_LABELS",
    "StoredFingerprint",
    "compute_fingerprint",
    "input_digests",
    "read_stored_fingerprint",
    "stale_sections",
]

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


def _indexes(spec: ProjectSpec) -> dict[str, Any]:
    section: dict[str, Any] = {
        "indexes": sorted(
            [index.name, index.url, index.default, index.explicit, index.format]
            for index in spec.indexes
        ),
        "sources": sorted([name, index] for name, index in spec.sources.items()),
    }
    if spec.direct_sources:  # only when present, so that older locks keep their fingerprint
        # The sources as written: a changed path or rev re-locks; a directory's content does
        # not (it is read again on the next lock).
        section["direct-sources"] = sorted(
            [name, dataclasses.astuple(source)] for name, source in spec.direct_sources.items()
        )
    return section


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
        "indexes": _indexes(spec),
        "resolution": {
            "prerelease": spec.resolution.prerelease,
            "max-python": spec.resolution.max_python,
            "environments": list(spec.resolution.environments),  # order is kept in the lock
        },
        "format": LOCK_FORMAT,
    }


def _digest(data: object) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


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


@dataclass(frozen=True)
class StoredFingerprint:
    """``[tool.pallet]`` of an existing pylock.toml: the fingerprint and section digests."""

    fingerprint: str
    input_digests: Mapping[str, str]


def read_stored_fingerprint(path: Path) -> StoredFingerprint | None:
    """The fingerprint stored in a pylock.toml, or None when the file does not exist.

    Fast: pallet writes ``[tool.pallet]`` last, so only that tail is parsed; a file written by
    another tool (or hand-edited) is parsed whole. Raises `LockError` when the file cannot be
    parsed or holds no pallet fingerprint.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise LockError(f"{path.name}: cannot be read: {exc}") from exc
    tail = text.rfind("\n[tool.pallet]\n")
    data: dict[str, Any] | None = None
    if tail >= 0:
        try:
            data = tomllib.loads(text[tail:])
        except tomllib.TOMLDecodeError:
            data = None
    if data is None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LockError(f"{path.name}: invalid TOML: {exc}") from exc
    pallet = data.get("tool", {}).get("pallet", {}) if isinstance(data.get("tool"), dict) else {}
    fingerprint = pallet.get("fingerprint") if isinstance(pallet, dict) else None
    if not isinstance(fingerprint, str):
        raise LockError(
            f"{path.name}: [tool.pallet] fingerprint is missing; it was not written by pallet"
        )
    raw_digests = pallet.get("inputs", {})
    digests = (
        {k: v for k, v in raw_digests.items() if isinstance(v, str)}
        if isinstance(raw_digests, dict)
        else {}
    )
    return StoredFingerprint(fingerprint, digests)
