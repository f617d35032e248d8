"""A small PyTorch-shaped set of indexes for the sync tests of hardware variants (issue 12).

One loopback `IndexServer` per index, as PyTorch serves one URL per build:

- ``main``: ``filelock`` (torch's dependency, shared by every variant) and ``plotty`` (an
  ordinary extra's package);
- ``cpu``, ``cu121``, ``cu126``, ``rocm``: ``torch 2.5.1+<build>`` (requiring ``filelock``) and
  ``torchvision 0.20.1+<build>`` (requiring ``torch==2.5.1``, as the real one does), each
  ``torch/version.py`` saying its build.

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

BUILDS = ("cpu", "cu121", "cu126", "rocm")
#: what each build's torch/version.py says (PyTorch's own `torch.version` attributes)
VERSION_PY = {
    "cpu": "cuda = None\nhip = None\n",
    "cu121": 'cuda = "12.1"\nhip = None\n',
    "cu126": 'cuda = "12.6"\nhip = None\n',
    "rocm": 'cuda = None\nhip = "6.2"\n',
}
#: each variant's requirement (variants/requirement.py's language)
REQUIRES = {
    "cu126": "cuda>=12.6, sm>=7.5",
    "cu121": "cuda>=12.1",
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
        build_wheel(
            folders[build],
            "torch",
            f"2.5.1{local}",
            {"torch/__init__.py": "", "torch/version.py": VERSION_PY[build]},
            requires_dist=("filelock",),
        )
        build_wheel(
            folders[build],
            "torchvision",
            f"0.20.1{local}",
            {"torchvision/__init__.py": ""},
            requires_dist=("torch==2.5.1",),
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


def _marker(order: Sequence[str], name: str, default: str) -> str:
    """The marker of a variant's own entries (contract: the first variant in preference order
    that is selected wins; none selected: the default, here always the last)."""
    assert order[-1] == default
    if name == default:
        return " and ".join(f"'{v}' not in extras" for v in order if v != name)
    before = order[: order.index(name)]
    return " and ".join([f"'{name}' in extras", *(f"'{v}' not in extras" for v in before)])


def write_variant_lock(
    project: Path,
    indexes: VariantIndexes,
    extras: Sequence[str] = ("cu126", "cu121", "rocm", "cpu"),
) -> Path:
    """A PEP 751 ``pylock.toml`` for `variant_pyproject`'s project, written by hand in the shape
    the lock helper's resolver writes (issue 12: each variant's entries marked so that any
    selection installs exactly one variant, none selected installs ``cpu``), with the
    ``[tool.pallet] variants`` tail. Used with ``--frozen``: it carries no pallet digests."""
    import hashlib

    def wheel(server: str, filename: str) -> str:
        data = (indexes.servers[server].root / filename).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        url = indexes.servers[server].files_url + filename
        file = f'name = "{filename}", url = "{url}", size = {len(data)}'
        return f'wheels = [{{ {file}, hashes = {{ sha256 = "{sha}" }} }}]'

    lines = [
        'lock-version = "1.0"',
        'created-by = "tests/support/variant_index.py"',
        'requires-python = ">=3.9"',
        "extras = [" + ", ".join(f'"{e}"' for e in sorted(["plot", *extras])) + "]",
        "",
    ]

    def package(name: str, version: str, server: str, filename: str, marker: str | None) -> None:
        lines.extend(["[[packages]]", f'name = "{name}"', f'version = "{version}"'])
        if marker:
            lines.append(f'marker = "{marker}"')
        lines.extend([f'index = "{indexes.url(server)}"', wheel(server, filename), ""])

    package("filelock", "3.16.1", "main", "filelock-3.16.1-py3-none-any.whl", None)
    package("plotty", "1.0", "main", "plotty-1.0-py3-none-any.whl", "'plot' in extras")
    for name in extras:
        local = "rocm6.2" if name == "rocm" else name
        marker = _marker(extras, name, "cpu")
        package("torch", f"2.5.1+{local}", name, f"torch-2.5.1+{local}-py3-none-any.whl", marker)
        package(
            "torchvision",
            f"0.20.1+{local}",
            name,
            f"torchvision-0.20.1+{local}-py3-none-any.whl",
            marker,
        )
    lines.append("[tool.pallet]")
    lines.append("variants = [")
    for name in extras:
        keys = [f'name = "{name}"']
        if name in REQUIRES:
            keys.append(f'requires = "{REQUIRES[name]}"')
        keys.append(f'index = "{indexes.url(name)}"')
        if name == "cpu":
            keys.append("default = true")
        lines.append("    { " + ", ".join(keys) + " },")
    lines.append("]")
    path = project / "pylock.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
