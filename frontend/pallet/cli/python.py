"""``pallet python list``: every interpreter found, and whether it fits the project."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import ui

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``pallet python`` (and its ``list``) on the top-level sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "python",
        epilog="examples:\n  pallet python list",
        help="the Python interpreters pallet finds",
        description="The Python interpreters pallet finds (docs/python.md).",
    )
    actions = parser.add_subparsers(dest="python_command", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        epilog=(
            "examples:\n"
            "  pallet python list\n"
            "  pallet python list --python 3.12\n"
            "  pallet python list --json"
        ),
        help="list every interpreter found and why each fits the project or not",
        description=(
            "List every interpreter found (--python, PALLET_PYTHON, .python-version, PATH, "
            "pyenv, the py launcher), its version and implementation, where it was found, and "
            "for the project whether it fits its requires-python; '*' marks the one pallet "
            "would use. Exit 1 when none fits."
        ),
    )
    listing.add_argument(
        "--project",
        type=Path,
        default=None,
        help="project directory (default: the nearest "
        "folder from here upwards with a pyproject.toml; none: no requires-python)",
    )
    listing.add_argument(
        "--python", metavar="REQUEST", help="3.12, pypy3.10, cpython3.11 or a path"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array instead")
    return parser


def run(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from packaging.specifiers import SpecifierSet

    from ..errors import InterpreterError
    from ..project.pyproject import find_project_root
    from ..python.discovery import Machine, choose, describe, discover, rejection, requests
    from ..python.facts import FactsCache
    from .lock import locate, read_lock_spec

    machine = Machine.current()
    requires_python: SpecifierSet | None = None
    root: Path | None = None
    located = locate(args.project if args.project is not None else machine.cwd)
    if located is None and args.project is not None:
        find_project_root(args.project)  # says that there is none
    root = located[0] if located is not None else None  # a workspace member's: the workspace
    if root is not None:
        requires_python = read_lock_spec(root).requires_python
    wanted = requests(args.python, machine, root or machine.cwd)
    found = discover(wanted, machine, FactsCache.default())
    try:
        chosen = choose(found, requires_python, wanted)
        failure = None
    except InterpreterError as exc:
        chosen, failure = None, exc
    if args.json:
        rows = [
            {
                "path": str(entry.path),
                "found": [entry.candidate.source, *entry.also],
                "facts": asdict(entry.facts) if entry.facts else None,
                "rejected": rejection(entry, requires_python, wanted),
                "chosen": entry is chosen,
            }
            for entry in found
        ]
        ui.result(json.dumps(rows, indent=2))
    else:
        for entry in found:
            why = rejection(entry, requires_python, wanted)
            mark = "*" if entry is chosen else " "
            where = ", ".join(dict.fromkeys([entry.candidate.source, *entry.also]))
            if entry.facts is None:
                ui.result(f"{mark} {'-':<10} {'-':<8} {entry.candidate.path}  [{where}]  {why}")
            else:
                verdict = "ok" if why is None else why
                ui.result(
                    f"{mark} {entry.facts.version:<10} {entry.facts.implementation_name:<8} "
                    f"{entry.path}  [{where}]  {verdict}"
                )
        if chosen is not None:
            ui.verbose(f"would use {describe(chosen)}")
    if failure is not None:
        ui.error(failure.message.splitlines()[0].removesuffix("; found:"))
        return failure.exit_code
    return 0
