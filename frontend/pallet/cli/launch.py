# ruff: noqa: PTH109, PTH113, PTH118
"""How ``pallet run`` starts a command inside an environment; standard library only.

The command gets the environment an activated venv gives (``docs/run.md``): the environment's
``bin`` folder first on ``PATH`` (an overlay's before its base's, for ``--with``),
``VIRTUAL_ENV`` set to it, ``PYTHONHOME`` unset. On POSIX pallet then *replaces itself* with
the command (`os.execvpe`): the command has pallet's process id, so a Ctrl-C at the terminal, a
``kill`` of that id and the exit status (a number, or the signal that ended it, as the shell
shows it: 128 + N) are the command's own, with nothing in between. Elsewhere the command runs as
a child whose exit status is passed on.

`split_run_argv` cuts ``pallet [opts] run [run opts] [--] CMD ARGS...`` into pallet's part and
the command's, and `fast_run` is the no-op path `cli.main` tries first: when the project's
environment is certainly in sync it runs the command before argparse, ``packaging`` or the
installer are imported.
"""

from __future__ import annotations

import os
import sys

from .. import ui

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "RUN_VALUE_OPTIONS",
    "exec_command",
    "fast_run",
    "split_run_argv",
    "venv_environ",
]

#: ``pallet run`` options that take a value (``--extra X`` as well as ``--extra=X``)
RUN_VALUE_OPTIONS = frozenset(
    (
        "--extra",
        "--group",
        "--no-group",
        "--only-group",
        "--python",
        "--with",
        "--project",
        "--variant",
        "--env-file",
        "--package",
    )
)
#: what the shell answers for a command it cannot find, or cannot execute (POSIX)
NOT_FOUND, NOT_EXECUTABLE = 127, 126
#: options that may come before ``run`` or in it and still take the fast path (verbosity)
_FAST_GLOBAL = {"-v": 1, "--verbose": 1, "-q": -1, "--quiet": -1}
#: ``pallet run`` flags that the fast path understands
_FAST_RUN = (
    "--frozen",
    "--no-sync",
    "--locked",
    "--offline",
    "--all-extras",
    "--no-dev",
    "--force-variant",
    "--no-env-file",
    "--all-packages",
)
_FAST_LISTS = ("--extra", "--group", "--no-group", "--only-group", "--package")


def venv_environ(
    venv: str, env: Mapping[str, str], *, also: Sequence[str] = (), scripts: str = "bin"
) -> dict[str, str]:
    """`env` as an activated venv at `venv` sees it (what ``bin/activate`` sets): its scripts
    folder first on ``PATH``, preceded by those of `also` (overlays, first wins), ``VIRTUAL_ENV``
    = the first of them, ``PYTHONHOME`` unset (it would point the venv's Python elsewhere)."""
    roots = [*also, venv]
    out = dict(env)
    out.pop("PYTHONHOME", None)
    out["VIRTUAL_ENV"] = roots[0]
    folders = [os.path.join(root, scripts) for root in roots]
    path = out.get("PATH")
    out["PATH"] = os.pathsep.join([*folders, path] if path else folders)
    return out


