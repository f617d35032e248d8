"""An in-memory `PackageFinder` for resolver tests: projects from a dict, no network.

``MemoryFinder({"a": {"1.0": {"requires": ["b>=1"]}, "2.0": {...}}})``; per version:
``requires`` (Requires-Dist strings), ``python`` (Requires-Python, also the files'
``data-requires-python`` unless ``file_python`` is given), ``wheels`` (tag strings,
default ``["py3-none-any"]``), ``sdist`` (bool, default True), ``yanked`` (reason or None),
``extras`` (Provides-Extra, default none).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import parse_tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from pallet.index.models import DistFile, DistMetadata
from pallet.project.model import ProjectSpec, ResolutionSettings
from pallet.resolve.check import check_exact
from pallet.resolve.universal import Resolution, resolve_lock

INDEX_URL = "https://memory.invalid/simple"
#: name -> version -> entry (see the module docstring)
Index = dict[str, dict[str, dict[str, Any]]]


class MemoryFinder:
    def __init__(self, projects: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        self.projects = {canonicalize_name(k): v for k, v in projects.items()}
        self.metadata_calls: Counter[tuple[str, str]] = Counter()
        self.files_calls: Counter[str] = Counter()
        self.prefetched: list[str] = []
        self._files: dict[str, list[DistFile]] = {}

    def files(self, name: NormalizedName) -> Sequence[DistFile]:
        self.files_calls[name] += 1
        cached = self._files.get(name)
        if cached is None:
            cached = self._files[name] = self._make_files(name)
        return cached

    def _make_files(self, name: NormalizedName) -> list[DistFile]:
        out: list[DistFile] = []
        for version, info in self.projects.get(name, {}).items():
            python_text = info.get("file_python", info.get("python"))
            python = SpecifierSet(python_text) if python_text else None
            stem = f"{name.replace('-', '_')}-{version}"
            common = dict(
                index=INDEX_URL,
                name=name,
                version=Version(version),
                requires_python=python,
                yanked=info.get("yanked"),
                hashes={"sha256": "0" * 64},
            )
            for tag in info.get("wheels", ["py3-none-any"]):
                out.append(
                    DistFile(
                        filename=f"{stem}-{tag}.whl",
                        url=f"{INDEX_URL}/{stem}-{tag}.whl",
                        kind="wheel",
                        tags=frozenset(parse_tag(tag)),
                        size=1000 + len(tag),
                        **common,  # type: ignore[arg-type]
                    )
                )
            if info.get("sdist", True):
                out.append(
                    DistFile(
                        filename=f"{stem}.tar.gz",
                        url=f"{INDEX_URL}/{stem}.tar.gz",
                        kind="sdist",
                        **common,  # type: ignore[arg-type]
                    )
                )
        return out

    def metadata(self, file: DistFile) -> DistMetadata:
        info = next(v for k, v in self.projects[file.name].items() if Version(k) == file.version)
        self.metadata_calls[(file.name, str(file.version))] += 1
        requires = tuple(Requirement(r) for r in info.get("requires", ()))
        extras = info.get("extras", ())
        return DistMetadata(
            name=file.name,
            version=file.version,
            requires_dist=requires,
            requires_python=SpecifierSet(info["python"]) if info.get("python") else None,
            provides_extra=tuple(canonicalize_name(e) for e in extras),
        )

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        self.prefetched.extend(names)


def project(
    dependencies: Iterable[str] = (),
    *,
    extras: Mapping[str, Iterable[str]] | None = None,
    groups: Mapping[str, Iterable[str]] | None = None,
    requires_python: str = ">=3.9",
    name: str = "app",
    **resolution: Any,
) -> ProjectSpec:
    return ProjectSpec(
        root=Path("/nonexistent/app"),
        name=canonicalize_name(name),
        version="1.0",
        requires_python=SpecifierSet(requires_python),
        dependencies=tuple(Requirement(r) for r in dependencies),
        optional_dependencies={
            canonicalize_name(k): tuple(Requirement(r) for r in v)
            for k, v in (extras or {}).items()
        },
        dependency_groups={
            canonicalize_name(k): tuple(Requirement(r) for r in v)
            for k, v in (groups or {}).items()
        },
        default_groups=(),
        resolution=ResolutionSettings(**resolution),
    )


def resolve_checked(finder: MemoryFinder, spec: ProjectSpec, **kwargs: Any) -> Resolution:
    """`resolve_lock`, then the exactness checker on the result (every test goes through it)."""
    resolution = resolve_lock(spec, finder, **kwargs)
    assert check_exact(resolution, spec, finder) == []
    for package in resolution.packages:
        assert package.wheels or package.sdist, package
    return resolution


def entries(resolution: Resolution) -> dict[tuple[str, str], str | None]:
    """``{(name, version): marker text or None}``."""
    return {
        (p.name, str(p.version)): (str(p.marker) if p.marker is not None else None)
        for p in resolution.packages
    }
