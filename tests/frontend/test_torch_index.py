"""The PyTorch-like test index (`support.torch_index`) checked by uv and pip: each index path gives
what PyTorch's real one gives (CUDA builds for Linux x86_64 and Windows only, ``+cpu`` but plain
macOS builds on the CPU index, torchvision's ``torch==2.5.1`` met by ``2.5.1+cu126`` as PEP 440
says), and the onnxruntime and ``jax[cuda12]`` shapes resolve as on PyPI.

The tools run with ``--dry-run`` for a foreign ``--python-platform``/``--platform``: nothing is
installed, only what they would install is read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.torch_index import TorchIndex, build_torch_index

UV = Path(sys.executable).parent / "uv"
TIMEOUT = 60

pytestmark = pytest.mark.skipif(not UV.exists(), reason="uv is not installed in the test venv")


@pytest.fixture(scope="module")
def torch_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TorchIndex]:
    with build_torch_index(tmp_path_factory.mktemp("torch-index")) as index:
        yield index


@pytest.fixture(scope="module")
def tool_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("tool-cache")
    out = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PALLET_"))}
    out.update(
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(cache / "uv"),
        UV_PYTHON_DOWNLOADS="never",
        PIP_CONFIG_FILE=os.devnull,
        PIP_CACHE_DIR=str(cache / "pip"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        NO_COLOR="1",
    )
    return out


def uv_would_install(
    env: dict[str, str], tmp_path: Path, platform: str, index_url: str, *reqs: str
) -> tuple[int, dict[str, str], str]:
    """uv's answer for ``reqs`` on ``platform`` from one index: exit code, name -> version."""
    proc = subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "--dry-run",
            "--python-platform",
            platform,
            "--python",
            sys.executable,
            "--target",
            str(tmp_path / "target"),
            "--index-url",
            index_url,
            *reqs,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    found = {}
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.startswith(" + "):
            name, _, version = line[3:].partition("==")
            found[name] = version
    return proc.returncode, found, proc.stderr


@pytest.mark.parametrize(
    ("platform", "path", "torch"),
    [
        ("x86_64-manylinux_2_17", "cu126", "2.5.1+cu126"),
        ("x86_64-pc-windows-msvc", "cu126", "2.5.1+cu126"),
        ("x86_64-manylinux_2_17", "cu121", "2.5.1+cu121"),
        ("x86_64-manylinux_2_17", "rocm6.2", "2.5.1+rocm6.2"),
        ("x86_64-manylinux_2_17", "cpu", "2.5.1+cpu"),
        ("aarch64-manylinux_2_17", "cpu", "2.5.1+cpu"),
        ("x86_64-pc-windows-msvc", "cpu", "2.5.1+cpu"),
        ("aarch64-apple-darwin", "cpu", "2.5.1"),
        ("aarch64-apple-darwin", "simple", "2.5.1"),
        ("x86_64-manylinux_2_17", "simple", "2.5.1"),
    ],
)
def test_each_index_path_gives_its_build(
    torch_index: TorchIndex,
    tool_env: dict[str, str],
    tmp_path: Path,
    platform: str,
    path: str,
    torch: str,
) -> None:
    code, found, err = uv_would_install(
        tool_env, tmp_path, platform, torch_index.url(path), "torch", "torchvision", "torchaudio"
    )
    assert code == 0, err
    local = torch.partition("+")[2]
    suffix = f"+{local}" if local else ""
    # torchvision/torchaudio require torch==2.5.1: PEP 440 ignores the candidate's local label
    assert found == {
        "torch": torch,
        "torchvision": f"0.20.1{suffix}",
        "torchaudio": f"2.5.1{suffix}",
        "filelock": "3.16.1",
    }


@pytest.mark.parametrize(
    ("platform", "path"),
    [
        ("aarch64-apple-darwin", "cu126"),
        ("x86_64-apple-darwin", "cu121"),
        ("aarch64-manylinux_2_17", "cu126"),
        ("x86_64-pc-windows-msvc", "rocm6.2"),
        ("aarch64-apple-darwin", "rocm6.2"),
    ],
)
def test_no_gpu_build_where_pytorch_has_none(
    torch_index: TorchIndex,
    tool_env: dict[str, str],
    tmp_path: Path,
    platform: str,
    path: str,
) -> None:
    code, _, err = uv_would_install(tool_env, tmp_path, platform, torch_index.url(path), "torch")
    assert code != 0
    assert "no wheels with a matching platform tag" in err


def test_the_version_file_says_the_build(torch_index: TorchIndex) -> None:
    import zipfile

    expected = {"cu126": ("12.6", None), "rocm6.2": (None, "6.2"), "cpu": (None, None)}
    for path, (cuda, hip) in expected.items():
        wheel = next(torch_index.directories[path].glob("torch-*manylinux_2_17_x86_64.whl"))
        with zipfile.ZipFile(wheel) as zf:
            namespace: dict[str, object] = {}
            exec(zf.read("torch/version.py").decode(), namespace)
        assert (namespace["cuda"], namespace["hip"]) == (cuda, hip), path


def test_pip_matches_torchvision_pin_to_local_build(
    torch_index: TorchIndex, tool_env: dict[str, str], tmp_path: Path
) -> None:
    """pip (a second resolver) agrees: torchvision's torch==2.5.1 takes 2.5.1+cu126."""
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--report",
            str(report),
            "--platform",
            "manylinux_2_17_x86_64",
            "--only-binary=:all:",
            "--target",
            str(tmp_path / "t"),
            "--index-url",
            torch_index.url("cu126"),
            "torchvision",
        ],
        capture_output=True,
        text=True,
        env=tool_env,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    got = {
        item["metadata"]["name"]: item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    assert got == {"torchvision": "0.20.1+cu126", "torch": "2.5.1+cu126", "filelock": "3.16.1"}


@pytest.mark.parametrize(
    ("platform", "reqs", "expected"),
    [
        (
            "x86_64-manylinux_2_17",
            ("jax[cuda12]",),
            {
                "jax",
                "jaxlib",
                "ml-dtypes",
                "jax-cuda12-plugin",
                "jax-cuda12-pjrt",
                "nvidia-cublas-cu12",
                "nvidia-cuda-runtime-cu12",
                "nvidia-cudnn-cu12",
            },
        ),
        ("aarch64-apple-darwin", ("jax",), {"jax", "jaxlib", "ml-dtypes"}),
        ("x86_64-manylinux_2_17", ("onnxruntime-gpu",), {"onnxruntime-gpu", "flatbuffers"}),
        ("aarch64-apple-darwin", ("onnxruntime",), {"onnxruntime", "flatbuffers"}),
    ],
)
def test_onnxruntime_and_jax_shapes(
    torch_index: TorchIndex,
    tool_env: dict[str, str],
    tmp_path: Path,
    platform: str,
    reqs: tuple[str, ...],
    expected: set[str],
) -> None:
    code, found, err = uv_would_install(tool_env, tmp_path, platform, torch_index.url(), *reqs)
    assert code == 0, err
    assert set(found) == expected


@pytest.mark.parametrize("reqs", [("jax[cuda12]",), ("onnxruntime-gpu",)])
def test_gpu_shapes_have_no_macos_build(
    torch_index: TorchIndex, tool_env: dict[str, str], tmp_path: Path, reqs: tuple[str, ...]
) -> None:
    code, _, err = uv_would_install(
        tool_env, tmp_path, "aarch64-apple-darwin", torch_index.url(), *reqs
    )
    assert code != 0
    assert "no wheels with a matching platform tag" in err
