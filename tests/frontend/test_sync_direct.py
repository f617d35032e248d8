"""``pallet sync`` of direct references: a local directory (editable and not), a git commit, a
local wheel file; each built or fetched as its lock entry says, with the PEP 610 record pip
would write, and left alone by the next sync."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.sync_tools import pallet, pip_check, pip_list

SUB = """\
[build-system]
requires = ["pallet-core"]
build-backend = "pallet_core.build"

[project]
name = "{name}"
version = "{version}"
dependencies = {deps}
"""


def sub_project(root: Path, name: str, version: str, deps: str = "[]") -> Path:
    (root / "src" / name).mkdir(parents=True)
    (root / "src" / name / "__init__.py").write_text(f"NAME = {name!r}\n", encoding="utf-8")
    text = SUB.format(name=name, version=version, deps=deps)
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "PATH": "/usr/bin:/bin",
        "HOME": str(repo),
    }
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[IndexServer]:
    folder = tmp_path / "dists"
    make_wheel(folder, "bar", "1.0", files={"bar/__init__.py": ""})
    with IndexServer(folder) as server:
        yield server


@pytest.mark.lock_moves("project")
def test_directories_git_and_a_wheel_file(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    project = tmp_path / "project"
    sub_project(project / "lib", "lib", "0.1", '["bar"]')
    sub_project(project / "plainlib", "plainlib", "0.2")
    repo = sub_project(tmp_path / "repo", "tool", "1.2")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "tag", "v1.2")
    commit = git(repo, "rev-parse", "HEAD")
    wheel = make_wheel(tmp_path / "wheels", "wheelpkg", "1.0", files={"wheelpkg.py": ""})
    (project / "pyproject.toml").write_text(
        f"""\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = [
    "lib",
    "plainlib",
    "tool @ git+{repo.as_uri()}@v1.2",
    "wheelpkg @ {wheel.as_uri()}",
]

[tool.pallet.sources]
lib = {{ path = "lib", editable = true }}
plainlib = {{ path = "plainlib" }}

[[tool.pallet.index]]
name = "local"
url = "{index.url}"
default = true
""",
        encoding="utf-8",
    )
    proc = pallet(project, env, "sync")
    assert proc.returncode == 0, proc.stderr
    venv = project / ".venv"
    # the project has no [build-system]: virtual, only its dependencies are installed
    assert pip_list(venv) == {
        "bar": "1.0",
        "lib": "0.1",
        "plainlib": "0.2",
        "tool": "1.2",
        "wheelpkg": "1.0",
    }
    pip_check(venv)
    site = next((venv / "lib").glob("python*/site-packages"))

    def direct(name: str) -> object:
        info = next(site.glob(f"{name}-*.dist-info"))
        return json.loads((info / "direct_url.json").read_text())

    assert direct("lib") == {
        "url": (project / "lib").resolve().as_uri(),
        "dir_info": {"editable": True},
    }
    assert direct("plainlib") == {"url": (project / "plainlib").resolve().as_uri(), "dir_info": {}}
    tool = direct("tool")
    assert isinstance(tool, dict)
    assert tool == {  # as pip records a git install (PEP 610)
        "url": repo.as_uri(),
        "vcs_info": {"vcs": "git", "commit_id": commit, "requested_revision": "v1.2"},
    }
    import hashlib

    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert direct("wheelpkg") == {
        "url": wheel.as_uri(),
        "archive_info": {"hashes": {"sha256": digest}},
    }
    # the plain directory's wheel is not kept (its sources may change); the editable one is
    built = Path(env["PALLET_CACHE_DIR"]) / "built-v1"
    assert not list(built.glob(".*"))
    assert [p.name for p in built.rglob("*.whl")].count("lib-0.1-py3-none-any.whl") == 1
    # editable: the source edit is seen; and a sync with other flags (no fast path) keeps all
    (project / "lib" / "src" / "lib" / "__init__.py").write_text("NAME = 'edited'\n")
    code = "import lib; print(lib.NAME)"
    out = subprocess.run([venv / "bin" / "python", "-c", code], capture_output=True, text=True)
    assert out.stdout == "edited\n"
    again = pallet(project, env, "sync", "--inexact", "-v")
    assert again.returncode == 0, again.stderr
    assert "Nothing to change" in again.stderr
