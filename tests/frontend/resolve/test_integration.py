"""resolve_lock through the real `IndexClient` over a loopback index (wheels and sdists on disk)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pallet.index.cache import Cache
from pallet.index.client import IndexClient
from pallet.project.model import IndexConfig, ProjectSpec
from pallet.resolve.check import check_exact
from pallet.resolve.universal import Resolution, resolve_lock
from support import IndexServer, make_sdist, make_wheel

from .memfinder import project


@pytest.fixture
def dists(tmp_path: Path) -> Path:
    folder = tmp_path / "dists"
    make_wheel(folder, "web", "1.0", requires_dist=["core>=1"])
    make_wheel(
        folder,
        "web",
        "2.0",
        requires_dist=[
            "core>=2",
            "colorama; sys_platform == 'win32'",
            "tomli>=1; python_version < '3.11'",
        ],
        extras={"socks": ["pysocks"]},
    )
    make_wheel(folder, "core", "1.5")
    make_wheel(folder, "core", "2.1", requires_python=">=3.9")
    make_wheel(folder, "core", "2.1", tag="cp312-cp312-win_amd64", requires_python=">=3.9")
    make_wheel(folder, "core", "2.1", tag="cp312-cp312-manylinux_2_17_x86_64")
    make_wheel(folder, "core", "3.0", requires_python=">=3.13")
    make_wheel(folder, "colorama", "0.4.6")
    make_wheel(folder, "tomli", "2.2.1")
    make_sdist(folder, "pysocks", "1.7.1")  # metadata only through its PEP 517 hook
    make_wheel(folder, "pytest", "8.3.0", requires_dist=["iniconfig"])
    make_wheel(folder, "iniconfig", "2.0.0")
    return folder


@pytest.fixture(params=["html", "json"])
def index(request: pytest.FixtureRequest, dists: Path) -> Iterator[IndexServer]:
    with IndexServer(dists, format=request.param, metadata=request.param == "json") as server:
        yield server


def _lock(index: IndexServer, tmp_path: Path, spec: ProjectSpec) -> Resolution:
    config = IndexConfig(name="local", url=index.url, default=True)
    spec = ProjectSpec(
        root=spec.root,
        name=spec.name,
        version=spec.version,
        requires_python=spec.requires_python,
        dependencies=spec.dependencies,
        optional_dependencies=spec.optional_dependencies,
        dependency_groups=spec.dependency_groups,
        default_groups=spec.default_groups,
        indexes=(config,),
        resolution=spec.resolution,
    )
    with IndexClient([config], {}, Cache(tmp_path / "cache"), env={}) as finder:
        result = resolve_lock(spec, finder)
        assert check_exact(result, spec, finder) == []
    return result


def test_lock_over_loopback_index(index: IndexServer, tmp_path: Path) -> None:
    spec = project(["web[socks]"], groups={"test": ["pytest"]})
    result = _lock(index, tmp_path, spec)
    found = {
        (p.name, str(p.version)): (str(p.marker) if p.marker else None) for p in result.packages
    }
    assert found == {
        ("colorama", "0.4.6"): 'sys_platform == "win32"',
        # core 3.0 needs Python 3.13: the newest for each Python (fork-strategy requires-python)
        ("core", "2.1"): 'python_version < "3.13"',
        ("core", "3.0"): 'python_version >= "3.13"',
        ("iniconfig", "2.0.0"): '"test" in dependency_groups',
        ("pysocks", "1.7.1"): None,
        ("pytest", "8.3.0"): '"test" in dependency_groups',
        ("tomli", "2.2.1"): 'python_version < "3.11"',
        ("web", "2.0"): None,
    }
    core = next(p for p in result.packages if p.name == "core" and str(p.version) == "2.1")
    assert [w.filename for w in core.wheels] == [
        "core-2.1-cp312-cp312-manylinux_2_17_x86_64.whl",
        "core-2.1-cp312-cp312-win_amd64.whl",
        "core-2.1-py3-none-any.whl",
    ]
    assert core.index == index.url
    pysocks = next(p for p in result.packages if p.name == "pysocks")
    assert pysocks.wheels == ()
    assert pysocks.sdist is not None
    # every project page was read once, however many forks there were
    assert len(result.forks) > 1
    assert index.count("/simple/core/") == 1


def test_requires_python_narrows_over_loopback(index: IndexServer, tmp_path: Path) -> None:
    result = _lock(index, tmp_path, project(["core"], requires_python=">=3.13"))
    assert [(p.name, str(p.version)) for p in result.packages] == [("core", "3.0")]
