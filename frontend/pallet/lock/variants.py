"""The hardware variants a lock was resolved for, in its ``[tool.pallet]`` tail (issue 12)::

    [tool.pallet]
    …
    variants = [
        { name = "cu126", requires = "cuda>=12.6", index = "https://…/cu126", unavailable = "…" },
        { name = "rocm", requires = "rocm>=6.2", index = "https://…/rocm6.2" },
        { name = "cpu", default = true },
    ]
    cuda-minor-compat = true    # only when set

Variant names are the extras (PEP 685 normalized), most preferred first. ``unavailable`` is the
PEP 508 marker of the environments where the variant cannot install (its own packages have no
file there): the default variant is installed there whatever is selected.

Standard library only: sync reads it next to the sync stamp.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import LockError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from ..project.variants import VariantsConfig
    from ..resolve.universal import Resolution

__all__ = [
    "LockVariants",
    "LockedVariant",
    "lock_variants_of",
    "read_lock_variants",
    "variants_tail",
]

_ENTRY_KEYS = ("name", "requires", "index", "unavailable", "default")


@dataclass(frozen=True)
class LockedVariant:
    """One variant as the lock records it; ``index`` is the index URL (no credentials)."""

    name: str
    requires: str | None = None
    index: str | None = None
    unavailable: str | None = None


@dataclass(frozen=True)
class LockVariants:
    """The variants in preference order, the default one and the CUDA judging mode."""

    order: tuple[LockedVariant, ...]
    default: str
    cuda_minor_compat: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(variant.name for variant in self.order)


def read_lock_variants(
    pallet_table: Mapping[str, Any], name: str = "pylock.toml"
) -> LockVariants | None:
    """The lock's ``[tool.pallet]`` table as parsed -> `LockVariants`; None when the lock has no
    variants. Malformed -> `LockError` naming the key."""
    raw = pallet_table.get("variants")
    compat = pallet_table.get("cuda-minor-compat", False)
    if raw is None:
        return None
    where = f"{name}: [tool.pallet] key 'variants'"
    if not isinstance(raw, list) or len(raw) < 2:
        raise LockError(f"{where}: must be an array of at least two variant tables")
    order: list[LockedVariant] = []
    defaults: list[str] = []
    for i, entry in enumerate(raw):
        at = f"{where} entry {i + 1}"
        if not isinstance(entry, dict):
            raise LockError(f"{at}: must be a table, not {type(entry).__name__}")
        for key in entry:
            if key not in _ENTRY_KEYS:
                raise LockError(f"{at}: key {key!r} is not allowed")
        variant = entry.get("name")
        if not isinstance(variant, str) or not variant:
            raise LockError(f"{at}: 'name' must be a non-empty string")
        if variant in (v.name for v in order):
            raise LockError(f"{at}: variant {variant!r} is listed twice")
        for key in ("requires", "index", "unavailable"):
            if key in entry and not isinstance(entry[key], str):
                raise LockError(f"{at}: {key!r} must be a string")
        default = entry.get("default", False)
        if not isinstance(default, bool):
            raise LockError(f"{at}: 'default' must be true or false")
        if default:
            defaults.append(variant)
        order.append(
            LockedVariant(
                name=variant,
                requires=entry.get("requires"),
                index=entry.get("index"),
                unavailable=entry.get("unavailable"),
            )
        )
    if len(defaults) != 1:
        raise LockError(f"{where}: exactly one variant must be marked default = true")
    if not isinstance(compat, bool):
        raise LockError(f"{name}: [tool.pallet] key 'cuda-minor-compat' must be true or false")
    return LockVariants(order=tuple(order), default=defaults[0], cuda_minor_compat=compat)


def lock_variants_of(resolution: Resolution, config: VariantsConfig | None) -> LockVariants | None:
    """What the lock records of a resolution's variants (None for a project without them)."""
    if config is None or not resolution.variants:
        return None
    return LockVariants(
        order=tuple(
            LockedVariant(
                name=v.name,
                requires=v.requires,
                index=v.index,
                unavailable=None if v.unavailable is None else str(v.unavailable),
            )
            for v in resolution.variants
        ),
        default=config.default,
        cuda_minor_compat=config.cuda_minor_compat,
    )


def _string(text: str) -> str:
    """A TOML basic string (the escapes of TOML 1.0; markers hold double quotes)."""
    out = []
    for c in text:
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif c < " " or c == "\x7f":
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def variants_tail(variants: LockVariants) -> list[str]:
    """The lines `lock.pylock` writes into ``[tool.pallet]`` for these variants."""
    lines = ["variants = ["]
    for variant in variants.order:
        keys = [f"name = {_string(variant.name)}"]
        for key, value in (
            ("requires", variant.requires),
            ("index", variant.index),
            ("unavailable", variant.unavailable),
        ):
            if value is not None:
                keys.append(f"{key} = {_string(value)}")
        if variant.name == variants.default:
            keys.append("default = true")
        lines.append("    { " + ", ".join(keys) + " },")
    lines.append("]")
    if variants.cuda_minor_compat:
        lines.append("cuda-minor-compat = true")
    return lines
