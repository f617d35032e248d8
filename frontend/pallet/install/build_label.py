"""What a build's spinner says: ``Building NAME with BACKEND``, the backend read from the source.

The backend is ``[build-system] build-backend`` of the tree's (or the sdist's) pyproject.toml;
PEP 517: without the file or the key, a tool falls back to setuptools' legacy backend. This is
a label only: a file that cannot be read or parsed gives ``Building NAME``, and the build itself
reports the problem.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["LEGACY_BACKEND", "backend_in", "project_label", "sdist_label", "tree_label"]

#: PEP 517: what a source tree without ``build-backend`` is built with.
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"


def backend_in(pyproject: bytes | None) -> str | None:
    """The build backend named by pyproject.toml's bytes (None: there is no such file); None
    when the file is not valid TOML."""
    if pyproject is None:
        return LEGACY_BACKEND
    try:
        system = tomllib.loads(pyproject.decode("utf-8")).get("build-system")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    backend = system.get("build-backend") if isinstance(system, dict) else None
    return backend if isinstance(backend, str) and backend else LEGACY_BACKEND


def _label(name: str, backend: str | None) -> str:
    return f"Building {name} with {backend}" if backend else f"Building {name}"


def tree_label(name: str, tree: Path) -> str:
    """The label of a build of the source tree at `tree`."""
    try:
        data: bytes | None = (tree / "pyproject.toml").read_bytes()
    except FileNotFoundError:
        data = None
    except OSError:
        return _label(name, None)
    return _label(name, backend_in(data))


def project_label(tree: Path) -> str:
    """The label of a build of the project at `tree` (``pallet build``): its ``[project] name``
    (else the folder's name) with its backend."""
    try:
        data: bytes | None = (tree / "pyproject.toml").read_bytes()
    except FileNotFoundError:
        data = None
    except OSError:
        return _label(tree.name, None)
    name = tree.name
    try:
        project = tomllib.loads(data.decode("utf-8")).get("project") if data else None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        project = None
    if isinstance(project, dict) and isinstance(project.get("name"), str):
        name = project["name"]
    return _label(name, backend_in(data))


def sdist_label(name: str, archive: Path, filename: str) -> str:
    """The label of a build of the sdist `archive` (``.tar.gz`` or ``.zip``, named `filename`):
    its top folder's pyproject.toml (PEP 625: ``{name}-{version}/``), read without unpacking."""
    try:
        return _label(name, backend_in(_top_pyproject(archive, filename)))
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
        return _label(name, None)


def _top_pyproject(archive: Path, filename: str) -> bytes | None:
    def top_level(member: str) -> bool:
        parts = PurePosixPath(member).parts
        return len(parts) == 2 and parts[1] == "pyproject.toml"

    if filename.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if top_level(member):
                    return zf.read(member)
        return None
    with tarfile.open(archive) as tf:
        for info in tf:
            if info.isfile() and top_level(info.name):
                extracted = tf.extractfile(info)
                return extracted.read() if extracted is not None else None
    return None
