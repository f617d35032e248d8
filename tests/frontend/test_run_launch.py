"""``pallet run``'s launcher (`pallet.cli.launch`): the command replaces pallet, so its exit
status, signals and environment are its own. Run on a real venv made by pallet, with
``--no-sync`` (the sync itself is tested in test_run_project.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from pallet.cli.launch import split_run_argv, venv_environ
from pallet.python.venv import VenvInterpreter, create_venv

# The fast path (before argparse) and the full command (``--project`` sends the call there).
PATHS = {"fast": [], "full": ["--project", "."]}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("run-project")
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    create_venv(root / ".venv", VenvInterpreter.probe(sys.executable))
    return root


def pallet_run(
    project: Path, env: dict[str, str], *args: str, opts: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pallet", "run", "--no-sync", *opts, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("path", sorted(PATHS))
def test_exit_status_passes_through(project: Path, env: dict[str, str], path: str) -> None:
    proc = pallet_run(project, env, "python", "-c", "import sys; sys.exit(7)", opts=PATHS[path])
    assert proc.returncode == 7, proc.stderr
    assert proc.stderr == ""


@pytest.mark.parametrize("path", sorted(PATHS))
def test_the_environment_is_the_venvs(project: Path, env: dict[str, str], path: str) -> None:
    env = {**env, "PYTHONHOME": sys.base_prefix}  # valid for pallet's Python, wrong for the venv's
    code = (
        "import os, sys, json; print(json.dumps([sys.prefix, os.environ.get('VIRTUAL_ENV'), "
        "os.environ['PATH'], os.environ.get('PYTHONHOME')]))"
    )
    proc = pallet_run(project, env, "python", "-c", code, opts=PATHS[path])
    assert proc.returncode == 0, proc.stderr
    import json

    prefix, virtual_env, path_value, home = json.loads(proc.stdout)
    venv = project / ".venv"
    assert Path(prefix) == venv
    assert virtual_env == str(venv)
    assert path_value.split(os.pathsep)[0] == str(venv / "bin")
    assert path_value.split(os.pathsep)[1:] == env["PATH"].split(os.pathsep)
    assert home is None


def test_arguments_after_the_command_are_the_commands(project: Path, env: dict[str, str]) -> None:
    code = "import sys; print(sys.argv[1:])"
    proc = pallet_run(project, env, "python", "-c", code, "-q", "--extra", "x", "--", "-v")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['-q', '--extra', 'x', '--', '-v']"
    proc = pallet_run(project, env, "--", "python", "-c", code, "--no-sync")
    assert proc.stdout.strip() == "['--no-sync']"


def test_a_python_file_runs_with_the_venvs_python(project: Path, env: dict[str, str]) -> None:
    (project / "hello.py").write_text("import sys; print(sys.prefix)\n")
    proc = pallet_run(project, env, "hello.py")
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == project / ".venv"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_missing_command_is_127_with_one_line(
    project: Path, env: dict[str, str], path: str
) -> None:
    proc = pallet_run(project, env, "no-such-command-here", opts=PATHS[path])
    assert proc.returncode == 127  # what sh answers (POSIX 2.8.2)
    assert proc.stderr.startswith("error: no-such-command-here: command not found")
    assert proc.stderr.count("\n") == 1


def test_no_sync_without_a_venv(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    proc = pallet_run(tmp_path, env, "python", "-c", "pass")
    assert proc.returncode == 2
    assert "no environment to run in; run `pallet sync`" in proc.stderr
    assert str(tmp_path / ".venv") in proc.stderr


# Installs handlers, says READY with its pid, and exits 42 on SIGINT/SIGTERM (43 if not).
HANDLER = """
import os, signal, sys, time
def bye(signum, frame):
    sys.exit(42)
signal.signal(signal.SIGINT, bye)
signal.signal(signal.SIGTERM, bye)
print("READY", os.getpid(), flush=True)
time.sleep(30)
sys.exit(43)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_signal_reaches_the_command(
    project: Path, env: dict[str, str], signum: int, path: str
) -> None:
    cmd = [sys.executable, "-m", "pallet", "run", "--no-sync", *PATHS[path], "python", "-c"]
    with subprocess.Popen(
        [*cmd, HANDLER], cwd=project, env=env, stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line[:1] == ["READY"]
        assert int(line[1]) == proc.pid  # exec: the command is pallet's process
        os.kill(proc.pid, signum)
        assert proc.wait(timeout=30) == 42


def test_a_command_killed_by_a_signal_looks_killed(project: Path, env: dict[str, str]) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    proc = pallet_run(project, env, "python", "-c", code)
    assert proc.returncode == -signal.SIGKILL
    shell = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -m pallet run --no-sync python -c "{code}"; echo $?'],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shell.stdout.strip() == "137"  # 128 + 9, as the shell shows any killed command


def test_split_run_argv() -> None:
    assert split_run_argv(["run", "pytest", "-x"]) == (["run"], ["pytest", "-x"])
    assert split_run_argv(["-v", "run", "--extra", "a", "--frozen", "cmd", "--extra"]) == (
        ["-v", "run", "--extra", "a", "--frozen"],
        ["cmd", "--extra"],
    )
    assert split_run_argv(["run", "--with=rich", "--", "--weird"]) == (
        ["run", "--with=rich"],
        ["--weird"],
    )
    assert split_run_argv(["run", "--no-sync"]) == (["run", "--no-sync"], [])


def test_venv_environ_puts_overlays_first() -> None:
    out = venv_environ("/b", {"PATH": "/usr/bin", "PYTHONHOME": "/x"}, also=["/o"])
    assert out["PATH"] == os.pathsep.join(["/o/bin", "/b/bin", "/usr/bin"])
    assert out["VIRTUAL_ENV"] == "/o"
    assert "PYTHONHOME" not in out
    assert venv_environ("/b", {})["PATH"] == "/b/bin"
