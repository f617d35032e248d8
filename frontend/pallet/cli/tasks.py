# ruff: noqa: PTH112, PTH113, PTH118
"""Tasks and env files for ``pallet run`` (docs/tasks.md): standard library only.

`read_run_config` reads ``[tool.pallet.scripts]`` and ``[tool.pallet] env-file`` from a project
(without parsing TOML when pyproject.toml cannot hold them: the plain ``pallet run CMD`` path
stays as fast as before); `run_environ` layers the env files under the process environment;
`launch` runs a task, or else the command. Both ``pallet run`` paths use them: the no-op path of
`cli.launch` before argparse, and `cli.run` after a sync.

Precedence, lowest first: the env files (``[tool.pallet] env-file``, then each ``--env-file``;
a later file wins over an earlier one), the process environment (it wins over every file, as
with uv's ``--env-file`` and python-dotenv's default), what an activated venv sets (``PATH``,
``VIRTUAL_ENV``), then the task's ``env`` (a composite's over the tasks it runs, as in pdm).
"""

from __future__ import annotations

import os
import sys

from .. import ui
from ..errors import PalletError, ProjectError
from .launch import exec_command

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..project.tasks import Command, RunConfig, Task

__all__ = [
    "env_file_paths",
    "launch",
    "list_tasks",
    "read_run_config",
    "run_environ",
    "task_member",
]

PYPROJECT = "pyproject.toml"
_PROJECT_SCRIPTS = (b"[project.scripts]", b"[project.gui-scripts]")


def read_run_config(
    root: str | None, venv: str | None = None, member: str | None = None
) -> RunConfig | None:
    """The tasks and env files of the project at `root`; None when it has neither (or there is
    no project): then not even `project.tasks` is imported. With `venv`, what the last run
    parsed from the same pyproject.toml bytes is taken from there (`cli.tasks_cache`), and
    what is parsed now is left there.

    `member`: the workspace member folder the command runs in (`task_member`). Its tasks join
    the root's and win over a root task of the same name; each runs in the member's folder
    (its ``cwd`` relative to it), and its env files are read after the root's, so that their
    values win (docs/tasks.md, "In a workspace")."""
    if root is None:
        return None
    data = _read(root)
    own = _read(member) if member is not None else None
    if not _may_hold_run_config(data) and (own is None or not _may_hold_run_config(own)):
        return None
    key = data
    if member is not None and own is not None:
        key = b"%s\0member %s\0%s" % (data, os.fsencode(member), own)
    if venv is not None:
        from .tasks_cache import load_cached

        cached = load_cached(venv, key)
        if cached is not None:
            return cached
    config = _parse(data, os.path.join(root, PYPROJECT))
    if member is not None and own is not None and _may_hold_run_config(own):
        from ..project.tasks import merge_member

        relative = os.path.relpath(member, root).replace(os.sep, "/")
        config = merge_member(config, _parse(own, os.path.join(member, PYPROJECT)), relative)
    if venv is not None:
        from .tasks_cache import store

        store(venv, key, config)
    return config


def task_member(root: str | None, start: str) -> str | None:
    """The workspace member folder `start` is in (`project.locate.find_root`), when its
    workspace root is `root`; None at the root, in a plain project or outside one."""
    from ..project.locate import find_root

    found = find_root(start) if root is not None else None
    if found is None or found[0] != os.path.realpath(root or "") or found[1] == found[0]:
        return None
    return found[1]


def _read(folder: str) -> bytes:
    path = os.path.join(folder, PYPROJECT)
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read: {exc.strerror or exc}", path=path) from None


def _parse(data: bytes, path: str) -> RunConfig:
    if not _may_hold_run_config(data):
        from ..project.tasks import RunConfig

        return RunConfig({}, ())
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    from ..project.tasks import parse_run_config

    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(f"{path}: invalid TOML: {exc}", path=path) from None
    return parse_run_config(raw, file=path)


