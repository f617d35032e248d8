"""A variant lock installed by tools that know nothing of pallet's variants (issue 12): uv and pip
install ``pylock.toml`` with the extra they are given, and the default variant with none.

The projects use the PyTorch-like loopback index (`support.torch_index`): torch/torchvision over
four PyTorch index paths, the ``onnxruntime``/``onnxruntime-gpu`` pair and ``jax[cuda12]``. Each
expected set comes from uv resolving the same requirements straight from the index the variant
names (``uv pip install --dry-run --index-url <variant index>``) for this machine, or, where that
index has no build for it, from the default variant's index, as the contract says; never from
pallet. The installs are real: fresh venvs, real wheels, and each torch's ``torch/version.py``
read back from the environment.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from support.lock_tools import lock_pyproject, pallet_env, run_pallet_lock, uv_env, uv_install
from support.torch_index import TorchIndex, build_torch_index

UV = Path(sys.executable).parent / "uv"
TIMEOUT = 120

pytestmark = pytest.mark.skipif(not UV.exists(), reason="uv is not installed in the test venv")

#: variant extra -> the torch index path it names (the default, cpu, for no extra)
TORCH_PATHS = {None: "cpu", "cpu": "cpu", "cu126": "cu126", "rocm6-2": "rocm6.2"}


@pytest.fixture(scope="module")
def torch_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TorchIndex]:
    with build_torch_index(tmp_path_factory.mktemp("torch-index")) as index:
        yield index


def _lock(root: Path, pyproject: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    proc = run_pallet_lock(root, pallet_env(root), timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    return root / "pylock.toml"


def uv_resolves(tmp_path: Path, index_url: str, reqs: Sequence[str]) -> dict[str, str] | None:
    """What uv installs for ``reqs`` on this machine from ``index_url`` alone (None: nothing
    fits this machine there)."""
    env = uv_env(tmp_path)
    del env["UV_NO_INDEX"]
    proc = subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "--dry-run",
            "--python",
            sys.executable,
            "--target",
            str(tmp_path / "dry-target"),
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
    if proc.returncode != 0:
        assert "no wheels with a matching platform tag" in proc.stderr, proc.stderr
        return None
    found = {}
    for line in proc.stderr.splitlines() + proc.stdout.splitlines():
        if line.startswith(" + "):
            name, _, version = line[3:].partition("==")
            found[name] = version
    return found


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _torch_build(python: Path) -> tuple[str, str | None, str | None]:
    code = "import torch.version as v; print(v.__version__, v.cuda, v.hip)"
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, timeout=TIMEOUT
    ).stdout.split()
    return out[0], None if out[1] == "None" else out[1], None if out[2] == "None" else out[2]


# -- torch, three variants ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch_lock(torch_index: TorchIndex, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("torch-project")
    return _lock(root, torch_index.pyproject(["cu126", "rocm6.2", "cpu"]))


def _expected_torch(torch_index: TorchIndex, tmp_path: Path, extra: str | None) -> dict[str, str]:
    reqs = ("torch>=2.5", "torchvision")
    wanted = uv_resolves(tmp_path, torch_index.url(TORCH_PATHS[extra]), reqs)
    if wanted is None:  # the variant has no build here: the default's
        wanted = uv_resolves(tmp_path, torch_index.url("cpu"), reqs)
    assert wanted is not None
    return wanted


@pytest.mark.parametrize("extra", [None, "cu126", "rocm6-2", "cpu"])
def test_uv_installs_the_named_variant(
    torch_index: TorchIndex, torch_lock: Path, tmp_path: Path, extra: str | None
) -> None:
    expected = _expected_torch(torch_index, tmp_path, extra)
    flags = ("--extra", extra) if extra else ()
    got = uv_install(UV, tmp_path, torch_lock, *flags, timeout=TIMEOUT)
    assert got == expected
    version, cuda, hip = _torch_build(_venv_python(tmp_path / "venv"))
    assert version == expected["torch"]
    local = version.partition("+")[2]
    assert cuda == ("12.6" if local == "cu126" else None)
    assert hip == ("6.2" if local == "rocm6.2" else None)


def test_uv_with_every_extra_installs_the_most_preferred(
    torch_index: TorchIndex, torch_lock: Path, tmp_path: Path
) -> None:
    """All three extras selected: one torch, the first variant in preference order that this
    machine has a build of (cu126 on Linux x86_64 and Windows)."""
    for extra in ("cu126", "rocm6-2", "cpu"):
        reqs = ("torch>=2.5", "torchvision")
        expected = uv_resolves(tmp_path, torch_index.url(TORCH_PATHS[extra]), reqs)
        if expected is not None:
            break
    got = uv_install(UV, tmp_path, torch_lock, "--all-extras", timeout=TIMEOUT)
    assert got == expected


@pytest.mark.parametrize("extra", [None, "cu126"])
def test_pip_installs_the_named_variant(
    torch_index: TorchIndex, torch_lock: Path, tmp_path: Path, extra: str | None
) -> None:
    """pip (its experimental pylock.toml support: ``-r pylock.toml[extra]``) agrees."""
    expected = _expected_torch(torch_index, tmp_path, extra)
    venv = tmp_path / "pip-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=TIMEOUT
    )
    env = {**pallet_env(tmp_path), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env["PIP_CACHE_DIR"] = str(tmp_path / "pip-cache")
    source = f"{torch_lock}[{extra}]" if extra else str(torch_lock)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(_venv_python(venv)), "install", "-r", source],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert _torch_build(_venv_python(venv))[0] == expected["torch"]
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(_venv_python(venv)),
            "list",
            "--format=freeze",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=True,
    ).stdout
    got = dict(line.split("==") for line in listed.split() if "==" in line)
    got.pop("pip", None)
    assert got == expected


def test_variants_add_then_uv(
    torch_index: TorchIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole path a user takes: ``pallet variants add``, then a plain installer."""
    from pallet.cli import variants_add

    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(lock_pyproject(torch_index.url(), []), encoding="utf-8")
    parser = argparse.ArgumentParser()
    variants_add.add_parser(parser.add_subparsers())
    args = parser.parse_args(
        [
            "add",
            "torch",
            "torchvision",
            "--backends",
            "cpu,cu126,rocm6.2",
            "--index-url-pattern",
            f"{torch_index.start().base_url}/{{backend}}/",
            "--project",
            str(root),
        ]
    )
    args.verbose, args.quiet = False, True
    for key, value in pallet_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert variants_add.run(args) == 0
    expected = _expected_torch(torch_index, tmp_path, "cu126")
    got = uv_install(UV, tmp_path, root / "pylock.toml", "--extra", "cu126", timeout=TIMEOUT)
    assert got == expected


