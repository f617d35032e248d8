"""``pallet self version``: pallet's own version, pallet-core's and the Python running them."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import argparse
    from typing import Any

__all__ = ["add_parser", "run"]

_EXAMPLES = """examples:
  pallet self version
  pallet self version --short
  pallet self version --output-format json"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``pallet self`` (and its ``version``) on the top-level sub-parsers."""
    import argparse

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "self",
        help="about pallet itself",
        description="About pallet itself.",
        epilog="examples:\n  pallet self version",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="self_command", metavar="ACTION", required=True)
    version = actions.add_parser(
        "version",
        help="print pallet's version",
        description=(
            "Print pallet's version, with pallet-core's (its build backend) and the Python "
            "running pallet."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    version.add_argument("--short", action="store_true", help="print the version number only")
    version.add_argument(
        "--output-format",
        choices=("text", "json"),
        default="text",
        help="text (default) or a JSON object",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    import json
    import platform
    import sys

    from .. import __version__, ui

    try:
        from pallet_core import __version__ as core_version
    except ImportError:  # pallet runs without its backend installed
        core_version = ""
    python = {
        "version": platform.python_version(),
        "implementation": sys.implementation.name,
        "executable": sys.executable,
    }
    if args.output_format == "json":
        info = {"pallet": __version__, "pallet-core": core_version or None, "python": python}
        ui.result(json.dumps(info, indent=2))
    elif args.short:
        ui.result(__version__)
    else:
        core = f"pallet-core {core_version}" if core_version else "pallet-core not installed"
        ui.result(
            f"pallet {__version__} ({core}; {python['implementation']} {python['version']} "
            f"at {python['executable']})"
        )
    return 0
