"""Detection on every simulated machine (fixtures/sysroots/), overrides, and failing tools.

Expected facts come from the fixture texts (fixtures/sysroots/README.md) and NVIDIA's table.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from pallet.errors import SetupError
from pallet.variants.detect import detect, machine_facts
from pallet.variants.facts import MachineFacts
from support.machines import MACHINES, machine_env

#: machine -> (driver, strict CUDA, [(name, sm)], rocm, gfx targets, xpu, mps, cpu level)
EXPECTED: dict[str, tuple[object, ...]] = {
    "no-gpu": (None, None, [], None, [], False, False, 3),
    "driver-560": (
        "560.35.03",
        (12, 6),
        [("NVIDIA GeForce RTX 3090", (8, 6))],
        None,
        [],
        False,
        False,
        4,
    ),
    "driver-530": (
        "530.30.02",
        (12, 1),
        [("NVIDIA GeForce RTX 3080", (8, 6))],
        None,
        [],
        False,
        False,
        4,
    ),
    "driver-470": ("470.57.02", (11, 4), [], None, [], False, False, 2),
    "gtx1080ti": (
        "560.35.03",
        (12, 6),
        [("NVIDIA GeForce GTX 1080 Ti", (6, 1))],
        None,
        [],
        False,
        False,
        3,
    ),
    "two-gpus": (
        "560.35.03",
        (12, 6),
        [("NVIDIA GeForce GTX 1080 Ti", (6, 1)), ("NVIDIA GeForce RTX 3090", (8, 6))],
        None,
        [],
        False,
        False,
        4,
    ),
    "h200-driver-580": ("580.95.05", (13, 0), [("NVIDIA H200", (9, 0))], None, [], False, False, 4),
    "windows-560": (
        "560.94",
        (12, 6),
        [("NVIDIA GeForce RTX 3090", (8, 6))],
        None,
        [],
        False,
        False,
        None,
    ),
    "rocm": (None, None, [], (6, 2, 0), ["gfx90a"], False, False, 4),
    "intel-igpu": (None, None, [], None, [], False, False, 3),
    "intel-arc": (None, None, [], None, [], True, False, 3),
    "macos": (None, None, [], None, [], False, True, None),
}


def facts_of(name: str, **extra: str) -> MachineFacts:
    env = {**machine_env(name, {"PATH": os.environ["PATH"]}), **extra}
    return machine_facts(env, None)


def test_every_machine_is_expected() -> None:
    assert set(EXPECTED) == set(MACHINES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_machine(name: str) -> None:
    driver, cuda, nvidia, rocm, gfx, xpu, mps, level = EXPECTED[name]
    facts = facts_of(name)
    assert (facts.system, facts.machine) == MACHINES[name]
    assert facts.nvidia_driver == driver
    assert facts.cuda == cuda
    assert [(g.name, g.compute_capability) for g in facts.nvidia_gpus()] == nvidia
    assert facts.rocm == rocm
    assert [g.gfx for g in facts.amd_gpus()] == gfx
    assert (facts.xpu, facts.mps, facts.x86_64_level) == (xpu, mps, level)
    assert facts.overridden == ()


def test_intel_integrated_graphics_are_listed_but_never_an_xpu() -> None:
    igpu = facts_of("intel-igpu")
    assert [(g.vendor, g.discrete) for g in igpu.gpus] == [("intel", False)]
    arc = facts_of("intel-arc")
    assert [(g.name, g.discrete) for g in arc.gpus] == [
        ("Intel GPU 0x4680 (integrated)", False),
        ("Intel GPU 0x56a0 (discrete)", True),
    ]


def test_the_old_driver_falls_back_and_says_so() -> None:
    facts = facts_of("driver-470")
    assert any('"compute_cap" is not a valid field' in note for note in facts.notes)
    assert "NVIDIA driver 470.57.02 from /proc/driver/nvidia/version" in facts.notes


def test_the_banner_gives_the_driver_where_no_file_does(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(machine_env.__globals__["SYSROOTS"] / "driver-470", root, symlinks=True)
    (root / "proc/driver/nvidia/version").unlink()
    env = machine_env("driver-470", {"PATH": os.environ["PATH"]})
    env["PATH"] = env["PATH"].replace(env["PALLET_SYSROOT"], str(root))
    env["PALLET_SYSROOT"] = str(root)
    facts = machine_facts(env, None)
    assert (facts.nvidia_driver, facts.cuda) == ("470.57.02", (11, 4))
    assert "NVIDIA driver 470.57.02 from the nvidia-smi banner" in facts.notes


def test_overrides_come_first() -> None:
    facts = facts_of(
        "no-gpu",
        PALLET_CUDA_DRIVER="560.35.03",
        PALLET_GPU_SM="6.1,8.6",
        PALLET_ROCM="6.2",
        PALLET_GFX="gfx90a,942",
        PALLET_CPU_LEVEL="4",
    )
    assert (facts.nvidia_driver, facts.cuda, facts.cuda_compat) == ("560.35.03", (12, 6), (12, 99))
    assert [g.compute_capability for g in facts.nvidia_gpus()] == [(6, 1), (8, 6)]
    assert (facts.rocm, [g.gfx for g in facts.amd_gpus()]) == ((6, 2), ["gfx90a", "gfx942"])
    assert facts.x86_64_level == 4
    assert set(facts.overridden) == {
        "PALLET_CUDA_DRIVER",
        "PALLET_GPU_SM",
        "PALLET_ROCM",
        "PALLET_GFX",
        "PALLET_CPU_LEVEL",
    }


def test_the_cuda_override_skips_the_driver_table() -> None:
    facts = facts_of("driver-530", PALLET_CUDA="12.8")
    assert (facts.cuda, facts.cuda_compat) == ((12, 8), (12, 8))
    assert facts.nvidia_driver == "530.30.02"  # still read, for the report


def test_an_override_beats_the_machine() -> None:
    facts = facts_of("driver-560", PALLET_CUDA_DRIVER="530.30.02")
    assert (facts.nvidia_driver, facts.cuda) == ("530.30.02", (12, 1))
    assert [g.compute_capability for g in facts.nvidia_gpus()] == [(8, 6)]  # nvidia-smi still


def test_no_gpu_ignores_every_gpu() -> None:
    for name in ("driver-560", "rocm", "intel-arc", "macos"):
        facts = facts_of(name, PALLET_GPU="none")
        assert (facts.nvidia_driver, facts.cuda, facts.gpus, facts.rocm) == (None, None, (), None)
        assert not facts.xpu and not facts.mps


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "PALLET_CUDA_DRIVER",
            "latest",
            "PALLET_CUDA_DRIVER='latest': must be a driver version like 560.35.03",
        ),
        ("PALLET_CUDA", "12.x", "PALLET_CUDA='12.x': must be a version like 12.6"),
        ("PALLET_CUDA", "1²", "PALLET_CUDA='1²': must be a version like 12.6"),
        ("PALLET_GPU_SM", "86", "PALLET_GPU_SM='86': must be compute capabilities like 6.1,8.6"),
        ("PALLET_ROCM", "six", "PALLET_ROCM='six': must be a version like 6.2"),
        ("PALLET_GFX", "rdna3", "PALLET_GFX='rdna3': must be gfx targets like gfx90a,gfx942"),
        ("PALLET_CPU_LEVEL", "5", "PALLET_CPU_LEVEL='5': must be 1, 2, 3 or 4"),
        ("PALLET_GPU", "off", "PALLET_GPU='off': the only value is 'none'"),
    ],
)
def test_bad_overrides_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SetupError) as caught:
        facts_of("no-gpu", **{name: value})
    assert caught.value.message == message


def test_cuda_visible_devices() -> None:
    assert [g.name for g in facts_of("two-gpus", CUDA_VISIBLE_DEVICES="1").nvidia_gpus()] == [
        "NVIDIA GeForce RTX 3090"
    ]
    # UUID prefixes, and the list stops at the first entry that names no GPU (CUDA's rule)
    uuid = facts_of("two-gpus", CUDA_VISIBLE_DEVICES="GPU-2c5e8cd2,7,0").nvidia_gpus()
    assert [g.index for g in uuid] == [1]
    mig = facts_of("two-gpus", CUDA_VISIBLE_DEVICES="MIG-4f2a3b1c-9d8e-5f6a-7b8c-9d0e1f2a3b4c")
    assert len(mig.nvidia_gpus()) == 2
    hidden = facts_of("two-gpus", CUDA_VISIBLE_DEVICES="")
    assert hidden.nvidia_gpus() == () and hidden.cuda == (12, 6)


def test_hip_visible_devices() -> None:
    assert facts_of("rocm", HIP_VISIBLE_DEVICES="").amd_gpus() == ()
    assert len(facts_of("rocm", HIP_VISIBLE_DEVICES="0").amd_gpus()) == 1


def _sysroot_copy(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(machine_env.__globals__["SYSROOTS"] / name, root, symlinks=True)
    return root


def test_rocm_agent_enumerator_when_kfd_says_nothing(tmp_path: Path) -> None:
    root = _sysroot_copy(tmp_path, "rocm")
    shutil.rmtree(root / "sys/class/kfd")
    facts = detect(root=str(root), path=str(root / "bin"), env={}, system="Linux", machine="x86_64")
    assert [g.gfx for g in facts.amd_gpus()] == ["gfx90a"]
    assert "AMD GPUs from rocm_agent_enumerator: gfx90a" in facts.notes


def test_rocm_path(tmp_path: Path) -> None:
    root = _sysroot_copy(tmp_path, "rocm")
    (root / "opt/rocm-6.3.1/.info").mkdir(parents=True)
    (root / "opt/rocm-6.3.1/.info/version").write_text("6.3.1-48\n")
    env = {"ROCM_PATH": "/opt/rocm-6.3.1"}
    facts = detect(root=str(root), path=None, env=env, system="Linux", machine="x86_64")
    assert facts.rocm == (6, 3, 1)


def _tool(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / name
    tool.write_text("#!/bin/sh\n" + body)
    tool.chmod(0o755)
    return tool


def test_a_hung_nvidia_smi_is_a_note(tmp_path: Path) -> None:
    root = _sysroot_copy(tmp_path, "driver-560")
    _tool(root / "bin", "nvidia-smi", "sleep 30\n")
    started = time.monotonic()
    facts = detect(
        root=str(root),
        path=str(root / "bin"),
        env={},
        system="Linux",
        machine="x86_64",
        tool_timeout=0.5,
    )
    assert time.monotonic() - started < 5  # the sleeping grandchild was killed too
    assert facts.nvidia_driver == "560.35.03" and facts.nvidia_gpus() == ()
    assert "nvidia-smi --query-gpu: timed out after 0.5 s" in facts.notes


@pytest.mark.parametrize(
    ("body", "note"),
    [
        (
            "echo 'NVIDIA-SMI has failed because it couldn'\"'\"'t communicate with the NVIDIA "
            "driver.'\nexit 9\n",
            "nvidia-smi --query-gpu: exit code 9: NVIDIA-SMI has failed",
        ),
        ("echo garbage\n", "nvidia-smi --query-gpu: unreadable (line 1: expected 5 fields"),
    ],
)
def test_a_failing_nvidia_smi_is_a_note(tmp_path: Path, body: str, note: str) -> None:
    bin_dir = tmp_path / "bin"
    _tool(bin_dir, "nvidia-smi", body)
    facts = detect(root=str(tmp_path), path=str(bin_dir), env={}, system="Linux", machine="x86_64")
    assert facts.nvidia_driver is None and facts.cuda is None
    assert any(n.startswith(note) for n in facts.notes), facts.notes


def test_an_unreadable_driver_file_is_a_note_and_the_next_source_is_read(tmp_path: Path) -> None:
    root = _sysroot_copy(tmp_path, "driver-560")
    (root / "sys/module/nvidia/version").write_text("garbage\n")
    facts = detect(root=str(root), path=None, env={}, system="Linux", machine="x86_64")
    assert facts.nvidia_driver == "560.35.03"
    assert facts.notes[0].startswith("/sys/module/nvidia/version: unreadable")
    assert "NVIDIA driver 560.35.03 from /proc/driver/nvidia/version" in facts.notes


def test_a_tool_that_is_not_executable_is_not_run(tmp_path: Path) -> None:
    tool = _tool(tmp_path / "bin", "nvidia-smi", "echo '0, X, 8.6, GPU-1, 560.35.03'\n")
    tool.chmod(0o644)
    facts = detect(
        root=str(tmp_path), path=str(tmp_path / "bin"), env={}, system="Linux", machine="x86_64"
    )
    assert facts.gpus == ()
