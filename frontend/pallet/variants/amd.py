"""Pure parsers of AMD ROCm's texts: the install's version file, KFD topology, the agent list."""

from __future__ import annotations

import re

__all__ = ["gfx_name", "parse_agent_enumerator", "parse_kfd_properties", "parse_rocm_version"]

_ROCM = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_rocm_version(text: str) -> tuple[int, ...]:
    """``/opt/rocm/.info/version``: ``6.2.0-66`` (version, then the build) -> (6, 2, 0)."""
    match = _ROCM.match(text.strip())
    if not match:
        raise ValueError(f"not a ROCm version: {text.strip()[:40]!r}")
    return tuple(int(p) for p in match.groups() if p is not None)


def gfx_name(target_version: int) -> str:
    """KFD's ``gfx_target_version`` -> the LLVM target: major*10000 + minor*100 + stepping, and
    the name writes minor and stepping as one hex digit each (90010 -> gfx90a, 110000 ->
    gfx1100, 90402 -> gfx942), as ROCm's ``rocm_agent_enumerator`` derives it."""
    major, rest = divmod(target_version, 10000)
    minor, stepping = divmod(rest, 100)
    if not (major and minor < 16 and stepping < 16):
        raise ValueError(f"gfx_target_version {target_version} is not a GPU target")
    return f"gfx{major}{minor:x}{stepping:x}"


def parse_kfd_properties(text: str) -> str | None:
    """``/sys/class/kfd/kfd/topology/nodes/<n>/properties`` (``key value`` lines) -> the node's
    gfx target, or None for a CPU node (``gfx_target_version 0``)."""
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key == "gfx_target_version":
            version = int(value.strip())
            return gfx_name(version) if version else None
    raise ValueError("no gfx_target_version line")


def parse_agent_enumerator(text: str) -> tuple[str, ...]:
    """``rocm_agent_enumerator``: one target a line, ``gfx000`` for each CPU agent (skipped)."""
    targets = []
    for line in text.split():
        if not re.fullmatch(r"gfx[0-9a-f]+", line):
            raise ValueError(f"not a gfx target: {line[:40]!r}")
        if line != "gfx000":
            targets.append(line)
    return tuple(targets)
