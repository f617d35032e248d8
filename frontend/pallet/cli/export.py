"""``pallet export``: the lock's selection as a pip requirements file or a smaller PEP 751 file.

The lock first, as ``pallet sync`` does (`cli.sync`'s lock step: ``--locked`` fails on a stale
lock, ``--frozen`` takes it as it is); then the selection (extras, groups, the hardware variant:
``--variant NAME``, else the lock's default variant; never the machine's, the output is for
another one) through the same checks as sync's (`install.select.extras_for`/`groups_for`);
`lock.export` writes the text. docs/export.md is the user's page.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import ui
from ..errors import PalletError, VariantError

if TYPE_CHECKING:
    from ..install.select import Selection
    from ..lock.model import Lock

__all__ = ["ROUTES_LOGGING", "add_parser", "run"]

ROUTES_LOGGING = True
FORMATS = ("requirements-txt", "pylock")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write the lock's selection as requirements.txt or a PEP 751 file",
        description=(
            "Write the packages pylock.toml selects (for the chosen extras, groups and hardware "
            "variant) as a pip requirements file with hashes and environment markers, or as a "
            "PEP 751 file holding only them. Locks first when pylock.toml is missing or out of "
            "date. See docs/export.md."
        ),
        epilog=(
            "examples:\n"
            "  pallet export -o requirements.txt\n"
            "  pallet export --no-dev --no-emit-project -o requirements.txt\n"
            "  pip install --require-hashes --no-deps -r requirements.txt\n"
            "  pallet export --extra cli --group test --no-hashes\n"
            "  pallet export --variant cu126 -o requirements-cuda.txt\n"
            "  pallet export --format pylock --only-group docs -o pylock.docs.toml\n"
            "  pallet export --package app -o requirements-app.txt"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--format",
        choices=FORMATS,
        default="requirements-txt",
        help="requirements-txt (pip's format; the default) or pylock (PEP 751)",
    )
    add("-o", "--output", type=Path, default=None, metavar="FILE", help="write here, not stdout")
    add(
        "--variant",
        metavar="NAME",
        default=None,
        help="the hardware variant to export (default: the lock's default variant)",
    )
    from .selection_args import add_selection_options

    add_selection_options(parser, verb="export")
    add("--no-hashes", action="store_true", help="no --hash options (requirements-txt)")
    add(
        "--no-emit-project",
        action="store_true",
        help="leave out the project itself (by default `-e .`, relative to the output)",
    )
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--locked",
        action="store_true",
        help="fail (exit 1) instead of locking when pylock.toml is missing or out of date",
    )
    when.add_argument(
        "--frozen", action="store_true", help="export pylock.toml as it is; never lock"
    )
    add("--offline", action="store_true", help="no network when locking first")
    add(
        "--project",
        type=Path,
        default=None,
        metavar="DIR",
        help="the project directory (default: the nearest one holding pyproject.toml)",
    )
    add(
        "--package",
        action="append",
        default=[],
        metavar="NAME",
        help="in a workspace: only this member and what it needs (as sync --package); repeatable",
    )
    add(
        "--all-packages",
        action="store_true",
        help="in a workspace: every member (the default; as uv spells it)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    from .main import route_logging

    route_logging(getattr(args, "verbose", False))
    if args.only_group and (args.group or args.no_dev):
        raise PalletError("--only-group cannot be combined with --group or --no-dev")
    from .sync import lock_first, project_root

    args.lock = None  # sync's helpers: the project's own pylock.toml
    args.dry_run = False
    root = project_root(args)
    output = _output_path(args, root)
    from .workspace_args import package_roots

    packages = package_roots(root, args)  # --package checked before anything changes
    lock_first(root, args)

    from ..install.select import extras_for, groups_for, load_pylock, reachable
    from ..lock.export import pylock_subset, requirements_txt, select_entries, unhashable
    from ..lock.pylock import read_lock

    lock_path = root / "pylock.toml"
    lock = read_lock(lock_path)
    selection = _selection(args, lock)
    checked = load_pylock(lock_path)  # PEP 751 as packaging reads it: the names checked there
    extras, groups = extras_for(checked, selection), groups_for(checked, selection)
    entries = select_entries(lock, extras, groups)
    if packages is not None:  # what sync --package installs: the members and what they reach
        reach = reachable(checked, packages)
        entries = [e for e in entries if e.package.name in reach]
    cannot: list[str] = []
    out_dir = output.parent if output is not None else Path.cwd()
    if args.format == "pylock":
        text = pylock_subset(lock, entries, lock_dir=root, out_dir=out_dir)
        _check_pylock(text)
    else:
        emit = (
            not args.no_emit_project
            and not args.only_group
            and packages is None
            and _is_package(root)
        )
        text = requirements_txt(
            entries,
            lock_dir=root,
            out_dir=out_dir,
            hashes=not args.no_hashes,
            project=root if emit else None,
            header=_header(lock_path, out_dir, extras, groups, selection.variant),
        )
        unhashed = unhashable(entries)
        cannot = [*(["the project (-e)"] if emit else []), *unhashed]
        if args.no_hashes or len(unhashed) == len(entries):
            cannot = []  # no line has a hash: pip checks none
    if output is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped early (`| head`): nothing to report
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's exit flush is quiet
            return 0
    else:
        _write(output, text)
        ui.info(f"Exported {len(entries)} packages to {output}")
    if cannot:
        ui.warn(
            "pip's hash-checking mode (on when any line has a --hash) refuses "
            f"{', '.join(cannot)}: no single file to hash; for pip, export with "
            "--no-emit-project or --no-hashes"
        )
    return 0


def _output_path(args: argparse.Namespace, root: Path) -> Path | None:
    """``-o FILE`` as an absolute path; refused when it would overwrite the project's lock or
    pyproject.toml, or (``--format pylock``) is not named as PEP 751 requires."""
    if args.output is None:
        return None
    output = Path(os.path.normpath(Path(args.output).absolute()))
    for own in ("pylock.toml", "pyproject.toml"):
        if output == root.absolute() / own:
            raise PalletError(f"{args.output}: is the project's {own}; write the export elsewhere")
    name = output.name
    if args.format == "pylock" and not (
        name == "pylock.toml"
        or (name.startswith("pylock.") and name.endswith(".toml") and name.count(".") == 2)
    ):
        raise PalletError(
            f"{args.output}: PEP 751 names lock files pylock.toml or pylock.<name>.toml "
            "(one name, no dots); for example pylock.prod.toml"
        )
    return output


def _selection(args: argparse.Namespace, lock: Lock) -> Selection:
    """sync's `Selection` for the flags; the variant is ``--variant`` or the lock's default
    (with ``--extra`` of a variant extra as a request for it), never the machine's."""
    from packaging.utils import canonicalize_name

    from ..install.select import Selection

    names = frozenset(lock.variants.names) if lock.variants is not None else frozenset()
    asked = [canonicalize_name(e) for e in args.extra if canonicalize_name(e) in names]
    if args.variant is not None:
        asked.insert(0, canonicalize_name(args.variant))
    variant: str | None = None
    if lock.variants is None:
        if args.variant is not None:
            raise VariantError(
                f"--variant {args.variant}: pylock.toml has no hardware variants "
                "(declare them in pyproject.toml's [tool.pallet.variants]; docs/gpu.md)"
            )
    else:
        distinct = list(dict.fromkeys(asked))
        if len(distinct) > 1:
            raise VariantError(f"asks for two variants: {' and '.join(distinct)}; ask for one")
        variant = distinct[0] if distinct else lock.variants.default
        if variant not in names:
            raise VariantError(
                f"--variant {args.variant}: not a variant of pylock.toml "
                f"(it has: {', '.join(lock.variants.names)})"
            )
    no_groups = [*args.no_group, *(["dev"] if args.no_dev else [])]
    return Selection(
        extras=frozenset(e for e in args.extra if canonicalize_name(e) not in names),
        groups=frozenset(args.only_group) if args.only_group else None,
        all_extras=args.all_extras,
        add_groups=frozenset(args.group),
        no_groups=frozenset(no_groups),
        variant=variant,
        variant_extras=names,
    )


