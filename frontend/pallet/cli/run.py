"""``pallet run CMD ...``: sync when needed, then run CMD inside the environment.

Three kinds of environment (docs/run.md):

- the project's ``.venv`` (a pyproject.toml in the current folder or above): synced first
  through the path ``pallet sync`` takes, unless it is already in sync, which `cli.main`
  finds before argparse is imported (`cli.launch.fast_run`);
- a PEP 723 script's own cached environment (``pallet run script.py`` outside a project, or
  ``--script``), keyed by its requirements (`cli.run_env`);
- a ``--with`` overlay on top of either (or alone, outside a project).

The command then replaces pallet (`cli.launch.exec_command`): its exit status and signals are
its own. ``pallet run script.py`` runs the environment's ``python script.py``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import PalletError, ProjectError
from .launch import venv_environ

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from packaging.requirements import Requirement

    from .run_env import EnvRequest

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``pallet run`` on the top-level sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        epilog=(
            "examples:\n"
            "  pallet run pytest -x\n"
            "  pallet run --extra cli -- mytool --help\n"
            "  pallet run --with rich script.py\n"
            "  pallet run --no-sync python -V\n"
            "  pallet run test -k fast      # task 'test' of [tool.pallet.scripts]\n"
            "  pallet run -- test           # the command 'test', even where a task has its name\n"
            "  pallet run --list"
        ),
        help="run a command in the project's environment (syncing it first when needed)",
        usage="pallet run [options] [--] COMMAND|TASK [ARGS...]",
        description=(
            "Sync the project's .venv when it is not up to date with pylock.toml, then run "
            "COMMAND in it (PATH and VIRTUAL_ENV set). Everything from COMMAND on belongs to "
            "COMMAND. `pallet run script.py` outside a project runs a PEP 723 script in a "
            "cached environment made from its inline metadata. The exit status is COMMAND's. "
            "A name of [tool.pallet.scripts] runs that task instead (its ARGS appended to its "
            "last command); `--` before COMMAND runs the command even then."
        ),
    )
    selection = parser.add_argument_group("what the project's environment holds (as pallet sync)")
    from .selection_args import add_selection_options

    add_selection_options(selection, verb="install")
    selection.add_argument(
        "--variant",
        metavar="NAME",
        default=None,
        help="the hardware variant to install (as pallet sync; auto: detect it again)",
    )
    selection.add_argument(
        "--force-variant",
        action="store_true",
        help="install the --variant even when this machine does not meet its requirement",
    )
    sync = parser.add_argument_group("syncing")
    sync.add_argument(
        "--no-sync", action="store_true", help="run in .venv as it is; never sync or lock"
    )
    sync.add_argument(
        "--frozen", action="store_true", help="install pylock.toml as it is; never lock"
    )
    sync.add_argument(
        "--locked", action="store_true", help="fail if pylock.toml is missing or out of date"
    )
    sync.add_argument("--offline", action="store_true", help="use only the cache; no network")
    parser.add_argument(
        "--python",
        metavar="PYTHON",
        default=None,
        help="the interpreter for a new environment (3.12, pypy3.10, a path)",
    )
    parser.add_argument(
        "--with",
        dest="with_",
        action="append",
        default=[],
        metavar="REQ",
        help="also make these packages available, for this run only (repeatable; "
        "comma-separated lists too)",
    )
    parser.add_argument(
        "--script",
        action="store_true",
        help="run COMMAND (a file) as a PEP 723 script in its own environment, even in a project",
    )
    parser.add_argument(
        "--project",
        metavar="DIR",
        type=Path,
        default=None,
        help="the project directory (default: the nearest one holding pyproject.toml, or the "
        "workspace around it)",
    )
    tasks = parser.add_argument_group("tasks and env files (docs/tasks.md)")
    tasks.add_argument(
        "--list",
        action="store_true",
        help="list the tasks of [tool.pallet.scripts] with their help or commands",
    )
    tasks.add_argument(
        "--env-file",
        action="append",
        default=[],
        metavar="PATH",
        help="read variables from this dotenv file too (repeatable; a later file wins; "
        "the process environment wins over every file)",
    )
    tasks.add_argument(
        "--no-env-file",
        action="store_true",
        help="read no env file, not even [tool.pallet] env-file",
    )

    from .workspace_args import add_package_option

    add_package_option(parser, all_packages=True)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``pallet run``: find or make the environment, then hand the process to COMMAND (or
    run task COMMAND, `cli.tasks`)."""
    from .tasks import (
        env_file_paths,
        launch,
        list_tasks,
        read_run_config,
        run_environ,
        task_member,
    )

    command: list[str] = list(getattr(args, "run_command", None) or [])
    if args.list:
        if command:
            raise PalletError(f"pallet run --list takes no command (given: {command[0]!r})")
        root = _project_root(args)
        if root is None:
            raise ProjectError(f"{Path.cwd()}: no pyproject.toml here or above: no tasks")
        member = task_member(str(root), str(args.project or Path.cwd()))
        return list_tasks(read_run_config(str(root), member=member), str(root / "pyproject.toml"))
    if not command:
        raise PalletError(
            "pallet run: no command given; usage: pallet run [options] COMMAND|TASK ... "
            "(pallet run --list shows the tasks)"
        )
    if args.locked and args.frozen:
        raise PalletError("--locked and --frozen cannot be combined")
    extra = _with_requirements(args.with_)
    script = _script_path(args, command[0])
    # the project's tasks and env files are read (and checked) before anything is synced
    root = _project_root(args) if script is None else None
    venv = str(root / ".venv") if root is not None else None
    where = str(root) if root is not None else None
    config = read_run_config(where, venv, task_member(where, str(args.project or Path.cwd())))
    paths = env_file_paths(
        config, str(root) if root is not None else None, args.env_file, no_env_file=args.no_env_file
    )
    environ = run_environ(os.environ, paths)
    base: Path | None
    if script is not None:
        base = _script_environment(args, script)
    else:
        base = _project_environment(args, with_only=bool(extra))
    if script is not None:
        command = ["python", *command]  # found on PATH: the overlay's python, if any
    overlays = [str(_overlay(args, extra, base))] if extra else []
    if base is None:  # --with outside a project: the overlay alone
        env = venv_environ(overlays[0], environ)
    else:
        env = venv_environ(str(base), environ, also=overlays)
    literal = bool(getattr(args, "run_literal", False)) or script is not None
    return launch(command, env, config=config, root=str(root) if root else None, literal=literal)


