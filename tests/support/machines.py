"""Simulated machines for hardware detection (issue 12): ``fixtures/sysroots/<machine>/``.

from support.machines import machine_env, MACHINES

`machine_env(name, base)` is `base` plus what makes pallet see that machine: ``PALLET_SYSROOT``
(its files under their real paths), ``PATH`` with its fake tools first (``bin/nvidia-smi``), and
``PALLET_SYSTEM``/``PALLET_MACHINE``. Directories of `base`'s PATH that hold a real detection
tool are left out, and the variables that override or filter detection are dropped, so a test
sees the simulated machine even on one with a GPU. ``"macos"`` is Darwin/arm64 with no files;
``"windows-560"`` is Windows/AMD64 with only a fake ``nvidia-smi``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SYSROOTS = Path(__file__).resolve().parents[2] / "fixtures" / "sysroots"

#: Every simulated machine: name -> (platform.system(), platform.machine()).
MACHINES: dict[str, tuple[str, str]] = {
    "no-gpu": ("Linux", "x86_64"),
    "driver-560": ("Linux", "x86_64"),
    "driver-530": ("Linux", "x86_64"),
    "driver-470": ("Linux", "x86_64"),
    "gtx1080ti": ("Linux", "x86_64"),
    "two-gpus": ("Linux", "x86_64"),
    "h200-driver-580": ("Linux", "x86_64"),
    "rocm": ("Linux", "x86_64"),
    "intel-igpu": ("Linux", "x86_64"),
    "intel-arc": ("Linux", "x86_64"),
    "windows-560": ("Windows", "AMD64"),
    "macos": ("Darwin", "arm64"),
}

_TOOLS = ("nvidia-smi", "nvidia-smi.exe", "rocm_agent_enumerator")
#: Variables that change what detection reports; a simulated machine starts without them.
_DETECTION_VARIABLES = (
    "PALLET_VARIANT",
    "PALLET_SYSROOT",
    "PALLET_SYSTEM",
    "PALLET_MACHINE",
    "PALLET_CUDA_DRIVER",
    "PALLET_CUDA",
    "PALLET_GPU_SM",
    "PALLET_ROCM",
    "PALLET_GFX",
    "PALLET_CPU_LEVEL",
    "PALLET_GPU",
    "PALLET_CUDA_MINOR_COMPAT",
    "CUDA_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",
    "ROCR_VISIBLE_DEVICES",
    "ROCM_PATH",
)


def sysroot(name: str) -> Path:
    """The machine's root folder (``macos`` has one with no files in it)."""
    if name not in MACHINES:
        raise KeyError(f"unknown simulated machine {name!r}; known: {', '.join(MACHINES)}")
    return SYSROOTS / name


def _clean_path(path: str) -> list[str]:
    return [
        folder
        for folder in path.split(os.pathsep)
        if folder and not any(os.path.exists(os.path.join(folder, tool)) for tool in _TOOLS)
    ]


def machine_env(name: str, base: Mapping[str, str]) -> dict[str, str]:
    """`base` as seen from the simulated machine `name` (see the module docstring)."""
    root = sysroot(name)
    system, machine = MACHINES[name]
    env = {k: v for k, v in base.items() if k not in _DETECTION_VARIABLES}
    folders = _clean_path(base.get("PATH", os.defpath))
    if (root / "bin").is_dir():
        folders.insert(0, str(root / "bin"))
    env["PATH"] = os.pathsep.join(folders)
    env["PALLET_SYSROOT"] = str(root)
    env["PALLET_SYSTEM"] = system
    env["PALLET_MACHINE"] = machine
    return env
