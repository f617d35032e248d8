# ruff: noqa: PTH105, PTH118
"""The hardware variant an environment holds, as its files record it; standard library only.

A sync of a lock with variants (docs/sync.md, "Variants") adds these keys to the sync stamp
(`install.stamp`, ``.venv/.pallet-sync.json``), which the fast paths of ``pallet sync`` and
``pallet run`` read:

- ``variant``: the variant extra installed (``cu126``);
- ``variant-mode``: why: ``auto`` (detected), ``requested`` (``--variant``, ``PALLET_VARIANT``,
  ``--extra``), ``forced`` (``--force-variant``);
- ``variants``: the lock's variant extras, comma-separated (the fast path tells ``--extra
  cu126`` from an ordinary extra without reading the lock);
- ``machine``: a digest of the detected `variants.facts.MachineFacts` the choice was made on
  (empty when nothing was detected), and ``machine-cache``: the cache root detection used.

The stamp is removed while a sync changes the environment, so the choice is also kept apart, in
``.venv/.pallet-variant.json`` (`read_record`, `write_record`): a ``--variant`` request outlives
an interrupted sync.
"""

from __future__ import annotations

import os

from .. import envvars
from ..install.stamp import normalize_name, read_stamp
from ..lock.stamp import sha256_hex

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "AUTO",
    "VARIANT_RECORD",
    "fast_variant_extras",
    "machine_digest",
    "read_record",
    "requested_variants",
    "write_record",
]

VARIANT_RECORD = ".pallet-variant.json"
#: ``--variant auto`` (and ``PALLET_VARIANT=auto``): detect, and forget a recorded request
AUTO = "auto"


def machine_digest(facts: object) -> str:
    """A digest of detected facts (a frozen dataclass: its ``repr`` is its value)."""
    return sha256_hex(repr(facts).encode("utf-8"))[:32]


def requested_variants(
    variants: Sequence[str], flag: str | None, extras: Sequence[str], env: Mapping[str, str]
) -> tuple[list[tuple[str, str]], bool]:
    """The variants a command line asks for, each with where (``--variant``, ``--extra``,
    ``PALLET_VARIANT``), and whether ``auto`` was asked. ``--extra V`` for a variant extra V is
    ``--variant V``; the options win over ``PALLET_VARIANT`` (as ``--python`` over
    ``PALLET_PYTHON``). A ``--variant`` that names no variant is kept
    (`variants.choose.choose` says which exist)."""
    names = {normalize_name(v) for v in variants}
    asked = [(normalize_name(e), "--extra") for e in extras if normalize_name(e) in names]
    auto = False
    if flag is not None:
        if normalize_name(flag) == AUTO:
            auto = True
        else:
            asked.insert(0, (normalize_name(flag), "--variant"))
    from_env = env.get(envvars.PALLET_VARIANT, "").strip()
    if from_env and not asked and not auto and normalize_name(from_env) != AUTO:
        asked.append((normalize_name(from_env), envvars.PALLET_VARIANT))
    return asked, auto


def read_record(venv: str) -> tuple[str, str] | None:
    """(variant, mode) the environment's last sync chose; None when there is none."""
    record = read_stamp(os.path.join(venv, VARIANT_RECORD))
    if not record or not record.get("variant") or not record.get("variant-mode"):
        return None
    return record["variant"], record["variant-mode"]


def write_record(venv: str, variant: str, mode: str) -> None:
    """Record the choice (atomically), before the sync that installs it changes anything."""
    path = os.path.join(venv, VARIANT_RECORD)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as stream:
        stream.write(f'{{\n"variant": "{variant}",\n"variant-mode": "{mode}"\n}}\n')
    os.replace(tmp, path)


def fast_variant_extras(
    venv: str,
    extras: Sequence[str],
    flag: str | None,
    force: bool,
    env: Mapping[str, str],
    *,
    detect: bool,
) -> list[str] | None:
    """`extras` without the variant extras when the environment certainly holds the variant
    this command would choose; None when not certain (the full command decides, and explains
    any error). `detect`: re-detect the machine (cached) when the choice was detected or
    requested (``pallet sync``); ``pallet run`` keeps what the environment has."""
    stamp = read_stamp(os.path.join(venv, ".pallet-sync.json"))
    if stamp is None:
        return None
    variants = [v for v in stamp.get("variants", "").split(",") if v]
    if not variants:  # a lock without variants: as before, but --variant is the full path's
        return None if (flag is not None and normalize_name(flag) != AUTO) or force else [*extras]
    asked, auto = requested_variants(variants, flag, extras, env)
    plain = [e for e in extras if normalize_name(e) not in variants]
    names = {name for name, _ in asked}
    if len(names) > 1 or (auto and names) or (force and not names):
        return None
    recorded, mode = stamp.get("variant", ""), stamp.get("variant-mode", "")
    if names:
        if names != {recorded} or mode != ("forced" if force else "requested"):
            return None
        check = mode == "requested"  # a request is checked against the machine; forced is not
    elif auto:
        check = mode == "auto"
        if not check:
            return None  # --variant auto forgets the request: the full command records that
    else:
        check = mode == "auto" and detect
    if check and not _same_machine(stamp, env):
        return None
    return plain


def _same_machine(stamp: Mapping[str, str], env: Mapping[str, str]) -> bool:
    """The machine detected now (cached per boot, `variants.detect.detect_cached`) is the one
    the recorded choice was made on."""
    if not stamp.get("machine"):
        return False
    from ..variants.detect import machine_facts

    try:
        facts = machine_facts(env, stamp.get("machine-cache") or None)
    except Exception:  # not certain: the full command reports it properly
        return False
    return machine_digest(facts) == stamp["machine"]