def _may_hold_run_config(data: bytes) -> bool:
    """False when pyproject.toml's bytes cannot spell ``scripts`` or ``env-file`` in pallet's
    table (``[project.scripts]`` aside): then TOML is not even parsed. A ``\\u`` escape could
    spell a key, so a file holding one is parsed."""
    if b"env-file" in data or b"\\u" in data or b"\\U" in data:
        return True
    count = data.count(b"scripts")
    return count > 0 and count > sum(data.count(header) for header in _PROJECT_SCRIPTS)


def env_file_paths(
    config: RunConfig | None, root: str | None, given: Sequence[str], *, no_env_file: bool
) -> list[str]:
    """The env files to read, in order: pyproject.toml's ``env-file`` (relative to the
    project), then each ``--env-file`` (relative to the current folder); none with
    ``--no-env-file``."""
    if no_env_file:
        return []
    own = [os.path.join(root, name) for name in config.env_files] if config and root else []
    return [*own, *given]


def run_environ(environ: Mapping[str, str], paths: Sequence[str]) -> dict[str, str]:
    """`environ` with the variables of the dotenv files at `paths` it does not set itself; a
    later file wins over an earlier one. A file that does not exist or cannot be read is a
    `PalletError` naming it (exit 2)."""
    if not paths:
        return dict(environ)
    from ..project.dotenv import parse_dotenv

    loaded: dict[str, str] = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8-sig") as stream:
                text = stream.read()
        except FileNotFoundError:
            raise PalletError(f"{path}: env file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise PalletError(f"{path}: env file cannot be read: {why or exc}") from None
        for key, value in parse_dotenv(text, environ, file=path, known=loaded):
            loaded[key] = value
    return {**loaded, **environ}


def list_tasks(config: RunConfig | None, pyproject: str) -> int:
    """``pallet run --list``: each task (but ``_helpers``) with its help or its commands."""
    tasks = config.tasks if config is not None else {}
    shown = {name: task for name, task in tasks.items() if not name.startswith("_")}
    if not shown:
        ui.info(f"{pyproject}: no tasks in [tool.pallet.scripts]")
        return 0
    width = max(len(name) for name in shown)
    for name in sorted(shown):
        ui.result(f"{name.ljust(width)}  {shown[name].describe()}")
    return 0


def launch(
    command: Sequence[str],
    env: Mapping[str, str],
    *,
    config: RunConfig | None,
    root: str | None,
    literal: bool = False,
) -> int:
    """Run task ``command[0]`` with ``command[1:]`` appended to its last command, or, when it
    is no task (or `literal`: ``pallet run -- NAME``), the command itself. A `PalletError`
    (a missing ``cwd`` folder) is raised only before anything has run."""
    task = None if literal or not command or not config else config.tasks.get(command[0])
    if task is None or root is None:
        return exec_command(_python_file(list(command), None), env)
    assert config is not None  # a task came from it
    steps = list(_plan(task, tuple(command[1:]), config.tasks, {}, [task.name]))
    for step in steps:
        if not os.path.isdir(os.path.join(root, step.cwd)):
            raise PalletError(
                f"{os.path.join(root, PYPROJECT)}: [tool.pallet.scripts] {step.task}: "
                f"cwd {step.cwd!r}: no such folder (it would be {os.path.join(root, step.cwd)})"
            )
    for step in steps:
        folder = os.path.normpath(os.path.join(root, step.cwd))
        ui.verbose(f"task {command[0]!r}: {step.shown()} (in {folder})")
    if len(steps) == 1:  # one command: it replaces pallet, as `pallet run CMD` does
        step = steps[0]
        if step.command.shell and os.name != "posix":  # pragma: no cover - Windows
            return _run_step(step, env, root, len(steps), 1, command[0])
        os.chdir(os.path.join(root, step.cwd))
        argv = ["/bin/sh", "-c", step.shown()] if step.command.shell else step.argv(None)
        return exec_command(argv, {**env, **step.env})
    for number, step in enumerate(steps, 1):
        code = _run_step(step, env, root, len(steps), number, command[0])
        if code != 0:
            return code
    return 0


class _Step:
    """A command to run, with the task it belongs to, its own env over the base, its cwd."""

    __slots__ = ("args", "command", "cwd", "env", "task")

    def __init__(
        self,
        task: str,
        command: Command,
        args: tuple[str, ...],
        env: dict[str, str],
        cwd: str,
    ) -> None:
        self.task, self.command, self.args, self.env, self.cwd = task, command, args, env, cwd

    def argv(self, cwd: str | None) -> list[str]:
        return _python_file([*self.command.argv, *self.args], cwd)

    def shown(self) -> str:
        """The command line (for a shell step: the script, the arguments quoted after it)."""
        if self.command.shell:
            text = self.command.text
            return f"{text} {_join(self.args)}" if self.args else text
        return _join([*self.command.argv, *self.args])


def _plan(
    task: Task,
    args: tuple[str, ...],
    tasks: Mapping[str, Task],
    outer_env: Mapping[str, str],
    path: list[str],
) -> list[_Step]:
    """The steps of `task` in order; `args` go to its last command (a composite's last task).
    `outer_env` (the composites above it) wins over the task's own ``env``."""
    env = {**task.env, **outer_env}
    if task.commands:
        last = len(task.commands) - 1
        # a task runs in the project's folder unless its cwd says where (as hatch and pixi do)
        return [
            _Step(task.name, command, args if i == last else (), env, task.cwd or ".")
            for i, command in enumerate(task.commands)
        ]
    steps: list[_Step] = []
    for i, (name, own_args) in enumerate(task.composite):
        given = (*own_args, *args) if i == len(task.composite) - 1 else own_args
        # cycles were refused when the table was read (project.tasks); path guards it anyway
        if name in path:  # pragma: no cover
            raise ProjectError(f"[tool.pallet.scripts] composite cycle: {' -> '.join(path)}")
        steps += _plan(tasks[name], given, tasks, env, [*path, name])
    return steps


def _run_step(
    step: _Step, env: Mapping[str, str], root: str, total: int, number: int, name: str
) -> int:
    """Run one step of several as a child and wait; a failure is named on one stderr line.
    Ctrl-C reaches the child (the terminal signals the whole group): pallet waits for it, then
    stops without starting the next step."""
    import signal
    import subprocess

    cwd = os.path.join(root, step.cwd)
    child_env = {**env, **step.env}
    where = f"task {name!r} step {number} of {total}"
    if step.task != name:
        where += f" (task {step.task!r})"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if step.command.shell:
            code = subprocess.call(step.shown(), shell=True, env=child_env, cwd=cwd)
        else:
            code = subprocess.call(step.argv(cwd), env=child_env, cwd=cwd)
    except FileNotFoundError:
        ui.error(f"{where}: {step.argv(cwd)[0]}: command not found")
        return 127
    except OSError as exc:
        ui.error(f"{where}: {step.argv(cwd)[0]}: cannot be run: {exc.strerror or exc}")
        return 126
    finally:
        signal.signal(signal.SIGINT, previous)
    if code == 0:
        return 0
    if code < 0:  # killed by a signal: say so, then die of the same one (the shell's 128 + N)
        ui.error(f"{where} was killed by signal {-code}: {step.shown()}")
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code  # pragma: no cover - not reached where the signal kills
    ui.error(f"{where} failed with exit code {code}: {step.shown()}")
    return code


def _python_file(argv: list[str], cwd: str | None) -> list[str]:
    """A ``*.py`` file as the command runs with the environment's Python (as `cli.run` does)."""
    if argv and argv[0].endswith(".py") and os.path.isfile(os.path.join(cwd or ".", argv[0])):
        return ["python", *argv]
    return argv


#: the characters shlex.quote leaves unquoted (its ``[\w@%+=:,./-]``, ASCII)
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def _join(words: Sequence[str]) -> str:
    """``shlex.join`` without importing shlex (and re) on the no-op path: POSIX shell quoting."""
    return " ".join(
        word if word and _SAFE.issuperset(word) else "'" + word.replace("'", "'\"'\"'") + "'"
        for word in words
    )
