"""What ``pallet lock`` resolves from, beyond pyproject.toml: the command line's lock inputs
(``--exclude-newer``, ``--no-build``, ``--no-binary``), the effective exclude-newer cutoffs, and
the previous lock's pins."""

from __future__ import annotations

import argparse

from ..errors import PalletError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Union

    from packaging.utils import NormalizedName

    from ..lock.model import Lock
    from ..project.model import ProjectSpec
    from ..resolve.preferences import Pin

    Upgrade = Union[bool, frozenset[NormalizedName]]

__all__ = [
    "exclude_newer_cutoffs",
    "input_flags",
    "preferences_of",
    "with_build_flags",
    "with_exclude_newer",
]


def input_flags(args: argparse.Namespace) -> bool:
    """Whether a command-line flag is a lock input (``--exclude-newer``, ``--no-build``,
    ``--no-binary``): the fast path cannot see it, and a lock made with it records no
    pyproject digests, so that the next run without the flag compares fingerprints."""
    return (
        getattr(args, "exclude_newer", None) is not None
        or bool(getattr(args, "no_build", False))
        or bool(getattr(args, "no_binary", False))
    )


def with_exclude_newer(spec: ProjectSpec, value: str) -> ProjectSpec:
    import dataclasses

    from ..project.exclude_newer import parse_exclude_newer

    try:
        parsed = parse_exclude_newer(value)
    except ValueError as exc:
        raise PalletError(f"--exclude-newer: {exc}") from None
    resolution = dataclasses.replace(spec.resolution, exclude_newer=parsed)
    return dataclasses.replace(spec, resolution=resolution)


def with_build_flags(spec: ProjectSpec, args: argparse.Namespace) -> ProjectSpec:
    """``--no-build`` / ``--no-binary``: ``no-build = true`` / ``no-binary = true`` for this run
    (recorded in the lock's fingerprint, so a run without the flag locks again)."""
    import dataclasses

    no_build, no_binary = getattr(args, "no_build", False), getattr(args, "no_binary", False)
    if not (no_build or no_binary):
        return spec
    resolution = spec.resolution
    if (no_build and (no_binary or resolution.no_binary)) or (no_binary and resolution.no_build):
        raise PalletError(
            "--no-build and no-binary (or --no-binary and no-build) together leave packages "
            "with neither wheels nor sdists; use one of them"
        )
    resolution = dataclasses.replace(
        resolution,
        no_build=True if no_build else resolution.no_build,
        no_binary=True if no_binary else resolution.no_binary,
    )
    return dataclasses.replace(spec, resolution=resolution)


def exclude_newer_cutoffs(
    spec: ProjectSpec, previous: Lock | None, upgrade: Upgrade
) -> dict[str, str]:
    """The ``exclude-newer`` cutoff of each index (RFC 3339), by index name (``"*"``: the
    resolution's). A duration's cutoff recorded in the previous lock is kept while its setting
    is unchanged (same section digest) and no ``--upgrade`` asks for a fresh one."""
    from datetime import datetime, timezone

    from ..lock.fingerprint import input_digests
    from ..project.exclude_newer import format_cutoff

    now = datetime.now(timezone.utc)
    stored = dict(previous.exclude_newer) if previous and upgrade is not True else {}
    digests = dict(input_digests(spec))
    before = dict(previous.input_digests) if previous else {}
    settings = {"*": (spec.resolution.exclude_newer, "resolution")}
    settings.update({i.name: (i.exclude_newer, "indexes") for i in spec.indexes})
    out = {}
    for key, (setting, section) in settings.items():
        if setting is None:
            continue
        kept = stored.get(key) if setting.span is not None else None
        if kept is not None and before.get(section) == digests[section]:
            out[key] = kept
        else:
            out[key] = format_cutoff(setting.cutoff(now))
    return out


def preferences_of(previous: Lock | None) -> dict[NormalizedName, tuple[Pin, ...]]:
    """Locked versions to keep: every entry, each on the environments its marker covers."""
    from ..resolve.preferences import pins_of

    if previous is None:
        return {}
    return pins_of(
        ((p.name, p.version, p.marker) for p in previous.packages),
        previous.extras,
        previous.dependency_groups,
    )
