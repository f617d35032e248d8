"""Build an editable wheel (PEP 660): a ``.pth`` path entry, or an import hook via ``editables``.

``.pth`` mode adds the source directory to ``sys.path``: static analysers and IDEs follow it,
but everything importable in that directory becomes importable. Hook mode (the ``editables``
library) maps exactly the project's packages with a meta-path finder: precise, but invisible to
type checkers. ``auto`` picks ``.pth`` when the source directory holds nothing importable beyond
the project's own packages (src layout, or a dedicated source directory), else the hook.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import ProjectConfig

__all__ = ["build_editable", "choose_mode", "editable_metadata", "foreign_importables"]

_IMPORTABLE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")
_BUILD_OUTPUT = frozenset({"build", "dist"})


def foreign_importables(config: ProjectConfig) -> list[str]:
    """Names importable from the source directory that are not the project's own modules."""
    layout = config.layout
    source = config.root / layout.source_root if layout.source_root else config.root
    own = {module.split("/")[0] for module in layout.modules}
    own.update(module[:-3] for module in layout.modules if module.endswith(".py"))
    foreign = []
    with os.scandir(source) as entries:
        for entry in entries:
            name = entry.name
            if name in own or name == "__pycache__":
                continue
            if entry.is_dir():
                # Any directory with an identifier name imports (as a PEP 420 namespace package),
                # except build output and virtual environments, which nobody imports from.
                if (
                    name.isidentifier()
                    and not (name in _BUILD_OUTPUT and source == config.root)
                    and not os.path.exists(entry.path + "/pyvenv.cfg")  # noqa: PTH110
                ):
                    foreign.append(name)
            elif name.endswith(_IMPORTABLE_SUFFIXES):
                stem = name.split(".", 1)[0]
                if stem.isidentifier() and stem not in own:
                    foreign.append(name)
    return sorted(foreign)


def choose_mode(config: ProjectConfig) -> str:
    """``"pth"`` or ``"hook"``, resolving ``editable-mode = "auto"``."""
    mode = config.settings.editable_mode
    if config.layout.kind == "stubs":
        return "pth"  # PEP 561 stubs are read by type checkers only, which follow .pth entries
    if mode != "auto":
        return mode
    return "hook" if foreign_importables(config) else "pth"


def _portion_stub(directory: Path) -> bytes:
    """``__init__.py`` standing in for a namespace portion's package in site-packages.

    editables maps only top-level names with its finder; for ``acme.tools`` this stub points
    ``__path__`` at the source directory and runs the real ``__init__.py``, if there is one, so
    that edits to it show too.
    """
    init = directory / "__init__.py"
    lines = [
        "# Editable install by pallet-core: this package's code lives in the project directory.",
        f"__path__ = [{str(directory)!r}]",
    ]
    if init.is_file():
        lines += [
            f"__file__ = {str(init)!r}",
            "with open(__file__, 'rb') as _source:",
            "    exec(compile(_source.read(), __file__, 'exec'))",
        ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _hook_files(config: ProjectConfig) -> tuple[list[tuple[str, bytes]], list[str]]:
    layout = config.layout
    generated: list[tuple[str, bytes]] = []
    top_level = []
    for module in layout.modules:
        target = (config.root / layout.module_path(module)).resolve()
        if "/" in module:
            generated.append((f"{module}/__init__.py", _portion_stub(target)))
        else:
            top_level.append((module[:-3] if module.endswith(".py") else module, target))
    requirements: list[str] = []
    if top_level:
        from editables import EditableProject

        project = EditableProject(config.normalized_name, str(config.root))
        for name, target in top_level:
            project.map(name, target)
        generated += [(name, content.encode("utf-8")) for name, content in project.files()]
        requirements = list(project.dependencies())
    return generated, requirements


def editable_metadata(config: ProjectConfig, requirements: list[str]) -> str:
    """``config.metadata`` with ``Requires-Dist`` lines added for the editable mechanism.

    PEP 660: an editable wheel may add the dependencies its mechanism needs at run time.
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    text = config.metadata
    head, sep, body = text.partition("\n\n")
    present = set()
    for line in head.splitlines():
        if line.startswith("Requires-Dist:"):
            req = Requirement(line.split(":", 1)[1].strip())
            if req.marker is None and not req.extras:
                present.add(canonicalize_name(req.name))
    added = [f"Requires-Dist: {r}" for r in requirements if canonicalize_name(r) not in present]
    if not added:
        return text
    head = head.rstrip("\n") + "\n" + "\n".join(added)
    return head + (sep + body if sep else "\n")


def editable_parts(config: ProjectConfig) -> tuple[list[tuple[str, bytes]], str]:
    """(generated files, METADATA text) of the editable wheel."""
    if choose_mode(config) == "hook":
        generated, requirements = _hook_files(config)
        return generated, editable_metadata(config, requirements)
    layout = config.layout
    source = config.root / layout.source_root if layout.source_root else config.root
    # site: each line of a .pth file naming an existing directory is added to sys.path.
    pth = f"{os.fspath(source.resolve())}\n".encode()
    return [(f"_{config.dist_name}_editable.pth", pth)], config.metadata


def build_editable(config: ProjectConfig, directory: Path) -> str:
    """Build the editable wheel of ``config`` into ``directory``; returns its basename.

    The same ``.dist-info`` as the regular wheel (plus any runtime requirement of the hook) and
    the same ``.data`` files (scripts, data, headers), but no package files: those stay in the
    source tree.
    """
    from .files import data_files
    from .wheel import write_wheel

    generated, metadata = editable_parts(config)
    prefix = f"{config.dist_name}-{config.version}.data/"
    # PEP 427: .data/scripts/ files are installed as scripts, so mark them executable.
    contents = [(prefix + arc, rel, arc.startswith("scripts/")) for arc, rel in data_files(config)]
    return write_wheel(config, directory, contents, generated, metadata)
