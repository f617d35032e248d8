"""The options that choose what of the lock a command takes (PEP 751 extras and PEP 735
dependency groups): ``--extra``, ``--all-extras``, ``--group``, ``--no-group``, ``--only-group``,
``--no-dev``. ``pallet sync`` installs that selection, ``pallet run`` syncs it, ``pallet export``
writes it; `install.select` reads it (docs/sync.md, "Which packages")."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    import argparse

__all__ = ["add_selection_options"]


def add_selection_options(parser: argparse._ActionsContainer, *, verb: str) -> None:
    """The six selection options on `parser` (or an argument group), their help saying `verb`
    ("install", "export") for what happens to the selection."""
    add = parser.add_argument
    add("--extra", action="append", default=[], metavar="X", help=f"{verb} this extra; repeatable")
    add(
        "--all-extras",
        action="store_true",
        help=f"{verb} every extra the lock declares (of its hardware variants, the chosen one)",
    )
    add(
        "--group",
        action="append",
        default=[],
        metavar="G",
        help=f"{verb} this dependency group too (besides the lock's default-groups); repeatable",
    )
    add(
        "--no-group",
        action="append",
        default=[],
        metavar="G",
        help="leave out this dependency group (even a default one); repeatable",
    )
    add(
        "--only-group",
        action="append",
        default=[],
        metavar="G",
        help=f"{verb} only these groups (no default groups, not the project itself); repeatable",
    )
    add("--no-dev", action="store_true", help="leave out the dev group (as --no-group dev)")
