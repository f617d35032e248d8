"""``pallet x NAME [ARGS]`` (= ``pallet tool run``): run a tool's command without installing it.

The environment is one of ``pallet run``'s cached ones (`cli.run_env.cached_environment`,
``environments-v1/<key>/`` under the cache), keyed by the requirements (the package, ``--with``),
the interpreter and the index: the first call resolves and installs, every later call with the
same inputs finds it complete and asks no index at all. The command then replaces pallet
(`cli.launch.exec_command`), so its exit status and signals are its own.

NAME is the command and, unless ``--from PKG`` names another, the package (a requirement:
``NAME==1.2``, ``NAME[extra]``). As uv's ``uvx`` does, a bare NAME that an installed tool
provides (``pallet tool install``) runs the installed one, so ``pallet x NAME`` and ``NAME``
agree; a version, ``--from``, ``--with``, ``--python``, ``--index-url``, ``--variant`` or
``--isolated`` asks for a cached environment instead.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .. import ui
from ..errors import PalletError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["add_parser", "add_run_arguments", "add_source_options", "run"]

EXAMPLES = """examples:
  pallet x ruff check .
  pallet x --from httpie http example.org
  pallet x 'black==24.8.0' --check .
  pallet x --with rich --python 3.12 mytool --help"""


def add_source_options(parser: argparse.ArgumentParser, *, into: str) -> None:
    """``--with``, ``--python``, ``--index-url`` and ``--variant``: what a tool's environment is
    made from (``tool install``/``upgrade``, ``tool run`` and ``pallet x``)."""
    parser.add_argument(
        "--with",
        dest="with_",
        action="append",
        default=[],
        metavar="REQ",
        help=f"also install this package into {into} (repeatable)",
    )
    parser.add_argument(
        "--python", metavar="PYTHON", default=None, help="the interpreter (3.12, a path)"
    )
    parser.add_argument(
        "--index-url",
        metavar="URL",
        default=None,
        help="the package index (a PEP 503 simple API; default PALLET_INDEX_URL, else PyPI)",
    )
    parser.add_argument(
        "--variant",
        metavar="BACKEND",
        default=None,
        help="PyTorch's build for torch, torchvision, torchaudio: auto (detect; the default "
        "when one is named), none, cpu, cuXYZ (cu126), rocmX.Y (rocm6.2)",
    )


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The options and arguments ``pallet x`` and ``pallet tool run`` share."""
    parser.add_argument(
        "--from",
        dest="from_",
        metavar="PKG",
        default=None,
        help="the package that provides the command (a requirement: PKG, PKG==1.0, PKG[extra])",
    )
    add_source_options(parser, into="the environment")
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="use a cached environment even when an installed tool provides the command",
    )
    parser.add_argument("--offline", action="store_true", help="use only the cache; no network")
    parser.add_argument(
        "tool_command",
        nargs=argparse.REMAINDER,
        metavar="NAME [ARGS...]",
        help="the command to run (and, without --from, the package providing it)",
    )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``pallet x`` on the top-level sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "x",
        help="run a tool's command in a cached environment, without installing it (uvx)",
        usage="pallet x [options] NAME [ARGS...]",
        description=(
            "Run the command NAME from the package NAME (or --from PKG) in a cached environment "
            "of its own, made on the first call and reused while its requirements are the "
            "same (later calls ask no index). A tool installed with `pallet tool install` is "
            "used as it is unless a version, --from, --with, --python, --index-url, --variant "
            "or --isolated asks otherwise. The exit status is the command's."
        ),
        epilog=EXAMPLES,
    )
    add_run_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Find or make the environment, then hand the process to the command."""
    from packaging.utils import canonicalize_name

    from .launch import exec_command, venv_environ
    from .run_env import EnvRequest, cached_environment, default_indexes
    from .tool_install import console_scripts, find_interpreter, parse_requirement
    from .tool_variant import pick_variant

    command = list(args.tool_command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise PalletError("pallet x: no command given; usage: pallet x [options] NAME [ARGS...]")
    if args.from_ is not None:
        requirement = parse_requirement(args.from_, "--from")
        name = command[0]
    else:
        requirement = parse_requirement(command[0], "the tool")
        name = requirement.name
    package = str(canonicalize_name(requirement.name))
    plain = args.from_ is None and str(requirement) == requirement.name
    asked = args.isolated or args.with_ or args.python or args.index_url or args.variant
    if plain and not asked:
        installed = _installed_script(package, name)
        if installed is not None:
            return exec_command([str(installed), *command[1:]], dict(os.environ))
    extra = tuple(parse_requirement(w, "--with") for w in args.with_)
    from .tool_dirs import tool_dir

    # as for installed tools, the current folder's .python-version does not choose (docs/tools.md)
    python, python_version = find_interpreter(args.python, tool_dir(os.environ))
    indexes = default_indexes(
        {"PALLET_INDEX_URL": args.index_url} if args.index_url else os.environ
    )
    variant = pick_variant(args.variant, os.environ)
    if variant is not None:
        ui.verbose(f"PyTorch packages: the {variant.backend} build ({variant.how})")
        indexes = (*indexes, variant.index)
    request = EnvRequest(
        requirements=(requirement, *extra),
        python=python,
        python_version=python_version,
        indexes=indexes,
        sources=variant.sources if variant else {},
    )
    venv = cached_environment(request, label=str(requirement), offline=args.offline)
    from ..install.scheme import Scheme

    script = Scheme.read(venv).scripts / name
    if not script.is_file():
        _, scripts = console_scripts(venv, package)
        offer = ", ".join(scripts) if scripts else "none"
        hint = f"; `pallet x --from {package} {scripts[0]}`" if scripts else ""
        raise PalletError(
            f"{name}: the package {package} has no such command (its commands: {offer}){hint}"
        )
    return exec_command([str(script), *command[1:]], venv_environ(str(venv), os.environ))


def _installed_script(package: str, name: str) -> Path | None:
    """The installed tool's script `name` (the tool `package` first, then any tool providing
    it); None when no installed tool has it."""
    from .tool_dirs import tool_dir
    from .tool_receipt import CURRENT, installed_tools

    root = tool_dir(os.environ)
    tools = installed_tools(root)
    ordered = sorted(tools.values(), key=lambda r: r.name != package)
    for receipt in ordered:
        if name in receipt.scripts:
            found = root / receipt.name / CURRENT / ".venv" / "bin" / name
            if found.is_file():
                return found
    return None
