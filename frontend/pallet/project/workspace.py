"""A workspace: several projects locked together into one pylock.toml and one ``.venv``.

The root pyproject.toml holds ``[tool.pallet.workspace]`` with ``members`` (globs of folders,
each a normal project with its own ``[project]``) and ``exclude``; the root may be a project
itself or only hold the workspace (no ``[project]``: virtual, as uv calls it). `workspace_spec`
makes the one `ProjectSpec` the lock resolves: the root's own requirements, every member as an
editable directory source (PEP 751 ``[packages.directory]``, ``editable = true``), each
member's extras as ``member[extra]`` under the same extra name and its dependency groups merged
by name, ``requires-python`` the intersection of all of them, and the root's indexes,
resolution settings and variants for everyone. Docs: docs/workspaces.md.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from ..errors import ProjectError
from .locate import PYPROJECT, member_folders, workspace_table
from .model import PYPI, DirectSource, IndexConfig, ProjectSpec
from .pyproject import load_toml, parse_project

__all__ = [
    "Member",
    "Workspace",
    "intersect_requires_python",
    "read_workspace",
    "workspace_spec",
]

_TABLE = "[tool.pallet.workspace]"
_KEYS = ("members", "exclude")


@dataclass(frozen=True)
class Member:
    """One member: its folder (absolute), the folder relative to the root (POSIX), its spec;
    ``virtual``: no ``[build-system]``, so its requirements are installed, not itself (uv's
    rule for a project without one)."""

    path: Path
    relative: str
    spec: ProjectSpec
    virtual: bool = False

    @property
    def name(self) -> NormalizedName:
        return self.spec.name


@dataclass(frozen=True)
class Workspace:
    """The root (its `ProjectSpec`; a virtual root gets a name of its own and no
    requirements) and the members, sorted by folder."""

    root: Path
    root_spec: ProjectSpec
    virtual: bool
    members: tuple[Member, ...]

    def names(self) -> list[str]:
        return sorted(m.name for m in self.members)

    def member(self, name: str) -> Member:
        """The member called `name` (PEP 503 normalized); else a `ProjectError` listing them."""
        wanted = canonicalize_name(name)
        for member in self.members:
            if member.name == wanted:
                return member
        raise ProjectError(
            f"{self.root / PYPROJECT}: {name!r} is not a member of this workspace; "
            f"members: {', '.join(self.names())}",
            path=PYPROJECT,
        )

    def member_at(self, folder: Path) -> Member | None:
        """The member whose folder `folder` is (None: the root, or not a member)."""
        resolved = folder.resolve()
        return next((m for m in self.members if m.path == resolved), None)


def read_workspace(root: Path) -> Workspace | None:
    """``<root>/pyproject.toml``'s workspace, every member read and validated; None when it has
    no ``[tool.pallet.workspace]``. Problems raise one `ProjectError` naming file and key."""
    root = root.resolve()
    data = load_toml(root / PYPROJECT, PYPROJECT)
    tool = data.get("tool")
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    if not isinstance(pallet, dict) or "workspace" not in pallet:
        return None
    table = workspace_table(data)
    where = f"{PYPROJECT}: {_TABLE}"
    if table is None:
        raise ProjectError(f"{PYPROJECT}: [tool.pallet] key 'workspace' must be a table")
    for key, value in table.items():
        if key not in _KEYS:
            raise ProjectError(f"{where} key {key!r} is not allowed; allowed: members, exclude")
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ProjectError(f"{where} key {key!r} must be an array of glob strings")
        for pattern in value:
            if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
                raise ProjectError(
                    f"{where} key {key!r}: {pattern!r} must be a glob inside the workspace root"
                )
    if not table.get("members"):
        raise ProjectError(
            f"{where} key 'members' is missing or empty; e.g. members = [\"packages/*\"]"
        )
    virtual = not isinstance(data.get("project"), dict)
    if virtual:  # only the workspace: a name of its own, no requirements (uv's virtual root)
        data = {**data, "project": {"name": f"{canonicalize_name(root.name) or 'root'}-workspace"}}
    root_spec = parse_project(data, root)
    members = []
    for folder in member_folders(str(root), table):
        path = Path(folder)
        relative = path.relative_to(root).as_posix()
        if not (path / PYPROJECT).is_file():
            raise ProjectError(
                f"{where} members: {relative} matches a member glob but has no {PYPROJECT}; "
                "add one, or list the folder in exclude"
            )
        display = f"{relative}/{PYPROJECT}"
        member_data = load_toml(path / PYPROJECT, display)
        if not isinstance(member_data.get("project"), dict):
            raise ProjectError(
                f"{display}: [project] table is missing; a workspace member is a project"
            )
        if workspace_table(member_data) is not None:
            raise ProjectError(f"{display}: a member cannot declare a workspace of its own")
        tool = member_data.get("tool")
        pallet = tool.get("pallet") if isinstance(tool, dict) else None
        if isinstance(pallet, dict) and "variants" in pallet:
            raise ProjectError(
                f"{display}: [tool.pallet.variants] belongs in the workspace root's "
                f"{PYPROJECT}; variants declared there apply to every member"
            )
        spec = parse_project(member_data, path, display)
        members.append(Member(path, relative, spec, "build-system" not in member_data))
    if not members:
        raise ProjectError(f"{where} members: no folder matches {table['members']!r}")
    workspace = Workspace(root, root_spec, virtual, tuple(members))
    _check_names(workspace)
    return workspace


def _check_names(workspace: Workspace) -> None:
    seen: dict[str, str] = {} if workspace.virtual else {workspace.root_spec.name: "the root"}
    for member in workspace.members:
        other = seen.get(member.name)
        if other is not None:
            raise ProjectError(
                f"{PYPROJECT}: {_TABLE}: {member.relative} and {other} are both named "
                f"{member.name!r}; workspace members need distinct names"
            )
        seen[member.name] = member.relative
    names = set(workspace.names())
    virtual = {m.name for m in workspace.members if m.virtual}
    for owner, spec in (("the root", workspace.root_spec), *_labelled(workspace.members)):
        for name in sorted(spec.workspace_sources & virtual):
            raise ProjectError(
                f"{_display(owner)}: [tool.pallet.sources] package {name!r}: "
                f"{{ workspace = true }} but member {name!r} has no [build-system], so it is "
                "never installed itself; give it one"
            )
        for name in sorted(spec.workspace_sources - names):
            raise ProjectError(
                f"{_display(owner)}: [tool.pallet.sources] package {name!r}: "
                f"{{ workspace = true }} but {name!r} is not a member; members: "
                + ", ".join(sorted(names))
            )


def _labelled(members: Iterable[Member]) -> list[tuple[str, ProjectSpec]]:
    return [(m.relative, m.spec) for m in members]


def _display(owner: str) -> str:
    return PYPROJECT if owner == "the root" else f"{owner}/{PYPROJECT}"


def intersect_requires_python(workspace: Workspace) -> SpecifierSet:
    """The workspace's ``requires-python``: every member's (and the root's) together; a
    `ProjectError` naming two members that share no Python when there is none."""
    owners = [] if workspace.virtual else [(PYPROJECT, workspace.root_spec.requires_python)]
    owners += [(f"{m.relative}/{PYPROJECT}", m.spec.requires_python) for m in workspace.members]
    total = SpecifierSet()
    for _, specifier in owners:
        total &= specifier
    if str(total) and not _any_python(total):
        for i, (first, a) in enumerate(owners):
            for second, b in owners[i + 1 :]:
                if not _any_python(a & b):
                    raise ProjectError(
                        f"workspace requires-python is empty: {first} requires-python {str(a)!r} "
                        f"and {second} requires-python {str(b)!r} share no Python version"
                    )
        listed = ", ".join(f"{o} {str(s)!r}" for o, s in owners if str(s))
        raise ProjectError(f"workspace requires-python is empty: no Python satisfies {listed}")
    return _tightest(total)


def _tightest(specifier: SpecifierSet) -> SpecifierSet:
    """``>=3.9,>=3.10`` -> ``>=3.10``: of the bounds with one operator, only the tightest kept
    (the same set of versions, written as a person would)."""
    from packaging.version import Version

    keep: dict[str, Any] = {}
    rest = []
    for item in specifier:
        if item.operator in (">=", ">", "<", "<="):
            best = keep.get(item.operator)
            lower = item.operator.startswith(">")
            version = Version(item.version)
            if best is None or (version > Version(best.version)) == lower:
                keep[item.operator] = item
        else:
            rest.append(str(item))
    return SpecifierSet(",".join([*(str(s) for s in keep.values()), *rest]))


def _any_python(specifier: SpecifierSet) -> bool:
    """Whether some Python 3 (or 2) release version satisfies `specifier` (a grid of X.Y.Z)."""
    return any(
        specifier.contains(f"{major}.{minor}.{patch}", prereleases=True)
        for major in (2, 3, 4)
        for minor in range(0, 41)
        for patch in range(0, 31)
    )


def workspace_spec(workspace: Workspace) -> ProjectSpec:
    """The one `ProjectSpec` the workspace's lock resolves (see the module docstring)."""
    root = workspace.root_spec
    members = workspace.members
    direct: dict[NormalizedName, DirectSource] = dict(root.direct_sources)
    sources: dict[NormalizedName, str] = dict(root.sources)
    indexes: list[IndexConfig] = list(root.indexes)
    extras = {k: list(v) for k, v in root.optional_dependencies.items()}
    groups = {k: list(v) for k, v in root.dependency_groups.items()}
    defaults = list(root.default_groups)
    dependencies = list(root.dependencies)
    for member in members:
        spec = member.spec
        if member.virtual:  # no build system: its requirements, not itself
            dependencies.extend(spec.dependencies)
            for extra, requirements in spec.optional_dependencies.items():
                extras.setdefault(extra, []).extend(requirements)
        else:
            # PEP 751 [packages.directory]: the member's folder, relative to the lock, editable
            direct[member.name] = DirectSource("path", path=member.relative, editable=True)
            dependencies.append(Requirement(member.name))
            for extra in spec.optional_dependencies:
                extras.setdefault(extra, []).append(Requirement(f"{member.name}[{extra}]"))
        for group, requirements in spec.dependency_groups.items():
            groups.setdefault(group, []).extend(requirements)
        defaults += [g for g in spec.default_groups if g not in defaults]
        for name, source in spec.direct_sources.items():
            direct.setdefault(name, _rebased(source, member, workspace.root))
        for name, index in spec.sources.items():
            known = sources.setdefault(name, index)
            if known != index:
                raise ProjectError(
                    f"{member.relative}/{PYPROJECT}: [tool.pallet.sources] package {name!r} "
                    f"takes index {index!r}, but the workspace takes it from {known!r}; "
                    "one package comes from one index in a workspace"
                )
        names = {i.name for i in indexes}
        # a member's own indexes join the root's (never as the default; PyPI is implicit)
        indexes += [
            dataclasses.replace(i, default=False)
            for i in spec.indexes
            if i.name not in names and i != PYPI
        ]
    return dataclasses.replace(
        root,
        requires_python=intersect_requires_python(workspace),
        dependencies=tuple(dependencies),
        optional_dependencies={k: tuple(v) for k, v in extras.items()},
        dependency_groups={k: tuple(v) for k, v in groups.items()},
        default_groups=tuple(defaults),
        indexes=tuple(indexes),
        sources=sources,
        direct_sources=direct,
        workspace_members=tuple(m.spec for m in members),
    )


def _rebased(source: DirectSource, member: Member, root: Path) -> DirectSource:
    """A member's relative path source, relative to the workspace root (where the lock is)."""
    if source.kind != "path" or source.path is None or Path(source.path).is_absolute():
        return source
    target = os.path.normpath(member.path / source.path)
    return dataclasses.replace(source, path=Path(os.path.relpath(target, root)).as_posix())
