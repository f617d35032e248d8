"""``[tool.pallet.scripts]`` and ``[tool.pallet] env-file`` validated into `RunConfig`: pure.

The forms (docs/tasks.md)::

    test = "pytest -x tests"                          # a command line (shlex-split, no shell)
    lint = ["ruff check .", "ruff format --check ."]  # steps, in order
    serve = { cmd = "flask run", env = { FLASK_DEBUG = "1" }, cwd = "web", help = "..." }
    clean = { shell = "rm -rf build dist" }           # through the shell
    check = { composite = ["lint", "test -k fast"] }  # other tasks (and their arguments)

Every problem of the table is collected and raised as one `ProjectError`, each line
``pyproject.toml: [tool.pallet.scripts] NAME: problem``. Standard library only (``shlex``, when
there are tasks):
``pallet run``'s fast path reads this when pyproject.toml has a scripts table.
"""

from __future__ import annotations

import os

from ..errors import ProjectError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["TABLE", "Command", "RunConfig", "Task", "merge_member", "parse_run_config"]

TABLE = "tool.pallet.scripts"
#: the keys of a task table: one of the first three, then the options
_KINDS = ("cmd", "shell", "composite")
_OPTIONS = ("env", "cwd", "help")


class Command:
    """One step: ``argv`` (run without a shell) or ``shell`` (a script for ``sh -c``)."""

    __slots__ = ("argv", "shell", "text")

    def __init__(self, text: str, *, shell: bool, argv: Sequence[str] | None = None) -> None:
        """`argv`: the words of `text` when already known (`cli.tasks_cache`); else split here
        as a POSIX shell would (``shlex``), which raises ValueError for an unclosed quote."""
        self.text = text
        self.shell = shell
        if argv is None and not shell:
            import shlex  # here: a project without tasks, or with cached ones, never needs it

            argv = shlex.split(text)
        self.argv: tuple[str, ...] = tuple(argv or ())

    def __repr__(self) -> str:
        return f"Command({self.text!r}, shell={self.shell})"


class Task:
    """A task: its `commands` (steps), or the names in `composite` with their arguments."""

    __slots__ = ("commands", "composite", "cwd", "env", "help", "name")

    def __init__(
        self,
        name: str,
        *,
        commands: Sequence[Command] = (),
        composite: Sequence[tuple[str, tuple[str, ...]]] = (),
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        help: str | None = None,
    ) -> None:
        self.name = name
        self.commands = tuple(commands)
        self.composite = tuple(composite)
        self.env: dict[str, str] = dict(env or {})
        self.cwd = cwd
        self.help = help

    def describe(self) -> str:
        """What ``pallet run --list`` shows: the help, else the commands or the tasks run."""
        if self.help:
            return self.help
        if self.composite:
            return " -> ".join(" ".join((name, *args)) for name, args in self.composite)
        return " && ".join(
            f"sh: {command.text}" if command.shell else command.text for command in self.commands
        )


class RunConfig:
    """What ``pallet run`` reads from pyproject.toml: the tasks and the env files."""

    __slots__ = ("env_files", "tasks")

    def __init__(self, tasks: Mapping[str, Task], env_files: Sequence[str]) -> None:
        self.tasks = dict(tasks)
        self.env_files = tuple(env_files)


def parse_run_config(pyproject: Mapping[str, object], *, file: str) -> RunConfig:
    """pyproject.toml as TOML parsed it -> `RunConfig`; every problem at once as `ProjectError`."""
    tool = pyproject.get("tool")
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    if not isinstance(pallet, dict):
        return RunConfig({}, ())
    problems: list[str] = []
    env_files = _env_files(pallet.get("env-file"), file, problems)
    raw = pallet.get("scripts")
    tasks: dict[str, Task] = {}
    if raw is not None and not isinstance(raw, dict):
        problems.append(f"{file}: [{TABLE}] must be a table of tasks, not {_type(raw)}")
    elif raw:
        for name, value in raw.items():
            task = _task(name, value, f"{file}: [{TABLE}] {name}: ", problems)
            if task is not None:
                tasks[name] = task
        _check_composites(tasks, f"{file}: [{TABLE}] ", problems)
    if problems:
        raise ProjectError("\n".join(problems), path=file, key=TABLE)
    return RunConfig(tasks, env_files)


