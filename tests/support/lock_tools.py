"""Tools run as subprocesses by the end-to-end lock tests: ``pallet lock``, and uv installing the
lock it wrote.

from support.lock_tools import pylock_selection, run_pallet_lock, uv_install
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

StrPath = Union[str, Path]


def pallet_env(root: Path) -> dict[str, str]:
    """pallet's environment for a test: its own cache under ``root``, no netrc, no pip/uv
    configuration, no colour."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PALLET_"))}
    out.update(
        PALLET_CACHE_DIR=str(root / "cache"),
        NETRC=str(root / "no-netrc"),
        PIP_CONFIG_FILE=os.devnull,
        NO_COLOR="1",
    )
    return out


def run_pallet_lock(
    project: Path,
    env: Mapping[str, str],
    *args: str,
    timeout: float,
    prefix: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """``python -m pallet lock --project <project> <args>`` in ``env``; output captured as text.
    ``prefix``: a command to run it under (`support.unprivileged`).

    Each lock it writes is handed to the lock test matrix (`support.lock_matrix`), so that even
    a lock the test later replaces or breaks on purpose is checked."""
    from . import lock_matrix

    before = lock_matrix.lock_files(project)
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "pallet", "lock", "--project", str(project), *args],
        capture_output=True,
        text=True,
        env=dict(env),
        check=False,
        timeout=timeout,
    )
    if lock_matrix.ACTIVE is not None:
        lock_matrix.ACTIVE.pallet_wrote(project, before)
    return proc


def lock_pyproject(
    url: str,
    dependencies: Sequence[str],
    *,
    index: str = "local",
    index_keys: str = "",
    name: str = "demo",
    version: str = "1.0",
) -> str:
    """The pyproject.toml of a lock test: ``name``/``version``, requires-python ``>=3.9``, the
    ``dependencies``, and one default index ``index`` at ``url`` (``index_keys``: more TOML lines
    for that table, such as ``format = "flat"``)."""
    deps = ", ".join(f'"{d}"' for d in dependencies)
    return (
        f'[project]\nname = "{name}"\nversion = "{version}"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{deps}]\n\n"
        f'[[tool.pallet.index]]\nname = "{index}"\nurl = "{url}"\n{index_keys}default = true\n'
    )


def pylock_selection(
    lock: Mapping[str, Any], extras: list[str], groups: list[str] | None
) -> dict[str, str]:
    """What PEP 751 gives this interpreter, computed by packaging.pylock (not by uv)."""
    from packaging.pylock import Pylock

    selected = Pylock.from_dict(dict(lock)).select(extras=extras, dependency_groups=groups)
    return {str(p.name): str(p.version) for p, _ in selected}


def uv_env(tmp_path: Path) -> dict[str, str]:
    """uv's environment: its own cache, no configuration, no index, no Python downloads."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    out.update(
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_INDEX="1",  # every file comes from its URL in pylock.toml (loopback)
        PIP_CONFIG_FILE=os.devnull,
        NO_COLOR="1",
    )
    return out


def _run_tool(
    args: Sequence[StrPath], env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    cmd = [str(a) for a in args]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=dict(env), check=False, timeout=timeout
    )
    assert proc.returncode == 0, f"{cmd[:3]} exit {proc.returncode}\n{proc.stderr}"
    return proc


def uv_install(
    uv: StrPath, tmp_path: Path, lock: Path, *flags: str, timeout: float
) -> dict[str, str]:
    """Install ``lock`` with ``uv`` into a fresh venv ``tmp_path/venv`` (each step must succeed);
    the distributions installed there but pip and setuptools, by lower-case name."""
    env = uv_env(tmp_path)
    venv = tmp_path / "venv"
    _run_tool([uv, "venv", venv, "--python", sys.executable], env, timeout)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run_tool([uv, "pip", "install", "--python", python, "-r", lock, *flags], env, timeout)
    code = (
        "import json, importlib.metadata as m\n"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    found: dict[str, str] = json.loads(_run_tool([python, "-c", code], env, timeout).stdout)
    return {k.lower(): v for k, v in found.items() if k.lower() not in ("pip", "setuptools")}