def _project_root(args: argparse.Namespace) -> Path | None:
    """The project folder (``--project``, else the nearest pyproject.toml), None outside one;
    `_project_environment` says what is wrong with a ``--project`` that is not one."""
    from .uptodate import nearest_project

    if args.project is not None:
        root = Path(args.project).resolve()
        return root if (root / "pyproject.toml").is_file() else None
    found = nearest_project(str(Path.cwd()))
    return Path(found) if found is not None else None


def _is_python_file(command: str) -> bool:
    return command.endswith(".py") and Path(command).is_file()


def _script_path(args: argparse.Namespace, command: str) -> Path | None:
    """The script to run in its own environment: COMMAND with ``--script``; a ``*.py`` file
    when there is no project (its PEP 723 block, if any, says what it needs)."""
    from .uptodate import nearest_project

    path = Path(command)
    if args.script:
        if not path.is_file():
            raise PalletError(f"{command}: --script needs a script file; there is none")
        return path
    if args.project is not None or not _is_python_file(command):
        return None
    if nearest_project(str(Path.cwd())) is not None:
        return None
    return path  # a script without a block gets an environment with no packages


def _script_environment(args: argparse.Namespace, script: Path) -> Path:
    """The cached environment of a PEP 723 script (one with no block gets an empty one)."""
    from ..install.script_metadata import read_script
    from .run_env import EnvRequest, cached_environment, default_indexes

    metadata = read_script(script)
    requires_python = metadata.requires_python if metadata else None
    found = _find_python(args, requires_python, project=None)
    request = EnvRequest(
        requirements=metadata.dependencies if metadata else (),
        python=found[0],
        python_version=found[1],
        indexes=(metadata.indexes if metadata else ()) or default_indexes(os.environ),
        sources={str(k): v for k, v in metadata.sources.items()} if metadata else {},
        requires_python=str(requires_python or ""),
    )
    return cached_environment(request, label=str(script), offline=args.offline)


def _find_python(
    args: argparse.Namespace, requires_python: Any, project: Path | None
) -> tuple[str, str]:
    """(real path, "Implementation X.Y.Z") of the interpreter for a new environment: the first
    that fits in discovery's order, running only those before it (as ``pallet sync`` does);
    when none fits, discovery's error says why each was rejected."""
    from ..python.discovery import find_python
    from ..python.facts import FactsCache, read_facts

    cache = FactsCache.default()
    start = project or Path.cwd()
    path = find_python(requires_python, args.python, project=start, cache=cache).path
    facts = read_facts(path, cache)
    return os.path.realpath(path), f"{facts.implementation_name} {facts.version}"


