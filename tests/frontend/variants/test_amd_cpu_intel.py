"""The ROCm, CPU-level and Intel GPU parsers on captured text (fixtures/sysroots/README.md)."""

from __future__ import annotations

import pytest
from pallet.variants.amd import (
    gfx_name,
    parse_agent_enumerator,
    parse_kfd_properties,
    parse_rocm_version,
)
from pallet.variants.cpu import parse_cpuinfo_flags, x86_64_level
from pallet.variants.intel import is_discrete, parse_uevent
from support.machines import SYSROOTS

# KFD gfx_target_version -> the LLVM target names AMD's tools print (ROCm/rocm-cli#343 pairs
# 90402 with gfx942; rocprofv3-avail in ROCm/rocm-systems#922 pairs 90006 with gfx906).
KFD_TARGETS = [
    (90402, "gfx942"),
    (90006, "gfx906"),
    (90010, "gfx90a"),
    (110000, "gfx1100"),
    (100300, "gfx1030"),
    (110501, "gfx1151"),
    (120001, "gfx1201"),
]


@pytest.mark.parametrize(("version", "name"), KFD_TARGETS)
def test_gfx_names(version: int, name: str) -> None:
    assert gfx_name(version) == name


def test_kfd_properties_of_a_gpu_and_a_cpu_node() -> None:
    nodes = SYSROOTS / "rocm" / "sys/class/kfd/kfd/topology/nodes"
    assert parse_kfd_properties((nodes / "1" / "properties").read_text()) == "gfx90a"
    assert parse_kfd_properties((nodes / "0" / "properties").read_text()) is None
    # ROCm/rocm-cli#343's grep of an MI300X node.
    assert parse_kfd_properties("gfx_target_version 90402\n") == "gfx942"
    with pytest.raises(ValueError, match="gfx_target_version"):
        parse_kfd_properties("simd_count 0\n")


def test_agent_enumerator_before_and_after_rocm_6() -> None:
    # ggml-org/llama.cpp#11209 (gfx000 for the CPU); iree-org/iree#22283 (MI300X, ROCm 6).
    assert parse_agent_enumerator("gfx000\ngfx803\ngfx902\n") == ("gfx803", "gfx902")
    assert parse_agent_enumerator("gfx942\n" * 8) == ("gfx942",) * 8
    with pytest.raises(ValueError, match="not a gfx target"):
        parse_agent_enumerator("ROCk module is NOT loaded\n")


@pytest.mark.parametrize(
    ("text", "version"), [("6.2.0-66\n", (6, 2, 0)), ("6.4.2\n", (6, 4, 2)), ("7.0\n", (7, 0))]
)
def test_rocm_version_file(text: str, version: tuple[int, ...]) -> None:
    assert parse_rocm_version(text) == version


def test_rocm_version_file_unreadable() -> None:
    with pytest.raises(ValueError, match="not a ROCm version"):
        parse_rocm_version("unknown\n")


@pytest.mark.parametrize(
    ("machine", "level"),
    [
        ("driver-560", 4),  # Zen 4 (gentoo/cpuid2cpuflags#25): AVX-512 F/BW/CD/DQ/VL
        ("no-gpu", 3),  # Zen 2 (virt-manager#570): AVX2, BMI1/2, FMA, MOVBE, no AVX-512
        ("driver-470", 2),  # Sandy Bridge (mapmap_cpu#20): AVX but no AVX2 (psABI v3 needs it)
    ],
)
def test_cpu_levels_of_captured_flags(machine: str, level: int) -> None:
    text = (SYSROOTS / machine / "proc" / "cpuinfo").read_text()
    assert x86_64_level(parse_cpuinfo_flags(text)) == level


def test_cpu_level_one_flag_short() -> None:
    flags = parse_cpuinfo_flags((SYSROOTS / "driver-560/proc/cpuinfo").read_text())
    assert x86_64_level(flags - {"avx512vl"}) == 3
    assert x86_64_level(flags - {"pni"}) == 1  # no SSE3: not even v2
    with pytest.raises(ValueError, match="flags"):
        parse_cpuinfo_flags("processor\t: 0\nvendor_id\t: GenuineIntel\n")


@pytest.mark.parametrize(
    ("device", "slot", "discrete"),
    [
        (0x9A49, "0000:00:02.0", False),  # Tiger Lake Iris Xe
        (0x7D55, "0000:00:02.0", False),  # Meteor Lake: Arc-branded, still integrated
        (0x56A0, "0000:03:00.0", True),  # Arc A770
        (0xE20B, "0000:03:00.0", True),  # Arc B580
        (0x0BD5, "0000:1b:00.0", True),  # Data Center GPU Max 1550
        (0x4680, None, False),  # Alder Lake UHD 770, slot unknown: not a discrete id
        (0x56A0, "0000:00:02.0", False),  # at the IGD's fixed slot: integrated
    ],
)
def test_intel_discrete_or_integrated(device: int, slot: str | None, discrete: bool) -> None:
    assert is_discrete(device, slot) is discrete


def test_uevent() -> None:
    text = (SYSROOTS / "intel-arc/sys/class/drm/card1/device/uevent").read_text()
    assert parse_uevent(text)["PCI_SLOT_NAME"] == "0000:03:00.0"
