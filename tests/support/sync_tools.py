"""Shared set-up of the ``pallet sync`` end-to-end tests: a loopback index of test-built dists, a
project that builds with pallet-core, pallet run as a subprocess, and the real tools (pip, uv)
that check what it installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from support.dists import make_sdist
from support.wheels import build_wheel

UV = Path(sys.executable).parent / "uv"

PYPROJECT = """\
[build-system]
requires = ["pallet-core"]
build-backend = "pallet_core.build"

[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["foo", "baz"]

[project.optional-dependencies]
cli = ["clicky"]

[dependency-groups]
test = ["testy"]
dev = ["linty"]

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
"""


def make_dists(folder: Path) -> Path:
    """The index's files: wheels with a console script and dependencies, an sdist-only package."""
    build_wheel(
        folder,
        "foo",
        "1.0",
        {"foo/__init__.py": "def main():\n    print('hello from foo')\n"},
        entry_points={"console_scripts": {"foo-hello": "foo:main"}},
        requires_dist=("bar>=1",),
    )
    build_wheel(folder, "bar", "1.0", {"bar/__init__.py": "VERSION = '1.0'\n"})
    build_wheel(folder, "bar", "2.0", {"bar/__init__.py": "VERSION = '2.0'\n"})
    build_wheel(folder, "clicky", "1.0", {"clicky.py": ""}, requires_dist=("bar",))
    build_wheel(folder, "testy", "8.0", {"testy.py": ""})
    build_wheel(folder, "linty", "0.5", {"linty.py": ""})
    build_wheel(folder, "six", "1.16.0", {"six.py": ""})
    make_sdist(folder, "baz", "1.0")  # built at install time, through its in-tree backend
    return folder


def make_project(root: Path, url: str, pyproject: str = PYPROJECT) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject.format(url=url), encoding="utf-8")
    package = root / "src" / "demo"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    return root


def copy_project(template: Path, dest: Path) -> Path:
    """The template (pyproject.toml, pylock.toml, sources), without any .venv."""
    shutil.copytree(template, dest, ignore=shutil.ignore_patterns(".venv"))
    return dest


def pallet(
    project: Path, env: Mapping[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pallet", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=timeout,
        check=False,
    )


def pip(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pip from pallet's own environment, working on `venv` (``--python``), no configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def pip_list(venv: Path) -> dict[str, str]:
    proc = pip(venv, "list", "--format=json")
    assert proc.returncode == 0, proc.stderr
    rows: list[dict[str, Any]] = json.loads(proc.stdout)
    return {row["name"].lower(): row["version"] for row in rows}


def pip_check(venv: Path) -> None:
    proc = pip(venv, "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def listing(venv: Path) -> dict[str, int]:
    """Every file under `venv` with its size (the environment's state, for before/after)."""
    out = {}
    for path in sorted(venv.rglob("*")):
        if path.is_file() or path.is_symlink():
            out[str(path.relative_to(venv))] = path.lstat().st_size
    return out
