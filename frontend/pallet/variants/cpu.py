"""The CPU's x86-64 micro-architecture level from ``/proc/cpuinfo`` flags, pure.

Levels per the x86-64 psABI (System V Application Binary Interface, AMD64 Architecture
Processor Supplement, section 3.1.1, table "Micro-Architecture Levels";
https://gitlab.com/x86-psABIs/x86-64-ABI), with the feature names Linux prints in ``flags``
(arch/x86/include/asm/cpufeatures.h: SSE3 is ``pni``, LZCNT is ``abm``, LAHF/SAHF ``lahf_lm``).
"""

from __future__ import annotations

__all__ = ["LEVEL_FLAGS", "parse_cpuinfo_flags", "x86_64_level"]

#: The flags each level adds to the one below (x86-64-v1 is the baseline every x86-64 has).
LEVEL_FLAGS: dict[int, frozenset[str]] = {
    2: frozenset({"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}),
    # OSXSAVE is not a cpuinfo flag; ``xsave`` with ``avx`` listed means the OS enabled it.
    3: frozenset({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
    4: frozenset({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
}


def parse_cpuinfo_flags(text: str) -> frozenset[str]:
    """The ``flags`` of the first processor in ``/proc/cpuinfo``; ValueError when none."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return frozenset(value.split())
    raise ValueError("no 'flags' line")


def x86_64_level(flags: frozenset[str]) -> int:
    """The highest level whose flags (and those of every level below) are all present."""
    level = 1
    for candidate in (2, 3, 4):
        if not LEVEL_FLAGS[candidate] <= flags:
            break
        level = candidate
    return level
