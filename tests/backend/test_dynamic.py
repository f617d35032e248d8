"""Dynamic versions: ``__version__`` by AST, git tags (a real repository in tmp_path), PKG-INFO."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version
from pallet_core.dynamic import (
    read_attr_version,
    read_pkg_info_version,
    resolve_version,
    vcs_version,
)
from pallet_core.errors import ConfigError
from pallet_core.layout import Layout
from pallet_core.settings import VersionSettings

LAYOUT = Layout(source_root="", modules=("demo",), version_file="demo/__init__.py", kind="flat")
VCS = VersionSettings(source="vcs", path=None, fallback=None, tag_pattern=r"^v?(?P<version>.+)$")
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_SYSTEM": "/dev/null",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    # The backend runs git with the caller's environment; isolate it from the machine's config.
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def git(root: Path, *args: str) -> str:
    env = dict(os.environ, **GIT_ENV)
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def commit(root: Path, name: str) -> str:
    (root / name).write_text(name)
    git(root, "add", name)
    git(root, "commit", "-q", "-m", name)
    return git(root, "rev-parse", "--short=7", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "first")
    return tmp_path


def write(root: Path, path: str, text: str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


# --- attr ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        '__version__ = "1.2.0"\n',
        '"""Doc."""\nfrom typing import Final\n__version__: Final = "1.2.0"\n',
        '__version__ = "0.1"\nif True:\n    x = 1\n__version__ = "1.2.0"\n',
        "__version__ = version = '1.2.0'\n",
    ],
)
def test_attr_literal(tmp_path: Path, source: str) -> None:
    write(tmp_path, "demo/__init__.py", source)
    assert read_attr_version(tmp_path, "demo/__init__.py") == Version("1.2.0")


def test_attr_non_literal_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "demo/__init__.py", "import x\n\n__version__ = x.get_version()\n")
    with pytest.raises(ConfigError) as info:
        read_attr_version(tmp_path, "demo/__init__.py")
    assert str(info.value) == (
        "pyproject.toml: [project] field 'version': is dynamic, but __version__ in "
        "demo/__init__.py line 3 is not a string literal; assign a literal such as "
        "__version__ = '1.0' (pallet-core reads it without importing the project)"
    )


def test_attr_missing(tmp_path: Path) -> None:
    write(tmp_path, "demo/__init__.py", "VERSION = '1.0'\n")
    with pytest.raises(ConfigError) as info:
        read_attr_version(tmp_path, "demo/__init__.py")
    assert str(info.value) == (
        "pyproject.toml: [project] field 'version': is dynamic, but demo/__init__.py does not "
        "assign __version__ at top level; add __version__ = '1.0' there, set "
        "[tool.pallet.version] path, or set version"
    )


def test_attr_invalid_version(tmp_path: Path) -> None:
    write(tmp_path, "demo/__init__.py", "__version__ = 'latest'\n")
    with pytest.raises(
        ConfigError, match=re.escape("__version__ in demo/__init__.py line 1 gives 'latest'")
    ):
        read_attr_version(tmp_path, "demo/__init__.py")


def test_attr_syntax_error(tmp_path: Path) -> None:
    write(tmp_path, "demo/__init__.py", "__version__ = (\n")
    with pytest.raises(ConfigError, match=re.escape("demo/__init__.py line 1 is not valid Python")):
        read_attr_version(tmp_path, "demo/__init__.py")


def test_attr_is_never_imported(tmp_path: Path) -> None:
    write(tmp_path, "demo/__init__.py", "raise SystemExit('imported!')\n__version__ = '4.0'\n")
    attr = VersionSettings("attr", None, None, VCS.tag_pattern)
    assert resolve_version(tmp_path, LAYOUT, attr) == Version("4.0")


def test_attr_explicit_path(tmp_path: Path) -> None:
    write(tmp_path, "demo/_version.py", "__version__ = '5.0'\n")
    attr = VersionSettings("attr", "demo/_version.py", None, VCS.tag_pattern)
    assert resolve_version(tmp_path, LAYOUT, attr) == Version("5.0")


def test_attr_without_version_file(tmp_path: Path) -> None:
    layout = Layout(source_root="", modules=("acme/tools",), version_file=None, kind="namespace")
    attr = VersionSettings("attr", None, None, VCS.tag_pattern)
    with pytest.raises(ConfigError, match="the namespace layout has no module"):
        resolve_version(tmp_path, layout, attr)


# --- vcs scheme ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "distance", "dirty", "expected"),
    [
        ("1.2.0", 0, False, "1.2.0"),
        ("1.2.0", 3, False, "1.2.1.dev3+gabc1234"),
        ("1.2", 3, False, "1.2.1.dev3+gabc1234"),
        ("1.2.0", 0, True, "1.2.1.dev0+gabc1234.dirty"),
        ("1.2.0", 2, True, "1.2.1.dev2+gabc1234.dirty"),
        ("1.3.0rc1", 2, False, "1.3.0rc1.post0.dev2+gabc1234"),
        ("1.3.0.dev2", 4, False, "1.3.0.dev6+gabc1234"),
        ("1.2.0.post1", 1, False, "1.2.1.dev1+gabc1234"),
        ("1!2.0", 1, False, "1!2.0.1.dev1+gabc1234"),
    ],
)
def test_vcs_scheme(tag: str, distance: int, dirty: bool, expected: str) -> None:
    version = vcs_version(Version(tag), distance, "abc1234", dirty)
    assert str(version) == expected
    if distance or dirty:
        assert version > Version(tag)


# --- vcs with a real repository --------------------------------------------------------------


def test_vcs_exact_tag(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")
    assert resolve_version(repo, LAYOUT, VCS) == Version("1.2.0")


def test_vcs_commits_after_tag(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")
    commit(repo, "second")
    sha = commit(repo, "third")
    assert str(resolve_version(repo, LAYOUT, VCS)) == f"1.2.1.dev2+g{sha}"


def test_vcs_dirty_tree(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")
    sha = git(repo, "rev-parse", "--short=7", "HEAD")
    (repo / "first").write_text("changed")
    assert str(resolve_version(repo, LAYOUT, VCS)) == f"1.2.1.dev0+g{sha}.dirty"


def test_vcs_tag_pattern_skips_other_tags(repo: Path) -> None:
    git(repo, "tag", "release-2.0")
    commit(repo, "second")
    git(repo, "tag", "nightly")  # newest, but not a release tag
    settings = VersionSettings("vcs", None, None, r"^release-(?P<version>\d.*)$")
    assert str(resolve_version(repo, LAYOUT, settings)).startswith("2.0.1.dev1+g")


def test_vcs_no_tag_uses_fallback(repo: Path) -> None:
    settings = VersionSettings("vcs", None, "0.0.0", VCS.tag_pattern)
    assert resolve_version(repo, LAYOUT, settings) == Version("0.0.0")


def test_vcs_no_tag_no_fallback(repo: Path) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_version(repo, LAYOUT, VCS)
    message = str(info.value)
    assert message.startswith(
        "pyproject.toml: [project] field 'version': is dynamic with source = 'vcs', but no "
        "version tag was found ("
    )
    assert message.endswith(
        "); tag a commit (git tag v1.0.0), build from a git checkout, or set "
        "[tool.pallet.version] fallback"
    )


def test_vcs_bad_tag_version(repo: Path) -> None:
    git(repo, "tag", "vnext")
    with pytest.raises(ConfigError, match="git tag 'vnext' gives 'next'"):
        resolve_version(repo, LAYOUT, VCS)


def test_outside_git_uses_fallback(tmp_path: Path) -> None:
    settings = VersionSettings("vcs", None, "0.1.0", VCS.tag_pattern)
    assert resolve_version(tmp_path, LAYOUT, settings) == Version("0.1.0")


def test_outside_git_without_fallback(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no version tag was found"):
        resolve_version(tmp_path, LAYOUT, VCS)


# --- PKG-INFO (building from an sdist) -------------------------------------------------------


def test_pkg_info_wins(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")
    write(repo, "PKG-INFO", "Metadata-Version: 2.4\nName: demo\nVersion: 7.0.1\n\nBody: 1\n")
    assert resolve_version(repo, LAYOUT, VCS) == Version("7.0.1")
    attr = VersionSettings("attr", None, None, VCS.tag_pattern)
    assert resolve_version(repo, LAYOUT, attr) == Version("7.0.1")


def test_pkg_info_without_version(tmp_path: Path) -> None:
    write(tmp_path, "PKG-INFO", "Metadata-Version: 2.4\nName: demo\n\nVersion: 1.0\n")
    with pytest.raises(ConfigError, match="PKG-INFO has no Version field"):
        read_pkg_info_version(tmp_path)


def test_no_pkg_info(tmp_path: Path) -> None:
    assert read_pkg_info_version(tmp_path) is None
