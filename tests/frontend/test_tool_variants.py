"""A tool that needs torch gets PyTorch's build for the machine (``--variant``, detection as
``pallet sync`` detects), from the PyTorch-like loopback index, on simulated machines."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.machines import machine_env
from support.sync_tools import pallet
from support.torch_index import TorchIndex, build_torch_index

SCRIPTS = "[console_scripts]\ngpu-info = gputool:main\n"
INFO = """\
import torch.version as v
def main():
    print(v.__version__, v.cuda, v.hip)
"""


@pytest.fixture(scope="module")
def torch_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TorchIndex]:
    index = build_torch_index(tmp_path_factory.mktemp("torch-index"))
    simple = index.directories["simple"]
    make_wheel(  # torch only through a dependency of the tool, as real tools have it
        simple,
        "gputool",
        "1.0",
        requires_dist=["torch>=2.5"],
        files={
            "gputool/__init__.py": INFO,
            "gputool-1.0.dist-info/entry_points.txt": SCRIPTS,
        },
    )
    make_wheel(
        simple,
        "plain",
        "1.0",
        files={
            "plain/__init__.py": "def main():\n    print('plain')\n",
            "plain-1.0.dist-info/entry_points.txt": "[console_scripts]\nplain = plain:main\n",
        },
    )
    with index:
        yield index


def machine(env: dict[str, str], tmp_path: Path, index: TorchIndex, name: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    base = {k: v for k, v in env.items() if not k.startswith("XDG_")}
    base.update(
        HOME=str(home),
        PALLET_INDEX_URL=index.url("simple"),
        PALLET_PYTORCH_INDEX=index.url("cpu").replace("/cpu/", "/{backend}/"),
        PALLET_HTTP_RETRIES="0",
    )
    return machine_env(name, base)


def script_output(env: dict[str, str], script: str) -> str:
    path = Path(env["HOME"]) / ".local" / "bin" / script
    return subprocess.run(
        [str(path)], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=True
    ).stdout


def receipt(env: dict[str, str], name: str) -> dict[str, object]:
    tools = Path(env["HOME"]) / ".local" / "share" / "pallet" / "tools"
    data: dict[str, object] = json.loads(
        (tools / name / "current" / "pallet-tool.json").read_text(encoding="utf-8")
    )
    return data


def test_a_cuda_machine_gets_the_cuda_build(
    tmp_path: Path, env: dict[str, str], torch_index: TorchIndex
) -> None:
    e = machine(env, tmp_path, torch_index, "driver-560")  # CUDA 12.6
    proc = pallet(tmp_path, e, "tool", "install", "gputool")
    assert proc.returncode == 0, proc.stderr
    assert "PyTorch packages of gputool: the cu126 build (detected)" in proc.stderr
    assert script_output(e, "gpu-info") == "2.5.1+cu126 12.6 None\n"
    assert receipt(e, "gputool")["variant"] == "cu126"
    listing = pallet(tmp_path, e, "tool", "list")
    assert listing.stdout == "gputool 1.0 [cu126]\n- gpu-info\n"


def test_no_gpu_gets_the_cpu_build_and_x_reuses_it(
    tmp_path: Path, env: dict[str, str], torch_index: TorchIndex
) -> None:
    e = machine(env, tmp_path, torch_index, "no-gpu")
    first = pallet(tmp_path, e, "x", "--from", "gputool", "gpu-info")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "2.5.1+cpu None None\n"
    torch_index.start().clear()
    second = pallet(tmp_path, e, "x", "--from", "gputool", "gpu-info")
    assert second.stdout == first.stdout
    assert torch_index.start().requests == []


def test_variant_chooses_and_none_keeps_the_default_index(
    tmp_path: Path, env: dict[str, str], torch_index: TorchIndex
) -> None:
    e = machine(env, tmp_path, torch_index, "driver-560")
    rocm = pallet(tmp_path, e, "tool", "install", "gputool", "--variant", "rocm6.2")
    assert rocm.returncode == 0, rocm.stderr
    assert "the rocm6.2 build (requested)" in rocm.stderr
    assert script_output(e, "gpu-info") == "2.5.1+rocm6.2 None 6.2\n"
    none = pallet(tmp_path, e, "tool", "install", "gputool", "--variant", "none")
    assert none.returncode == 0, none.stderr
    assert script_output(e, "gpu-info") == "2.5.1 12.4 None\n"  # PyPI's own build
    assert receipt(e, "gputool")["variant"] is None

    bad = pallet(tmp_path, e, "tool", "install", "gputool", "--variant", "cuda")
    assert bad.returncode == 2
    assert bad.stderr == (
        "error: --variant 'cuda': not a PyTorch backend; use auto, none, cpu, cuXYZ (cu126), "
        "rocmX.Y (rocm6.2) or xpu\n"
    )


def test_a_tool_without_torch_asks_pytorch_nothing(
    tmp_path: Path, env: dict[str, str], torch_index: TorchIndex
) -> None:
    e = machine(env, tmp_path, torch_index, "driver-560")
    server = torch_index.start()
    server.clear()
    proc = pallet(tmp_path, e, "tool", "install", "plain")
    assert proc.returncode == 0, proc.stderr
    assert "PyTorch" not in proc.stderr
    assert script_output(e, "plain") == "plain\n"
    assert [r.path for r in server.requests if not r.path.startswith(("/simple/", "/files/"))] == []
    assert receipt(e, "plain")["variant"] is None
