"""The ``pallet`` command line: argument parsing, sub-command dispatch, errors to exit codes.

Each sub-command lives in its own module under ``pallet.cli`` with ``add_parser(subparsers)``
and ``run(args) -> int``. Those modules import their heavy machinery inside ``run``, so building
the parser (and ``pallet --help``) stays cheap; ``pallet --version`` returns before argparse.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from .. import __version__, ui
from ..errors import PalletError

__all__ = ["COMMANDS", "make_parser", "run"]

#: sub-command name -> module under pallet.cli
COMMANDS = {
    "build": "build",
    "lock": "lock",
}


def make_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `only`, just that sub-command is registered (and imported)."""
    parser = argparse.ArgumentParser(
        prog="pallet",
        description="The Python project tool: lock, sync, build and publish.",
    )
    parser.add_argument("--version", action="version", version=f"pallet {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show more detail")
    parser.add_argument("-q", "--quiet", action="store_true", help="show only warnings and errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"{__package__}.{module_name}")
        module.add_parser(subparsers)
    return parser


def _route_logging(verbose: bool) -> None:
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
    if list(argv) == ["--version"]:  # the hot path: no argparse, no sub-command imports
        ui.result(f"pallet {__version__}")
        return 0
    # The sub-command is the first argument that is not an option; import only its module.
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = make_parser(first if first in COMMANDS else None)
    args = parser.parse_args(list(argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    ui.set_verbosity(1 if args.verbose else -1 if args.quiet else 0)
    _route_logging(args.verbose)
    module = importlib.import_module(f"{__package__}.{COMMANDS[args.command]}")
    try:
        code: int = module.run(args)
    except PalletError as exc:
        ui.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        ui.error("interrupted")
        # Worker threads may still wait on a hung index: exit now instead of joining them.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    return code
