"""The lock's inputs as digests: is pylock.toml up to date with pyproject.toml?

Two digests of the inputs, stored in the lock's ``[tool.pallet]`` table (see `lock.stamp`):

- ``fingerprint``: sha256 over the *normalized* inputs that decide what the lock holds, grouped in
  sections (requires-python, dependencies, extras, groups, indexes, resolution, lock format). Each
  section is normalized (names canonicalized, requirement lists sorted, specifiers in packaging's
  canonical order) and serialized as canonical JSON, so reformatting pyproject.toml, reordering
  requirements or changing unrelated keys (description, [tool.ruff], ...) leaves it alone.
  Per-section digests (``inputs``) let a stale lock say which input changed.
- ``raw-inputs``: sha256 over the same keys of pyproject.toml as TOML parsed them, before any
  normalization: cheap to compute (no ``packaging`` import, about 100 ms), so the fast path of
  ``pallet lock`` compares it first; only when it differs are the inputs normalized.

This module is on the fast path: it imports only the standard library at module level.
"""

from __future__ import annotations

from .stamp import LOCK_FORMAT, sha256_hex

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from packaging.requirements import Requirement

    from ..project.model import ProjectSpec

__all__ = [
    "LOCK_FORMAT",
    "SECTION_LABELS",
    "compute_fingerprint",
    "input_digests",
    "raw_input_digest",
    "stale_sections",
]

#: Section -> what a user edits to change it (used in staleness messages).
SECTION_LABELS = {
    "requires-python": "[project] requires-python",
    "dependencies": "[project] name or dependencies",
    "optional-dependencies": "[project.optional-dependencies]",
    "dependency-groups": "[dependency-groups] (or [tool.pallet] default-groups)",
    "indexes": "[[tool.pallet.index]] or [tool.pallet.sources]",
    "resolution": "[tool.pallet.resolution]",
    "variants": "[tool.pallet.variants]",
    "workspace": "a workspace member's pyproject.toml",
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


def _indexes(spec: ProjectSpec) -> dict[str, Any]:
    section: dict[str, Any] = {
        "indexes": sorted(
            [index.name, index.url, index.default, index.explicit, index.format]
            # as written: a duration ("7 days") keeps the fingerprint still as time passes
            + ([index.exclude_newer.text] if index.exclude_newer else [])
            for index in spec.indexes
        ),
        "sources": sorted([name, index] for name, index in spec.sources.items()),
    }
    if spec.direct_sources:  # only when present, so that older locks keep their fingerprint
        import dataclasses  # off the fast path

        # The sources as written: a changed path or rev re-locks; a directory's content does
        # not (it is read again on the next lock).
        section["direct-sources"] = sorted(
            [name, dataclasses.astuple(source)] for name, source in spec.direct_sources.items()
        )
    return section


def _variants(spec: ProjectSpec) -> dict[str, Any]:
    """``[tool.pallet.variants]`` (only when present, so that other locks keep their
    fingerprint): the order is an input (it decides which variant a selection installs)."""
    if spec.variants is None:
        return {}
    config = spec.variants
    return {
        "variants": {
            "order": [[v.name, v.requires, v.index, sorted(v.packages)] for v in config.order],
            "default": config.default,
            "cuda-minor-compat": config.cuda_minor_compat,
        }
    }


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
            "fork-strategy": spec.resolution.fork_strategy,
            "required-environments": sorted(spec.resolution.required_environments),
            "implementations": sorted(spec.resolution.implementations),
            "linux-libc": sorted(spec.resolution.linux_libc),
            **(
                {"exclude-newer": spec.resolution.exclude_newer.text}
                if spec.resolution.exclude_newer
                else {}
            ),
            **_switches(spec),
        },
        **_variants(spec),
        **_workspace(spec),
        "format": LOCK_FORMAT,
    }


def _workspace(spec: ProjectSpec) -> dict[str, Any]:
    """The members' own inputs (their requirements reach the lock through their metadata, so
    the workspace's spec alone would not change when a member's do); absent outside one."""
    if not spec.workspace_members:
        return {}
    return {
        "workspace": {
            member.root.relative_to(spec.root).as_posix(): {
                "name": member.name,
                "version": member.version,  # the lock's directory entry records it
                "requires-python": str(member.requires_python),
                "dependencies": _requirements(member.dependencies),
                "optional-dependencies": {
                    e: _requirements(r) for e, r in member.optional_dependencies.items()
                },
                "workspace-sources": sorted(member.workspace_sources),
            }
            for member in spec.workspace_members
        }
    }


def _switches(spec: ProjectSpec) -> dict[str, object]:
    """``no-build`` / ``no-binary`` when set (absent when off, so that locks written before
    these keys existed keep their fingerprint): true, or the sorted normalized names."""
    out: dict[str, object] = {}
    for key, switch in (
        ("no-build", spec.resolution.no_build),
        ("no-binary", spec.resolution.no_binary),
    ):
        if switch:
            out[key] = True if switch is True else sorted(switch)
    return out


def _digest(data: object) -> str:
    import json  # off the fast path

    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return sha256_hex(text.encode("ascii"))


def compute_fingerprint(spec: ProjectSpec) -> str:
    """``sha256:<hex>`` over every section of the normalized lock inputs."""
    return "sha256:" + _digest(_sections(spec))


def input_digests(spec: ProjectSpec) -> tuple[tuple[str, str], ...]:
    """Per-section short digests (16 hex digits), in `SECTION_LABELS` order."""
    sections = _sections(spec)
    return tuple(
        (name, _digest(sections[name])[:16]) for name in SECTION_LABELS if name in sections
    )


def stale_sections(stored: Mapping[str, str], current: Iterable[tuple[str, str]]) -> list[str]:
    """Labels of the sections whose digest differs from the stored one (all when none stored),
    and of optional sections (``variants``) stored but no longer present."""
    current = tuple(current)
    names = {name for name, _ in current}
    changed = [SECTION_LABELS[name] for name, digest in current if stored.get(name) != digest]
    gone = [label for name, label in SECTION_LABELS.items() if name in stored and name not in names]
    return changed + gone


#: ``[project]`` keys the lock depends on. ``dynamic`` decides whether pallet may lock at all;
#: ``classifiers`` count only without ``requires-python`` (they suggest the Python floor then).
_RAW_PROJECT_KEYS = ("name", "requires-python", "dependencies", "optional-dependencies", "dynamic")
#: ``[tool.pallet]`` keys that are not lock inputs: the build backend's sub-tables, and what
#: only ``pallet run`` reads (tasks, env files: docs/tasks.md)
_BUILD_TABLES = ("build", "version", "scripts", "env-file")


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
    return "sha256:" + sha256_hex(_canonical(raw).encode("utf-8"))


def _canonical(value: object) -> str:
    """One text per TOML value: tables with sorted keys, everything else by `repr` (which keeps
    ``"1"``, ``1`` and ``true`` apart). Cheaper to import than json."""
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{k!r}:{_canonical(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)
