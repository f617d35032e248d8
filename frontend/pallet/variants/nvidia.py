"""Pure parsers of the NVIDIA driver's texts: the kernel module's version files and nvidia-smi.

Each takes the text as read and returns data; ValueError (one line) on text it cannot read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .facts import Gpu

__all__ = [
    "SMI_QUERY",
    "SmiBanner",
    "parse_module_version",
    "parse_proc_version",
    "parse_smi_banner",
    "parse_smi_query",
]

#: The one nvidia-smi query detection runs (`nvidia-smi --help-query-gpu` names the fields;
#: ``compute_cap`` exists since driver 510).
SMI_QUERY = (
    "--query-gpu=index,name,compute_cap,uuid,driver_version",
    "--format=csv,noheader",
)

_DRIVER = re.compile(r"\d+\.\d+(?:\.\d+)?")
# "NVRM version: NVIDIA UNIX x86_64 Kernel Module  560.35.03  Fri Aug 16 21:39:15 UTC 2024"
# "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  (...)"
_NVRM = re.compile(r"^NVRM version:.*?\s(\d+\.\d+(?:\.\d+)?)\s", re.MULTILINE)
# Drivers from 610 say "KMD Version:" and "CUDA UMD Version:" (sgl-project/sglang#27487).
_BANNER_DRIVER = re.compile(r"(?:Driver|KMD) Version:\s*(\d+\.\d+(?:\.\d+)?)")
_BANNER_CUDA = re.compile(r"CUDA (?:UMD )?Version:\s*(\d+)\.(\d+)")


def parse_module_version(text: str) -> str:
    """``/sys/module/nvidia/version``: the driver version alone on one line (``560.35.03``)."""
    value = text.strip()
    if not _DRIVER.fullmatch(value):
        raise ValueError(f"not a driver version: {value[:40]!r}")
    return value


def parse_proc_version(text: str) -> str:
    """``/proc/driver/nvidia/version``: the driver version from its ``NVRM version:`` line."""
    match = _NVRM.search(text + " ")
    if not match:
        raise ValueError("no 'NVRM version:' line with a driver version")
    return match[1]


@dataclass(frozen=True)
class SmiBanner:
    """What the plain ``nvidia-smi`` table says in its header line."""

    driver: str
    cuda: tuple[int, int] | None  # "CUDA Version: 12.6": the newest CUDA this driver supports


def parse_smi_banner(text: str) -> SmiBanner:
    """The ``Driver Version: 560.35.03   CUDA Version: 12.6`` line of plain ``nvidia-smi`` (or
    ``KMD Version: ...  CUDA UMD Version: ...`` from driver 610 on)."""
    driver = _BANNER_DRIVER.search(text)
    if not driver:
        raise ValueError("no 'Driver Version:' in the nvidia-smi output")
    cuda = _BANNER_CUDA.search(text)
    return SmiBanner(driver[1], (int(cuda[1]), int(cuda[2])) if cuda else None)


def parse_smi_query(text: str) -> tuple[tuple[Gpu, ...], str | None]:
    """The GPUs and the driver version from ``nvidia-smi`` + `SMI_QUERY` (CSV without header).

    A line: ``0, NVIDIA GeForce RTX 3090, 8.6, GPU-2c5e..., 560.35.03``. A field nvidia-smi cannot
    tell is ``[N/A]`` or ``[Not Supported]``; the GPU is kept with what is known.
    """
    gpus: list[Gpu] = []
    driver: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 5:
            raise ValueError(f"line {number}: expected 5 fields, got {len(fields)}: {line[:80]!r}")
        # A GPU name never contains a comma in practice, but keep the tail fields fixed.
        index, name, cc, uuid, version = fields[0], ", ".join(fields[1:-3]), *fields[-3:]
        if not index.isdigit():
            raise ValueError(f"line {number}: index {index!r} is not a number")
        gpus.append(
            Gpu(
                vendor="nvidia",
                index=int(index),
                name=name,
                compute_capability=_capability(cc),
                uuid=None if uuid.startswith("[") else uuid,
            )
        )
        if _DRIVER.fullmatch(version):
            driver = version
    return tuple(gpus), driver


def _capability(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else None
