"""``pallet sync``/``pallet run`` with hardware variants (issue 12, "Sync"), end to end.

A PyTorch-shaped set of loopback indexes (`support.variant_index`), a lock in the shape the
lock helper's resolver writes (each variant's entries marked so that any selection installs
exactly one variant), pallet as a subprocess on simulated machines: an empty ``PALLET_SYSROOT``
(no driver, no GPU) plus the fact override variables (``PALLET_CUDA_DRIVER``, ``PALLET_GPU_SM``,
``PALLET_ROCM``, ...). What is installed is judged by pip (``pip list``, ``pip check``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from support.sync_tools import UV, pallet, pip_check, pip_list
from support.sync_variant_index import (
    VariantIndexes,
    variant_indexes,
    variant_pyproject,
    write_variant_lock,
)

SMALL = ("cu126", "cpu")  # a project without cu121 and rocm
#: the machines, as fact overrides on an empty sysroot
CUDA_560 = {"PALLET_CUDA_DRIVER": "560.35.03", "PALLET_GPU_SM": "8.6"}
CUDA_530 = {"PALLET_CUDA_DRIVER": "530.30.02", "PALLET_GPU_SM": "8.6"}
GTX_1080_TI = {"PALLET_CUDA_DRIVER": "560.35.03", "PALLET_GPU_SM": "6.1"}
TWO_GPUS = {"PALLET_CUDA_DRIVER": "560.35.03", "PALLET_GPU_SM": "6.1,8.6"}
ROCM = {"PALLET_ROCM": "6.2", "PALLET_GFX": "gfx90a"}
NO_GPU: dict[str, str] = {}


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VariantIndexes]:
    with variant_indexes(tmp_path_factory.mktemp("variant-indexes")) as served:
        yield served


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def base_env(env: dict[str, str], shared_cache: Path, tmp_path: Path) -> dict[str, str]:
    """No GPU: an empty sysroot (no /sys, /proc, /opt/rocm) and no nvidia-smi on PATH."""
    sysroot = tmp_path / "sysroot"
    sysroot.mkdir()
    return dict(env, PALLET_CACHE_DIR=str(shared_cache), PALLET_SYSROOT=str(sysroot))


def machine(base: Mapping[str, str], facts: Mapping[str, str], **more: str) -> dict[str, str]:
    return {**base, **facts, **more}


def make_project(root: Path, indexes: VariantIndexes, extras: tuple[str, ...]) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(variant_pyproject(indexes, extras), encoding="utf-8")
    write_variant_lock(root, indexes, extras)
    return root


@pytest.fixture
def project(tmp_path: Path, indexes: VariantIndexes) -> Path:
    return make_project(tmp_path / "gpuapp", indexes, ("cu126", "cu121", "rocm", "cpu"))


@pytest.fixture
def small(tmp_path: Path, indexes: VariantIndexes) -> Path:
    return make_project(tmp_path / "small", indexes, SMALL)


def sync(project: Path, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return pallet(project, env, "sync", "--frozen", *args)


def torch_of(project: Path) -> dict[str, str]:
    """torch and torchvision as pip lists them; pip check must pass."""
    venv = project / ".venv"
    pip_check(venv)
    listed = pip_list(venv)
    return {name: listed[name] for name in ("torch", "torchvision") if name in listed}


def build(project: Path) -> str:
    return {
        "cpu": "cpu",
        "cu121": "cu121",
        "cu126": "cu126",
        "rocm6.2": "rocm",
    }[torch_of(project)["torch"].partition("+")[2]]


def stamp(project: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((project / ".venv" / ".pallet-sync.json").read_text())
    return data


@pytest.mark.parametrize(
    ("facts", "extras", "variant"),
    [
        (NO_GPU, None, "cpu"),
        (CUDA_560, None, "cu126"),
        (CUDA_530, None, "cu121"),
        (CUDA_530, SMALL, "cpu"),
        (GTX_1080_TI, None, "cu121"),
        (TWO_GPUS, None, "cu121"),
        (ROCM, None, "rocm"),
        ({"PALLET_CUDA": "12.6", "PALLET_GPU_SM": "7.5"}, None, "cu126"),
        ({**CUDA_560, "PALLET_GPU": "none"}, None, "cpu"),
    ],
    ids=[
        "no-gpu",
        "driver-560",
        "driver-530",
        "driver-530-no-cu121",
        "gtx1080ti-sm61",
        "two-gpus",
        "rocm",
        "cuda-override",
        "gpu-none",
    ],
)
def test_the_machine_chooses_the_variant(
    tmp_path: Path,
    indexes: VariantIndexes,
    base_env: dict[str, str],
    facts: dict[str, str],
    extras: tuple[str, ...] | None,
    variant: str,
) -> None:
    order = extras or ("cu126", "cu121", "rocm", "cpu")
    project = make_project(tmp_path / "gpuapp", indexes, order)
    proc = sync(project, machine(base_env, facts))
    assert proc.returncode == 0, proc.stderr
    assert build(project) == variant
    local = "rocm6.2" if variant == "rocm" else variant
    assert torch_of(project) == {"torch": f"2.5.1+{local}", "torchvision": f"0.20.1+{local}"}
    summary = proc.stderr.strip().splitlines()[-1]
    why = "default" if variant == "cpu" else "detected"
    assert f"; variant {variant} ({why}" in summary
    assert (stamp(project)["variant"], stamp(project)["variant-mode"]) == (variant, "auto")


def test_the_summary_names_what_was_detected(project: Path, base_env: dict[str, str]) -> None:
    proc = sync(project, machine(base_env, CUDA_560))
    assert proc.returncode == 0, proc.stderr
    assert "variant cu126 (detected: CUDA 12.6, driver 560.35.03, sm_86" in proc.stderr
    proc = sync(project, machine(base_env, GTX_1080_TI), "--variant", "auto")
    assert "variant cu121 (detected: CUDA 12.6, driver 560.35.03" in proc.stderr


def test_a_changed_machine_switches_and_leaves_one_torch(
    project: Path, base_env: dict[str, str]
) -> None:
    cuda = machine(base_env, CUDA_560)
    assert sync(project, cuda).returncode == 0
    assert build(project) == "cu126"
    again = sync(project, cuda)
    assert again.returncode == 0, again.stderr
    assert again.stderr.startswith("Audited 3 packages")  # the fast path: nothing to do
    assert "variant cu126" in again.stderr
    moved = sync(project, machine(base_env, ROCM))  # the GPU was swapped: the next sync switches
    assert moved.returncode == 0, moved.stderr
    assert "Updated 2 packages" in moved.stderr
    assert torch_of(project) == {"torch": "2.5.1+rocm6.2", "torchvision": "0.20.1+rocm6.2"}
    site = next((project / ".venv" / "lib").glob("python*/site-packages"))
    assert sorted(p.name for p in site.glob("torch*.dist-info")) == [
        "torch-2.5.1+rocm6.2.dist-info",
        "torchvision-0.20.1+rocm6.2.dist-info",
    ]


def test_run_keeps_the_variant_the_environment_has(project: Path, base_env: dict[str, str]) -> None:
    assert sync(project, machine(base_env, CUDA_560)).returncode == 0
    code = "import torch.version; print(torch.version.cuda)"
    fast = pallet(project, base_env, "run", "--frozen", "python", "-c", code)  # now no GPU
    assert (fast.returncode, fast.stdout.strip()) == (0, "12.6"), fast.stderr
    # run has to sync (a new extra): it still keeps cu126, without detecting
    full = pallet(project, base_env, "run", "--frozen", "--extra", "plot", "python", "-c", code)
    assert (full.returncode, full.stdout.strip()) == (0, "12.6"), full.stderr
    assert "variant cu126 (kept: detected earlier)" in full.stderr
    assert "plotty" in pip_list(project / ".venv")
    assert build(project) == "cu126"


def test_run_on_a_new_environment_detects(project: Path, base_env: dict[str, str]) -> None:
    code = "import torch.version; print(torch.version.hip)"
    proc = pallet(project, machine(base_env, ROCM), "run", "--frozen", "python", "-c", code)
    assert (proc.returncode, proc.stdout.strip()) == (0, "6.2"), proc.stderr


def test_a_request_stays_until_auto(project: Path, base_env: dict[str, str]) -> None:
    cuda = machine(base_env, CUDA_560)
    proc = sync(project, cuda, "--variant", "cpu")
    assert proc.returncode == 0, proc.stderr
    assert "variant cpu (requested with --variant)" in proc.stderr
    assert build(project) == "cpu"
    again = sync(project, cuda)
    assert again.stderr.startswith("Audited"), again.stderr
    # a full sync (another selection) keeps the request too
    plot = sync(project, cuda, "--extra", "plot")
    assert plot.returncode == 0, plot.stderr
    assert "variant cpu (requested earlier; --variant auto detects again)" in plot.stderr
    assert build(project) == "cpu"
    run = pallet(project, cuda, "run", "--frozen", "--extra", "plot", "python", "-c", "pass")
    assert run.returncode == 0, run.stderr
    assert build(project) == "cpu"
    auto = sync(project, cuda, "--variant", "auto")
    assert auto.returncode == 0, auto.stderr
    assert build(project) == "cu126"
    assert stamp(project)["variant-mode"] == "auto"


def test_pallet_variant_is_a_request_the_options_override(
    project: Path, base_env: dict[str, str]
) -> None:
    cuda = machine(base_env, CUDA_560, PALLET_VARIANT="cpu")
    proc = sync(project, cuda)
    assert proc.returncode == 0, proc.stderr
    assert "variant cpu (requested with PALLET_VARIANT)" in proc.stderr
    assert build(project) == "cpu"
    proc = sync(project, cuda, "--variant", "cu121")
    assert proc.returncode == 0, proc.stderr
    assert build(project) == "cu121"
    assert stamp(project)["variant-mode"] == "requested"


def test_an_unmet_request_is_refused_and_forced_installs(
    project: Path, base_env: dict[str, str]
) -> None:
    proc = sync(project, base_env, "--variant", "cu126")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not (project / ".venv").exists()
    assert "needs cuda>=12.6; found no NVIDIA driver" in proc.stderr
    assert "--force-variant" in proc.stderr
    assert not (project / ".venv" / ".pallet-sync.json").exists()
    sm = sync(project, machine(base_env, GTX_1080_TI), "--variant", "cu126")
    assert sm.returncode == 1
    assert "needs sm>=7.5" in sm.stderr and "sm_61" in sm.stderr
    forced = sync(project, base_env, "--variant", "cu126", "--force-variant")
    assert forced.returncode == 0, forced.stderr
    assert "variant cu126 (forced with --force-variant: needs cuda>=12.6" in forced.stderr
    assert build(project) == "cu126"
    kept = sync(project, base_env)
    assert kept.stderr.startswith("Audited"), kept.stderr
    assert build(project) == "cu126"


@pytest.mark.parametrize(
    "args",
    [
        ("--extra", "cu126", "--variant", "rocm"),
        ("--extra", "cu126", "--extra", "cpu"),
        ("--variant", "auto", "--extra", "cpu"),
    ],
)
def test_two_variants_at_once_are_an_error(
    project: Path, base_env: dict[str, str], args: tuple[str, ...]
) -> None:
    proc = sync(project, base_env, *args)
    assert proc.returncode == 1
    assert "asks for two variants" in proc.stderr and "Traceback" not in proc.stderr
    assert not (project / ".venv" / ".pallet-sync.json").exists()


def test_unknown_variant_names_the_variants(project: Path, base_env: dict[str, str]) -> None:
    proc = sync(project, base_env, "--variant", "cu999")
    assert proc.returncode == 1
    assert "cu126, cu121, rocm, cpu" in proc.stderr


def test_extra_of_a_variant_is_a_request(project: Path, base_env: dict[str, str]) -> None:
    proc = sync(project, machine(base_env, ROCM), "--extra", "rocm", "--extra", "plot")
    assert proc.returncode == 0, proc.stderr
    assert "requested with --extra" in proc.stderr
    assert build(project) == "rocm" and "plotty" in pip_list(project / ".venv")
    again = sync(project, machine(base_env, ROCM), "--extra", "plot", "--extra", "rocm")
    assert again.stderr.startswith("Audited"), again.stderr


def test_all_extras_installs_one_variant(project: Path, base_env: dict[str, str]) -> None:
    proc = sync(project, machine(base_env, CUDA_530), "--all-extras")
    assert proc.returncode == 0, proc.stderr
    listed = pip_list(project / ".venv")
    assert {n: listed[n] for n in ("plotty", "torch")} == {
        "plotty": "1.0",
        "torch": "2.5.1+cu121",
    }
    assert sync(project, machine(base_env, CUDA_530), "--all-extras").stderr.startswith("Audited")


def test_a_lock_without_variants_is_as_before(small: Path, base_env: dict[str, str]) -> None:
    lock = small / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    lock.write_text(text[: text.index("[tool.pallet]")], encoding="utf-8")  # a foreign lock
    proc = sync(small, machine(base_env, CUDA_560))
    assert proc.returncode == 0, proc.stderr
    assert "; variant" not in proc.stderr
    assert build(small) == "cpu"  # what any PEP 751 installer selects with no extra
    asked = sync(small, base_env, "--variant", "cpu")
    assert asked.returncode == 1
    assert "--variant cpu: pylock.toml has no hardware variants" in asked.stderr
    env_only = sync(small, machine(base_env, NO_GPU, PALLET_VARIANT="rocm"))
    assert env_only.returncode == 0 and env_only.stderr.startswith("Audited"), env_only.stderr


def test_pallet_variants_reports_choice_and_installed(
    project: Path, base_env: dict[str, str]
) -> None:
    assert sync(project, base_env, "--variant", "cu121", "--force-variant").returncode == 0
    proc = pallet(project, machine(base_env, CUDA_560), "variants", "--frozen")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "NVIDIA driver: 560.35.03" in lines
    assert any(line.startswith("  cu126: fits") for line in lines), lines
    chosen = next(line for line in lines if line.startswith("  cu121"))
    assert "chosen, forced" in chosen and "installed" in chosen


def test_uv_installs_the_same_set(project: Path, base_env: dict[str, str], tmp_path: Path) -> None:
    """The same lock with ``uv pip install -r pylock.toml --extra cu126`` gives what pallet
    installs on a CUDA machine; with no extra, uv installs the default variant."""
    assert sync(project, machine(base_env, CUDA_560), "--no-install-project").returncode == 0
    ours = pip_list(project / ".venv")
    for extra, expect in ((["--extra", "cu126"], ours), ([], None)):
        venv = tmp_path / f"uv-{len(extra)}"
        env = {k: v for k, v in base_env.items() if not k.startswith("UV_")}
        env["UV_CACHE_DIR"] = str(tmp_path / "uv-cache")
        subprocess.run([str(UV), "venv", "-q", str(venv)], env=env, check=True)
        cmd = [str(UV), "pip", "install", "-q", "--python", str(venv / "bin" / "python")]
        proc = subprocess.run(
            [*cmd, "-r", str(project / "pylock.toml"), *extra],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        theirs = pip_list(venv)
        if expect is not None:
            assert theirs == expect
        else:
            assert theirs["torch"] == "2.5.1+cpu"
        shutil.rmtree(venv)


def imported_by(project: Path, env: Mapping[str, str], *args: str) -> tuple[set[str], str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pallet", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=dict(env),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    imported = {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}
    return imported, "\n".join(line for line in lines if not line.startswith("import time:"))


HEAVY = {"packaging", "argparse", "tomllib", "urllib3", "platformdirs", "subprocess"}


def test_fast_paths_import_only_the_standard_library(
    project: Path, base_env: dict[str, str]
) -> None:
    """The no-op sync in auto mode consults the cached detection, and run's fast path only the
    stamp: neither imports packaging, argparse or subprocess (nvidia-smi is not run); run's
    not even detection (nor json)."""
    cuda = machine(base_env, CUDA_560)
    assert sync(project, cuda).returncode == 0
    imported, output = imported_by(project, cuda, "sync", "--frozen")
    assert output.startswith("Audited 3 packages"), output
    assert "pallet.variants.detect" in imported  # the machine was looked at (cached)
    assert not {m.split(".")[0] for m in imported} & HEAVY, imported
    imported, output = imported_by(project, cuda, "run", "--frozen", "python", "-c", "pass")
    assert "pallet.cli.launch" in imported and "pallet.variants.detect" not in imported
    assert not {m.split(".")[0] for m in imported} & {*HEAVY, "json"}, imported
