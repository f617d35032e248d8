"""File selection: package data, default excludes, .gitignore, include/exclude, data, sdist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from pallet_core.config import load_config
from pallet_core.errors import BuildError
from pallet_core.files import FileSelector, sdist_files, wheel_files
from support.projects import PROJECTS, copy_fixture

FIXTURES = PROJECTS

MakeProject = Callable[..., Path]


def wheel_paths(root: Path) -> list[str]:
    packages, data = wheel_files(load_config(root))
    return [arc for arc, _rel in packages + data]


def test_package_data_and_py_typed_ship(tmp_path: Path) -> None:
    root = copy_fixture("src-layout", tmp_path)
    assert wheel_paths(root) == [
        "srcdemo/__init__.py",
        "srcdemo/cli.py",
        "srcdemo/data/greeting.txt",
        "srcdemo/py.typed",
        "srcdemo/sub/__init__.py",
    ]


def test_default_excludes(make_project: MakeProject) -> None:
    root = make_project(
        {
            "src/demo/__init__.py": "",
            "src/demo/__pycache__/x.cpython-311.pyc": "",
            "src/demo/stale.pyc": "",
            "src/demo/.git/config": "",
            "src/demo/.hg/x": "",
            "src/demo/.svn/x": "",
            "src/demo/.tox/x": "",
            "src/demo/.nox/x": "",
            "src/demo/.venv/x": "",
            "src/demo/env/pyvenv.cfg": "",
            "src/demo/env/lib/site.py": "",
            "src/demo/demo.egg-info/PKG-INFO": "",
            "src/demo/build/keep.txt": "",  # build/ inside a package is package data
            "build/lib/demo/__init__.py": "",
            "dist/demo-1.0.tar.gz": "",
        }
    )
    assert wheel_paths(root) == ["demo/__init__.py", "demo/build/keep.txt"]
    assert sdist_files(load_config(root)) == [
        "pyproject.toml",
        "src/demo/__init__.py",
        "src/demo/build/keep.txt",
    ]


def test_root_and_nested_gitignore(make_project: MakeProject) -> None:
    root = make_project(
        {
            ".gitignore": "*.log\n/src/demo/generated/\n",
            "src/demo/__init__.py": "",
            "src/demo/debug.log": "",
            "src/demo/generated/x.py": "",
            "src/demo/sub/.gitignore": "secret.txt\n!keep.log\n",
            "src/demo/sub/secret.txt": "",
            "src/demo/sub/keep.log": "",
            "src/demo/sub/other.txt": "",
        }
    )
    assert wheel_paths(root) == [
        "demo/__init__.py",
        "demo/sub/keep.log",  # the nested .gitignore re-includes it
        "demo/sub/other.txt",
    ]
    # The sdist carries the .gitignore files so that its own wheel build selects the same.
    assert ".gitignore" in sdist_files(load_config(root))
    assert "src/demo/sub/.gitignore" in sdist_files(load_config(root))


def test_include_brings_back_an_ignored_file(make_project: MakeProject) -> None:
    root = make_project(
        {
            ".gitignore": "_version.py\n",
            "src/demo/__init__.py": "",
            "src/demo/_version.py": "v = 1\n",
        },
        extra='[tool.pallet.build]\ninclude = ["src/demo/_version.py"]\n',
    )
    assert wheel_paths(root) == ["demo/__init__.py", "demo/_version.py"]
    assert "src/demo/_version.py" in sdist_files(load_config(root))


def test_exclude_patterns(make_project: MakeProject) -> None:
    root = make_project(
        {
            "demo/__init__.py": "",
            "demo/tests/test_a.py": "",
            "demo/notes.md": "",
        },
        extra='[tool.pallet.build]\nexclude = ["demo/tests/", "*.md"]\n',
    )
    assert wheel_paths(root) == ["demo/__init__.py"]
    assert sdist_files(load_config(root)) == ["demo/__init__.py", "pyproject.toml"]


def test_sdist_include_and_exclude(make_project: MakeProject) -> None:
    root = make_project(
        {
            "README.md": "# demo\n",
            "src/demo/__init__.py": "",
            "tests/test_demo.py": "",
            "tests/big_fixture.bin": "",
            "docs/index.md": "",
            "scratch/notes.txt": "",
        },
        extra=(
            'readme = "README.md"\n[tool.pallet.build]\n'
            'sdist-include = ["tests/", "docs/"]\nsdist-exclude = ["*.bin"]\n'
        ),
    )
    assert sdist_files(load_config(root)) == [
        "README.md",
        "docs/index.md",
        "pyproject.toml",
        "src/demo/__init__.py",
        "tests/test_demo.py",
    ]
    assert wheel_paths(root) == ["demo/__init__.py"]


def test_data_directories(tmp_path: Path) -> None:
    root = copy_fixture("data-and-scripts", tmp_path)
    (root / "data" / "share" / "datademo" / "__pycache__").mkdir()
    (root / "data" / "share" / "datademo" / "__pycache__" / "x.pyc").write_text("")
    assert wheel_paths(root) == [
        "datademo/__init__.py",
        "datademo/cli.py",
        "datademo-0.1.0.data/data/share/datademo/config.ini",
        "datademo-0.1.0.data/headers/datademo.h",
        "datademo-0.1.0.data/scripts/datademo-shell",
    ]
    files = sdist_files(load_config(root))
    assert "scripts/datademo-shell" in files and "include/datademo.h" in files


def test_missing_data_directory(make_project: MakeProject) -> None:
    root = make_project(
        {"demo/__init__.py": ""}, extra='[tool.pallet.build.data]\nscripts = "bin"\n'
    )
    with pytest.raises(BuildError, match=r"\[tool.pallet.build.data\] field 'scripts'.*'bin/'"):
        wheel_files(load_config(root))


def test_everything_excluded_is_an_error(make_project: MakeProject) -> None:
    root = make_project(
        {"demo/__init__.py": ""}, extra='[tool.pallet.build]\nexclude = ["demo/"]\n'
    )
    with pytest.raises(BuildError, match="nothing to ship"):
        wheel_files(load_config(root))


def test_sdist_has_readme_licenses_and_version_file(tmp_path: Path) -> None:
    root = copy_fixture("license-expression", tmp_path)
    assert sdist_files(load_config(root)) == [
        "LICENSE-APACHE",
        "LICENSE-MIT",
        "README.md",
        "licdemo.py",
        "licenses/vendored.txt",
        "pyproject.toml",
    ]


def test_selector_single_file(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.tmp\n")
    selector = FileSelector(tmp_path)
    assert selector.selected("a.py")
    assert not selector.selected("a.tmp")
    assert not selector.selected("pkg/a.pyc")


def test_no_pathspec_import_without_patterns(tmp_path: Path) -> None:
    """Speed: pathspec is imported only when there is a .gitignore or a pattern."""
    root = copy_fixture("version-from-dunder", tmp_path)
    code = (
        "import sys, pallet_core.build as b; b.build_wheel(sys.argv[1]);"
        "print('pathspec' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "out")],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "backend")},
    )
    assert out.stdout.strip() == "False"


def test_symlink_cycle_is_not_followed(make_project: MakeProject) -> None:
    root = make_project({"demo/__init__.py": "", "demo/sub/x.py": ""})
    (root / "demo" / "sub" / "loop").symlink_to(root / "demo", target_is_directory=True)
    (root / "demo" / "self").symlink_to(".", target_is_directory=True)
    assert wheel_paths(root) == ["demo/__init__.py", "demo/sub/x.py"]
