"""pallet.project.direct: direct reference URLs and source tables -> `DirectReference`."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from pallet.errors import ProjectError
from pallet.project.direct import direct_references, parse_direct_url
from pallet.project.model import DirectSource, ProjectSpec

NAME = NormalizedName("pkg")


def test_https_archive_with_hash() -> None:
    ref = parse_direct_url(NAME, "https://h.invalid/d/pkg-1.0.tar.gz#sha256=ABC&egg=pkg", "o")
    assert (ref.kind, ref.url, ref.filename) == (
        "archive",
        "https://h.invalid/d/pkg-1.0.tar.gz",
        "pkg-1.0.tar.gz",
    )
    assert ref.hashes == {"sha256": "abc"}


@pytest.mark.parametrize(
    ("url", "repository", "revision", "subdirectory"),
    [
        ("git+https://h.invalid/r.git@v1.2", "https://h.invalid/r.git", "v1.2", None),
        ("git+https://h.invalid/r.git", "https://h.invalid/r.git", None, None),
        (
            "git+ssh://git@h.invalid/r.git@main#subdirectory=a/b",
            "ssh://git@h.invalid/r.git",
            "main",
            "a/b",
        ),
        ("git+file:///srv/r@0123abc", "file:///srv/r", "0123abc", None),
        ("git+https://h.invalid/r.git@feature/x", "https://h.invalid/r.git", "feature/x", None),
    ],
)
def test_git_urls(
    url: str, repository: str, revision: str | None, subdirectory: str | None
) -> None:
    ref = parse_direct_url(NAME, url, "o")
    assert (ref.kind, ref.url, ref.requested_revision, ref.subdirectory) == (
        "vcs",
        repository,
        revision,
        subdirectory,
    )


def test_file_urls(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    tree = parse_direct_url(NAME, (tmp_path / "tree").as_uri(), "o")
    assert (tree.kind, tree.path, tree.lock_path) == (
        "directory",
        tmp_path / "tree",
        (tmp_path / "tree").as_posix(),
    )
    wheel = parse_direct_url(NAME, (tmp_path / "pkg-1.0-py3-none-any.whl").as_uri(), "o")
    assert wheel.kind == "archive" and wheel.filename == "pkg-1.0-py3-none-any.whl"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("svn+https://h.invalid/r", "svn URLs are not supported"),
        ("git+ftp://h.invalid/r", r"use git\+https, .*, not git\+ftp"),
        ("https://h.invalid/pkg", "does not end in a wheel or sdist file name"),
        ("file://server/share/pkg.whl", "names a remote host"),
        ("git+https://h.invalid/r.git#subdirectory=../x", "must be a path inside"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_direct_url(NAME, url, "o")


def _spec(root: Path, deps: list[str], sources: dict[str, DirectSource]) -> ProjectSpec:
    return ProjectSpec(
        root=root,
        name=NormalizedName("app"),
        version="1",
        requires_python=SpecifierSet(),
        dependencies=tuple(Requirement(d) for d in deps),
        optional_dependencies={},
        dependency_groups={"dev": (Requirement("app[x]"),)},
        default_groups=(),
        direct_sources={NormalizedName(k): v for k, v in sources.items()},
    )


def test_sources_and_requirements_combine(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    spec = _spec(
        tmp_path / "app",
        ["lib", "w @ https://h.invalid/w-1.0-py3-none-any.whl"],
        {"lib": DirectSource("path", path="../lib", editable=True)},
    )
    refs = direct_references(spec)
    assert sorted(refs) == ["lib", "w"]
    assert (refs["lib"].kind, refs["lib"].lock_path, refs["lib"].editable) == (
        "directory",
        "../lib",
        True,
    )
    assert refs["lib"].path == tmp_path / "lib"


def test_two_sources_for_one_package(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        ["lib @ https://h.invalid/lib-1.0.tar.gz"],
        {"lib": DirectSource("git", url="https://h.invalid/lib.git")},
    )
    with pytest.raises(ProjectError, match="package 'lib' has two sources"):
        direct_references(spec)


def test_editable_archive_is_refused(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        ["lib"],
        {"lib": DirectSource("path", path="dist/lib-1.0.tar.gz", editable=True)},
    )
    with pytest.raises(ProjectError) as info:
        direct_references(spec)
    assert str(info.value) == (
        "pyproject.toml: [tool.pallet.sources] package 'lib': editable = true needs a directory, "
        "but 'dist/lib-1.0.tar.gz' is an archive; drop editable or name its folder"
    )