def exec_command(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run `argv` with `env`, found on ``env["PATH"]``; on POSIX this never returns unless the
    command cannot be started (127 not found, 126 not executable, after a one-line error)."""
    command = argv[0]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        try:
            # execvpe searches the PATH of the environment it is given (os._execvpe).
            os.execvpe(command, list(argv), dict(env))
        except FileNotFoundError:
            where = "" if os.sep in command else " (not on PATH, nor in the environment's bin)"
            ui.error(f"{command}: command not found{where}")
            return NOT_FOUND
        except OSError as exc:
            ui.error(f"{command}: cannot be run: {exc.strerror or exc}")
            return NOT_EXECUTABLE
    return _run_child(argv, env)  # pragma: no cover - Windows


def _run_child(argv: Sequence[str], env: Mapping[str, str]) -> int:  # pragma: no cover - Windows
    """Where there is no exec (Windows): run the command as a child, wait through Ctrl-C (the
    console sends it to the child too), pass on its status."""
    import shutil
    import signal
    import subprocess

    found = shutil.which(argv[0], path=env.get("PATH"))
    if found is None:
        ui.error(f"{argv[0]}: command not found")
        return NOT_FOUND
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = subprocess.call([found, *argv[1:]], env=dict(env))
    except OSError as exc:
        ui.error(f"{argv[0]}: cannot be run: {exc.strerror or exc}")
        return NOT_EXECUTABLE
    finally:
        signal.signal(signal.SIGINT, previous)
    if code < 0:  # killed by a signal: die of the same one, so our parent sees the same
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def split_run_argv(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """``[opts] run [run opts] [--] CMD ARGS`` -> (pallet's arguments, the command and its
    arguments). The command starts at the first argument after ``run`` that is not an option
    (or a value of one) or right after ``--``; everything from there belongs to it, options
    included (``pallet run pytest -x``)."""
    items = list(argv)
    start = items.index("run") + 1 if "run" in items else len(items)
    i = start
    while i < len(items):
        arg = items[i]
        if arg == "--":
            return items[:i], items[i + 1 :]
        if not arg.startswith("-") or arg == "-":
            return items[:i], items[i:]
        i += 2 if arg in RUN_VALUE_OPTIONS else 1
    return items, []


def fast_run(argv: Sequence[str]) -> int | None:
    """Run the command (or the project's task of that name, with its env files: `cli.tasks`)
    now when the project's environment is certainly in sync; None sends the call to the full
    command (`cli.run`), which decides properly (and reports a bad task table or env file).
    Understands ``-v``/``-q``, the selection options (``--extra``, ``--group``, ...),
    ``--env-file`` and `_FAST_RUN` flags; ``--with``, ``--script``, ``--project`` or anything
    else takes the full path."""
    from ..project.locate import find_root

    mine, command = split_run_argv(argv)
    if not command:
        return None
    verbosity = 0
    flags: set[str] = set()
    lists: dict[str, list[str]] = {
        name: [] for name in (*_FAST_LISTS, "--python", "--variant", "--env-file")
    }
    seen_run = False
    args = iter(mine)
    for arg in args:
        name, eq, value = arg.partition("=")
        if arg == "run" and not seen_run:
            seen_run = True
        elif arg in _FAST_GLOBAL:
            level = _FAST_GLOBAL[arg]
            if verbosity and level != verbosity:
                return None
            verbosity = level
        elif seen_run and arg in _FAST_RUN:
            flags.add(arg)
        elif seen_run and (name in _FAST_LISTS or name in ("--python", "--variant", "--env-file")):
            if not eq:
                value = next(args, "")
            if not value or value.startswith("-"):
                return None
            lists[name].append(value)
        else:
            return None
    only = lists["--only-group"]
    if len(lists["--python"]) > 1 or len(lists["--variant"]) > 1:
        return None
    if (only and (lists["--group"] or "--no-dev" in flags)) or {"--frozen", "--locked"} <= flags:
        return None  # the full command's to explain
    if lists["--package"] and "--all-packages" in flags:
        return None
    found = find_root(os.getcwd())
    if found is None:
        return None
    root, nearest = found
    member = nearest if nearest != root else None  # a workspace member's tasks join the root's
    venv = os.path.join(root, ".venv")
    if "--no-sync" in flags:
        if not os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
            return None  # the full command says what is missing
    else:
        from ..install.stamp import selection_text
        from .uptodate import fast_sync_state
        from .variant_stamp import fast_variant_extras

        variant = lists["--variant"][0] if lists["--variant"] else None
        force = "--force-variant" in flags
        # pallet run keeps the environment's variant: no detection here (docs/run.md)
        extras = fast_variant_extras(
            venv, lists["--extra"], variant, force, os.environ, detect=False
        )
        if extras is None:
            return None
        selection = selection_text(
            extras=extras,
            all_extras="--all-extras" in flags,
            groups=only or None,
            add_groups=lists["--group"],
            no_groups=lists["--no-group"] + (["dev"] if "--no-dev" in flags else []),
            install_project=not only and not lists["--package"],
            packages=lists["--package"] or None,
        )
        request = lists["--python"][0] if lists["--python"] else ""
        if not fast_sync_state(root, venv, selection, frozen="--frozen" in flags, request=request):
            return None
    ui.set_verbosity(verbosity)
    from ..errors import PalletError
    from .tasks import env_file_paths, launch, read_run_config, run_environ

    literal = len(mine) + len(command) < len(argv)  # `pallet run -- NAME`: never a task
    try:  # a bad table or env file: the full command says so (nothing has run yet)
        config = read_run_config(root, venv, member)
        paths = env_file_paths(
            config, root, lists["--env-file"], no_env_file="--no-env-file" in flags
        )
        env = venv_environ(venv, run_environ(os.environ, paths))
        return launch(command, env, config=config, root=root, literal=literal)
    except PalletError:
        return None
