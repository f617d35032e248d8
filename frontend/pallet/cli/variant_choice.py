"""Which hardware variant a sync installs: a request, the environment's record, or the machine.

The order (docs/sync.md, "Variants"; issue 12): a request (``--variant NAME``, ``--extra NAME``
for a variant extra, ``PALLET_VARIANT``; two different ones are an error) is checked against the
machine and refused when unmet unless ``--force-variant``; else the environment's recorded
request stays (``--variant auto`` forgets it); else ``pallet run`` keeps whatever variant the
environment has; else the machine decides (`variants.choose.choose` on the cached detection,
`variants.detect.machine_facts`). A lock without variants behaves as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import envvars
from ..errors import LockError, VariantError
from ..lock.stamp import TAIL_HEADER
from .variant_stamp import machine_digest, read_record, requested_variants

if TYPE_CHECKING:
    from ..lock.variants import LockVariants
    from ..variants.choose import Choice
    from ..variants.facts import MachineFacts

__all__ = ["VariantPick", "lock_variants_of", "minor_compat", "pick_variant", "unavailable_here"]


@dataclass(frozen=True)
class VariantPick:
    """The variant a sync installs, why (for the summary line), and its sync stamp keys."""

    name: str
    mode: str  # "auto" | "requested" | "forced"
    why: str
    names: tuple[str, ...]  # every variant of the lock
    stamp: tuple[tuple[str, str], ...]

    def summary(self) -> str:
        return f"variant {self.name} ({self.why})"


def lock_variants_of(lock_path: Path) -> LockVariants | None:
    """The variants the lock at `lock_path` records in its ``[tool.pallet]`` table (pallet
    writes it last: only that tail is parsed); None for a lock without them, or another tool's."""
    from ..lock.variants import read_lock_variants

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        text = lock_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # install_lock says what is wrong with the file
    at = text.rfind("\n" + TAIL_HEADER + "\n")
    if at < 0 and not text.startswith(TAIL_HEADER + "\n"):
        return None
    try:
        data = tomllib.loads(text[at + 1 :] if at >= 0 else text)
    except tomllib.TOMLDecodeError:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None  # install_lock says what is wrong with the file
    tool = data.get("tool")
    table = tool.get("pallet") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return None
    return read_lock_variants(table, lock_path.name)


def pick_variant(
    variants: LockVariants | None,
    *,
    flag: str | None,
    force: bool,
    extras: Sequence[str],
    env: Mapping[str, str],
    venv: Path,
    cache_root: Path,
    keep_recorded: bool = False,
    lock_name: str = "pylock.toml",
    unavailable: frozenset[str] = frozenset(),
) -> VariantPick | None:
    """The variant to install; None for a lock without variants (then ``--variant NAME`` and
    ``--force-variant`` are errors: there is nothing to choose). `unavailable`: the variants
    the lock cannot install on this environment (`unavailable_here`): detection skips them, and
    a request for one says that the lock installs the default there."""
    from .variant_stamp import AUTO

    if variants is None:
        if (flag is not None and flag.strip().lower() != AUTO) or force:
            option = "--force-variant" if flag is None else f"--variant {flag}"
            raise VariantError(
                f"{option}: {lock_name} has no hardware variants (declare them in "
                "pyproject.toml's [tool.pallet.variants]; docs/gpu.md)"
            )
        return None
    names = variants.names
    asked, auto = requested_variants(names, flag, extras, env)
    distinct = list(dict.fromkeys(name for name, _ in asked))
    if len(distinct) > 1 or (auto and distinct):
        parts = [*(["auto"] if auto else []), *distinct]
        sources = ", ".join(f"{source} {name}" for name, source in asked)
        raise VariantError(f"asks for two variants: {' and '.join(parts)} ({sources}); ask for one")
    if force and not distinct:
        raise VariantError("--force-variant: name the variant to install with --variant NAME")
    recorded = None if auto else read_record(str(venv))
    if distinct:
        facts = _facts(env, cache_root)
        source = next(source for name, source in asked if name == distinct[0])
        try:
            choice = _choose(variants, facts, env, requested=distinct[0], force=force)
        except VariantError as exc:  # say where the request came from
            sep = "=" if source.startswith("PALLET_") else " "  # PALLET_VARIANT=x, --variant x
            given = f"{source}{sep}{distinct[0]}"
            raise VariantError(f"{given}: {exc}") from None
        why = f"requested with {source}"
        if choice.mode == "forced":
            reason = _reason(choice, choice.name)
            why = f"forced with --force-variant{': ' + reason if reason else ''}"
        if choice.name in unavailable:
            why += f"; not available here: the lock installs {variants.default}'s packages"
        return _pick(variants, choice.name, choice.mode, why, facts, cache_root)
    if recorded is not None and recorded[0] not in names:
        from .. import ui

        ui.warn(f"{venv}: its variant {recorded[0]!r} is not one of the lock's now; detecting")
    elif recorded is not None:
        name, mode = recorded
        if mode in ("requested", "forced"):
            why = f"{mode} earlier; --variant auto detects again"
            return _pick(variants, name, mode, why, None, cache_root)
        if keep_recorded:
            return _pick(variants, name, "auto", "kept: detected earlier", None, cache_root)
    facts = _facts(env, cache_root)
    choice = _choose(variants, facts, env, requested=None, force=False, skip=unavailable)
    if choice.name == variants.default:
        first = variants.order[0].name
        reason = (
            f"{first} is not available here" if first in unavailable else _reason(choice, first)
        )
        why = f"default{': ' + reason if reason else ''}"
    else:
        why = "detected: " + _found(variants, choice.name, facts, minor_compat(variants, env))
    return _pick(variants, choice.name, "auto", why, facts, cache_root)


