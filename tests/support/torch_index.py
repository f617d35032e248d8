"""A PyTorch-like package index for the hardware-variant tests, served on loopback.

It imitates what https://download.pytorch.org/whl/ and PyPI serve, in small wheels:

- ``/simple/`` (PyPI): plain ``torch 2.5.1`` for Linux x86_64/aarch64, macOS arm64/x86_64 and
  Windows amd64; ``torchvision 0.20.1`` and ``torchaudio 2.5.1`` (both ``torch==2.5.1``);
  ``filelock`` (torch's one dependency); the ``onnxruntime``/``onnxruntime-gpu`` pair (separate
  names; the GPU one for Linux x86_64 and Windows only) with ``flatbuffers``; and ``jax`` whose
  ``cuda12`` extra pulls ``jax-cuda12-plugin[with_cuda]`` -> ``jax-cuda12-pjrt`` and
  ``nvidia-*-cu12`` wheels (Linux only), beside ``jaxlib``.
- ``/cpu/``: ``2.5.1+cpu`` for Linux and Windows, plain ``2.5.1`` for macOS (PyTorch's CPU index
  has no ``+cpu`` macOS build); ``/cu121/``, ``/cu126/``: ``+cu121``/``+cu126`` for Linux x86_64
  and Windows amd64 only (no CUDA build for macOS); ``/rocm6.2/``: ``+rocm6.2`` for Linux x86_64
  only. Each has torchvision/torchaudio of the same build, requiring ``torch==2.5.1`` (PEP 440:
  a specifier without a local label matches ``2.5.1+cu126``), and mirrors ``filelock`` byte for
  byte, as PyTorch's indexes mirror their dependencies.

Each torch's ``torch/version.py`` says its build as PyTorch's does (``cuda = "12.6"``,
``hip = "6.2"``, else ``None``), so a test can read which one an environment got.

Usage (module scope pays: ~60 small wheels are built once)::

    @pytest.fixture(scope="module")
    def torch_index(tmp_path_factory):
        with build_torch_index(tmp_path_factory.mktemp("torch-index")) as index:
            yield index

    torch_index.url("cu126")     # "http://127.0.0.1:PORT/cu126/"
    torch_index.url("simple")    # "http://127.0.0.1:PORT/simple/"
    project.write_text(torch_index.pyproject(["cu126", "rocm6.2", "cpu"]))
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from .dists import make_wheel
from .index_server import IndexServer

__all__ = [
    "BACKENDS",
    "BUILDS",
    "PLATFORM_TAGS",
    "TORCH",
    "TORCHAUDIO",
    "TORCHVISION",
    "TorchIndex",
    "build_torch_index",
    "variant_extra",
]

TORCH = "2.5.1"
TORCHVISION = "0.20.1"
TORCHAUDIO = "2.5.1"
FILELOCK = "3.16.1"

#: Wheel platform tags by platform, as the real wheels carry them (PEP 600 manylinux).
PLATFORM_TAGS: Mapping[str, str] = {
    "linux-x86_64": "manylinux_2_17_x86_64",
    "linux-aarch64": "manylinux_2_17_aarch64",
    "macos-arm64": "macosx_11_0_arm64",
    "macos-x86_64": "macosx_10_15_x86_64",
    "windows-amd64": "win_amd64",
}

_LINUX_WINDOWS = ("linux-x86_64", "linux-aarch64", "windows-amd64")
_MACOS = ("macos-arm64", "macos-x86_64")


@dataclass(frozen=True)
class Build:
    """One of PyTorch's builds: its local version label per platform (None: plain version)."""

    local: Mapping[str, str | None]
    cuda: str | None = None
    hip: str | None = None


#: What each index path serves: platform -> local label (None: the plain version); "simple" is PyPI.
BUILDS: Mapping[str, Build] = {
    "simple": Build({p: None for p in PLATFORM_TAGS}, cuda="12.4"),
    "cpu": Build({**{p: "cpu" for p in _LINUX_WINDOWS}, **{p: None for p in _MACOS}}),
    "cu121": Build({"linux-x86_64": "cu121", "windows-amd64": "cu121"}, cuda="12.1"),
    "cu126": Build({"linux-x86_64": "cu126", "windows-amd64": "cu126"}, cuda="12.6"),
    "rocm6.2": Build({"linux-x86_64": "rocm6.2"}, hip="6.2"),
}

#: The variant index paths (PyTorch's backend names), newest CUDA first, then ROCm, then CPU.
BACKENDS: tuple[str, ...] = ("cu126", "cu121", "rocm6.2", "cpu")

_PY = "py3-none"  # one wheel per platform serves every CPython (the tests need platforms only)