def _env_files(value: object, file: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        problems.append(
            f"{file}: [tool.pallet] env-file: must be a file name or an array of them, "
            f"not {_type(value)}"
        )
        return ()
    return tuple(values)


def _task(name: str, value: object, where: str, problems: list[str]) -> Task | None:
    """One entry of the table, or None after recording why it is not a task."""
    if not name or name.startswith("-") or any(c.isspace() for c in name):
        problems.append(f"{where}not a usable task name (empty, blanks, or a leading '-')")
        return None
    if isinstance(value, (str, list)):
        commands = _commands(value, where, problems, shell=False)
        return Task(name, commands=commands) if commands is not None else None
    if not isinstance(value, dict):
        problems.append(
            f"{where}must be a command line, an array of them or a table, not {_type(value)}"
        )
        return None
    before = len(problems)
    unknown = [key for key in value if key not in _KINDS + _OPTIONS]
    for key in unknown:
        from .problems import did_you_mean

        problems.append(f"{where}key {key!r} is not allowed{did_you_mean(key, _KINDS + _OPTIONS)}")
    kinds = [key for key in _KINDS if key in value]
    if len(kinds) != 1:
        given = " and ".join(kinds) if kinds else "none"
        problems.append(f"{where}needs exactly one of cmd, shell or composite (given: {given})")
        return None
    kind = kinds[0]
    env = _env(value.get("env"), where, problems)
    cwd = _cwd(value.get("cwd"), where, problems)
    help_text = value.get("help")
    if help_text is not None and not isinstance(help_text, str):
        problems.append(f"{where}help: must be a string, not {_type(help_text)}")
    if kind == "composite":
        if cwd is not None:
            problems.append(f"{where}cwd: not allowed on a composite; set it on its tasks")
        composite = _composite(value["composite"], where, problems)
        if len(problems) > before or composite is None:
            return None
        return Task(name, composite=composite, env=env, help=help_text)
    commands = _commands(value[kind], where + f"{kind}: ", problems, shell=kind == "shell")
    if len(problems) > before or commands is None:
        return None
    return Task(name, commands=commands, env=env, cwd=cwd, help=help_text)


def _commands(
    value: object, where: str, problems: list[str], *, shell: bool
) -> list[Command] | None:
    """A command line, or an array of them (steps); each must split (``shlex``) into words."""
    lines = [value] if isinstance(value, str) else value
    if not isinstance(lines, list) or not lines:
        problems.append(
            f"{where}must be a command line or a non-empty array of them, not {_type(value)}"
        )
        return None
    out = []
    for i, line in enumerate(lines):
        step = f"step {i + 1}: " if len(lines) > 1 else ""
        if not isinstance(line, str):
            problems.append(f"{where}{step}must be a command line, not {_type(line)}")
            return None
        try:
            command = Command(line, shell=shell)
        except ValueError as exc:  # shlex: "No closing quotation", "No escaped character"
            problems.append(f"{where}{step}{line!r} cannot be split into words: {exc}")
            return None
        if (not shell and not command.argv) or (shell and not line.strip()):
            problems.append(f"{where}{step}the command is empty")
            return None
        out.append(command)
    return out


def _composite(
    value: object, where: str, problems: list[str]
) -> list[tuple[str, tuple[str, ...]]] | None:
    """``["lint", "test -k fast"]`` -> task names with the arguments given to each."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}composite: must be a non-empty array of task names")
        return None
    import shlex

    out = []
    for entry in value:
        try:
            words = shlex.split(entry)
        except ValueError as exc:
            problems.append(f"{where}composite: {entry!r} cannot be split into words: {exc}")
            return None
        if not words:
            problems.append(f"{where}composite: an entry is empty")
            return None
        out.append((words[0], tuple(words[1:])))
    return out


def _env(value: object, where: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where}env: must be a table of strings, not {_type(value)}")
        return {}
    bad = [k for k, v in value.items() if not isinstance(v, str) or not k or "=" in k]
    for key in bad:
        problems.append(
            f"{where}env: {key!r} must be a name (no '=') with a string value, "
            f"not {_type(value[key])}"
        )
    return {} if bad else dict(value)


def _cwd(value: object, where: str, problems: list[str]) -> str | None:
    """A folder relative to the project root that stays inside it (``web``, ``docs/site``):
    a task must run the same in every checkout, wherever it lies."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        problems.append(f"{where}cwd: must be a folder name, not {_type(value)}")
        return None
    normal = os.path.normpath(value.replace("\\", "/"))
    if (
        os.path.isabs(value)  # noqa: PTH117
        or value.startswith(("/", "\\"))
        or (len(value) > 1 and value[1] == ":")
    ):
        problems.append(f"{where}cwd: {value!r} is absolute; give a folder inside the project")
        return None
    if normal == ".." or normal.startswith(".." + os.sep) or normal.startswith("../"):
        problems.append(f"{where}cwd: {value!r} is outside the project folder")
        return None
    return normal


def _check_composites(tasks: Mapping[str, Task], where: str, problems: list[str]) -> None:
    """Every name a composite runs is a task, and no composite runs itself (``a -> b -> a``)."""
    for task in tasks.values():
        for name, _ in task.composite:
            if name not in tasks:
                from .problems import did_you_mean

                problems.append(
                    f"{where}{task.name}: composite: {name!r} is not a task"
                    f"{did_you_mean(name, tasks)}"
                )
    if problems:
        return
    done: set[str] = set()
    for start in sorted(tasks):
        cycle = _find_cycle(start, tasks, [], done)
        if cycle is not None:
            problems.append(f"{where}{cycle[0]}: composite cycle: {' -> '.join(cycle)}")
            return


def _find_cycle(
    name: str, tasks: Mapping[str, Task], path: list[str], done: set[str]
) -> list[str] | None:
    """Depth first from `name`: the first cycle met, as the names from its start back to it."""
    if name in path:
        return [*path[path.index(name) :], name]
    if name in done:
        return None
    path.append(name)
    for child, _ in tasks[name].composite:
        found = _find_cycle(child, tasks, path, done)
        if found is not None:
            return found
    path.pop()
    done.add(name)
    return None


def _type(value: object) -> str:
    from .problems import type_name

    return type_name(value)


def merge_member(root: RunConfig, member: RunConfig, relative: str) -> RunConfig:
    """A workspace root's `RunConfig` with a member's (at `relative`, POSIX, from the root)
    over it: the member's tasks win by name and run in the member's folder (their ``cwd``
    relative to it); the member's env files come after the root's (a later file wins). Paths
    become relative to the root, where the tasks are run from."""
    import posixpath

    tasks = dict(root.tasks)
    for name, task in member.tasks.items():
        tasks[name] = Task(
            name,
            commands=task.commands,
            composite=task.composite,
            env=task.env,
            cwd=posixpath.normpath(posixpath.join(relative, task.cwd or ".")),
            help=task.help,
        )
    files = [posixpath.join(relative, name) for name in member.env_files]
    return RunConfig(tasks, [*root.env_files, *files])
