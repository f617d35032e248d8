# ruff: noqa: PTH100, PTH103, PTH105, PTH108, PTH118, PTH120, PTH208
"""The detection cache: one JSON file per inputs under ``<cache_dir>/variants-v1/``.

Valid for one boot (``/proc/sys/kernel/random/boot_id`` under the root) and only while every
file and tool detection touched has the same identity (inode, mtime, size, or still absent),
every folder it listed has the same names, and ``PATH``, the root, the system and the override
variables are the same: a changed machine, or a test's simulated one, is seen at once, while a
warm ``pallet run`` re-reads a few stats instead of starting ``nvidia-smi``. Standard library
only; a cache that cannot be read or written is ignored (detection runs again).
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from collections.abc import Mapping

from .. import envvars
from .facts import MachineFacts
from .probe import Probe, identity

__all__ = ["CACHE_KIND", "KEY_VARIABLES", "detect_cached"]

CACHE_KIND = "variants-v1"
#: Variables besides PATH whose values are part of the key.
KEY_VARIABLES = (
    *envvars.VARIANT_FACT_OVERRIDES,
    "CUDA_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",
    "ROCR_VISIBLE_DEVICES",
    "ROCM_PATH",
)
_BOOT_ID = "proc/sys/kernel/random/boot_id"


def _inputs(
    root: str, path: str | None, env: Mapping[str, str], system: str, machine: str
) -> dict[str, object]:
    try:
        with open(os.path.join(root, _BOOT_ID), encoding="ascii") as file:
            boot = file.read().strip()
    except OSError:
        boot = ""
    return {
        "root": os.path.abspath(root),
        "boot": boot,
        "path": path,
        "system": system,
        "machine": machine,
        "env": {name: env[name] for name in KEY_VARIABLES if name in env},
    }


def _load(file: str, inputs: dict[str, object]) -> MachineFacts | None:
    try:
        with open(file, encoding="utf-8") as handle:
            data = json.load(handle)
        if data["inputs"] != inputs:
            return None
        for real, ident in data["seen"]:
            now = identity(real)
            if (list(now) if now is not None else None) != ident:
                return None
        for folder, names in data["listed"]:
            try:
                if sorted(os.listdir(folder)) != names:
                    return None
            except OSError:
                if names:
                    return None
        return MachineFacts.from_json(data["facts"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(file: str, inputs: dict[str, object], probe: Probe, facts: MachineFacts) -> None:
    data = {
        "inputs": inputs,
        "seen": [[real, list(ident) if ident else None] for real, ident in probe.seen.items()],
        "listed": [[folder, names] for folder, names in probe.listed.items()],
        "facts": facts.to_json(),
    }
    temp = f"{file}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(file), exist_ok=True)
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(temp, file)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def detect_cached(
    cache_dir: str | None,
    *,
    root: str,
    path: str | None,
    env: Mapping[str, str],
    system: str,
    machine: str,
    tool_timeout: float,
) -> MachineFacts:
    """See `pallet.variants.detect.detect_cached`."""
    from .detect import detect_probed

    if cache_dir is None:
        return detect_probed(Probe(root, path, system, tool_timeout), env, system, machine)
    inputs = _inputs(root, path, env, system, machine)
    key = zlib.crc32(json.dumps(inputs, sort_keys=True).encode("utf-8"))
    file = os.path.join(cache_dir, CACHE_KIND, f"{key:08x}.json")
    facts = _load(file, inputs)
    if facts is not None:
        return facts
    probe = Probe(root, path, system, tool_timeout)
    facts = detect_probed(probe, env, system, machine)
    _store(file, inputs, probe, facts)
    return facts