def _is_package(root: Path) -> bool:
    """The project is installed itself (as ``pallet sync`` installs it: editable) only when it
    declares a ``[build-system]``; a virtual project exports its dependencies alone (uv too)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # the lock step read it already; --frozen exports the lock alone
    return isinstance(data.get("build-system"), dict)


def _header(
    lock_path: Path,
    out_dir: Path,
    extras: frozenset[str],
    groups: frozenset[str],
    variant: str | None,
) -> str:
    where = os.path.relpath(lock_path, out_dir).replace(os.sep, "/")
    parts = [
        f"extras: {', '.join(sorted(extras)) or 'none'}",
        f"groups: {', '.join(sorted(groups)) or 'none'}",
    ]
    if variant is not None:
        parts.append(f"variant: {variant}")
    return f"generated by pallet export from {where}; do not edit\n" + "; ".join(parts)


def _check_pylock(text: str) -> None:
    """The file must read back as a valid PEP 751 lock (pallet's checks and packaging's)."""
    from ..lock.pylock import loads_lock

    loads_lock(text, display="the exported lock")


def _write(output: Path, text: str) -> None:
    """Atomically (`project_files.write_atomic`); nothing half-written."""
    from .project_files import write_atomic

    try:
        write_atomic(output, text.encode("utf-8"))
    except OSError as exc:
        raise PalletError(f"{output}: cannot be written: {exc.strerror or exc}") from None
