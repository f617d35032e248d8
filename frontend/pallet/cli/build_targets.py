"""What ``pallet build`` builds, and where to: a project, one workspace member, or every member.

- ``pallet build [DIR]``: the project in ``DIR``; without ``DIR`` the nearest project upwards
  from here (`project.locate.find_root`: a member when run inside one), into its ``dist/``,
  or, for a workspace member, into the workspace root's ``dist/`` (uv's rule, and where
  ``pallet publish`` looks).
- ``pallet build --package NAME``: that member of the workspace around here (or around
  ``DIR``), from anywhere in the workspace, into the workspace root's ``dist/``, as
  ``uv build --package`` writes there.
- ``pallet build --all``: every member with a ``[build-system]`` (and the root, first, when it
  is a project with one), in member order (sorted by folder), each with its own backend, into
  the root's ``dist/``; a virtual member (no ``[build-system]``) is skipped with a note.

``-o DIR`` wins over every default. docs/build.md and docs/workspaces.md.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProjectError

__all__ = ["Target", "build_targets"]


@dataclass(frozen=True)
class Target:
    """One project to build: its folder, where its distributions go, its name for messages."""

    path: Path
    outdir: Path
    label: str


def build_targets(args: argparse.Namespace) -> tuple[list[Target], list[str]]:
    """The projects to build and the notes to print about members left out."""
    start: Path | None = args.project
    package: str | None = args.package
    everything: bool = args.all
    from .lock import locate

    found = locate(start)
    if not package and not everything:
        if start is None:
            start = found[1] if found is not None else Path()  # none: the build says so
        # a member's distributions go to its workspace's dist/ (uv's rule): where `pallet
        # publish` looks for them
        if found is not None and found[0] == found[1] == start.resolve():
            _check_not_virtual_root(found[0])
        shared = found is not None and found[0] != found[1] and found[1] == start.resolve()
        default = found[0] / "dist" if found is not None and shared else start / "dist"
        return [Target(start, args.out_dir or default, str(start))], []
    from ..project.workspace import read_workspace

    where = f"--package {package}" if package else "--all"
    if found is None:
        raise ProjectError(f"{where}: no pyproject.toml in {start or Path.cwd()} or above")
    root = found[0]
    workspace = read_workspace(root)
    if workspace is None:
        raise ProjectError(
            f"{where}: {root / 'pyproject.toml'} declares no workspace "
            "([tool.pallet.workspace]); build the project with `pallet build`"
        )
    outdir: Path = args.out_dir or root / "dist"
    root_target = None if workspace.virtual or not _has_build_system(root) else root
    if package:
        from packaging.utils import canonicalize_name

        if root_target is not None and canonicalize_name(package) == workspace.root_spec.name:
            return [Target(root, outdir, workspace.root_spec.name)], []
        member = workspace.member(package)
        if member.virtual:
            raise ProjectError(
                f"--package {package}: {member.relative}/pyproject.toml has no [build-system]; "
                "a virtual member is not built"
            )
        return [Target(member.path, outdir, member.name)], []
    targets = [Target(root, outdir, workspace.root_spec.name)] if root_target else []
    notes = []
    for member in workspace.members:
        if member.virtual:
            notes.append(f"Skipping {member.name} ({member.relative}): no [build-system]")
        else:
            targets.append(Target(member.path, outdir, member.name))
    return targets, notes


def _has_build_system(root: Path) -> bool:
    from ..project.pyproject import load_toml

    return "build-system" in load_toml(root / "pyproject.toml", "pyproject.toml")


def _check_not_virtual_root(folder: Path) -> None:
    """A workspace root without ``[project]`` is no project to build (PEP 517 would make an
    ``UNKNOWN`` setuptools package of it)."""
    from ..project.locate import workspace_table
    from ..project.pyproject import load_toml

    pyproject = folder / "pyproject.toml"
    data = load_toml(pyproject, str(pyproject))
    if workspace_table(data) is not None and not isinstance(data.get("project"), dict):
        raise ProjectError(
            f"{pyproject}: a workspace root without [project] has nothing to build; "
            "use `pallet build --all` or `--package NAME`",
            path=str(pyproject),
        )
