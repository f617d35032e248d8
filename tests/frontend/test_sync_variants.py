"""``pallet sync``/``pallet run`` with hardware variants (issue 12, "Sync"), end to end.

A PyTorch-shaped set of loopback indexes (`support.sync_variant_index`), a project locked by
``pallet lock`` once per module (each test syncs a copy), pallet as a subprocess on the
simulated machines of ``fixtures/sysroots/`` (`support.machines.machine_env`) and with the fact
override variables (``PALLET_CUDA``, ``PALLET_GPU_SM``, ...). What is installed is judged by pip
(``pip list``, ``pip check``) and, for the same lock, by uv.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from support.machines import machine_env
from support.sync_tools import UV, copy_project, pallet, pip_check, pip_list
from support.sync_variant_index import VariantIndexes, variant_indexes, variant_pyproject

FULL = ("cu126", "cu121", "rocm", "cpu")
SMALL = ("cu126", "cpu")  # a project without cu121 and rocm


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VariantIndexes]:
    with variant_indexes(tmp_path_factory.mktemp("variant-indexes")) as served:
        yield served


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def templates(
    tmp_path_factory: pytest.TempPathFactory, indexes: VariantIndexes, shared_cache: Path
) -> dict[str, Path]:
    """Both projects, locked once for the module by ``pallet lock``."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PALLET_"))}
    env.update(PALLET_CACHE_DIR=str(shared_cache), PIP_CONFIG_FILE=os.devnull)
    out = {}
    for name, extras in (("full", FULL), ("small", SMALL), ("windows-only", ("cu124", "cpu"))):
        root = tmp_path_factory.mktemp(f"template-{name}") / "gpuapp"
        root.mkdir()
        (root / "pyproject.toml").write_text(variant_pyproject(indexes, extras), encoding="utf-8")
        proc = pallet(root, env, "lock")
        assert proc.returncode == 0, proc.stderr
        out[name] = root
    return out


@pytest.fixture
def base_env(env: dict[str, str], shared_cache: Path) -> dict[str, str]:
    """The test's environment on the simulated machine without a GPU."""
    return machine_env("no-gpu", dict(env, PALLET_CACHE_DIR=str(shared_cache)))


def on(name: str, base: Mapping[str, str], **more: str) -> dict[str, str]:
    """`base` on the simulated machine `name`, plus `more` variables."""
    return {**machine_env(name, base), **more}


@pytest.fixture
def project(tmp_path: Path, templates: dict[str, Path]) -> Path:
    return copy_project(templates["full"], tmp_path / "gpuapp")


@pytest.fixture
def small(tmp_path: Path, templates: dict[str, Path]) -> Path:
    return copy_project(templates["small"], tmp_path / "small")


def sync(project: Path, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return pallet(project, env, "sync", *args)


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
    ("name", "more", "which", "variant"),
    [
        ("no-gpu", {}, "full", "cpu"),
        ("driver-560", {}, "full", "cu126"),
        ("driver-530", {}, "full", "cu121"),
        ("driver-530", {}, "small", "cpu"),
        ("gtx1080ti", {}, "full", "cu121"),
        ("two-gpus", {}, "full", "cu121"),
        ("h200-driver-580", {}, "full", "cu126"),
        ("rocm", {}, "full", "rocm"),
        ("intel-arc", {}, "full", "cpu"),
        ("macos", {}, "full", "cpu"),
        ("no-gpu", {"PALLET_CUDA": "12.6", "PALLET_GPU_SM": "7.5"}, "full", "cu126"),
        ("no-gpu", {"PALLET_CUDA_DRIVER": "530.30.02", "PALLET_GPU_SM": "8.6"}, "full", "cu121"),
        ("no-gpu", {"PALLET_ROCM": "6.2", "PALLET_GFX": "gfx90a"}, "full", "rocm"),
        ("driver-560", {"PALLET_GPU": "none"}, "full", "cpu"),
        ("driver-560", {"PALLET_GPU_SM": "6.1"}, "full", "cu121"),
    ],
)
def test_the_machine_chooses_the_variant(
    tmp_path: Path,
    templates: dict[str, Path],
    base_env: dict[str, str],
    name: str,
    more: dict[str, str],
    which: str,
    variant: str,
) -> None:
    project = copy_project(templates[which], tmp_path / "gpuapp")
    proc = sync(project, on(name, base_env, **more))
    assert proc.returncode == 0, proc.stderr
    local = "rocm6.2" if variant == "rocm" else variant
    assert torch_of(project) == {"torch": f"2.5.1+{local}", "torchvision": f"0.20.1+{local}"}
    summary = proc.stderr.strip().splitlines()[-1]
    why = "default" if variant == "cpu" else "detected"
    assert f"; variant {variant} ({why}" in summary
    assert (stamp(project)["variant"], stamp(project)["variant-mode"]) == (variant, "auto")


