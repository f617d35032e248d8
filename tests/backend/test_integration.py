"""pallet-core with the real tools: pypa/build, pip (regular and PEP 660 editable), twine.

Every fixture project is built once per session with ``python -m build`` in an isolated
environment that installs pallet-core from the offline wheelhouse (sdist, then the wheel from
the sdist). One venv gets every wheel, another every project as an editable install. The repo
builds itself, and a Python 3.9 venv must produce the same bytes.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.metadata import Metadata
from support.projects import CASES, build, copy_fixture

REPO = Path(__file__).resolve().parents[2]
BIN = "Scripts" if os.name == "nt" else "bin"

#: Console script and the line it prints, per fixture (none for the stubs package).
SCRIPTS = {
    "data-and-scripts": ("datademo", "datademo hello from data"),
    "extras-and-entry-points": ("extrasdemo", "extrasdemo hello from extras"),
    "flat-layout": ("flatdemo", "flatdemo hello from flat"),
    "license-expression": ("licdemo", "licdemo hello from licenses"),
    "multiple-packages": ("multipkg", "multipkg hello from alpha"),
    "namespace-package": ("acme-tools", "acme-tools hello from namespace"),
    "readme-md": ("readmemd", "readmemd hello from markdown"),
    "readme-rst": ("readmerst", "readmerst hello from rst"),
    "single-module": ("singlemod", "singlemod hello from module"),
    "src-layout": ("srcdemo", "srcdemo hello from src"),
    "version-from-dunder": ("dunderver", "dunderver hello from dunder"),
    "version-from-git-tag": ("gitver", "gitver hello from git"),
}
#: Module to import per fixture, and the file whose edit an editable install must show.
IMPORTS = {
    "data-and-scripts": ("datademo", "src/datademo/__init__.py"),
    "extras-and-entry-points": ("extrasdemo", "src/extrasdemo/__init__.py"),
    "flat-layout": ("flatdemo", "flatdemo/__init__.py"),
    "license-expression": ("licdemo", "licdemo.py"),
    "multiple-packages": ("beta", "src/beta/__init__.py"),
    "namespace-package": ("acme.tools", "src/acme/tools/__init__.py"),
    "readme-md": ("readmemd", "src/readmemd/__init__.py"),
    "readme-rst": ("readmerst", "src/readmerst/__init__.py"),
    "single-module": ("singlemod", "singlemod.py"),
    "src-layout": ("srcdemo", "src/srcdemo/__init__.py"),
    "version-from-dunder": ("dunderver", "src/dunderver/__init__.py"),
    "version-from-git-tag": ("gitver", "src/gitver/__init__.py"),
}
VERSIONS = {"version-from-git-tag": "1.4.0", "version-from-dunder": "2.3.4"}


def run(*args: str | Path, env: dict[str, str], cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def make_git_checkout(root: Path, env: dict[str, str]) -> None:
    git = ["git", "-c", "user.name=pallet tests", "-c", "user.email=tests@example.invalid"]
    run(*git, "init", "-q", cwd=root, env=env)
    run(*git, "add", "-A", cwd=root, env=env)
    run(*git, "commit", "-q", "-m", "initial", cwd=root, env=env)
    run(*git, "tag", "v1.4.0", cwd=root, env=env)


@dataclass(frozen=True)
class Built:
    root: Path  # the project (a copy of the fixture)
    sdist: Path
    wheel: Path  # built by pypa/build from the sdist


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory, tool_env: dict[str, str]) -> Path:
    """Copies of every fixture project; the git-tag one made a tagged git checkout."""
    base = tmp_path_factory.mktemp("projects")
    for case in CASES:
        copy_fixture(case, base)
    make_git_checkout(base / "version-from-git-tag", tool_env)
    return base


@pytest.fixture(scope="session")
def built(
    projects: Path, tmp_path_factory: pytest.TempPathFactory, tool_env: dict[str, str]
) -> dict[str, Built]:
    """``python -m build`` (isolated, pip installs pallet-core from the wheelhouse) per fixture."""
    out = tmp_path_factory.mktemp("dists")
    result = {}
    for case in CASES:
        dist = out / case
        run(sys.executable, "-m", "build", "--outdir", dist, projects / case, env=tool_env)
        (sdist,) = dist.glob("*.tar.gz")
        (wheel,) = dist.glob("*.whl")
        result[case] = Built(projects / case, sdist, wheel)
    return result


def venv(path: Path, env: dict[str, str]) -> Path:
    run(sys.executable, "-m", "venv", path, env=env)
    return path / BIN / "python"


@pytest.mark.parametrize("case", CASES)
def test_build_names_and_version(built: dict[str, Built], case: str) -> None:
    dist = built[case]
    name, version = dist.sdist.name[: -len(".tar.gz")].rsplit("-", 1)
    assert dist.wheel.name == f"{name}-{version}-py3-none-any.whl"
    assert version == VERSIONS.get(case, version)


def test_twine_check_strict(built: dict[str, Built], tool_env: dict[str, str]) -> None:
    files = [str(p) for b in built.values() for p in (b.sdist, b.wheel)]
    twine = Path(sys.executable).parent / "twine"
    out = run(twine, "check", "--strict", *files, env=tool_env)
    assert out.count("PASSED") == len(files)


@pytest.mark.parametrize("case", CASES)
def test_metadata_round_trips(built: dict[str, Built], case: str) -> None:
    dist = built[case]
    with zipfile.ZipFile(dist.wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(name)
    with tarfile.open(dist.sdist) as sdist:
        (member,) = [
            m for m in sdist.getmembers() if m.name.count("/") == 1 and "PKG-INFO" in m.name
        ]
        extracted = sdist.extractfile(member)
        assert extracted is not None
        pkg_info = extracted.read()
    assert pkg_info == metadata
    parsed = Metadata.from_email(metadata, validate=True)
    assert parsed.metadata_version == "2.4"


@pytest.mark.parametrize("case", CASES)
def test_tree_builds_equal_the_isolated_builds(
    built: dict[str, Built], case: str, tmp_path: Path
) -> None:
    """Byte-identical: the hooks in-process from the tree vs pypa/build (wheel from the sdist)."""
    dist = built[case]
    assert build(dist.root, "build_wheel", tmp_path).read_bytes() == dist.wheel.read_bytes()
    assert build(dist.root, "build_sdist", tmp_path).read_bytes() == dist.sdist.read_bytes()


@pytest.fixture(scope="session")
def installed(
    built: dict[str, Built], tmp_path_factory: pytest.TempPathFactory, tool_env: dict[str, str]
) -> Path:
    """A fresh venv with every fixture wheel pip-installed; returns its python."""
    python = venv(tmp_path_factory.mktemp("venv") / "venv", tool_env)
    wheels = [str(b.wheel) for b in built.values()]
    run(python, "-m", "pip", "install", "-q", *wheels, env=tool_env)
    return python


@pytest.mark.parametrize("case", sorted(SCRIPTS))
def test_installed_wheel_imports_and_runs(
    installed: Path, case: str, tool_env: dict[str, str]
) -> None:
    module, _source = IMPORTS[case]
    run(installed, "-c", f"import {module}", env=tool_env, cwd=installed.parent)
    script, expected = SCRIPTS[case]
    assert run(installed.parent / script, env=tool_env).strip() == expected


def test_installed_files(installed: Path, tool_env: dict[str, str]) -> None:
    site = run(
        installed, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", env=tool_env
    )
    purelib = Path(site.strip())
    assert (purelib / "srcdemo" / "py.typed").is_file()
    assert (purelib / "srcdemo" / "data" / "greeting.txt").read_text() == "hello, data\n"
    assert (purelib / "foo-stubs" / "__init__.pyi").is_file()
    assert not (purelib / "acme" / "__init__.py").exists()  # PEP 420: no namespace __init__
    venv_root = installed.parent.parent
    assert (venv_root / "share" / "datademo" / "config.ini").is_file()  # .data/data
    shell = installed.parent / "datademo-shell"  # .data/scripts
    assert os.access(shell, os.X_OK)
    assert run(shell, env=tool_env).strip() == "datademo shell script"
    headers = glob.glob(str(venv_root / "include" / "**" / "datademo.h"), recursive=True)
    assert headers  # .data/headers
    entry_points = run(
        installed,
        "-c",
        "from importlib.metadata import entry_points as e;"
        "print(sorted(x.name for x in e(group='extrasdemo.plugins')))",
        env=tool_env,
    )
    assert entry_points.strip() == "['alpha', 'zeta']"


@pytest.fixture(scope="session")
def editable(
    projects: Path, tmp_path_factory: pytest.TempPathFactory, tool_env: dict[str, str]
) -> Path:
    """A fresh venv with every fixture ``pip install -e``'d (PEP 660, isolated builds)."""
    python = venv(tmp_path_factory.mktemp("venv-e") / "venv", tool_env)
    args = [arg for case in CASES for arg in ("-e", str(projects / case))]
    run(python, "-m", "pip", "install", "-q", *args, env=tool_env)
    return python


