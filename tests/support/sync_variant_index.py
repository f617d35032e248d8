"""A small PyTorch-shaped set of indexes for the sync tests of hardware variants (issue 12).

(`support.variant_index` is the lock tests' fuller one, with per-platform wheels.)

One loopback `IndexServer` per index, as PyTorch serves one URL per build:

- ``main``: ``filelock`` (torch's dependency, shared by every variant) and ``plotty`` (an
  ordinary extra's package);
- ``cpu``, ``cu121``, ``cu124``, ``cu126``, ``rocm``: ``torch 2.5.1+<build>`` (requiring
  ``filelock``) and ``torchvision 0.20.1+<build>`` (requiring ``torch==2.5.1``, as the real one
  does), each ``torch/version.py`` saying its build; pure-Python wheels, but ``cu124``'s only for
  Windows (``ONLY_ON``).

`variant_pyproject` writes a project whose variant extras take torch and torchvision from
those indexes (``explicit``: used only where a variant names them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from support.index_server import IndexServer
from support.wheels import build_wheel

BUILDS = ("cpu", "cu121", "cu124", "cu126", "rocm")
#: a build with wheels for one platform only (CUDA builds have none for macOS): the lock marks
#: its variant unavailable everywhere else
ONLY_ON = {"cu124": "win_amd64"}
#: what each build's torch/version.py says (PyTorch's own `torch.version` attributes)
VERSION_PY = {
    "cpu": "cuda = None\nhip = None\n",
    "cu121": 'cuda = "12.1"\nhip = None\n',
    "cu124": 'cuda = "12.4"\nhip = None\n',
    "cu126": 'cuda = "12.6"\nhip = None\n',
    "rocm": 'cuda = None\nhip = "6.2"\n',
}
#: each variant's requirement (variants/requirement.py's language)
REQUIRES = {
    "cu126": "cuda>=12.6, sm>=7.5",
    "cu121": "cuda>=12.1",
    "cu124": "cuda>=12.4",
    "rocm": "rocm>=6.2",
}


@dataclass(frozen=True)
class VariantIndexes:
    """The running servers, by index name (``main`` and each build)."""

    servers: dict[str, IndexServer]

    def url(self, name: str) -> str:
        return self.servers[name].url


def make_variant_dists(root: Path) -> dict[str, Path]:
    """Each index's folder of wheels under `root`."""
    folders = {name: root / name for name in ("main", *BUILDS)}
    main = folders["main"]
    build_wheel(main, "filelock", "3.16.1", {"filelock/__init__.py": ""})
    build_wheel(main, "plotty", "1.0", {"plotty.py": ""})
    for build in BUILDS:
        local = f"+{build}" if build != "rocm" else "+rocm6.2"
        tag = f"py3-none-{ONLY_ON.get(build, 'any')}"
        build_wheel(
            folders[build],
            "torch",
            f"2.5.1{local}",
            {"torch/__init__.py": "", "torch/version.py": VERSION_PY[build]},
            requires_dist=("filelock",),
            tag=tag,
        )
        build_wheel(
            folders[build],
            "torchvision",
            f"0.20.1{local}",
            {"torchvision/__init__.py": ""},
            requires_dist=("torch==2.5.1",),
            tag=tag,
        )
    return folders


@contextlib.contextmanager
def variant_indexes(root: Path) -> Iterator[VariantIndexes]:
    """The indexes, served on 127.0.0.1 while the context lasts."""
    folders = make_variant_dists(root)
    with contextlib.ExitStack() as stack:
        servers = {
            name: stack.enter_context(IndexServer(folder, format="json", metadata=True))
            for name, folder in folders.items()
        }
        yield VariantIndexes(servers)


def variant_pyproject(
    indexes: VariantIndexes, extras: Sequence[str] = ("cu126", "cu121", "rocm", "cpu")
) -> str:
    """A virtual project (no build system) depending on filelock, with an ordinary extra
    ``plot`` and the variant extras `extras` (preference order), ``cpu`` the default."""
    lines = [
        "[project]",
        'name = "gpuapp"',
        'version = "1.0"',
        'requires-python = ">=3.9"',
        'dependencies = ["filelock"]',
        "",
        "[project.optional-dependencies]",
        'plot = ["plotty"]',
    ]
    lines += [f'{name} = ["torch>=2.5", "torchvision"]' for name in extras]
    listed = ", ".join(f'"{name}"' for name in extras)
    lines += ["", "[tool.pallet.variants]", f"extras = [{listed}]", 'default = "cpu"']
    for name in extras:
        lines += ["", f"[tool.pallet.variants.{name}]", f'index = "pt-{name}"']
        if name in REQUIRES:
            lines.append(f'requires = "{REQUIRES[name]}"')
    lines += ["", "[[tool.pallet.index]]", 'name = "main"', f'url = "{indexes.url("main")}"']
    lines.append("default = true")
    for name in extras:
        lines += ["", "[[tool.pallet.index]]", f'name = "pt-{name}"']
        lines += [f'url = "{indexes.url(name)}"', "explicit = true"]
    return "\n".join(lines) + "\n"
