"""``load_config``: the build side's one entry point, from a project root to a ``ProjectConfig``.

It reads ``pyproject.toml``, validates ``[project]`` and ``[tool.pallet]`` (every problem of both
reported at once), discovers the layout (owner B's ``layout.py``), resolves a dynamic version,
finds the license files and renders the core metadata.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pallet_core._frozen import Frozen

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pallet_core.layout import Layout
    from pallet_core.settings import BuildSettings, VersionSettings

__all__ = ["ProjectConfig", "load_config"]


class ProjectConfig(Frozen):
    """Everything the build side needs, validated; see docs/CONTRACT-backend.md."""

    # In field order, which Frozen's __init__ and repr follow.
    __slots__ = (  # noqa: RUF023
        "root",
        "name",
        "normalized_name",
        "dist_name",
        "version",
        "import_names",
        "layout",
        "metadata",
        "license_files",
        "readme_file",
        "entry_points",
        "settings",
        "pyproject_file",
        "version_settings",
    )

    root: Path
    name: str  # as written in [project] name
    normalized_name: str  # packaging.utils.canonicalize_name
    dist_name: str  # for file names: normalized with "-" -> "_" (PEP 427/625)
    version: str  # str(packaging.version.Version), dynamic already resolved
    import_names: tuple[str, ...]  # top-level import names the layout found
    layout: Layout
    metadata: str  # core metadata 2.4 (METADATA == PKG-INFO), ends with "\n"
    license_files: tuple[str, ...]  # relative posix paths, sorted
    readme_file: str | None  # relative posix path
    entry_points: Mapping[str, Mapping[str, str]]  # group -> name -> "mod:attr"
    settings: BuildSettings
    pyproject_file: str  # "pyproject.toml"
    # Addition to the contract: [tool.pallet.version], e.g. for the sdist to ship its ``path``.
    version_settings: VersionSettings | None

    def __init__(
        self,
        root: Path,
        name: str,
        normalized_name: str,
        dist_name: str,
        version: str,
        import_names: tuple[str, ...],
        layout: Layout,
        metadata: str,
        license_files: tuple[str, ...],
        readme_file: str | None,
        entry_points: Mapping[str, Mapping[str, str]],
        settings: BuildSettings,
        pyproject_file: str,
        version_settings: VersionSettings | None = None,
    ) -> None:
        super().__init__(
            root,
            name,
            normalized_name,
            dist_name,
            version,
            import_names,
            layout,
            metadata,
            license_files,
            readme_file,
            entry_points,
            settings,
            pyproject_file,
            version_settings,
        )


def load_config(root: Path, *, for_editable: bool = False) -> ProjectConfig:
    """Read, validate and resolve the project at ``root``.

    Raises ``ConfigError`` for anything wrong in the configuration (all problems of
    ``pyproject.toml`` in one message) and ``BuildError`` for problems met on disk. An editable
    build (``for_editable``) needs the same metadata, so the flag changes nothing today; it is
    kept so the build side can say what it is doing.
    """
    from pallet_core.errors import Problems
    from pallet_core.layout import discover_layout
    from pallet_core.licenses import find_license_files
    from pallet_core.metadata import render_metadata
    from pallet_core.project import parse_project
    from pallet_core.pyproject import PYPROJECT, load_pyproject
    from pallet_core.settings import parse_settings

    del for_editable
    data = load_pyproject(root)
    problems = Problems(PYPROJECT)
    project = parse_project(data, root, problems)
    build_settings, version_settings = parse_settings(data, problems)
    problems.raise_if_any()

    layout = discover_layout(root, project.name, build_settings)
    if project.version is None:
        from pallet_core.dynamic import resolve_version

        version = resolve_version(root, layout, version_settings)
    else:
        version = project.version
    license_files = find_license_files(root, project.license)

    from packaging.utils import canonicalize_name

    normalized = canonicalize_name(project.name)
    return ProjectConfig(
        root=root,
        name=project.name,
        normalized_name=normalized,
        dist_name=normalized.replace("-", "_"),
        version=str(version),
        import_names=tuple(
            module[:-3] if module.endswith(".py") else module for module in layout.modules
        ),
        layout=layout,
        metadata=render_metadata(project, version, license_files),
        license_files=license_files,
        readme_file=project.readme.file if project.readme is not None else None,
        entry_points=project.all_entry_points(),
        settings=build_settings,
        pyproject_file=PYPROJECT,
        version_settings=version_settings,
    )