def _facts(env: Mapping[str, str], cache_root: Path) -> MachineFacts:
    from ..variants.detect import machine_facts

    return machine_facts(env, str(cache_root))


def _choose(
    variants: LockVariants,
    facts: MachineFacts,
    env: Mapping[str, str],
    *,
    requested: str | None,
    force: bool,
    skip: frozenset[str] = frozenset(),
) -> Choice:
    from ..variants.choose import VariantDecl, choose

    decls = [
        VariantDecl(v.name, v.requires)
        for v in variants.order
        if v.name not in skip or v.name == variants.default
    ]
    return choose(
        decls,
        variants.default,
        facts,
        requested=requested,
        force=force,
        cuda_minor_compat=minor_compat(variants, env),
    )


def unavailable_here(variants: LockVariants, markers: Mapping[str, str]) -> frozenset[str]:
    """The variants whose ``unavailable`` marker (PEP 508, written by the lock) holds for this
    environment's marker values: their packages have no file here, and the lock's markers
    install the default variant instead."""
    from packaging.markers import InvalidMarker, Marker

    out = set()
    for variant in variants.order:
        if variant.unavailable is None:
            continue
        try:
            if Marker(variant.unavailable).evaluate(dict(markers)):
                out.add(variant.name)
        except InvalidMarker as exc:
            raise LockError(
                f"pylock.toml: [tool.pallet] variants: {variant.name!r} 'unavailable': {exc}"
            ) from None
    return frozenset(out)


def minor_compat(variants: LockVariants, env: Mapping[str, str]) -> bool:
    """CUDA judged by minor-version compatibility: the project's ``cuda-minor-compat`` or
    ``PALLET_CUDA_MINOR_COMPAT=1``."""
    return variants.cuda_minor_compat or env.get(envvars.PALLET_CUDA_MINOR_COMPAT, "") == "1"


def _reason(choice: Choice, name: str) -> str:
    """Why variant `name` does not fit ("" when it does)."""
    for variant, verdict in choice.verdicts:
        if variant == name and not verdict.ok:
            return verdict.reason
    return ""


def _found(variants: LockVariants, name: str, facts: MachineFacts, compat: bool) -> str:
    """What was detected that the variant's requirement is about: "CUDA 12.6, driver 560.35.03"."""
    requires = next((v.requires or "" for v in variants.order if v.name == name), "")
    parts: list[str] = []
    if "cuda" in requires or "sm" in requires:
        cuda = facts.cuda_compat if compat and facts.cuda_compat else facts.cuda
        if cuda is not None:  # (12, 99): any 12.x (minor-version compatibility)
            parts.append(f"CUDA {cuda[0]}.{'x' if cuda[1] == 99 else cuda[1]}")
        if facts.nvidia_driver:
            parts.append(f"driver {facts.nvidia_driver}")
        if "sm" in requires:
            caps = [g.compute_capability for g in facts.gpus if g.compute_capability]
            parts += [f"sm_{c[0]}{c[1]}" for c in dict.fromkeys(caps) if c is not None]
    if "rocm" in requires or "gfx" in requires:
        if facts.rocm is not None:
            parts.append("ROCm " + ".".join(map(str, facts.rocm)))
        parts += list(dict.fromkeys(g.gfx for g in facts.gpus if g.gfx))
    if "xpu" in requires and facts.xpu:
        parts.append("an Intel GPU")
    if "mps" in requires and facts.mps:
        parts.append("Apple MPS")
    if "x86-64" in requires and facts.x86_64_level is not None:
        parts.append(f"x86-64-v{facts.x86_64_level}")
    if facts.overridden:
        parts.append("overridden by " + ", ".join(facts.overridden))
    return ", ".join(parts) or "the first that fits"


def _pick(
    variants: LockVariants,
    name: str,
    mode: str,
    why: str,
    facts: MachineFacts | None,
    cache_root: Path,
) -> VariantPick:
    stamp = (
        ("variant", name),
        ("variant-mode", mode),
        ("variants", ",".join(variants.names)),
        ("machine", machine_digest(facts) if facts is not None else ""),
        ("machine-cache", os.fspath(cache_root)),
    )
    return VariantPick(name, mode, why, variants.names, stamp)
