"""``pallet run TASK``: [tool.pallet.scripts] and env files, end to end (docs/tasks.md).

One project (no dependencies, an empty flat index) is synced once for the module; each test
writes its own ``[tool.pallet]`` tables into it (they are no lock inputs, so the environment
stays in sync and most runs take the no-op path) and runs ``python -m pallet run``. One test
syncs a project from the loopback index first and runs a console script as a task.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject, pallet_env
from support.sync_tools import pallet

#: a command that prints its arguments, cwd and some variables as JSON
SHOW = (
    'python -c \'import json, os, sys; print(json.dumps({"argv": sys.argv[1:], '
    '"cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in ("A", "B", "C")}}))\''
)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    base = tmp_path_factory.mktemp("tasks")
    root = base / "proj"
    (base / "flat").mkdir()
    root.mkdir()
    (root / "web").mkdir()
    env = pallet_env(base)
    for name in ("A", "B", "C"):
        env.pop(name, None)
    _write(root, "")
    proc = pallet(root, env, "sync")
    assert proc.returncode == 0, proc.stderr
    yield root, env


def _write(root: Path, tables: str) -> None:
    text = lock_pyproject(str(root.parent / "flat"), [], index_keys='format = "flat"\n')
    (root / "pyproject.toml").write_text(tables + "\n" + text, encoding="utf-8")


@pytest.fixture
def project(synced: tuple[Path, dict[str, str]]) -> Iterator[Path]:
    root, _ = synced
    yield root
    _write(root, "")
    for leftover in root.glob(".env*"):
        leftover.unlink()
    for marker in root.glob("marker-*"):
        marker.unlink()


@pytest.fixture
def env(synced: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return dict(synced[1])


def _prime(project: Path, env: dict[str, str]) -> None:
    """Sync after an edit: the sync stamp records pyproject.toml's digest, so the first run
    after any edit takes the full path once (and says "Nothing to change")."""
    proc = pallet(project, env, "sync", "-q")
    assert proc.returncode == 0, proc.stderr


def _shown(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert proc.returncode == 0, proc.stderr
    shown: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return shown


def test_a_command_line_task_gets_the_arguments(project: Path, env: dict[str, str]) -> None:
    _write(project, f"[tool.pallet.scripts]\nshow = {json.dumps(SHOW + ' first')}\n")
    shown = _shown(pallet(project / "web", env, "run", "show", "x y", "--flag"))
    assert shown["argv"] == ["first", "x y", "--flag"]  # appended, words kept whole
    # a task runs in the project's folder (hatch, pixi), wherever pallet run is called from
    assert shown["cwd"] == str(project)


def test_steps_run_in_order_and_stop_at_the_first_failure(
    project: Path, env: dict[str, str]
) -> None:
    steps = [
        'python -c \'open("marker-1", "w")\'',
        "python -c 'import sys; sys.exit(5)'",
        'python -c \'open("marker-3", "w")\'',
    ]
    _write(project, f"[tool.pallet.scripts]\nall = {json.dumps(steps)}\n")
    _prime(project, env)
    proc = pallet(project, env, "run", "all")
    assert proc.returncode == 5
    assert (project / "marker-1").exists()
    assert not (project / "marker-3").exists()
    assert proc.stderr.strip().splitlines() == [
        "error: task 'all' step 2 of 3 failed with exit code 5: python -c 'import sys; sys.exit(5)'"
    ]


def test_arguments_go_to_the_last_step(project: Path, env: dict[str, str]) -> None:
    steps = ["python -c 'import sys; assert sys.argv[1:] == []'", SHOW]
    _write(project, f"[tool.pallet.scripts]\nboth = {json.dumps(steps)}\n")
    assert _shown(pallet(project, env, "run", "both", "-k", "x"))["argv"] == ["-k", "x"]


def test_a_table_task_with_env_cwd_and_help(project: Path, env: dict[str, str]) -> None:
    _write(
        project,
        "[tool.pallet.scripts]\n"
        f"serve = {{ cmd = {json.dumps(SHOW)}, env = {{ A = 'task' }}, cwd = 'web', "
        "help = 'the dev server' }\n",
    )
    shown = _shown(pallet(project, {**env, "A": "process"}, "run", "serve"))
    assert shown["cwd"] == str(project / "web")
    assert shown["env"] == {"A": "task", "B": None, "C": None}  # the task's env wins
    listed = pallet(project, env, "run", "--list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "serve  the dev server\n"


def test_a_shell_task(project: Path, env: dict[str, str]) -> None:
    _write(
        project,
        "[tool.pallet.scripts]\n"
        "clean = { shell = 'echo \"$A\" | tr a-z A-Z > marker-shell; echo' }\n",
    )
    proc = pallet(project, {**env, "A": "piped"}, "run", "clean", "it's", "a  b")
    assert proc.returncode == 0, proc.stderr
    # the arguments are quoted onto the script's end: each one word for the shell
    assert proc.stdout == "it's a  b\n"
    assert (project / "marker-shell").read_text() == "PIPED\n"


def test_a_composite_runs_its_tasks_in_order_with_their_env(
    project: Path, env: dict[str, str]
) -> None:
    _write(
        project,
        "[tool.pallet.scripts]\n"
        'first = "python -c \'open(\\"marker-first\\", \\"w\\")\'"\n'
        f"show = {{ cmd = {json.dumps(SHOW)}, env = {{ A = 'own', B = 'own' }} }}\n"
        "check = { composite = ['first', 'show given'], env = { B = 'composite' } }\n",
    )
    shown = _shown(pallet(project, env, "run", "check", "more"))
    assert (project / "marker-first").exists()
    assert shown["argv"] == ["given", "more"]  # the last task's, then pallet run's
    # the composite's env wins over its tasks' own (pdm's rule)
    assert shown["env"] == {"A": "own", "B": "composite", "C": None}


def test_a_failing_task_inside_a_composite_is_named(project: Path, env: dict[str, str]) -> None:
    _write(
        project,
        "[tool.pallet.scripts]\n"
        "bad = ['true', \"python -c 'raise SystemExit(3)'\"]\n"
        'never = "python -c \'open(\\"marker-never\\", \\"w\\")\'"\n'
        "check = { composite = ['bad', 'never'] }\n",
    )
    proc = pallet(project, env, "run", "check")
    assert proc.returncode == 3
    assert "task 'check' step 2 of 3 (task 'bad') failed with exit code 3" in proc.stderr
    assert not (project / "marker-never").exists()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "a = { composite = ['b'] }\nb = { composite = ['a'] }\n",
            "[tool.pallet.scripts] a: composite cycle: a -> b -> a",
        ),
        ("a = { composite = ['nope'] }\n", "[tool.pallet.scripts] a: composite: 'nope' is not"),
        ("a = { cmd = 'true', cwdd = 'web' }\n", "[tool.pallet.scripts] a: key 'cwdd' is not"),
        ("a = 1\n", "[tool.pallet.scripts] a: must be a command line, an array of them or a t"),
        ("a = { cmd = 'true', cwd = '../..' }\n", "[tool.pallet.scripts] a: cwd: '../..' is outs"),
    ],
)
def test_a_bad_table_is_one_line_and_exit_2(
    project: Path, env: dict[str, str], table: str, message: str
) -> None:
    _write(project, "[tool.pallet.scripts]\n" + table + "ok = 'touch marker-ran'\n")
    proc = pallet(project, env, "run", "ok")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("Nothing")]
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {project / 'pyproject.toml'}: {message}")
    assert not (project / "marker-ran").exists()  # nothing ran


def test_a_missing_cwd_folder_is_exit_2_before_any_step(project: Path, env: dict[str, str]) -> None:
    _write(
        project,
        "[tool.pallet.scripts]\n"
        "one = 'touch marker-one'\n"
        "two = { cmd = 'true', cwd = 'gone' }\n"
        "both = { composite = ['one', 'two'] }\n",
    )
    proc = pallet(project, env, "run", "both")
    assert proc.returncode == 2
    assert "[tool.pallet.scripts] two: cwd 'gone': no such folder" in proc.stderr
    assert not (project / "marker-one").exists()


def test_list(project: Path, env: dict[str, str]) -> None:
    _write(
        project,
        "[tool.pallet.scripts]\n"
        "test = 'pytest -x tests'\n"
        "lint = ['ruff check .', 'ruff format --check .']\n"
        "clean = { shell = 'rm -rf build' }\n"
        "check = { composite = ['lint', 'test'] }\n"
        "_helper = 'true'\n",
    )
    proc = pallet(project, env, "run", "--list")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "check  lint -> test\n"
        "clean  sh: rm -rf build\n"
        "lint   ruff check . && ruff format --check .\n"
        "test   pytest -x tests\n"
    )
    _write(project, "")
    empty = pallet(project, env, "run", "--list")
    assert (empty.returncode, empty.stdout) == (0, "")
    assert "no tasks in [tool.pallet.scripts]" in empty.stderr


def test_a_task_shadows_a_command_and_dashdash_runs_the_command(
    project: Path, env: dict[str, str]
) -> None:
    _write(project, '[tool.pallet.scripts]\nfalse = "python -c \'print(\\"the task\\")\'"\n')
    task = pallet(project, env, "run", "false")
    assert (task.returncode, task.stdout) == (0, "the task\n")
    command = pallet(project, env, "run", "--", "false")
    assert (command.returncode, command.stdout) == (1, "")


def test_env_file_precedence(project: Path, env: dict[str, str]) -> None:
    (project / ".env").write_text("A=file\nB=file\nC=${B}-expanded\n", encoding="utf-8")
    (project / ".env.local").write_text("B=local\n", encoding="utf-8")
    _write(
        project,
        "[tool.pallet]\nenv-file = ['.env', '.env.local']\n\n"
        f"[tool.pallet.scripts]\nshow = {json.dumps(SHOW)}\n"
        f"own = {{ cmd = {json.dumps(SHOW)}, env = {{ B = 'task' }} }}\n",
    )
    # the later file wins over the earlier; expansion sees what was set before
    assert _shown(pallet(project, env, "run", "show"))["env"] == {
        "A": "file",
        "B": "local",
        "C": "file-expanded",
    }
    # the process environment wins over every file; the task's env over both
    assert _shown(pallet(project, {**env, "B": "process"}, "run", "own"))["env"] == {
        "A": "file",
        "B": "task",
        "C": "process-expanded",
    }
    # a plain command gets the files too; --no-env-file reads none
    plain = ["python", "-c", "import os; print(os.environ.get('A'))"]
    assert pallet(project, env, "run", *plain).stdout == "file\n"
    assert pallet(project, env, "run", "--no-env-file", *plain).stdout == "None\n"
    # --env-file comes after pyproject.toml's files (relative to the current folder)
    (project / "web" / ".env.cli").write_text("export A='from cli'\n", encoding="utf-8")
    try:
        proc = pallet(project / "web", env, "run", "--env-file", ".env.cli", *plain)
    finally:
        (project / "web" / ".env.cli").unlink()
    assert proc.stdout == "from cli\n", proc.stderr


def test_missing_env_files_are_exit_2(project: Path, env: dict[str, str]) -> None:
    _write(project, "[tool.pallet]\nenv-file = '.env.missing'\n")
    proc = pallet(project, env, "run", "touch", "marker-ran")
    assert proc.returncode == 2
    assert proc.stderr == f"error: {project / '.env.missing'}: env file not found\n"
    _write(project, "")
    given = pallet(project, env, "run", "--env-file", "nope.env", "touch", "marker-ran")
    assert (given.returncode, given.stderr) == (2, "error: nope.env: env file not found\n")
    (project / ".env").write_text("A=1\nB='open\n", encoding="utf-8")
    bad = pallet(project, env, "run", "--env-file", ".env", "touch", "marker-ran")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: .env:2: the ' quote is not closed")
    assert not (project / "marker-ran").exists()


def test_the_no_op_path_runs_a_task_without_argparse(project: Path, env: dict[str, str]) -> None:
    (project / ".env").write_text("A=fast\n", encoding="utf-8")
    pid = "python -c 'import os; print(os.getpid())'"
    _write(
        project,
        "[tool.pallet]\nenv-file = '.env'\n\n"
        f"[tool.pallet.scripts]\nshow = {json.dumps(SHOW)}\npid = {json.dumps(pid)}\n",
    )
    _prime(project, env)
    for run in ("parses pyproject.toml", "takes the tasks from .venv/.pallet-tasks"):
        fast = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "pallet", "run", "show"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert fast.returncode == 0, fast.stderr
        assert json.loads(fast.stdout)["env"]["A"] == "fast"
        imported = {line.rsplit("|", 1)[-1].strip() for line in fast.stderr.splitlines()}
        assert "pallet.cli.tasks" in imported
        assert not {"argparse", "packaging", "pallet.cli.run"} & imported
        # the second run splits no command line: the words come from the cache
        assert ("shlex" in imported) == (run == "parses pyproject.toml"), run
    # a one-command task replaces pallet (exec): the same process id, as `pallet run CMD`
    child = subprocess.Popen(
        [sys.executable, "-m", "pallet", "run", "pid"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = child.communicate(timeout=60)
    assert int(out) == child.pid


def test_project_scripts_alone_are_not_parsed_on_the_no_op_path(
    project: Path, env: dict[str, str]
) -> None:
    text = lock_pyproject(str(project.parent / "flat"), [], index_keys='format = "flat"\n')
    text = text.replace("\n\n[[tool", '\n\n[project.scripts]\nx = "m:f"\n\n[[tool', 1)
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    _prime(project, env)
    fast = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pallet", "run", "true"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert fast.returncode == 0, fast.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in fast.stderr.splitlines()}
    assert "pallet.cli.tasks" in imported  # the check could fail: importtime lists modules
    assert "argparse" not in imported  # still the no-op path
    # no task table was read: [project.scripts] is no task
    assert not {"shlex", "pallet.project.tasks"} & imported


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    dists = tmp_path_factory.mktemp("tasks-dists")
    make_wheel(
        dists,
        "greet",
        "1.0",
        files={
            "greet/__init__.py": "import sys\ndef main():\n    print('greet', *sys.argv[1:])\n",
            "greet-1.0.dist-info/entry_points.txt": "[console_scripts]\ngreet = greet:main\n",
        },
    )
    with IndexServer(dists, format="json") as server:
        yield server


def test_a_task_syncs_first_then_runs_a_console_script(tmp_path: Path, index: IndexServer) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    text = lock_pyproject(index.url, ["greet"])
    text += "\n[tool.pallet.scripts]\nhi = 'greet from-task'\n"
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    env = pallet_env(tmp_path)
    proc = pallet(root, env, "run", "hi", "and-args")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "greet from-task and-args\n"
    assert (root / "pylock.toml").is_file()
    assert os.path.isfile(root / ".venv" / "bin" / "greet")


def test_list_needs_a_project_and_no_command(tmp_path: Path, project: Path) -> None:
    env = pallet_env(tmp_path)
    outside = pallet(tmp_path, env, "run", "--list")
    assert outside.returncode == 2
    assert outside.stderr == f"error: {tmp_path}: no pyproject.toml here or above: no tasks\n"
    extra = pallet(project, env, "run", "--list", "test")
    assert extra.returncode == 2
    assert "pallet run --list takes no command (given: 'test')" in extra.stderr
