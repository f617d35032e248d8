"""The NVIDIA parsers on captured text (sources in fixtures/sysroots/README.md)."""

from __future__ import annotations

import pytest
from pallet.variants.facts import Gpu
from pallet.variants.nvidia import (
    parse_module_version,
    parse_proc_version,
    parse_smi_banner,
    parse_smi_query,
)

# dylanaraps/neofetch#876: the proprietary kernel module.
PROC_PROPRIETARY = (
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  384.98  Thu Oct 26 15:16:01 PDT 2017\n"
    "GCC version:  gcc version 7.2.0 (Ubuntu 7.2.0-8ubuntu3) \n"
)
# nix-community/nixGL#186: the open kernel module puts "for x86_64" before the version.
PROC_OPEN = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release Build  "
    "(dvs-builder@U16-A24-9-2)  Thu Oct 10 12:15:00 UTC 2024\n"
    "GCC version:  gcc version 13.3.0 (Ubuntu 13.3.0-6ubuntu2~24.04)\n"
)
# nix-community/nixGL#121 (Arch Linux, nvidia-open-dkms).
PROC_OPEN_ARCH = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  525.60.11  Release Build  "
    "(archlinux-builder@localhost)  \nGCC version:  gcc version 12.2.0 (GCC) \n"
)
# geerlingguy/raspberry-pi-pcie-devices#790 (the first lines).
BANNER_580 = """\
jgeerling@cm5:~ $ nvidia-smi
Fri Dec  5 17:40:55 2025       
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 580.95.05              Driver Version: 580.95.05      CUDA Version: 13.0     |
+-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
|   0  NVIDIA GeForce RTX 3060        Off |   00000001:01:00.0 Off |                  N/A |
"""  # noqa: W291 (the capture's trailing spaces)
# HaFred/dnn-rocket-accelerator#55: the narrow layout of older drivers.
BANNER_465 = """\
| NVIDIA-SMI 465.19.01    Driver Version: 465.19.01    CUDA Version: 11.3     |
|-------------------------------+----------------------+----------------------+
"""
# sgl-project/sglang#27487: driver 610 renamed the header fields.
BANNER_610 = (
    "| NVIDIA-SMI 610.43.02              KMD Version: 610.43.02     CUDA UMD Version: 13.3     |\n"
)
# rossumai/nvgpu#15: a two-part driver version.
BANNER_450 = "| NVIDIA-SMI 450.57       Driver Version: 450.57       CUDA Version: 11.0     |\n"


def test_module_version_file() -> None:
    assert parse_module_version("560.35.03\n") == "560.35.03"
    assert parse_module_version("570.26\n") == "570.26"


@pytest.mark.parametrize("text", ["", "\n", "nvidia\n", "560.35.03 extra\n"])
def test_module_version_file_unreadable(text: str) -> None:
    with pytest.raises(ValueError, match="not a driver version"):
        parse_module_version(text)


@pytest.mark.parametrize(
    ("text", "driver"),
    [(PROC_PROPRIETARY, "384.98"), (PROC_OPEN, "565.57.01"), (PROC_OPEN_ARCH, "525.60.11")],
)
def test_proc_version_file(text: str, driver: str) -> None:
    assert parse_proc_version(text) == driver


def test_proc_version_file_unreadable() -> None:
    with pytest.raises(ValueError, match="NVRM version"):
        parse_proc_version("GCC version:  gcc version 7.2.0\n")


@pytest.mark.parametrize(
    ("text", "driver", "cuda"),
    [
        (BANNER_580, "580.95.05", (13, 0)),
        (BANNER_465, "465.19.01", (11, 3)),
        (BANNER_610, "610.43.02", (13, 3)),
        (BANNER_450, "450.57", (11, 0)),
    ],
)
def test_smi_banner(text: str, driver: str, cuda: tuple[int, int]) -> None:
    banner = parse_smi_banner(text)
    assert (banner.driver, banner.cuda) == (driver, cuda)


def test_smi_banner_without_a_driver() -> None:
    # What nvidia-smi prints where the kernel module is not loaded.
    text = (
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
        "Make sure that the latest NVIDIA driver is installed and running.\n"
    )
    with pytest.raises(ValueError, match="Driver Version"):
        parse_smi_banner(text)


def test_smi_query_two_gpus() -> None:
    # The field layout of triton-inference-server/server#8070 ("7.0, Default, 570.86.15, NVIDIA
    # TITAN V, 0"), in this query's field order.
    text = (
        "0, NVIDIA TITAN V, 7.0, GPU-b5169cef-2205-c30e-f2b3-220cfa14bafd, 570.86.15\n"
        "1, NVIDIA RTX 5880 Ada Generation, 8.9, GPU-7518f6b0-991f-ce2b-3d37-c779130d3137, "
        "570.86.15\n"
    )
    gpus, driver = parse_smi_query(text)
    assert driver == "570.86.15"
    assert gpus == (
        Gpu("nvidia", 0, "NVIDIA TITAN V", (7, 0), uuid="GPU-b5169cef-2205-c30e-f2b3-220cfa14bafd"),
        Gpu(
            "nvidia",
            1,
            "NVIDIA RTX 5880 Ada Generation",
            (8, 9),
            uuid="GPU-7518f6b0-991f-ce2b-3d37-c779130d3137",
        ),
    )


def test_smi_query_fields_it_cannot_tell() -> None:
    gpus, driver = parse_smi_query("0, NVIDIA A100-SXM4-40GB MIG 1g.5gb, [N/A], [N/A], 535.54.03\n")
    assert driver == "535.54.03"
    assert gpus[0].compute_capability is None and gpus[0].uuid is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('Field "compute_cap" is not a valid field to query.\n', "expected 5 fields"),
        ("x, GPU, 8.6, GPU-1, 560.35.03\n", "is not a number"),
    ],
)
def test_smi_query_unreadable(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_smi_query(text)


def test_smi_query_no_gpus() -> None:
    assert parse_smi_query("") == ((), None)