@pytest.mark.parametrize("case", sorted(SCRIPTS))
def test_editable_install_sees_edits(
    editable: Path, projects: Path, case: str, tool_env: dict[str, str]
) -> None:
    module, source = IMPORTS[case]
    script, expected = SCRIPTS[case]
    assert run(editable.parent / script, env=tool_env).strip() == expected
    path = projects / case / source
    original = path.read_text()
    try:
        path.write_text(original + f"\nEDITED = {case!r}\n")
        code = f"import {module} as m; print(m.EDITED)"
        assert run(editable, "-c", code, env=tool_env, cwd=editable.parent).strip() == case
    finally:
        path.write_text(original)


def test_editable_stubs_visible(editable: Path, projects: Path, tool_env: dict[str, str]) -> None:
    code = "import sys; print(any(p.endswith('stubs-package') for p in sys.path))"
    assert run(editable, "-c", code, env=tool_env).strip() == "True"


@pytest.mark.parametrize("subdir", ["backend", "."])
def test_repository_builds_itself(subdir: str, tmp_path: Path, tool_env: dict[str, str]) -> None:
    """pallet-core (backend/, backend-path ["."]) and pallet (frontend/, backend-path)."""
    run(sys.executable, "-m", "build", "--outdir", tmp_path, REPO / subdir, env=tool_env)
    name = "pallet_core" if subdir == "backend" else "pallet"
    (wheel,) = tmp_path.glob(f"{name}-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert f"{name}/__init__.py" in names and f"{name}/py.typed" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "backend/"))]


def python39() -> Path | None:
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9.*/bin/python")))
    return Path(found[-1]) if found else None


def test_python39_builds_the_same_bytes(
    built: dict[str, Built], wheelhouse: Path, tool_env: dict[str, str], tmp_path: Path
) -> None:
    """pallet-core supports Python 3.9: installed there, its hooks give byte-identical dists."""
    interpreter = python39()
    if interpreter is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs pyenv's Python 3.9 (~/.pyenv/versions/3.9.*) for this test")
        pytest.skip("no Python 3.9 from pyenv")
    env39 = tmp_path / "py39"
    run(interpreter, "-m", "venv", "--without-pip", env39, env=tool_env)
    python = env39 / BIN / "python"
    # pip 26 no longer runs on 3.9; uv installs there from the same offline wheelhouse.
    uv = Path(sys.executable).parent / "uv"
    run(uv, "pip", "install", "-q", "--python", python, "pallet-core", env=tool_env)
    code = (
        "import sys, pallet_core.build as b;"
        "print(b.build_wheel(sys.argv[1])); print(b.build_sdist(sys.argv[1]))"
    )
    for case in ("src-layout", "namespace-package", "data-and-scripts", "version-from-dunder"):
        out = tmp_path / "out" / case
        run(python, "-c", code, out, env=tool_env, cwd=built[case].root)
        assert (out / built[case].wheel.name).read_bytes() == built[case].wheel.read_bytes()
        assert (out / built[case].sdist.name).read_bytes() == built[case].sdist.read_bytes()


def test_hook_module_imports_only_the_standard_library(tool_env: dict[str, str]) -> None:
    code = (
        "import sys; before = set(sys.modules); import pallet_core.build;"
        "print(sorted(set(sys.modules) - before))"
    )
    env = {**tool_env, "PYTHONPATH": str(REPO / "backend")}
    loaded = run(sys.executable, "-c", code, env=env).strip()
    assert (
        "packaging" not in loaded
        and "pathspec" not in loaded
        and "pallet_core.config" not in loaded
    )


def test_no_partial_files_after_a_failed_pypa_build(
    tmp_path: Path, tool_env: dict[str, str]
) -> None:
    root = copy_fixture("src-layout", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "one"'))
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(root)],
        env=tool_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "[project] field 'version'" in result.stdout + result.stderr
    assert not out.exists() or list(out.iterdir()) == []
    shutil.rmtree(root)
