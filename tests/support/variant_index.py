"""A small PyTorch-shaped set of indexes for the variant lock tests (issue 12), one loopback
`IndexServer` per index: ``pypi`` (plain ``torch 2.5.1`` for every platform, ``filelock``,
``torchvision``, ``docsy``), ``cpu`` (``+cpu`` builds for Linux and Windows, plain builds for
macOS), ``cu126`` (Linux x86_64 and Windows amd64 only) and ``rocm`` (Linux x86_64 only).
Every torch requires ``filelock``; each torchvision requires ``torch==2.5.1`` (which a local
version matches, PEP 440). The fuller fixture is `support.torch_index`.

    with VariantIndexes(tmp_path) as indexes:
        (root / "pyproject.toml").write_text(indexes.pyproject())
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from .dists import make_wheel
from .index_server import IndexServer

__all__ = ["LINUX", "LINUX_ARM", "MAC_ARM", "MAC_X86", "WIN", "WIN_ARM", "VariantIndexes"]

LINUX = "manylinux_2_17_x86_64"
LINUX_ARM = "manylinux_2_17_aarch64"
MAC_ARM = "macosx_11_0_arm64"
MAC_X86 = "macosx_10_13_x86_64"
WIN = "win_amd64"
WIN_ARM = "win_arm64"

#: index -> [(local version label, platforms)]
BUILDS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "cpu": [("+cpu", (LINUX, LINUX_ARM, WIN, WIN_ARM)), ("", (MAC_ARM, MAC_X86))],
    "cu126": [("+cu126", (LINUX, WIN))],
    "rocm": [("+rocm6.2", (LINUX,))],
}


def _torch_pair(folder: Path, local: str, platforms: tuple[str, ...]) -> None:
    for platform in platforms:
        tag = f"py3-none-{platform}"
        make_wheel(folder, "torch", f"2.5.1{local}", requires_dist=["filelock"], tag=tag)
        make_wheel(folder, "torchvision", f"0.20.1{local}", requires_dist=["torch==2.5.1"], tag=tag)


class VariantIndexes:
    """The four indexes, served while the object is entered."""

    def __init__(self, root: Path) -> None:
        self.folders = {name: root / f"index-{name}" for name in ("pypi", *BUILDS)}
        pypi = self.folders["pypi"]
        make_wheel(pypi, "torch", "2.5.1", requires_dist=["filelock"])
        make_wheel(pypi, "torchvision", "0.20.1", requires_dist=["torch==2.5.1"])
        make_wheel(pypi, "filelock", "3.16.1")
        make_wheel(pypi, "docsy", "1.0")
        for index, builds in BUILDS.items():
            for local, platforms in builds:
                _torch_pair(self.folders[index], local, platforms)
        self.servers: dict[str, IndexServer] = {}

    def __enter__(self) -> VariantIndexes:
        for name, folder in self.folders.items():
            self.servers[name] = IndexServer(folder, format="json", metadata=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for server in self.servers.values():
            server.stop()

    def url(self, name: str) -> str:
        return self.servers[name].url

    def metadata_requests(self) -> list[str]:
        """Every PEP 658 metadata request the servers answered, as ``index:path``."""
        return [
            f"{name}:{r.path}"
            for name, server in self.servers.items()
            for r in server.requests
            if r.path.endswith(".metadata")
        ]

    def indexes_toml(self) -> str:
        out = f'[[tool.pallet.index]]\nname = "pypi"\nurl = "{self.url("pypi")}"\ndefault = true\n'
        for name in BUILDS:
            out += (
                f'\n[[tool.pallet.index]]\nname = "{name}"\nurl = "{self.url(name)}"\n'
                "explicit = true\n"
            )
        return out

    def pyproject(self, variants: str | None = None, *, extras: str = "") -> str:
        """A project with the extras cpu, cu126, rocm (torch and torchvision) and docs, and
        ``variants`` as its [tool.pallet.variants] tables (default: cu126, rocm, cpu, each
        from its index)."""
        if variants is None:
            variants = (
                '[tool.pallet.variants]\nextras = ["cu126", "rocm", "cpu"]\ndefault = "cpu"\n'
                '[tool.pallet.variants.cu126]\nrequires = "cuda>=12.6"\nindex = "cu126"\n'
                '[tool.pallet.variants.rocm]\nrequires = "rocm>=6.2"\nindex = "rocm"\n'
                '[tool.pallet.variants.cpu]\nindex = "cpu"\n'
            )
        torch = '["torch>=2.5", "torchvision"]'
        return (
            '[project]\nname = "app"\nversion = "1.0"\nrequires-python = ">=3.9"\n'
            "dependencies = []\n\n[project.optional-dependencies]\n"
            f'cpu = {torch}\ncu126 = {torch}\nrocm = {torch}\ndocs = ["docsy"]\n{extras}\n'
            f"{variants}\n{self.indexes_toml()}"
        )