def test_the_summary_names_what_was_detected(project: Path, base_env: dict[str, str]) -> None:
    proc = sync(project, on("driver-560", base_env))
    assert proc.returncode == 0, proc.stderr
    assert "variant cu126 (detected: CUDA 12.6, driver 560.35.03, sm_86" in proc.stderr
    proc = sync(project, on("gtx1080ti", base_env), "--variant", "auto")
    assert "variant cu121 (detected: CUDA 12.6, driver 560.35.03" in proc.stderr


def test_a_changed_machine_switches_and_leaves_one_torch(
    project: Path, base_env: dict[str, str]
) -> None:
    cuda = on("driver-560", base_env)
    assert sync(project, cuda).returncode == 0
    assert build(project) == "cu126"
    again = sync(project, cuda)
    assert again.returncode == 0, again.stderr
    assert again.stderr.startswith("Audited 3 packages")  # the fast path: nothing to do
    assert "variant cu126" in again.stderr
    moved = sync(project, on("rocm", base_env))  # the GPU was swapped: the next sync switches
    assert moved.returncode == 0, moved.stderr
    assert "Updated 2 packages" in moved.stderr
    assert torch_of(project) == {"torch": "2.5.1+rocm6.2", "torchvision": "0.20.1+rocm6.2"}
    site = next((project / ".venv" / "lib").glob("python*/site-packages"))
    assert sorted(p.name for p in site.glob("torch*.dist-info")) == [
        "torch-2.5.1+rocm6.2.dist-info",
        "torchvision-0.20.1+rocm6.2.dist-info",
    ]


def test_run_keeps_the_variant_the_environment_has(project: Path, base_env: dict[str, str]) -> None:
    assert sync(project, on("driver-560", base_env)).returncode == 0
    code = "import torch.version; print(torch.version.cuda)"
    fast = pallet(project, base_env, "run", "python", "-c", code)  # now no GPU
    assert (fast.returncode, fast.stdout.strip()) == (0, "12.6"), fast.stderr
    # run has to sync (a new extra): it still keeps cu126, without detecting
    full = pallet(project, base_env, "run", "--extra", "plot", "python", "-c", code)
    assert (full.returncode, full.stdout.strip()) == (0, "12.6"), full.stderr
    assert "variant cu126 (kept: detected earlier)" in full.stderr
    assert "plotty" in pip_list(project / ".venv")
    assert build(project) == "cu126"


def test_run_on_a_new_environment_detects(project: Path, base_env: dict[str, str]) -> None:
    code = "import torch.version; print(torch.version.hip)"
    proc = pallet(project, on("rocm", base_env), "run", "python", "-c", code)
    assert (proc.returncode, proc.stdout.strip()) == (0, "6.2"), proc.stderr


def test_a_request_stays_until_auto(project: Path, base_env: dict[str, str]) -> None:
    cuda = on("driver-560", base_env)
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
    run = pallet(project, cuda, "run", "--extra", "plot", "python", "-c", "pass")
    assert run.returncode == 0, run.stderr
    assert build(project) == "cpu"
    auto = sync(project, cuda, "--variant", "auto")
    assert auto.returncode == 0, auto.stderr
    assert build(project) == "cu126"
    assert stamp(project)["variant-mode"] == "auto"


def test_a_request_the_lock_no_longer_has_is_detected_again(
    project: Path, base_env: dict[str, str]
) -> None:
    cuda = on("driver-560", base_env)
    assert sync(project, cuda, "--variant", "cu121").returncode == 0
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    text = text.replace('"cu126", "cu121", "rocm", "cpu"', '"cu126", "rocm", "cpu"')
    text = text.replace('cu121 = ["torch>=2.5", "torchvision"]\n', "")
    text = text.replace('[tool.pallet.variants.cu121]\nindex = "pt-cu121"\n', "")
    text = text.replace('requires = "cuda>=12.1"\n', "")
    pyproject.write_text(text, encoding="utf-8")
    proc = sync(project, cuda)  # locks again first: cu121 is gone
    assert proc.returncode == 0, proc.stderr
    assert "its variant 'cu121' is not one of the lock's now; detecting" in proc.stderr
    assert build(project) == "cu126"


def test_pallet_variant_is_a_request_the_options_override(
    project: Path, base_env: dict[str, str]
) -> None:
    cuda = on("driver-560", base_env, PALLET_VARIANT="cpu")
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
    sm = sync(project, on("gtx1080ti", base_env), "--variant", "cu126")
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
    assert proc.stderr.startswith("error: --variant cu999: unknown variant 'cu999'")
    assert "cu126, cu121, rocm, cpu" in proc.stderr
    # a request from the environment names the variable it came from
    proc = sync(project, dict(base_env, PALLET_VARIANT="cu999"))
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: PALLET_VARIANT=cu999: unknown variant 'cu999'")


def test_extra_of_a_variant_is_a_request(project: Path, base_env: dict[str, str]) -> None:
    proc = sync(project, on("rocm", base_env), "--extra", "rocm", "--extra", "plot")
    assert proc.returncode == 0, proc.stderr
    assert "requested with --extra" in proc.stderr
    assert build(project) == "rocm" and "plotty" in pip_list(project / ".venv")
    again = sync(project, on("rocm", base_env), "--extra", "plot", "--extra", "rocm")
    assert again.stderr.startswith("Audited"), again.stderr


