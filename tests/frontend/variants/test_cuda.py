"""NVIDIA's driver table: expected values are quoted from the CUDA Toolkit Release Notes, Table 3
"CUDA Toolkit and Corresponding Driver Versions" (and Table 2 for minor-version compatibility),
not computed from the code's table."""

from __future__ import annotations

import pytest
from pallet.variants.cuda import TOOLKIT_DRIVERS, compat_cuda, parse_driver, strict_cuda

# (toolkit GA, Linux x86_64 minimum, Windows x86_64 minimum), as NVIDIA's table lists them.
NVIDIA_TABLE_3 = [
    ("13.0", "580.65.06", "580.88"),
    ("12.9", "575.51.03", "576.02"),
    ("12.8", "570.26", "570.65"),
    ("12.6", "560.28.03", "560.76"),
    ("12.5", "555.42.02", "555.85"),
    ("12.4", "550.54.14", "551.61"),
    ("12.3", "545.23.06", "545.84"),
    ("12.2", "535.54.03", "536.25"),
    ("12.1", "530.30.02", "531.14"),
    ("12.0", "525.60.13", "527.41"),
    ("11.8", "520.61.05", "520.06"),
    ("11.7", "515.43.04", "516.01"),
    ("11.6", "510.39.01", "511.23"),
    ("11.5", "495.29.05", "496.04"),
    ("11.4", "470.42.01", "471.11"),
    ("11.3", "465.19.01", "465.89"),
    ("11.2", "460.27.03", "460.82"),
    ("11.1", "455.23", "456.38"),
    ("11.0", "450.51.05", "451.48"),
]


def test_the_table_is_nvidias() -> None:
    table = {f"{k[0]}.{k[1]}": v for k, v in TOOLKIT_DRIVERS.items()}
    assert table == {cuda: (linux, windows) for cuda, linux, windows in NVIDIA_TABLE_3}


@pytest.mark.parametrize(("cuda", "linux", "windows"), NVIDIA_TABLE_3)
def test_each_minimum_driver_runs_its_toolkit_and_one_below_does_not(
    cuda: str, linux: str, windows: str
) -> None:
    wanted = tuple(int(p) for p in cuda.split("."))
    for system, driver in (("Linux", linux), ("Windows", windows)):
        assert strict_cuda(driver, system) == wanted
        below = parse_driver(driver)
        older = ".".join(map(str, (*below[:-1], below[-1] - 1)))
        found = strict_cuda(older, system)
        assert found is None or found < wanted


@pytest.mark.parametrize(
    ("driver", "system", "cuda"),
    [
        ("560.35.03", "Linux", (12, 6)),  # the driver-560 machine
        ("530.30.02", "Linux", (12, 1)),
        ("580.95.05", "Linux", (13, 0)),
        ("575.57.08", "Linux", (12, 9)),
        ("470.57.02", "Linux", (11, 4)),
        ("450.36.06", "Linux", None),  # 11.0's RC driver; the GA needs 450.51.05
        ("560.94", "Windows", (12, 6)),
        ("560.35.03", "Windows", (12, 5)),  # Windows numbers its drivers differently
    ],
)
def test_strict(driver: str, system: str, cuda: tuple[int, int] | None) -> None:
    assert strict_cuda(driver, system) == cuda


@pytest.mark.parametrize(
    ("driver", "system", "compat"),
    [
        ("525.60.13", "Linux", (12, 99)),  # Table 2: CUDA 12.x >= 525.60.13
        ("525.60.12", "Linux", (11, 99)),
        ("450.80.02", "Linux", (11, 99)),  # CUDA 11.x >= 450.80.02
        ("450.80.01", "Linux", None),
        ("580.65.06", "Linux", (13, 99)),  # CUDA 13.x >= 580
        ("527.41", "Windows", (12, 99)),
        ("452.39", "Windows", (11, 99)),
    ],
)
def test_minor_version_compatibility(
    driver: str, system: str, compat: tuple[int, int] | None
) -> None:
    assert compat_cuda(driver, system) == compat


@pytest.mark.parametrize("text", ["", "560", "560.x", "a.b.c", "1.2.3.4.5"])
def test_bad_driver_text(text: str) -> None:
    if text == "560":
        assert parse_driver(text) == (560,)
        return
    with pytest.raises(ValueError, match="not an NVIDIA driver version"):
        parse_driver(text)
