"""``pallet remove NAME...``: requirements taken out of pyproject.toml, then locked and synced.

Each name leaves the one array it is in (``[project] dependencies``, an extra, a group), or the
one ``--group``/``--dev``/``--optional`` names; a name that is in none, or (without an option) in
more than one, is a one-line error naming where it is. Its ``[tool.pallet.sources]`` entry goes
too when no other array still names it. Locking, syncing and putting everything back on failure
are ``pallet add``'s (`cli.add.edit_lock_sync`).
"""

from __future__ import annotations

import argparse
import sys

from .. import ui
from ..errors import ProjectError
from .add import _lock_options, _root, add_target_options, edit_lock_sync, target_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "remove",
        help="remove dependencies from pyproject.toml, then lock and sync",
        description=(
            "Remove NAME... from the dependency array it is in (or the one --group, --dev or "
            "--optional names) and its [tool.pallet.sources] entry when nothing else needs it, "
            "then lock and sync; a failure leaves pyproject.toml, pylock.toml and .venv as they "
            "were."
        ),
        epilog="examples:\n  pallet remove requests\n  pallet remove --dev pytest",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="+", metavar="NAME", help="a package name")
    add_target_options(parser)
    _lock_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    args.script = None
    root = _root(args)
    chosen = target_of(args)

    def edit(text: str, locked: dict[str, list[str]] | None) -> str:
        for name in args.names:
            text = _remove_one(text, name, chosen)
        return text

    ui.info(f"removing {', '.join(args.names)}")
    return edit_lock_sync(root, edit, args)


def _remove_one(text: str, name: str, chosen: Any) -> str:
    from ..project.deps_edit import find_targets, remove_requirements

    if chosen is None:
        where = find_targets(_loads(text), name)
        if not where:
            raise ProjectError(f"pyproject.toml: {name!r} is not a dependency of the project")
        if len(where) > 1:
            raise ProjectError(
                f"pyproject.toml: {name!r} is in {', '.join(t.label for t in where)}; "
                "choose one with --group, --dev or --optional"
            )
        chosen = where[0]
    edited = remove_requirements(text, [name], chosen)
    if find_targets(_loads(edited), name):
        return edited  # still needed elsewhere: its source stays
    return remove_requirements(text, [name], chosen, drop_sources=[name])


def _loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib.loads(text)