# -- the two other shapes -----------------------------------------------------------------------


def _shape_pyproject(url: str, extras: dict[str, str], order: list[str], requires: str) -> str:
    lines = [
        "[project]",
        'name = "demo"',
        'version = "1.0"',
        'requires-python = ">=3.9"',
        "dependencies = []",
        "",
        "[project.optional-dependencies]",
        *(f'{name} = ["{req}"]' for name, req in extras.items()),
        "",
        "[tool.pallet.variants]",
        "extras = [" + ", ".join(f'"{e}"' for e in order) + "]",
        f'default = "{order[-1]}"',
        "",
        f"[tool.pallet.variants.{order[0]}]",
        f'requires = "{requires}"',
        "",
        "[[tool.pallet.index]]",
        'name = "local"',
        f'url = "{url}"',
        "default = true",
        "",
    ]
    return "\n".join(lines)


SHAPES = {
    "onnxruntime": (
        {"gpu": "onnxruntime-gpu>=1.20", "cpu": "onnxruntime>=1.20"},
        ["gpu", "cpu"],
        "cuda>=12.0",
    ),
    "jax": (
        {"cuda12": "jax[cuda12]>=0.4.35", "cpu": "jax>=0.4.35"},
        ["cuda12", "cpu"],
        "cuda>=12.1",
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("selected", [None, "gpu"])
def test_other_shapes_install_right(
    torch_index: TorchIndex, tmp_path: Path, shape: str, selected: str | None
) -> None:
    extras, order, requires = SHAPES[shape]
    lock = _lock(tmp_path / "proj", _shape_pyproject(torch_index.url(), extras, order, requires))
    extra = order[0] if selected else None
    expected = uv_resolves(tmp_path, torch_index.url(), [extras[extra or order[-1]]])
    if expected is None:  # no GPU build for this machine: the default's
        expected = uv_resolves(tmp_path, torch_index.url(), [extras[order[-1]]])
    flags = ("--extra", extra) if extra else ()
    assert uv_install(UV, tmp_path, lock, *flags, timeout=TIMEOUT) == expected
