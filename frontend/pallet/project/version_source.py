"""Where a dynamic version lives (PEP 621 ``dynamic = ["version"]``), said in words.

``pallet version`` edits only ``[project] version``; a version the build backend computes is
changed where that backend reads it. This module recognizes the common places from
pyproject.toml alone (nothing is run): pallet-core's ``[tool.pallet.version]`` (``__version__``
in a file, or git tags), setuptools-scm and hatch-vcs (git tags), hatch's ``path``,
setuptools' ``attr``/``file``, flit (the module's ``__version__``); anything else is named by
its backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["describe_dynamic_version"]


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


def _main_module(root: Path, name: str) -> str | None:
    """pallet-core's default: the main module, found as its layouts are (docs/backend.md)."""
    from pallet_core.layout import guess_import_name

    module = guess_import_name(name)
    for candidate in (
        f"src/{module}/__init__.py",
        f"src/{module}.py",
        f"{module}/__init__.py",
        f"{module}.py",
    ):
        if (root / candidate).is_file():
            return candidate
    return None


def describe_dynamic_version(data: Mapping[str, Any], root: Path) -> str:
    """Where the version comes from: ``__version__ in src/demo/__init__.py ([tool.pallet.version]
    source = "attr")``."""
    backend = str(_table(data, "build-system").get("build-backend", ""))
    requires = " ".join(str(r) for r in _table(data, "build-system").get("requires", []) or [])
    requires = requires.lower().replace("_", "-")
    if backend == "pallet_core.build":
        settings = _table(data, "tool", "pallet", "version")
        if settings.get("source") == "vcs":
            return 'git tags ([tool.pallet.version] source = "vcs"): tag a commit to change it'
        path = settings.get("path")
        if not isinstance(path, str):
            name = str(_table(data, "project").get("name", ""))
            path = _main_module(root, name) if name else None
        where = path or "the main module"
        return f'__version__ in {where} ([tool.pallet.version] source = "attr"); edit it there'
    hatch = _table(data, "tool", "hatch", "version")
    if (
        "setuptools-scm" in requires
        or _table(data, "tool", "setuptools_scm")
        or (hatch.get("source") == "vcs")
    ):
        tool = "hatch-vcs" if hatch.get("source") == "vcs" else "setuptools-scm"
        return f"git tags ({tool}): tag a commit to change it"
    if isinstance(hatch.get("path"), str):
        return f"{hatch['path']} ([tool.hatch.version] path); edit it there"
    setuptools = _table(data, "tool", "setuptools", "dynamic", "version")
    if isinstance(setuptools.get("attr"), str):
        return f"{setuptools['attr']} ([tool.setuptools.dynamic] version attr); edit it there"
    if setuptools.get("file"):
        return f"{setuptools['file']} ([tool.setuptools.dynamic] version file); edit it there"
    if backend.startswith("flit_core"):
        return "__version__ in the module (flit); edit it there"
    return f"the build backend {backend or 'setuptools (none declared)'}"
