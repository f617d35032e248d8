"""Build a wheel (PEP 427, binary distribution format) and its ``.dist-info`` directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .archive import ZipWriter, read_source

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .config import ProjectConfig

__all__ = [
    "WHEEL_TAG",
    "build_wheel",
    "dist_info_files",
    "dist_info_name",
    "wheel_file_name",
    "write_dist_info",
    "write_wheel",
]

#: Pure Python, any Python 3 (PEP 425 compatibility tag).
WHEEL_TAG = "py3-none-any"


def dist_info_name(config: ProjectConfig) -> str:
    """``<dist>-<version>.dist-info`` (PEP 427: name normalised with ``_``, version as parsed)."""
    return f"{config.dist_name}-{config.version}.dist-info"


def wheel_file_name(config: ProjectConfig) -> str:
    """``{dist}-{version}-py3-none-any.whl`` (PEP 427 file name convention)."""
    return f"{config.dist_name}-{config.version}-{WHEEL_TAG}.whl"


def _wheel_text() -> str:
    # PEP 427: the WHEEL file, an RFC 822-style header block.
    return (
        "Wheel-Version: 1.0\n"
        f"Generator: pallet-core {__version__}\n"
        "Root-Is-Purelib: true\n"
        f"Tag: {WHEEL_TAG}\n"
    )


def _entry_points_text(entry_points: Mapping[str, Mapping[str, str]]) -> str:
    # Entry points specification: an INI file, one section per group; sorted for reproducibility.
    sections = []
    for group in sorted(entry_points):
        names = entry_points[group]
        if not names:
            continue
        lines = [f"[{group}]"] + [f"{name} = {names[name]}" for name in sorted(names)]
        sections.append("\n".join(lines) + "\n")
    return "\n".join(sections)


def dist_info_files(config: ProjectConfig, metadata: str | None = None) -> list[tuple[str, bytes]]:
    """The ``.dist-info`` files except RECORD, in archive order: (path in wheel, bytes).

    ``metadata`` replaces ``config.metadata`` (the editable build adds a requirement).
    """
    dist_info = dist_info_name(config)
    files = [
        (f"{dist_info}/METADATA", (metadata or config.metadata).encode("utf-8")),
        (f"{dist_info}/WHEEL", _wheel_text().encode("utf-8")),
    ]
    entry_points = _entry_points_text(config.entry_points)
    if entry_points:
        # Entry points spec: entry_points.txt only when there is at least one entry point.
        files.append((f"{dist_info}/entry_points.txt", entry_points.encode("utf-8")))
    for rel in config.license_files:
        # PEP 639: license files go to .dist-info/licenses/ under their path from the root.
        data, _executable = read_source(str(config.root / rel))
        files.append((f"{dist_info}/licenses/{rel}", data))
    return files


def write_dist_info(config: ProjectConfig, directory: Path, metadata: str | None = None) -> str:
    """Write the ``.dist-info`` directory into ``directory`` (PEP 517 prepare_metadata hook).

    Written under a temporary name and renamed, so a failure leaves nothing behind. Returns its
    basename.
    """
    import shutil
    import tempfile

    name = dist_info_name(config)
    files = dist_info_files(config, metadata)
    directory.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=directory, prefix=f".{name}."))
    try:
        for arcname, data in files:
            path = temp / arcname[len(name) + 1 :]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        target = directory / name
        if target.exists():
            shutil.rmtree(target)
        temp.replace(target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return name


def write_wheel(
    config: ProjectConfig,
    directory: Path,
    contents: Iterable[tuple[str, str, bool]],
    generated: Iterable[tuple[str, bytes]] = (),
    metadata: str | None = None,
) -> str:
    """Write a wheel into ``directory``; returns its basename.

    ``contents`` are (path in wheel, path from the project root, force executable) of files to
    copy, ``generated`` (path in wheel, bytes) of files made here (the editable ``.pth``). The
    archive holds them sorted by path, then the ``.dist-info`` files, RECORD last (PEP 427
    encourages putting .dist-info at the end).
    """
    name = wheel_file_name(config)
    directory.mkdir(parents=True, exist_ok=True)
    root = str(config.root)
    entries: list[tuple[str, str | bytes, bool]] = [
        (arc, f"{root}/{rel}", executable) for arc, rel, executable in contents
    ]
    entries.extend((arc, data, False) for arc, data in generated)
    entries.sort(key=lambda entry: entry[0])
    record = f"{dist_info_name(config)}/RECORD"
    with ZipWriter(directory / name, record) as archive:
        for arcname, source, force_executable in entries:
            if isinstance(source, bytes):
                archive.add(arcname, source)
            else:
                data, executable = read_source(source)
                archive.add(arcname, data, executable or force_executable)
        for arcname, data in dist_info_files(config, metadata):
            archive.add(arcname, data)
    return name


def wheel_contents(config: ProjectConfig) -> list[tuple[str, str, bool]]:
    """(path in wheel, path from the root, force executable) of the regular wheel's files."""
    from .files import wheel_files

    packages, data = wheel_files(config)
    contents = [(arc, rel, False) for arc, rel in packages]
    scripts_prefix = f"{config.dist_name}-{config.version}.data/scripts/"
    # PEP 427: files in .data/scripts/ are installed as scripts, so mark them executable.
    contents.extend((arc, rel, arc.startswith(scripts_prefix)) for arc, rel in data)
    return contents


def build_wheel(config: ProjectConfig, directory: Path) -> str:
    """Build the regular wheel of ``config`` into ``directory``; returns its basename."""
    return write_wheel(config, directory, wheel_contents(config))