def _project_environment(args: argparse.Namespace, *, with_only: bool) -> Path | None:
    """The project's .venv, synced unless ``--no-sync``; None outside a project when only a
    ``--with`` overlay is wanted."""
    from .lock import workspace_root

    root: Path
    if args.project is not None:
        root = Path(args.project).resolve()
        if not (root / "pyproject.toml").is_file():
            raise ProjectError(f"{root}: no pyproject.toml in this folder (--project)")
        root = workspace_root(root)  # a workspace member's: the workspace's .venv
    else:
        try:
            root = workspace_root(None)
        except ProjectError:
            if with_only:
                return None
            raise
    venv = root / ".venv"
    if args.no_sync:
        if not (venv / "pyvenv.cfg").is_file():
            raise PalletError(
                f"{venv}: no environment to run in; run `pallet sync` (or drop --no-sync)"
            )
        return venv
    _sync(args, root)
    return venv


def _sync(args: argparse.Namespace, root: Path) -> None:
    """Sync the project as ``pallet sync`` with the same selection would: its own parser and
    its own `run`, so that run and sync can never disagree on what "in sync" means."""
    from .sync import add_parser as add_sync_parser
    from .sync import run as run_sync

    argv = ["sync", "--project", str(root)]
    for option in ("extra", "group", "no_group", "only_group"):
        for value in getattr(args, option):
            argv += [f"--{option.replace('_', '-')}", value]
    if args.variant is not None:
        argv += ["--variant", args.variant]
    for flag in ("all_extras", "no_dev", "frozen", "locked", "offline", "force_variant"):
        if getattr(args, flag):
            argv.append(f"--{flag.replace('_', '-')}")
    if args.python is not None:
        argv += ["--python", args.python]
    for name in getattr(args, "package", ()):
        argv += ["--package", name]
    if getattr(args, "all_packages", False):
        argv.append("--all-packages")
    parser = argparse.ArgumentParser(prog="pallet")
    add_sync_parser(parser.add_subparsers(dest="command"))
    sync_args = parser.parse_args(argv)
    sync_args.verbose, sync_args.quiet = args.verbose, args.quiet
    sync_args.keep_variant = True  # run keeps the environment's variant: it never re-detects
    code = run_sync(sync_args)
    if code != 0:
        raise _SyncFailed(code)


class _SyncFailed(PalletError):
    """``pallet sync`` failed and said why; ``pallet run`` exits with its code."""

    def __init__(self, code: int) -> None:
        super().__init__("pallet run: the environment could not be synced")
        self.exit_code = code


def _with_requirements(values: list[str]) -> tuple[Requirement, ...]:
    """``--with a --with "b>=2,c"`` -> requirements; a bad one is an error naming it."""
    if not values:
        return ()
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for value in values:
        for item in _split_commas(value):
            try:
                out.append(Requirement(item))
            except InvalidRequirement as exc:
                first = str(exc).splitlines()[0]
                raise PalletError(f"--with {item!r}: not a valid requirement: {first}") from None
    return tuple(out)


def _split_commas(value: str) -> list[str]:
    """Split at the commas that separate requirements, not those inside a specifier
    (``"a>=1,<2, b"`` -> ``a>=1,<2`` and ``b``): a new item starts where a name starts."""
    import re

    items: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if items and not re.match(r"^[A-Za-z0-9]", part):
            items[-1] += "," + part  # "<2" continues the specifier before it
        else:
            items.append(part)
    return items


def _overlay(args: argparse.Namespace, extra: tuple[Requirement, ...], base: Path | None) -> Path:
    """The ``--with`` environment: the extra requirements alone, for the base's interpreter,
    appending the base's site-packages (`cli.run_env`)."""
    from .run_env import EnvRequest, cached_environment, default_indexes

    if base is not None:
        from ..python.venv import read_pyvenv_cfg

        config = read_pyvenv_cfg(base / "pyvenv.cfg")
        python = os.path.realpath(config.get("executable", "") or base / "bin" / "python")
        version = f"{config.get('implementation', '')} {config.get('version_info', '')}"
    else:
        python, version = _find_python(args, None, project=None)
    indexes, sources = _indexes_for(base)
    request: EnvRequest = EnvRequest(
        requirements=extra,
        python=python,
        python_version=version,
        indexes=indexes or default_indexes(os.environ),
        sources=sources,
        base=os.path.realpath(base) if base is not None else None,
    )
    label = "--with " + ", ".join(str(r) for r in extra)
    return cached_environment(request, label=label, offline=args.offline)


def _indexes_for(base: Path | None) -> tuple[tuple[Any, ...], dict[str, str]]:
    """A project's overlay resolves from the project's indexes (flat paths made absolute); a
    script's or a bare one from ``PALLET_INDEX_URL`` (else PyPI)."""
    if base is None or base.name != ".venv" or not (base.parent / "pyproject.toml").is_file():
        return (), {}
    from .run_env import project_index_config

    return project_index_config(base.parent)
