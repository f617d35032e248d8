"""The project as the frontend sees it: what pyproject.toml declares, parsed and validated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Union

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName

from .exclude_newer import ExcludeNewer

if TYPE_CHECKING:
    from .variants import VariantsConfig

__all__ = [
    "PROJECT_NAME",
    "PYPI",
    "DirectSource",
    "ForkStrategy",
    "IndexConfig",
    "PackageSwitch",
    "PrereleaseMode",
    "ProjectSpec",
    "ResolutionSettings",
    "switch_applies",
]

PrereleaseMode = Literal["if-necessary", "allow", "disallow"]
#: A valid project name (PEP 508 / core metadata ``Name``), before normalization.
PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
ForkStrategy = Literal["requires-python", "fewest"]

#: ``no-build`` / ``no-binary``: every package (True), none (False) or the named ones.
PackageSwitch = Union[bool, frozenset[NormalizedName]]


def switch_applies(switch: PackageSwitch, name: NormalizedName) -> bool:
    """Whether a `PackageSwitch` covers the package ``name`` (normalized)."""
    return switch if isinstance(switch, bool) else name in switch


@dataclass(frozen=True)
class IndexConfig:
    """One package index from ``[[tool.pallet.index]]``.

    ``url`` is a PEP 503/691 simple API root (``https://…/simple``, ``file:///…``) or, with
    ``format = "flat"``, a find-links location: a directory or an HTML page that links files.
    An ``explicit`` index is consulted only for packages pinned to it in ``[tool.pallet.sources]``.
    """

    name: str
    url: str
    default: bool = False
    explicit: bool = False
    format: Literal["simple", "flat"] = "simple"
    #: ``exclude-newer`` for the packages of this index (overrides the resolution's)
    exclude_newer: ExcludeNewer | None = None
    #: ``publish-url``: where ``pallet publish --index NAME`` uploads (the legacy upload API,
    #: ``https://upload.pypi.org/legacy/``); an http(s) URL without credentials, or None
    publish_url: str | None = None


PYPI = IndexConfig(name="pypi", url="https://pypi.org/simple", default=True)


@dataclass(frozen=True)
class DirectSource:
    """A ``[tool.pallet.sources]`` table that gives a package a source outside the indexes.

    ``kind = "path"``: ``path`` as written (relative to the project directory, or absolute), a
    directory or an archive file, ``editable`` for a directory. ``kind = "git"``: ``url`` (the
    repository), at most one of ``rev``/``tag``/``branch`` (``requested``), ``subdirectory``.
    """

    kind: Literal["path", "git"]
    path: str | None = None
    editable: bool = False
    url: str | None = None
    requested: str | None = None  # the rev, tag or branch as written (None: the default branch)
    reference: Literal["rev", "tag", "branch"] | None = None
    subdirectory: str | None = None


@dataclass(frozen=True)
class ResolutionSettings:
    """``[tool.pallet.resolution]``."""

    prerelease: PrereleaseMode = "if-necessary"
    #: Python minor versions beyond requires-python's lower bound to consider for the universal
    #: lock stop at this one (inclusive); later minors are treated like it.
    max_python: str = "3.14"
    #: PEP 751 ``environments``: markers the lock must hold for; () = Linux, macOS and Windows on
    #: x86_64 and arm64.
    environments: tuple[str, ...] = ()
    #: ``exclude-newer``: files uploaded at or after the cutoff are ignored (`exclude_newer`)
    exclude_newer: ExcludeNewer | None = None
    #: "requires-python": each Python range gets the newest versions that support it;
    #: "fewest": one version for every Python the class spans where possible (uv's names).
    fork_strategy: ForkStrategy = "requires-python"
    #: Markers of environments every locked version must have a wheel for (uv's key).
    required_environments: tuple[str, ...] = ()
    #: Interpreters the universe holds: "cpython" and/or "pypy".
    implementations: tuple[str, ...] = ("cpython",)
    #: C libraries of the Linux platforms (wheel tags only): "glibc" and/or "musl".
    linux_libc: tuple[str, ...] = ("glibc",)
    #: ``no-build``: never run a build backend for these packages (only their wheels count)
    no_build: PackageSwitch = False
    #: ``no-binary``: never use wheels of these packages (only their sdists count)
    no_binary: PackageSwitch = False


@dataclass(frozen=True)
class ProjectSpec:
    """Everything the lock depends on, read from one pyproject.toml.

    Names of extras and groups are normalized (PEP 685 / PEP 735); ``include-group`` is already
    expanded. ``indexes`` always holds at least one default index (PyPI when none is configured).
    """

    root: Path
    name: NormalizedName
    version: str | None
    requires_python: SpecifierSet
    dependencies: tuple[Requirement, ...]
    optional_dependencies: Mapping[str, tuple[Requirement, ...]]
    dependency_groups: Mapping[str, tuple[Requirement, ...]]
    default_groups: tuple[str, ...]
    indexes: tuple[IndexConfig, ...] = (PYPI,)
    #: package -> index name, from ``[tool.pallet.sources]``
    sources: Mapping[NormalizedName, str] = field(default_factory=dict)
    resolution: ResolutionSettings = field(default_factory=ResolutionSettings)
    #: package -> path or git source, from ``[tool.pallet.sources]`` tables
    direct_sources: Mapping[NormalizedName, DirectSource] = field(default_factory=dict)
    #: ``[tool.pallet.variants]``: hardware-variant extras (`project.variants`), None when absent
    variants: VariantsConfig | None = None
    #: ``{ workspace = true }`` sources: workspace members this project depends on by name
    workspace_sources: frozenset[NormalizedName] = frozenset()
    #: in a workspace's spec (`project.workspace`): each member's own spec, for the fingerprint
    workspace_members: tuple[ProjectSpec, ...] = ()

    @property
    def default_index(self) -> IndexConfig:
        for index in self.indexes:
            if index.default:
                return index
        return self.indexes[0]
