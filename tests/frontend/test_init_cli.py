"""``pallet init``: each kind's files, their build, git, refusals, names, scripts, read-only dirs.

Expected values come from outside pallet: names from `packaging.utils.canonicalize_name` (PEP
503), metadata checked by `packaging.metadata`, the PEP 723 block read with the PEP's own
reference regular expression and tomllib, wheels installed by pip, repositories asked of git.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from packaging.metadata import Metadata
from packaging.utils import canonicalize_name
from pallet.project.pyproject import read_project
from support.lock_tools import pallet_env
from support.unprivileged import unprivileged_prefix

TIMEOUT = 120
PY = f"{sys.version_info[0]}.{sys.version_info[1]}"
#: PEP 723's reference regular expression for inline script metadata blocks
PEP723_BLOCK = r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """pallet's test environment, offline: pip finds nothing but what pallet provides."""
    out = pallet_env(tmp_path)
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    out.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(empty), PIP_DISABLE_PIP_VERSION_CHECK="1")
    out["PALLET_PYTHON"] = sys.executable
    return out


def pallet(
    env: dict[str, str], *args: str, cwd: Path | None = None, prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "pallet", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=TIMEOUT,
    )


def listing(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` (``.git`` excluded) with its bytes (None for a folder)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        out[rel] = None if path.is_dir() else path.read_bytes()
    return out


def read_toml(path: Path) -> dict[str, object]:
    with path.open("rb") as f:
        return tomllib.load(f)


def build_and_install(root: Path, env: dict[str, str], target: Path) -> Metadata:
    """``pallet build`` the project; pip installs the wheel into ``target``; its metadata."""
    proc = pallet(env, "build", str(root), "--wheel")
    assert proc.returncode == 0, proc.stderr
    (wheel,) = (root / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        (meta_name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Metadata.from_email(zf.read(meta_name), validate=True)
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target)]
    proc = subprocess.run(
        [*pip, str(wheel)], capture_output=True, text=True, env=env, check=False, timeout=TIMEOUT
    )
    assert proc.returncode == 0, proc.stderr
    return metadata


COMMON = {".gitignore", ".python-version", "README.md", "pyproject.toml", "tests"}


def test_lib_files_build_and_install(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "mylib"
    proc = pallet(env, "init", str(root), "--lib", "--python", "3.10", "--no-git")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"Initialized library `mylib` at {root}\n"
    assert set(listing(root)) == COMMON | {
        "src",
        "src/mylib",
        "src/mylib/__init__.py",
        "src/mylib/py.typed",
        "tests/test_mylib.py",
    }
    data = read_toml(root / "pyproject.toml")
    core = importlib.metadata.version("pallet-core")
    assert data["build-system"] == {
        "requires": [f"pallet-core>={core}"],
        "build-backend": "pallet_core.build",
    }
    assert data["project"] == {
        "name": "mylib",
        "version": "0.1.0",
        "description": "Add your description here",
        "readme": "README.md",
        "requires-python": ">=3.10",
        "dependencies": [],
    }
    assert (root / ".python-version").read_text(encoding="utf-8") == "3.10\n"
    ignored = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".venv", "__pycache__/", "dist/", "*.egg-info"} <= set(ignored)
    spec = read_project(root)  # pallet's own reader accepts it
    assert (spec.name, str(spec.requires_python)) == ("mylib", ">=3.10")

    target = tmp_path / "installed"
    metadata = build_and_install(root, env, target)
    assert (metadata.name, str(metadata.version)) == ("mylib", "0.1.0")
    assert str(metadata.requires_python) == ">=3.10"
    assert (target / "mylib" / "py.typed").is_file()
    check = subprocess.run(
        [sys.executable, "-c", "import mylib; print(mylib.hello())"],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(target)},
        check=True,
    )
    assert check.stdout == "Hello from mylib!\n"
    tests = subprocess.run(  # the project's own test passes against its source
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(root / "src")},
        check=False,
    )
    assert tests.returncode == 0, tests.stdout


def test_packaged_app_has_a_console_script(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "tool"
    proc = pallet(env, "init", str(root), "--package", "--no-git", "--python", PY)
    assert proc.returncode == 0, proc.stderr
    assert set(listing(root)) == COMMON | {
        "src",
        "src/tool",
        "src/tool/__init__.py",
        "tests/test_tool.py",
    }
    data = read_toml(root / "pyproject.toml")
    project = data["project"]
    assert isinstance(project, dict)
    assert project["scripts"] == {"tool": "tool:main"}
    assert "build-system" in data
    target = tmp_path / "installed"
    metadata = build_and_install(root, env, target)
    assert metadata.name == "tool"
    script = target / "bin" / "tool"
    run = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(target)},
        check=True,
    )
    assert run.stdout == "Hello from tool!\n"


def test_app_is_virtual_by_default(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "webapp"
    root.mkdir()
    proc = pallet(env, "init", "--no-git", cwd=root)  # DIR defaults to the current folder
    assert proc.returncode == 0, proc.stderr
    assert set(listing(root)) == COMMON | {"main.py", "tests/test_webapp.py"}
    data = read_toml(root / "pyproject.toml")
    assert "build-system" not in data  # uv's app: not a package, not installed itself
    project = data["project"]
    assert isinstance(project, dict)
    # the default Python: the interpreter discovery picks (PALLET_PYTHON here)
    assert project["requires-python"] == f">={PY}"
    assert (root / ".python-version").read_text(encoding="utf-8") == f"{PY}\n"
    assert read_project(root).name == "webapp"
    run = subprocess.run(
        [sys.executable, "main.py"], cwd=root, capture_output=True, text=True, check=True
    )
    assert run.stdout == "Hello from webapp!\n"
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_init_outside_and_inside_a_work_tree(env: dict[str, str], tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    assert pallet(env, "init", str(outside), "--python", PY).returncode == 0
    top = _git("rev-parse", "--show-toplevel", cwd=outside)
    assert Path(top.stdout.strip()) == outside.resolve()

    repo = tmp_path / "repo"
    repo.mkdir()
    assert _git("init", "-q", cwd=repo).returncode == 0
    inside = repo / "pkgs" / "inner"
    proc = pallet(env, "init", str(inside), "--lib", "--python", PY)
    assert proc.returncode == 0, proc.stderr
    assert not (inside / ".git").exists()
    top = _git("rev-parse", "--show-toplevel", cwd=inside)
    assert Path(top.stdout.strip()) == repo.resolve()

    plain = tmp_path / "plain"
    assert pallet(env, "init", str(plain), "--no-git", "--python", PY).returncode == 0
    assert not (plain / ".git").exists()


def test_refuses_an_existing_project(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "taken"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (root / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = listing(root)
    proc = pallet(env, "init", str(root), "--python", PY)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"error: {root / 'pyproject.toml'}: a project is already here; init refuses to "
        "overwrite it\n"
    )
    assert listing(root) == before and not (root / ".git").exists()


def test_refuses_any_file_it_would_write(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "half"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_half.py").write_text("# mine\n", encoding="utf-8")
    before = listing(root)
    proc = pallet(env, "init", str(root), "--lib", "--python", PY)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"error: {root / 'tests' / 'test_half.py'}: already exists; init refuses to overwrite it\n"
    )
    assert listing(root) == before and not (root / ".git").exists()


def test_a_folder_name_is_normalized(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "My_Cool.Project"
    proc = pallet(env, "init", str(root), "--lib", "--no-git", "--python", PY)
    assert proc.returncode == 0, proc.stderr
    expected = canonicalize_name("My_Cool.Project")
    project = read_toml(root / "pyproject.toml")["project"]
    assert isinstance(project, dict) and project["name"] == expected
    assert (root / "src" / expected.replace("-", "_") / "__init__.py").is_file()


def test_a_folder_name_that_cannot_be_one(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "-odd!"
    root.mkdir()
    proc = pallet(env, "init", str(root), "--python", PY)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: the folder name '-odd!' cannot be a project name")
    assert proc.stderr.endswith("give one with --name\n") and len(proc.stderr.splitlines()) == 1
    assert listing(root) == {}
    proc = pallet(env, "init", str(root), "--name", "Odd", "--no-git", "--python", PY)
    assert proc.returncode == 0, proc.stderr
    project = read_toml(root / "pyproject.toml")["project"]
    assert isinstance(project, dict) and project["name"] == "odd"


def test_script(env: dict[str, str], tmp_path: Path) -> None:
    proc = pallet(env, "init", "--script", "tool.py", "--python", "3.11", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "tool.py").read_text(encoding="utf-8")
    (block,) = list(re.finditer(PEP723_BLOCK, text))
    assert block["type"] == "script"
    content = "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in block["content"].splitlines(keepends=True)
    )
    assert tomllib.loads(content) == {"requires-python": ">=3.11", "dependencies": []}
    run = subprocess.run(
        [sys.executable, "tool.py"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert run.stdout == "Hello from tool!\n"
    assert not (tmp_path / "pyproject.toml").exists()
    again = pallet(env, "init", "--script", "tool.py", cwd=tmp_path)
    assert (again.returncode, again.stderr) == (
        2,
        f"error: {tmp_path / 'tool.py'}: already exists; init refuses to overwrite it\n",
    )


def test_bad_python_version(env: dict[str, str], tmp_path: Path) -> None:
    proc = pallet(env, "init", str(tmp_path / "p"), "--python", "three")
    assert (proc.returncode, proc.stderr) == (
        2,
        "error: --python 'three': give a Python version like 3.12\n",
    )
    assert not (tmp_path / "p").exists()


def test_read_only_parent_folder(env: dict[str, str], tmp_path: Path) -> None:
    prefix = unprivileged_prefix()
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o555)
    proc = pallet(env, "init", str(parent / "new"), "--python", PY, prefix=prefix)
    assert (proc.returncode, proc.stderr) == (
        2,
        f"error: {parent / 'new'}: cannot write: Permission denied\n",
    )
    assert list(parent.iterdir()) == []


def test_a_failure_midway_removes_what_it_wrote(env: dict[str, str], tmp_path: Path) -> None:
    prefix = unprivileged_prefix()
    root = tmp_path / "midway"
    root.mkdir()
    (root / "src").mkdir(mode=0o555)  # the top files are written before src/<name>/ fails
    proc = pallet(env, "init", str(root), "--lib", "--python", PY, prefix=prefix)
    assert (proc.returncode, proc.stderr) == (
        2,
        f"error: {root / 'src' / 'midway'}: cannot write: Permission denied\n",
    )
    os.chmod(root / "src", 0o755)
    assert listing(root) == {"src": None}


def test_a_new_packaged_app_runs(env: dict[str, str], tmp_path: Path) -> None:
    """init, then ``pallet run NAME``: locked, synced (the project built editable, offline) and
    its console script run."""
    root = tmp_path / "fresh"
    assert pallet(env, "init", str(root), "--package", "--no-git", "--python", PY).returncode == 0
    proc = pallet(env, "run", "fresh", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Hello from fresh!\n"
