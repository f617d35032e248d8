"""``pallet python list`` on this machine's real interpreters: pyenv's CPythons and an apt PyPy.

Issue 11's check: discovery finds the real pyenv Pythons 3.9-3.13 and (in CI, where .ci/run
installs it with apt) a PyPy, and rejects one outside ``requires-python`` with a reason. The
expected versions and implementations come from the interpreters themselves (``sys`` and
``platform`` in a subprocess), not from pallet's facts. Skipped, with the reason, on a machine
without pyenv Pythons or without ``pypy3`` on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PYENV_ROOT = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
#: pyenv's CPython folders for 3.9-3.13 (``3.12.1``; not ``3.12-dev`` or ``pypy3.10-7.3``).
PYENV_PYTHONS = sorted(
    p
    for p in (PYENV_ROOT / "versions").glob("3.*")
    if re.fullmatch(r"3\.(9|1[0-3])\.\d+", p.name) and (p / "bin" / "python3").is_file()
)
PYPY = shutil.which("pypy3")
FACTS = (
    "import json, platform, sys; print(json.dumps([platform.python_version(), "
    "sys.implementation.name, sys.executable]))"
)


def _own_facts(python: Path | str) -> tuple[str, str, str]:
    """(version, implementation, executable) as the interpreter itself reports them."""
    out = subprocess.run(
        [str(python), "-c", FACTS], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    version, implementation, executable = json.loads(out)
    return version, implementation, executable


def _project(folder: Path, requires_python: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "1"\nrequires-python = "{requires_python}"\n',
        encoding="utf-8",
    )
    return folder


def _python_list(
    project: Path, env: dict[str, str], *args: str
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    proc = subprocess.run(
        [sys.executable, "-m", "pallet", "python", "list", "--project", str(project), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, json.loads(proc.stdout) if "--json" in args else []


@pytest.fixture(scope="module")
def facts_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pallet cache for the module: each real interpreter is asked for its facts once."""
    return tmp_path_factory.mktemp("real-interpreters-cache")


@pytest.fixture
def machine_env(env: dict[str, str], facts_cache: Path) -> dict[str, str]:
    """The real PATH, HOME and PYENV_ROOT; pallet's cache private to this module."""
    return {
        **env,
        "PYENV_ROOT": str(PYENV_ROOT),
        "HOME": str(Path.home()),
        "PALLET_CACHE_DIR": str(facts_cache),
    }


@pytest.mark.skipif(not PYENV_PYTHONS, reason=f"no pyenv CPython 3.9-3.13 in {PYENV_ROOT}")
def test_real_pyenv_pythons_listed_and_judged(tmp_path: Path, machine_env: dict[str, str]) -> None:
    project = _project(tmp_path / "project", ">=3.12")
    proc, rows = _python_list(project, machine_env, "--json")
    by_path = {Path(row["path"]): row for row in rows}
    expected = {folder: _own_facts(folder / "bin" / "python3") for folder in PYENV_PYTHONS}
    for folder, (version, implementation, _) in expected.items():
        found = [row for path, row in by_path.items() if path.parent == folder / "bin"]
        assert len(found) == 1, f"{folder}: {[row['path'] for row in rows]}"
        row = found[0]
        assert "pyenv" in row["found"]
        assert row["facts"]["version"] == version == folder.name
        assert row["facts"]["implementation_name"] == implementation == "cpython"
        minor = tuple(int(n) for n in version.split(".")[:2])
        if minor >= (3, 12):
            assert row["rejected"] is None
        else:
            assert row["rejected"] == "outside requires-python >=3.12"
    chosen = [row for row in rows if row["chosen"]]
    if any(tuple(int(n) for n in v.split(".")[:2]) >= (3, 12) for v, _, _ in expected.values()):
        assert proc.returncode == 0, proc.stderr
        assert len(chosen) == 1 and chosen[0]["rejected"] is None
    else:
        assert proc.returncode == 1 and not chosen


@pytest.mark.skipif(
    not any(p.name.startswith("3.11.") for p in PYENV_PYTHONS), reason="no pyenv CPython 3.11"
)
def test_a_request_outside_requires_python_fails_with_the_reason(
    tmp_path: Path, machine_env: dict[str, str]
) -> None:
    project = _project(tmp_path / "project", ">=3.12")
    proc, _ = _python_list(project, machine_env, "--python", "3.11")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: no Python interpreter satisfies requires-python >=3.12 and 3.11 (from --python)"
    )
    eleven = [line for line in proc.stdout.splitlines() if str(PYENV_ROOT / "versions") in line]
    assert any(
        "3.11." in line and line.endswith("outside requires-python >=3.12") for line in eleven
    ), proc.stdout


@pytest.mark.skipif(PYPY is None, reason="pypy3 not on PATH (.ci/run installs it with apt)")
def test_pypy_from_path_is_found_as_pypy(tmp_path: Path, machine_env: dict[str, str]) -> None:
    assert PYPY is not None
    version, implementation, executable = _own_facts(PYPY)
    assert implementation == "pypy"
    project = _project(tmp_path / "project", ">=3.8")
    proc, rows = _python_list(project, machine_env, "--python", "pypy3", "--json")
    assert proc.returncode == 0, proc.stderr
    chosen = [row for row in rows if row["chosen"]]
    assert len(chosen) == 1
    assert chosen[0]["facts"]["implementation_name"] == "pypy"
    assert chosen[0]["facts"]["version"] == version
    assert Path(chosen[0]["path"]).resolve() == Path(executable).resolve()
    # outside requires-python: listed, rejected with the reason, and the command fails
    minor = ".".join(version.split(".")[:2])
    too_new = _project(tmp_path / "too-new", f">{minor}.999")
    proc, rows = _python_list(too_new, machine_env, "--python", "pypy3", "--json")
    assert proc.returncode == 1
    pypy_rows = [r for r in rows if r["facts"] and r["facts"]["implementation_name"] == "pypy"]
    assert pypy_rows and all(
        r["rejected"] == f"outside requires-python >{minor}.999" for r in pypy_rows
    )