def variant_extra(backend: str) -> str:
    """The extra named for a backend: its PEP 685 normalized form (``rocm6.2`` -> ``rocm6-2``)."""
    return re.sub(r"[-_.]+", "-", backend).lower()


def _version_py(version: str, build: Build, platform: str) -> str:
    # As torch/version.py reads in PyTorch's wheels; the simple index's Linux x86_64 torch is
    # the CUDA build PyPI serves, its other platforms CPU builds.
    cuda = build.cuda if (build.local.get(platform) or platform == "linux-x86_64") else None
    return f"__version__ = {version!r}\ncuda = {cuda!r}\nhip = {build.hip!r}\ndebug = False\n"


def _torch_family(directory: Path, build: Build) -> None:
    for platform, local in build.local.items():
        tag = f"{_PY}-{PLATFORM_TAGS[platform]}"
        suffix = f"+{local}" if local else ""
        torch = TORCH + suffix
        make_wheel(
            directory,
            "torch",
            torch,
            tag=tag,
            requires_dist=["filelock"],
            files={"torch/version.py": _version_py(torch, build, platform)},
        )
        for name, version in (("torchvision", TORCHVISION), ("torchaudio", TORCHAUDIO)):
            make_wheel(
                directory,
                name,
                version + suffix,
                tag=tag,
                requires_dist=[f"torch=={TORCH}"],
            )


def _onnxruntime(directory: Path) -> None:
    """Two distribution names for one import: ``onnxruntime`` (CPU, every platform) and
    ``onnxruntime-gpu`` (CUDA, Linux x86_64 and Windows amd64), as on PyPI."""
    make_wheel(directory, "flatbuffers", "24.3.25")
    for platform, tag in PLATFORM_TAGS.items():
        make_wheel(
            directory,
            "onnxruntime",
            "1.20.1",
            tag=f"{_PY}-{tag}",
            requires_dist=["flatbuffers"],
            files={"onnxruntime/capi/build.py": "device = 'cpu'\n"},
        )
        if platform in ("linux-x86_64", "windows-amd64"):
            make_wheel(
                directory,
                "onnxruntime-gpu",
                "1.20.1",
                tag=f"{_PY}-{tag}",
                requires_dist=["flatbuffers"],
                files={"onnxruntime_gpu/capi/build.py": "device = 'cuda'\n"},
            )


#: The ``nvidia-*-cu12`` wheels ``jax-cuda12-plugin[with_cuda]`` pulls in (Linux only).
NVIDIA_CU12: Mapping[str, str] = {
    "nvidia-cublas-cu12": "12.6.4.1",
    "nvidia-cuda-runtime-cu12": "12.6.77",
    "nvidia-cudnn-cu12": "9.5.1.17",
}


def _jax(directory: Path) -> None:
    """``jax`` (pure) with the ``cuda12`` extra (``jax-cuda12-plugin[with_cuda]``, ``jaxlib``),
    ``jaxlib`` for every platform, the CUDA plugin and PJRT for Linux only, as on PyPI."""
    version = "0.4.35"
    make_wheel(
        directory,
        "jax",
        version,
        requires_dist=[f"jaxlib<={version},>=0.4.34", "ml-dtypes>=0.4.0"],
        extras={
            "cuda12": [f"jax-cuda12-plugin[with_cuda]<={version},>=0.4.34", f"jaxlib=={version}"]
        },
    )
    make_wheel(directory, "ml-dtypes", "0.5.0")
    for tag in PLATFORM_TAGS.values():
        make_wheel(directory, "jaxlib", version, tag=f"{_PY}-{tag}", requires_dist=["ml-dtypes"])
    for platform in ("linux-x86_64", "linux-aarch64"):
        tag = f"{_PY}-{PLATFORM_TAGS[platform]}"
        make_wheel(
            directory,
            "jax-cuda12-plugin",
            version,
            tag=tag,
            requires_dist=[f"jax-cuda12-pjrt=={version}"],
            extras={"with_cuda": [f"{name}>={v.split('.')[0]}" for name, v in NVIDIA_CU12.items()]},
        )
        make_wheel(directory, "jax-cuda12-pjrt", version, tag=tag)
        for name, v in NVIDIA_CU12.items():
            make_wheel(directory, name, v, tag=tag)


