"""``--package NAME`` / ``--all-packages``: which workspace members a command works on.

``pallet sync`` and ``pallet run`` install the whole workspace by default (every member,
editable, in the root's ``.venv``; ``--all-packages`` says so explicitly); ``--package NAME``
installs only that member and what it needs (its lock ``dependencies``, its own dependency
groups). ``pallet add``/``remove``/``version`` edit one pyproject.toml: ``--package``'s member,
else the project folder the command runs in (a member, or the root). docs/workspaces.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ProjectError

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from ..project.workspace import Workspace

__all__ = [
    "add_package_option",
    "edited_project",
    "package_roots",
    "workspace_of",
    "workspace_requires_python",
]


def add_package_option(parser: argparse.ArgumentParser, *, all_packages: bool) -> None:
    """``--package NAME`` (repeatable where `all_packages`: sync and run), ``--all-packages``."""
    if all_packages:
        parser.add_argument(
            "--package",
            action="append",
            default=[],
            metavar="NAME",
            help="in a workspace: install only this member and what it needs; repeatable",
        )
        parser.add_argument(
            "--all-packages",
            action="store_true",
            help="in a workspace: install every member (the default; as uv spells it)",
        )
    else:
        parser.add_argument(
            "--package",
            metavar="NAME",
            default=None,
            help="in a workspace: the member to work on (default: the one here)",
        )


def workspace_of(root: Path) -> Workspace | None:
    from ..project.workspace import read_workspace

    return read_workspace(root)


def package_roots(root: Path, args: argparse.Namespace) -> frozenset[str] | None:
    """The entries ``--package`` selects (`install.select.Selection.packages`): each named
    member and the requirements of its dependency groups that this sync installs; None
    without ``--package``. An unknown name, or no workspace, is a `ProjectError`."""
    from packaging.utils import canonicalize_name

    names = list(getattr(args, "package", None) or ())
    if not names:
        return None
    if getattr(args, "all_packages", False):
        raise ProjectError("--package cannot be combined with --all-packages")
    workspace = workspace_of(root)
    if workspace is None:
        raise ProjectError(
            f"--package {names[0]}: {root / 'pyproject.toml'} declares no workspace "
            "([tool.pallet.workspace]); --package selects a workspace member"
        )
    roots: set[str] = set()
    only = {canonicalize_name(g) for g in getattr(args, "only_group", ())}
    add = {canonicalize_name(g) for g in getattr(args, "group", ())}
    drop = {canonicalize_name(g) for g in getattr(args, "no_group", ())}
    if getattr(args, "no_dev", False):
        drop.add(canonicalize_name("dev"))
    for name in names:
        member = workspace.member(name)
        spec = member.spec
        if not only and member.virtual:  # not installed itself: what it requires
            roots.update(canonicalize_name(r.name) for r in spec.dependencies)
        elif not only:
            roots.add(spec.name)
        groups = only or ({canonicalize_name(g) for g in spec.default_groups} | add)
        for group in groups - drop:
            roots.update(canonicalize_name(r.name) for r in spec.dependency_groups.get(group, ()))
    return frozenset(roots)


def workspace_requires_python(root: Path, own: SpecifierSet | None) -> SpecifierSet | None:
    """The interpreter's bound: a workspace's intersection of its members' ``requires-python``
    (`project.workspace`), else the project's own (`own`)."""
    workspace = workspace_of(root)
    if workspace is None:
        return own
    from ..project.workspace import intersect_requires_python

    combined = intersect_requires_python(workspace)
    return combined if str(combined) else own


def edited_project(args: argparse.Namespace, start: Path | None = None) -> Path:
    """The folder whose pyproject.toml an editing command changes: ``--package``'s member
    (from the workspace around `start` or here), else ``--project``'s folder, else the nearest
    project (a member when run inside one; the root otherwise)."""
    from .lock import locate

    project = getattr(args, "project", None)
    name = getattr(args, "package", None)
    where = Path(project) if project is not None else start
    found = locate(where)
    if found is None:
        from ..project.pyproject import find_project_root

        return find_project_root(where or Path.cwd())  # its error says there is none
    root, nearest = found
    if not name:
        return Path(project).resolve() if project is not None else nearest
    workspace = workspace_of(root)
    if workspace is None:
        raise ProjectError(
            f"--package {name}: {root / 'pyproject.toml'} declares no workspace "
            "([tool.pallet.workspace]); --package selects a workspace member"
        )
    return workspace.member(name).path
