"""Sample locks for the lock tests, built from the shared model types."""

from __future__ import annotations

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import Version
from pallet.index.models import DistFile
from pallet.lock.model import Dependency, Lock, LockedPackage

INDEX = "https://pypi.example.invalid/simple"


def dist(filename: str, digest: str, **kwargs: object) -> DistFile:
    if filename.endswith(".whl"):
        name, version, _, tags = parse_wheel_filename(filename)
        kind = "wheel"
    else:
        stem = filename[: -len(".tar.gz")]
        raw_name, _, raw_version = stem.rpartition("-")
        name, version, tags = canonicalize_name(raw_name), Version(raw_version), frozenset()
        kind = "sdist"
    return DistFile(
        filename=filename,
        url=f"https://files.example.invalid/{filename}",
        index=INDEX,
        name=name,
        version=version,
        kind=kind,  # type: ignore[arg-type]
        hashes={"sha256": digest * 64},
        tags=tags,
        **kwargs,  # type: ignore[arg-type]
    )


def package(
    name: str,
    version: str,
    *files: DistFile,
    marker: str | None = None,
    requires_python: str | None = None,
    deps: tuple[Dependency, ...] = (),
) -> LockedPackage:
    return LockedPackage(
        name=NormalizedName(name),
        version=Version(version),
        marker=Marker(marker) if marker else None,
        requires_python=SpecifierSet(requires_python) if requires_python else None,
        index=INDEX,
        wheels=tuple(sorted((f for f in files if f.kind == "wheel"), key=lambda f: f.filename)),
        sdist=next((f for f in files if f.kind == "sdist"), None),
        dependencies=deps,
    )


def make_lock() -> Lock:
    packages = (
        package(
            "anyio",
            "4.4.0",
            dist(
                "anyio-4.4.0-py3-none-any.whl",
                "a",
                size=86000,
                upload_time="2024-05-26T22:09:40.123Z",
            ),
            dist("anyio-4.4.0.tar.gz", "b", size=160000),
            requires_python=">=3.8",
            deps=(Dependency(NormalizedName("idna")), Dependency(NormalizedName("sniffio"))),
        ),
        package(
            "colorama",
            "0.4.6",
            dist("colorama-0.4.6-py2.py3-none-any.whl", "c"),
            marker="sys_platform == 'win32' and 'cli' in extras",
        ),
        package("idna", "3.7", dist("idna-3.7-py3-none-any.whl", "d", size=66836)),
        package(
            "numpy",
            "2.0.0",
            dist("numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.whl", "e"),
            dist("numpy-2.0.0-cp311-cp311-win_amd64.whl", "f"),
            marker="python_version >= '3.10'",
        ),
        package(
            "numpy",
            "1.26.4",
            dist("numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.whl", "1"),
            marker="python_version < '3.10'",
        ),
        package(
            "pytest",
            "8.2.0",
            dist("pytest-8.2.0-py3-none-any.whl", "2"),
            marker="'test' in dependency_groups or 'dev' in dependency_groups",
        ),
        package("sniffio", "1.3.1", dist("sniffio-1.3.1-py3-none-any.whl", "3")),
    )
    return Lock(
        requires_python=SpecifierSet(">=3.9"),
        environments=(Marker("sys_platform == 'linux'"), Marker("sys_platform == 'win32'")),
        extras=("cli",),
        dependency_groups=("dev", "test"),
        default_groups=("dev",),
        packages=tuple(sorted(packages, key=lambda p: (p.name, p.version, str(p.marker or "")))),
        fingerprint="sha256:" + "0" * 64,
        input_digests=(("requires-python", "1234567890abcdef"), ("format", "fedcba0987654321")),
    )


@pytest.fixture
def sample_lock() -> Lock:
    return make_lock()