def test_all_extras_installs_one_variant(project: Path, base_env: dict[str, str]) -> None:
    proc = sync(project, on("driver-530", base_env), "--all-extras")
    assert proc.returncode == 0, proc.stderr
    listed = pip_list(project / ".venv")
    assert {n: listed[n] for n in ("plotty", "torch")} == {
        "plotty": "1.0",
        "torch": "2.5.1+cu121",
    }
    assert sync(project, on("driver-530", base_env), "--all-extras").stderr.startswith("Audited")


def sync_frozen(
    project: Path, env: Mapping[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return pallet(project, env, "sync", "--frozen", *args)


@pytest.mark.hand_edited_lock(
    "small/pylock.toml", reason="pallet's [tool.pallet] table cut off: a lock without variants"
)
def test_a_lock_without_variants_is_as_before(small: Path, base_env: dict[str, str]) -> None:
    lock = small / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    lock.write_text(text[: text.index("[tool.pallet]")], encoding="utf-8")  # another tool's
    proc = sync_frozen(small, on("driver-560", base_env))
    assert proc.returncode == 0, proc.stderr
    assert "; variant" not in proc.stderr
    assert build(small) == "cpu"  # what any PEP 751 installer selects with no extra
    asked = sync_frozen(small, base_env, "--variant", "cpu")
    assert asked.returncode == 1
    assert "--variant cpu: pylock.toml has no hardware variants" in asked.stderr
    report = pallet(small, base_env, "variants", "--frozen")
    assert report.returncode == 0, report.stderr
    assert "pylock.toml has no hardware variants" in report.stdout
    env_only = sync_frozen(small, on("no-gpu", base_env, PALLET_VARIANT="rocm"))
    assert env_only.returncode == 0 and env_only.stderr.startswith("Audited"), env_only.stderr


def test_a_variant_the_lock_cannot_install_here_is_passed_over(
    tmp_path: Path, templates: dict[str, Path], base_env: dict[str, str]
) -> None:
    """cu124's wheels are for Windows only: the lock marks it unavailable here, where its
    markers install cpu's packages whatever is selected; detection passes it over, and a request
    for it says so."""
    project = copy_project(templates["windows-only"], tmp_path / "gpuapp")
    lock = (project / "pylock.toml").read_text(encoding="utf-8")
    assert 'name = "cu124", requires = "cuda>=12.4"' in lock and "unavailable = " in lock
    cuda = on("driver-560", base_env)
    proc = sync(project, cuda)
    assert proc.returncode == 0, proc.stderr
    assert "variant cpu (default: cu124 is not available here)" in proc.stderr
    assert torch_of(project)["torch"] == "2.5.1+cpu"
    asked = sync(project, cuda, "--variant", "cu124")
    assert asked.returncode == 0, asked.stderr
    assert "not available here: the lock installs cpu's packages" in asked.stderr
    assert torch_of(project)["torch"] == "2.5.1+cpu"
    report = pallet(project, cuda, "variants")
    assert report.returncode == 0, report.stderr
    assert "not available here (the lock installs cpu's packages): cu124" in report.stdout


def test_pallet_variants_reports_choice_and_installed(
    project: Path, base_env: dict[str, str]
) -> None:
    assert sync(project, base_env, "--variant", "cu121", "--force-variant").returncode == 0
    proc = pallet(project, on("driver-560", base_env), "variants")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "NVIDIA driver: 560.35.03" in lines
    assert any(line.startswith("  cu126: fits") for line in lines), lines
    chosen = next(line for line in lines if line.startswith("  cu121"))
    assert "chosen, forced" in chosen and "installed" in chosen


def test_uv_installs_the_same_set(project: Path, base_env: dict[str, str], tmp_path: Path) -> None:
    """The same lock with ``uv pip install -r pylock.toml --extra cu126`` gives what pallet
    installs on a CUDA machine; with no extra, uv installs the default variant."""
    assert sync(project, on("driver-560", base_env), "--no-install-project").returncode == 0
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


HEAVY = {"packaging", "argparse", "json", "tomllib", "urllib3", "platformdirs", "subprocess"}


def test_fast_paths_import_only_the_standard_library(
    project: Path, base_env: dict[str, str]
) -> None:
    """The no-op sync in auto mode consults the cached detection, and run's fast path only the
    stamp: neither imports packaging, argparse, json or subprocess (nvidia-smi is not run);
    run's not even detection."""
    cuda = on("driver-560", base_env)
    assert sync(project, cuda).returncode == 0
    imported, output = imported_by(project, cuda, "sync")
    assert output.startswith("Audited 3 packages"), output
    assert "pallet.variants.detect" in imported  # the machine was looked at (cached)
    assert not {m.split(".")[0] for m in imported} & HEAVY, imported
    imported, output = imported_by(project, cuda, "run", "python", "-c", "pass")
    assert "pallet.cli.launch" in imported and "pallet.variants.detect" not in imported
    assert not {m.split(".")[0] for m in imported} & HEAVY, imported
