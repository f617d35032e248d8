"""``[tool.pallet.variants]``: mutually exclusive extras chosen by hardware (issue 12).

::

    [tool.pallet.variants]
    extras = ["cu126", "rocm", "cpu"]   # the variant extras, most preferred first
    default = "cpu"                     # installed where nothing else fits, and by plain installers
    cuda-minor-compat = false           # judge CUDA by minor-version compatibility (opt-in)

    [tool.pallet.variants.cu126]
    requires = "cuda>=12.6"             # pallet.variants.requirement's language
    index = "pytorch-cu126"             # a [[tool.pallet.index]] name
    packages = ["torchaudio"]           # more names taken from `index`

Extra names are normalized (PEP 685). Every problem names ``[tool.pallet.variants] '<key>'`` and
is collected in `Problems`, raised once by the caller.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from .model import PROJECT_NAME, IndexConfig
from .problems import Problems, did_you_mean, type_name

__all__ = ["VariantSpec", "VariantsConfig", "parse_variants"]

_TABLE = "tool.pallet.variants"
_KEYS = ("extras", "default", "cuda-minor-compat")
_VARIANT_KEYS = ("requires", "index", "packages")


@dataclass(frozen=True)
class VariantSpec:
    """One variant: its extra (normalized, PEP 685), requirement text, index name and the extra
    package names taken from that index."""

    name: str
    requires: str | None = None
    index: str | None = None
    packages: tuple[NormalizedName, ...] = ()


@dataclass(frozen=True)
class VariantsConfig:
    """The variant extras in preference order (most preferred first) and the default one."""

    order: tuple[VariantSpec, ...]
    default: str
    cuda_minor_compat: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(variant.name for variant in self.order)

    def get(self, name: str) -> VariantSpec:
        for variant in self.order:
            if variant.name == name:
                return variant
        raise KeyError(name)


def _requirement_checker() -> Callable[[str], object] | None:
    """`pallet.variants.requirement.parse_requirement` (raises ValueError with a one-line
    message on bad text); None where the detection layer is not installed."""
    try:
        module: Any = importlib.import_module("pallet.variants.requirement")
    except ImportError:  # pragma: no cover - the detection layer ships with pallet
        return None
    parse: Callable[[str], object] = module.parse_requirement
    return parse


def parse_variants(
    raw: object,
    extras: Collection[str],
    indexes: tuple[IndexConfig, ...],
    problems: Problems,
) -> VariantsConfig | None:
    """``[tool.pallet.variants]`` (parsed TOML or None) -> `VariantsConfig`; ``extras``: the
    project's normalized extra names. None when absent or when it has problems."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.add_plain(_TABLE, f"[{_TABLE}] must be a table, not {type_name(raw)}")
        return None
    before = len(problems.messages)
    tables = {k: v for k, v in raw.items() if isinstance(v, dict)}
    for key in raw:
        if key not in _KEYS and key not in tables:
            problems.add(_TABLE, key, f"{key!r}: key is not allowed{did_you_mean(key, _KEYS)}")
    order = _extras(raw.get("extras"), extras, problems)
    default = _default(raw.get("default"), order, problems)
    compat = raw.get("cuda-minor-compat", False)
    if not isinstance(compat, bool):
        problems.add(
            _TABLE,
            "cuda-minor-compat",
            f"'cuda-minor-compat': must be true or false, not {type_name(compat)}",
        )
        compat = False
    known_indexes = {index.name for index in indexes}
    specs: dict[str, VariantSpec] = {}
    for key, table in tables.items():
        name = canonicalize_name(key) if PROJECT_NAME.match(key) else key
        if name not in order:
            listed = ", ".join(order) or "none"
            problems.add(
                _TABLE,
                key,
                f"{key!r}: a variant table for an extra not listed in 'extras' ({listed})",
            )
            continue
        spec = _variant(key, name, table, known_indexes, problems)
        if spec is not None:
            specs[name] = spec
    if len(problems.messages) > before or default is None:
        return None
    return VariantsConfig(
        order=tuple(specs.get(name, VariantSpec(name)) for name in order),
        default=default,
        cuda_minor_compat=compat,
    )


