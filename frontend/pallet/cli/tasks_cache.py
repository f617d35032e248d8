# ruff: noqa: PTH105, PTH108, PTH112, PTH118
"""The tasks of the last ``pallet run``, kept in the environment so that the next one need not
parse pyproject.toml: standard library only, no json, no re.

Importing ``tomllib`` alone costs more than the rest of ``pallet run``'s no-op path; a project
with tasks would otherwise pay it on every run. ``<venv>/.pallet-tasks`` holds the parsed
`RunConfig` under the sha256 of the pyproject.toml bytes it came from; a different digest (any
edit) means the file is ignored and rewritten after the next parse. The format is lines of
tab-separated fields, ``\\``, tab, CR and LF escaped::

    pallet-tasks-1 <sha256 of pyproject.toml>
    E <env file>
    T <name> <cwd: "=" + folder, or empty> <help: "=" + text, or empty>
    C <0|1: shell> <command line> <word> <word> ...   (a command of the task above)
    P <task name> <argument> ...                       (an entry of the composite above)
    V <name> <value>                                   (the task's env)

Only a table that was valid is written; a file that cannot be read or written is ignored.
"""

from __future__ import annotations

import os

from ..lock.stamp import sha256_hex

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from ..project.tasks import RunConfig

__all__ = ["CACHE_FILE", "load_cached", "store"]

CACHE_FILE = ".pallet-tasks"
#: bump when the format, or what `project.tasks` makes of a table, changes: old files then miss
_HEADER = "pallet-tasks-1"


def load_cached(venv: str, pyproject: bytes) -> RunConfig | None:
    """The `RunConfig` cached for exactly these pyproject.toml bytes, or None."""
    try:
        with open(os.path.join(venv, CACHE_FILE), encoding="utf-8") as stream:
            text = stream.read()
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.split("\n")
    if lines[0] != f"{_HEADER} {sha256_hex(pyproject)}" or lines[-1] != "":
        return None
    try:
        return _decode(lines[1:-1])
    except (IndexError, KeyError, ValueError):
        return None


def store(venv: str, pyproject: bytes, config: RunConfig) -> None:
    """Write `config` for these pyproject.toml bytes (atomically; quietly not at all when the
    environment does not exist or cannot be written)."""
    if not os.path.isdir(venv):
        return
    out = [f"{_HEADER} {sha256_hex(pyproject)}"]
    out += [_line("E", name) for name in config.env_files]
    for task in config.tasks.values():
        cwd = "" if task.cwd is None else "=" + task.cwd
        help_text = "" if task.help is None else "=" + task.help
        out.append(_line("T", task.name, cwd, help_text))
        out += [_line("C", "1" if c.shell else "0", c.text, *c.argv) for c in task.commands]
        out += [_line("P", name, *args) for name, args in task.composite]
        out += [_line("V", key, value) for key, value in task.env.items()]
    path = os.path.join(venv, CACHE_FILE)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as stream:
            stream.write("\n".join(out) + "\n")
        os.replace(tmp, path)
    except OSError:  # a read-only or full environment: the next run parses again
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _decode(lines: list[str]) -> RunConfig:
    from ..project.tasks import Command, RunConfig, Task

    env_files: list[str] = []
    tasks: list[tuple[str, str | None, str | None]] = []  # name, cwd, help
    commands: dict[str, list[Command]] = {}
    composites: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    envs: dict[str, dict[str, str]] = {}
    for line in lines:
        kind, *fields = [_unescape(f) for f in line.split("\t")]
        if kind == "E":
            env_files.append(fields[0])
            continue
        if kind == "T":
            name, cwd, help_text = fields
            tasks.append((name, cwd[1:] if cwd else None, help_text[1:] if help_text else None))
            commands[name], composites[name], envs[name] = [], [], {}
            continue
        name = tasks[-1][0]  # IndexError (a line before any task): not a file of ours
        if kind == "C":
            shell, text, *argv = fields
            commands[name].append(Command(text, shell=shell == "1", argv=argv))
        elif kind == "P":
            composites[name].append((fields[0], tuple(fields[1:])))
        elif kind == "V":
            key, value = fields
            envs[name][key] = value
        else:
            raise ValueError(line)
    return RunConfig(
        {
            name: Task(
                name,
                commands=commands[name],
                composite=composites[name],
                env=envs[name],
                cwd=cwd,
                help=help_text,
            )
            for name, cwd, help_text in tasks
        },
        env_files,
    )


def _line(*fields: str) -> str:
    return "\t".join(
        f.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        for f in fields
    )


def _unescape(field: str) -> str:
    if "\\" not in field:
        return field
    # split at the escaped backslashes first: what is left has only \t, \n and \r escapes
    return "\\".join(
        part.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r")
        for part in field.split("\\\\")
    )
