"""The ``pallet`` command line: argument parsing, sub-command dispatch, errors to exit codes.

Each sub-command lives in its own module under ``pallet.cli`` with ``add_parser(subparsers)``
and ``run(args) -> int``. Those modules import their heavy machinery inside ``run``, so building
the parser (and ``pallet --help``) stays cheap; ``pallet --version`` returns before argparse.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from .. import __version__, ui
from ..errors import INTERNAL_ERROR, PalletError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    import argparse
    from typing import Any

__all__ = ["COMMANDS", "make_parser", "route_logging", "run"]

#: sub-command name -> module under pallet.cli (``--help`` lists exactly these)
COMMANDS = {
    "add": "add",
    "build": "build",
    "cache": "cache",
    "completion": "completion",
    "export": "export",
    "init": "init",
    "lock": "lock",
    "publish": "publish",
    "python": "python",
    "remove": "remove",
    "run": "run",
    "self": "self_version",
    "sync": "sync",
    "tool": "tool",
    "tree": "tree",
    "variants": "variants",
    "version": "version",
    "x": "tool_run",
}

#: `pallet --help` examples: a day's work.
EXAMPLES = """examples:
  pallet lock
  pallet sync
  pallet run pytest -x
  pallet tree --depth 1"""

#: The exit codes every command keeps to (also in docs/lock.md and `pallet.errors`).
EXIT_CODES = """exit codes:
  0  done (or the lock is up to date)
  1  the command ran and failed: requirements cannot be satisfied, `lock --check` found the
     lock missing, stale or invalid, a build backend failed, a requested hardware variant
     does not fit the machine
  2  bad input: invalid pyproject.toml or command line, a path that cannot be used
  3  a package index cannot be read
  101  internal error: a bug in pallet (please report it; -v shows the traceback)
  130  interrupted"""


def make_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `only`, just that sub-command is registered (and imported)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="pallet",
        description="The Python project tool: " + ", ".join(COMMANDS) + ".",
        epilog=EXAMPLES + "\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pallet {__version__}")
    _add_output_options(parser, default=False)
    # prog given: argparse would otherwise build a help formatter (and import shutil) to find it
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", prog="pallet")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"{__package__}.{module_name}")
        # -v/-q after the sub-command too; SUPPRESS keeps the top-level value when absent there
        _finish_subparser(module.add_parser(subparsers), argparse.SUPPRESS)
    return parser


def _finish_subparser(parser: argparse.ArgumentParser, default: Any) -> None:
    """-v/-q and the help layout on `parser` and its own sub-commands (``cache dir``, ...)."""
    import argparse

    from .help_format import HelpFormatter

    parser.formatter_class = HelpFormatter
    if not any("--verbose" in action.option_strings for action in parser._actions):
        _add_output_options(parser, default=default)
    for action in parser._actions:  # argparse has no public walk over sub-parsers
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                _finish_subparser(sub, default)


def _add_output_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="show more detail"
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="show only errors"
    )


def route_logging(verbose: bool) -> None:
    """Send the library layers' log records through `ui`, so they look like pallet's own output.

    Warnings from ``pallet.*`` loggers become ``warning: …`` lines; debug and info records show
    with ``-v`` only. Records of other libraries stay at Python's default (warnings and up).
    """
    import logging

    class _UiHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if record.levelno >= logging.ERROR:
                ui.error(message)
            elif record.levelno >= logging.WARNING:
                ui.warn(message)
            else:
                ui.verbose(message)

    logger = logging.getLogger("pallet")
    logger.handlers[:] = [_UiHandler()]
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False


def run(argv: Sequence[str]) -> int:
    """Run the command line `argv`; its exit code. Every error is reported here in one line
    (``error: ...``, then ``hint: ...`` where the error has one); ``-v`` adds the traceback."""
    try:
        return _run(argv)
    except PalletError as exc:
        ui.error(str(exc))
        if exc.hint:
            ui.hint(exc.hint)
        ui.traceback(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        ui.error("interrupted")
        # Worker threads may still wait on a hung index: exit now instead of joining them.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    except BrokenPipeError:  # stdout's reader stopped early (`pallet tree | head`): as export
        # does, nothing to report; and, as the Python docs advise, no more writes to the closed
        # pipe, not even the interpreter's flush at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:  # the machine's answer about a path: full disk, read-only, denied
        ui.error(os_error_line(exc))
        ui.traceback(exc)
        return 2
    except Exception as exc:  # a bug: one line, the traceback with -v (cargo's and uv's way)
        ui.error(f"internal error: {type(exc).__name__}: {exc}")
        ui.info(
            "this is a bug in pallet; please report it with the output of the same command "
            "run with -v" + ("" if ui.is_verbose() else " (which shows the traceback)")
        )
        ui.traceback(exc)
        return INTERNAL_ERROR


def os_error_line(exc: OSError) -> str:
    """``PATH: strerror`` (``PATH -> PATH2: ...`` for a rename or link), or the error's text."""
    what = exc.strerror or str(exc)
    if exc.filename is None:
        return what
    paths = os.fsdecode(exc.filename)
    if exc.filename2 is not None:
        paths += f" -> {os.fsdecode(exc.filename2)}"
    return f"{paths}: {what}"


def _run(argv: Sequence[str]) -> int:
    if list(argv) == ["--version"]:  # the hot path: no argparse, no sub-command imports
        ui.result(f"pallet {__version__}")
        return 0
    # The sub-command is the first argument that is not an option; import only its module.
    first = next((a for a in argv if not a.startswith("-")), None)
    run_command: list[str] = []
    run_literal = False  # `pallet run -- NAME`: NAME is a command, never a task
    if first == "run":  # an environment in sync runs the command before argparse is imported
        from .launch import fast_run, split_run_argv

        fast = fast_run(argv)
        if fast is not None:
            return fast
        given = len(argv)
        argv, run_command = split_run_argv(argv)  # COMMAND and its arguments are not ours
        run_literal = len(argv) + len(run_command) < given
    elif "lock" in argv:  # an up-to-date lock is answered before argparse is even imported
        from .uptodate import fast_lock

        fast = fast_lock(argv)
        if fast is not None:
            return fast
    elif first == "x" and argv and argv[0] == "x":  # an installed tool's script, at once
        from .tool_fast import fast_x

        fast = fast_x(argv)
        if fast is not None:
            return fast
    if first != "run" and "sync" in argv:  # so is an environment in sync with its lock
        from .uptodate import fast_sync

        fast = fast_sync(argv)
        if fast is not None:
            return fast
    parser = make_parser(first if first in COMMANDS else None)
    args = parser.parse_args(list(argv))
    args.run_command = run_command
    args.run_literal = run_literal
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.verbose and args.quiet:
        parser.error("-v/--verbose and -q/--quiet cannot be combined")
    ui.set_verbosity(1 if args.verbose else -1 if args.quiet else 0)
    module = importlib.import_module(f"{__package__}.{COMMANDS[args.command]}")
    # A command with a light fast path (lock) routes the logs itself once it leaves that path:
    # importing logging costs more than the whole up-to-date check.
    if not getattr(module, "ROUTES_LOGGING", False):
        route_logging(args.verbose)
    code: int = module.run(args)
    return code
