"""Build a source distribution: ``{name}-{version}.tar.gz`` with PKG-INFO (PEP 517, 625, 643)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .archive import TarWriter, read_source

if TYPE_CHECKING:
    from pathlib import Path

    from .config import ProjectConfig

__all__ = ["build_sdist", "sdist_file_name", "sdist_members"]


def sdist_file_name(config: ProjectConfig) -> str:
    """PEP 625: ``{dist_name}-{version}.tar.gz``, the name normalised with ``_``."""
    return f"{config.dist_name}-{config.version}.tar.gz"


def sdist_members(config: ProjectConfig) -> list[str]:
    """Paths in the sdist below its top directory, sorted, PKG-INFO included."""
    from .files import sdist_files

    return sorted({*sdist_files(config), "PKG-INFO"})


def build_sdist(config: ProjectConfig, directory: Path) -> str:
    """Build the sdist of ``config`` into ``directory``; returns its basename.

    PEP 517: one top-level directory ``{name}-{version}/`` holding pyproject.toml and PKG-INFO
    (core metadata 2.2+, PEP 643, the same text as the wheel's METADATA).
    """
    name = sdist_file_name(config)
    top = f"{config.dist_name}-{config.version}"
    directory.mkdir(parents=True, exist_ok=True)
    root = str(config.root)
    with TarWriter(directory / name) as archive:
        for rel in sdist_members(config):
            if rel == "PKG-INFO":
                archive.add(f"{top}/PKG-INFO", config.metadata.encode("utf-8"))
            else:
                data, executable = read_source(f"{root}/{rel}")
                archive.add(f"{top}/{rel}", data, executable)
    return name
