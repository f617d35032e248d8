"""``pallet completion SHELL``: print a shell completion script made from pallet's own parser.

The script is generated (`completion_scripts`) from `main.make_parser`, so it always lists the
commands and options this pallet has. docs/cli.md gives the line that installs it in each shell.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import argparse
    from typing import Any

__all__ = ["add_parser", "run"]

_EXAMPLES = """examples:
  pallet completion bash > ~/.local/share/bash-completion/completions/pallet
  pallet completion zsh > "${fpath[1]}/_pallet"
  pallet completion fish > ~/.config/fish/completions/pallet.fish
  pallet completion powershell >> $PROFILE"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``pallet completion`` on the top-level sub-parsers."""
    import argparse

    from .completion_scripts import SHELLS

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh, fish, powershell)",
        description=(
            "Print a completion script for SHELL on standard output: every pallet command, "
            "sub-command and option; folders and files for options that take a path. "
            "See docs/cli.md for where each shell reads it."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help=", ".join(SHELLS))
    return parser


def run(args: argparse.Namespace) -> int:
    from .. import ui
    from .completion_scripts import describe, make_script
    from .main import make_parser

    ui.result(make_script(args.shell, describe(make_parser())).rstrip("\n"))
    return 0
