"""The highest CUDA toolkit an NVIDIA driver runs: NVIDIA's table, as data.

Source: NVIDIA CUDA Toolkit Release Notes, section "CUDA Driver", Table 3 "CUDA Toolkit and
Corresponding Driver Versions" (https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/), the
minimum driver of each toolkit's GA release, Linux x86_64 and Windows x86_64 columns. A driver
runs every toolkit whose minimum it meets ("the CUDA driver is backward compatible").

Minor-version compatibility (same release notes, Table 2 "CUDA Toolkit and Minimum Required
Driver Version for CUDA Minor Version Compatibility"; docs.nvidia.com/deploy/cuda-compatibility):
an application built with any toolkit of a major version runs on a driver at or above that
major's floor (11.x: 450.80.02 Linux / 452.39 Windows; 12.x: 525.60.13 / 527.41; 13.x: 580 on
both), as long as it uses no newer driver feature (PTX JIT needs the full driver). It is
reported separately (`cuda_compat`, minor 99 = "any X.y") and used only when a project opts in.
"""

from __future__ import annotations

__all__ = ["COMPAT_FLOORS", "TOOLKIT_DRIVERS", "compat_cuda", "parse_driver", "strict_cuda"]

#: (major, minor) -> (Linux x86_64 minimum driver, Windows x86_64 minimum driver), GA releases.
TOOLKIT_DRIVERS: dict[tuple[int, int], tuple[str, str]] = {
    (13, 0): ("580.65.06", "580.88"),
    (12, 9): ("575.51.03", "576.02"),
    (12, 8): ("570.26", "570.65"),
    (12, 6): ("560.28.03", "560.76"),
    (12, 5): ("555.42.02", "555.85"),
    (12, 4): ("550.54.14", "551.61"),
    (12, 3): ("545.23.06", "545.84"),
    (12, 2): ("535.54.03", "536.25"),
    (12, 1): ("530.30.02", "531.14"),
    (12, 0): ("525.60.13", "527.41"),
    (11, 8): ("520.61.05", "520.06"),
    (11, 7): ("515.43.04", "516.01"),
    (11, 6): ("510.39.01", "511.23"),
    (11, 5): ("495.29.05", "496.04"),
    (11, 4): ("470.42.01", "471.11"),
    (11, 3): ("465.19.01", "465.89"),
    (11, 2): ("460.27.03", "460.82"),
    (11, 1): ("455.23", "456.38"),
    (11, 0): ("450.51.05", "451.48"),  # 11.0.2 GA (11.0.1 was the RC: 450.36.06)
}

#: major -> (Linux floor, Windows floor) for minor-version compatibility.
COMPAT_FLOORS: dict[int, tuple[str, str]] = {
    13: ("580", "580"),
    12: ("525.60.13", "527.41"),
    11: ("450.80.02", "452.39"),
}


def parse_driver(text: str) -> tuple[int, ...]:
    """``"560.35.03"`` -> (560, 35, 3); ValueError when it is not dotted numbers."""
    parts = text.strip().split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError(f"{text.strip()!r} is not an NVIDIA driver version like 560.35.03")
    return tuple(int(p) for p in parts)


def _column(system: str) -> int:
    return 1 if system == "Windows" else 0


def strict_cuda(driver: str, system: str) -> tuple[int, int] | None:
    """The highest toolkit whose minimum driver `driver` meets (None: older than CUDA 11.0)."""
    have = parse_driver(driver)
    col = _column(system)
    fits = [cuda for cuda, drivers in TOOLKIT_DRIVERS.items() if have >= parse_driver(drivers[col])]
    return max(fits) if fits else None


def compat_cuda(driver: str, system: str) -> tuple[int, int] | None:
    """(major, 99) for the newest major whose minor-compatibility floor `driver` meets."""
    have = parse_driver(driver)
    col = _column(system)
    majors = [m for m, floors in COMPAT_FLOORS.items() if have >= parse_driver(floors[col])]
    return (max(majors), 99) if majors else None