@dataclass
class TorchIndex:
    """The built index directories and, while entered, the server that serves them."""

    root: Path
    directories: Mapping[str, Path]
    server_options: Mapping[str, Any] = field(default_factory=dict)
    server: IndexServer | None = None

    def __enter__(self) -> TorchIndex:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> IndexServer:
        if self.server is None:
            extra = {k: v for k, v in self.directories.items() if k != "simple"}
            self.server = IndexServer(
                self.directories["simple"], indexes=extra, **self.server_options
            ).start()
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def url(self, path: str = "simple") -> str:
        """The simple API root of an index path: ``"simple"`` (PyPI), ``"cpu"``, ``"cu126"``…,
        with a trailing slash."""
        if self.server is None:
            raise RuntimeError("the torch index is not being served: use `with TorchIndex`")
        return self.server.index_url(path)

    def pyproject(
        self,
        backends: Sequence[str] = ("cu126", "rocm6.2", "cpu"),
        *,
        packages: Sequence[str] = ("torch>=2.5", "torchvision"),
        default: str = "cpu",
        requires: Mapping[str, str | None] | None = None,
        name: str = "demo",
        dependencies: Sequence[str] = (),
        more: str = "",
    ) -> str:
        """The pyproject.toml of a project with one variant extra per backend (named by
        `variant_extra`, listed in ``backends``' order), each taking ``packages`` from its own
        explicit index, ``/simple/`` as the default index. ``requires``: per backend (default:
        ``cuda>=X.Y`` for ``cuXYZ``, ``rocm>=X.Y`` for ``rocmX.Y``, none for cpu). ``more``: TOML
        appended."""
        return variant_pyproject(
            {b: self.url(b) for b in backends},
            self.url("simple"),
            packages=packages,
            default=default,
            requires=requires,
            name=name,
            dependencies=dependencies,
            more=more,
        )


def backend_requirement(backend: str) -> str | None:
    """The requirement PyTorch's backend name implies: ``cu126`` -> ``cuda>=12.6``,
    ``rocm6.2`` -> ``rocm>=6.2``, ``cpu`` -> None."""
    if backend.startswith("cu") and backend[2:].isdigit() and len(backend) >= 5:
        digits = backend[2:]
        return f"cuda>={digits[:-1]}.{digits[-1]}"
    if backend.startswith("rocm"):
        return f"rocm>={backend[4:]}"
    return None


def variant_pyproject(
    backend_urls: Mapping[str, str],
    default_url: str,
    *,
    packages: Sequence[str] = ("torch>=2.5", "torchvision"),
    default: str = "cpu",
    requires: Mapping[str, str | None] | None = None,
    name: str = "demo",
    dependencies: Sequence[str] = (),
    more: str = "",
) -> str:
    """`TorchIndex.pyproject` on any URLs (``backend_urls`` in preference order)."""
    deps = ", ".join(f'"{d}"' for d in dependencies)
    pkgs = ", ".join(f'"{p}"' for p in packages)
    extras = [variant_extra(b) for b in backend_urls]
    lines = [
        "[project]",
        f'name = "{name}"',
        'version = "1.0"',
        'requires-python = ">=3.9"',
        f"dependencies = [{deps}]",
        "",
        "[project.optional-dependencies]",
        *(f"{extra} = [{pkgs}]" for extra in extras),
        "",
        "[tool.pallet.variants]",
        "extras = [" + ", ".join(f'"{e}"' for e in extras) + "]",
        f'default = "{variant_extra(default)}"',
        "",
    ]
    for backend in backend_urls:
        extra = variant_extra(backend)
        req = (requires or {}).get(backend, backend_requirement(backend))
        lines.append(f"[tool.pallet.variants.{extra}]")
        if req:
            lines.append(f'requires = "{req}"')
        lines += [f'index = "pytorch-{extra}"', ""]
    lines += ["[[tool.pallet.index]]", 'name = "pypi-local"', f'url = "{default_url}"']
    lines += ["default = true", ""]
    for backend, url in backend_urls.items():
        extra = variant_extra(backend)
        lines += ["[[tool.pallet.index]]", f'name = "pytorch-{extra}"', f'url = "{url}"']
        lines += ["explicit = true", ""]
    return "\n".join(lines) + more


def build_torch_index(root: Path, **server_options: Any) -> TorchIndex:
    """Write the index directories under ``root`` (``root/<path>/``); ``server_options`` go to
    `IndexServer`. Enter the returned `TorchIndex` to serve them."""
    directories = {path: root / path for path in BUILDS}
    for path, build in BUILDS.items():
        _torch_family(directories[path], build)
    simple = directories["simple"]
    filelock = make_wheel(simple, "filelock", FILELOCK)
    for path in BACKENDS:  # PyTorch's indexes mirror their dependencies: the same bytes
        shutil.copyfile(filelock, directories[path] / filelock.name)
    _onnxruntime(simple)
    _jax(simple)
    return TorchIndex(root, directories, dict(server_options))