def _extras(value: object, extras: Collection[str], problems: Problems) -> tuple[str, ...]:
    if value is None:
        problems.add(
            _TABLE, "extras", "'extras': missing; list the variant extras, most preferred first"
        )
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(
            _TABLE, "extras", f"'extras': must be an array of extra names, not {type_name(value)}"
        )
        return ()
    order: list[str] = []
    for text in value:
        name = canonicalize_name(text) if PROJECT_NAME.match(text) else text
        if name not in extras:
            defined = ", ".join(sorted(extras)) or "none"
            problems.add(
                _TABLE,
                "extras",
                f"'extras': {text!r} is not an extra in [project.optional-dependencies] "
                f"(defined: {defined})",
            )
        elif name in order:
            problems.add(_TABLE, "extras", f"'extras': {text!r} is listed twice")
        else:
            order.append(name)
    if len(value) < 2:
        problems.add(
            _TABLE,
            "extras",
            f"'extras': needs at least two variant extras, found {len(value)}",
        )
    return tuple(order)


def _default(value: object, order: tuple[str, ...], problems: Problems) -> str | None:
    if value is None:
        problems.add(
            _TABLE, "default", "'default': missing; name the variant installed where no other fits"
        )
        return None
    if not isinstance(value, str):
        problems.add(_TABLE, "default", f"'default': must be a string, not {type_name(value)}")
        return None
    name = canonicalize_name(value) if PROJECT_NAME.match(value) else value
    if name not in order:
        listed = ", ".join(order) or "none"
        problems.add(_TABLE, "default", f"'default': {value!r} is not one of 'extras' ({listed})")
        return None
    return name


def _variant(
    key: str,
    name: str,
    table: Mapping[str, Any],
    known_indexes: Collection[str],
    problems: Problems,
) -> VariantSpec | None:
    where = f"{_TABLE}.{key}"
    ok = True
    for item in table:
        if item not in _VARIANT_KEYS:
            problems.add(
                where, item, f"{item!r}: key is not allowed{did_you_mean(item, _VARIANT_KEYS)}"
            )
            ok = False
    requires = table.get("requires")
    if requires is not None:
        if not isinstance(requires, str):
            problems.add(
                where, "requires", f"'requires': must be a string, not {type_name(requires)}"
            )
            ok = False
        else:
            check = _requirement_checker()
            try:
                if check is not None:
                    check(requires)
            except ValueError as exc:
                detail = str(exc).splitlines()[0] if str(exc) else "invalid"
                # the parser's message quotes the text itself
                problems.add(where, "requires", f"'requires': {detail}")
                ok = False
    index = table.get("index")
    if index is not None:
        if not isinstance(index, str):
            problems.add(where, "index", f"'index': must be a string, not {type_name(index)}")
            ok = False
        elif index not in known_indexes:
            defined = ", ".join(known_indexes) or "none"
            problems.add(
                where,
                "index",
                f"'index': {index!r} is not a [[tool.pallet.index]] name (defined: {defined})",
            )
            ok = False
    raw_packages = table.get("packages", [])
    packages: list[NormalizedName] = []
    if not isinstance(raw_packages, list):
        problems.add(
            where,
            "packages",
            f"'packages': must be an array of package names, not {type_name(raw_packages)}",
        )
        ok = False
        raw_packages = []
    for i, item in enumerate(raw_packages):
        if not isinstance(item, str) or not PROJECT_NAME.match(item):
            shown = repr(item) if isinstance(item, str) else type_name(item)
            problems.add(
                where, "packages", f"'packages' entry {i + 1}: {shown} is not a package name"
            )
            ok = False
            continue
        packages.append(canonicalize_name(item))
    if packages and index is None:
        problems.add(
            where,
            "packages",
            "'packages': names packages taken from the variant's index, but 'index' is not set",
        )
        ok = False
    if not ok:
        return None
    return VariantSpec(
        name=name,
        requires=requires,
        index=index,
        packages=tuple(dict.fromkeys(packages)),
    )
