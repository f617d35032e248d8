"""``pallet python list`` end to end: a subprocess on a simulated PATH and pyenv folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.interpreters import broken_python, fake_python


def _pallet(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pallet", "python", "list", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
    )


def _machine(tmp_path: Path, env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    bin_dir = tmp_path / "bin"
    fake_python(bin_dir / "python3", "3.8.18")
    broken_python(bin_dir / "python3.6", "pyenv: python3.6: command not found", 127)
    home = tmp_path / "home"
    fake_python(home / ".pyenv" / "versions" / "3.12.1" / "bin" / "python3", "3.12.1")
    fake_python(
        home / ".pyenv" / "versions" / "pypy3.10-7.3.17" / "bin" / "python3",
        "3.10.14",
        implementation="pypy",
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1"\nrequires-python = ">=3.9"\n', encoding="utf-8"
    )
    env = {**env, "PATH": str(bin_dir), "HOME": str(home)}
    env.pop("PYENV_ROOT", None)
    return project, env


def test_python_list_marks_the_choice_and_gives_reasons(
    tmp_path: Path, env: dict[str, str]
) -> None:
    project, env = _machine(tmp_path, env)
    proc = _pallet(project, env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    pyenv = tmp_path / "home" / ".pyenv" / "versions"
    assert lines == [
        f"  -          -        {tmp_path}/bin/python3.6  [PATH]  exited with status 127: "
        "pyenv: python3.6: command not found",
        f"  3.8.18     cpython  {tmp_path}/bin/python3  [PATH]  outside requires-python >=3.9",
        f"* 3.12.1     cpython  {pyenv}/3.12.1/bin/python3  [pyenv]  ok",
        f"  3.10.14    pypy     {pyenv}/pypy3.10-7.3.17/bin/python3  [pyenv]  ok",
    ]
    assert "Traceback" not in proc.stderr


def test_python_list_with_a_request_and_json(tmp_path: Path, env: dict[str, str]) -> None:
    project, env = _machine(tmp_path, env)
    proc = _pallet(tmp_path, env, "--project", str(project), "--python", "pypy3.10", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    chosen = [row for row in rows if row["chosen"]]
    assert len(chosen) == 1
    assert chosen[0]["facts"]["implementation_name"] == "pypy"
    assert chosen[0]["found"] == ["pyenv"]
    by_version = {row["facts"]["version"]: row for row in rows if row["facts"]}
    assert by_version["3.12.1"]["rejected"] == "not the requested Python (pypy3.10, from --python)"


def test_python_list_when_nothing_fits_lists_then_fails(
    tmp_path: Path, env: dict[str, str]
) -> None:
    project, env = _machine(tmp_path, env)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1"\nrequires-python = ">=3.14"\n', encoding="utf-8"
    )
    proc = _pallet(project, env)
    assert proc.returncode == 1
    assert len(proc.stdout.splitlines()) == 4
    assert "outside requires-python >=3.14" in proc.stdout
    assert proc.stderr == "error: no Python interpreter satisfies requires-python >=3.14\n"


def test_python_list_outside_a_project_and_bad_request(tmp_path: Path, env: dict[str, str]) -> None:
    _, env = _machine(tmp_path, env)
    outside = tmp_path / "empty"
    outside.mkdir()
    proc = _pallet(outside, env)
    assert proc.returncode == 0, proc.stderr
    assert "* 3.8.18" in proc.stdout  # no requires-python: the first that runs
    bad = _pallet(outside, env, "--python", "banana")
    assert bad.returncode == 2
    assert bad.stderr == (
        "error: --python: 'banana' is not a Python request; use a version (3.12), an "
        "implementation and version (pypy3.10, cpython3.11) or a path\n"
    )
    env["PALLET_PYTHON"] = "3.12"
    proc = _pallet(outside, env)
    assert "* 3.12.1" in proc.stdout
