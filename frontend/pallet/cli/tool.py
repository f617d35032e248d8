"""``pallet tool``: command-line applications, each in its own environment (pipx's job).

``install``, ``upgrade`` and ``uninstall`` are `cli.tool_install`'s; ``run`` is ``pallet x``
(`cli.tool_run`); ``dir`` prints `cli.tool_dirs`' folders; ``update-shell`` is
`cli.tool_shell`'s. docs/tools.md is the user's page.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from .. import envvars, ui
from ..errors import PalletError

__all__ = ["add_parser", "run"]

EXAMPLES = """examples:
  pallet tool install ruff
  pallet tool install 'httpie>=3' --with httpie-jwt-auth
  pallet tool list
  pallet tool upgrade --all
  pallet tool run ruff check .
  pallet tool update-shell"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``pallet tool`` and its actions."""
    from .tool_run import add_run_arguments, add_source_options

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tool",
        help="install, list, upgrade, remove and run command-line tools (pipx)",
        description=(
            "Command-line applications, each in an environment of its own under the tool folder "
            f"({envvars.PALLET_TOOL_DIR}, else $XDG_DATA_HOME/pallet/tools), their scripts "
            f"linked into the bin folder ({envvars.PALLET_TOOL_BIN_DIR}, else $XDG_BIN_HOME, "
            "else ~/.local/bin). Their files are hard links into pallet's cache (docs/tools.md)."
        ),
        epilog=EXAMPLES,
    )
    actions = parser.add_subparsers(dest="tool_command_name", metavar="ACTION", required=True)
    install = actions.add_parser(
        "install",
        help="install a package's console scripts into the bin folder",
        description=(
            "Make an environment for PACKAGE (a requirement: NAME, NAME==1.0, 'NAME[extra]>=2') "
            "and link its console scripts into the bin folder. Installing an installed tool "
            "with another requirement replaces it; the old one works until the new one is "
            "complete. A bin-folder file that is not this tool's is kept unless --force."
        ),
        epilog=(
            "examples:\n"
            "  pallet tool install ruff\n"
            "  pallet tool install 'black==24.8.0' --python 3.12\n"
            "  pallet tool install httpie --with httpie-jwt-auth --index-url https://example.org/simple"
        ),
    )
    install.add_argument("package", metavar="PACKAGE", help="the package (a PEP 508 requirement)")
    add_source_options(install, into="the tool's environment")
    install.add_argument(
        "--force",
        action="store_true",
        help="install again, and replace bin-folder files that are not this tool's",
    )
    listing = actions.add_parser(
        "list",
        help="the installed tools, their versions and scripts",
        description="Each installed tool with its version, then its scripts.",
        epilog="examples:\n  pallet tool list\n  pallet tool list --show-paths",
    )
    listing.add_argument(
        "--show-paths", action="store_true", help="also show each environment and script path"
    )
    upgrade = actions.add_parser(
        "upgrade",
        help="resolve installed tools again, within their requirements",
        description=(
            "Resolve each named tool again from what it was installed with (its requirement, "
            "--with, --python, index) and install the result when it differs."
        ),
        epilog="examples:\n  pallet tool upgrade ruff\n  pallet tool upgrade --all",
    )
    upgrade.add_argument("names", nargs="*", metavar="NAME", help="an installed tool")
    upgrade.add_argument("--all", action="store_true", help="every installed tool")
    uninstall = actions.add_parser(
        "uninstall",
        help="remove tools: their scripts and environments, nothing else",
        description="Remove each named tool's links from the bin folder and its environment.",
        epilog="examples:\n  pallet tool uninstall ruff",
    )
    uninstall.add_argument("names", nargs="+", metavar="NAME", help="an installed tool")
    run_parser = actions.add_parser(
        "run",
        help="run a tool without installing it (the same as pallet x)",
        usage="pallet tool run [options] NAME [ARGS...]",
        description="The same as `pallet x`: see `pallet x --help`.",
        epilog="examples:\n  pallet tool run ruff check .\n  pallet tool run --from httpie http",
    )
    add_run_arguments(run_parser)
    folder = actions.add_parser(
        "dir",
        help="print the tool folder (or, with --bin, the bin folder)",
        description="Print the folder of the tools' environments, or with --bin their scripts'.",
        epilog="examples:\n  pallet tool dir\n  pallet tool dir --bin",
    )
    folder.add_argument("--bin", action="store_true", help="the bin folder instead")
    actions.add_parser(
        "update-shell",
        help="add the bin folder to PATH in the shell start-up files",
        description=(
            "Add the bin folder to PATH in the start-up file of $SHELL (bash: ~/.bashrc, "
            "zsh: ~/.zshrc, fish: conf.d/pallet-tools.fish) and of the others of these that "
            "exist. Nothing changes when the folder is on PATH already or a file has the line."
        ),
        epilog="examples:\n  pallet tool update-shell",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    action: str = args.tool_command_name
    if action == "run":
        from .tool_run import run as run_tool

        return run_tool(args)
    if action == "dir":
        from .tool_dirs import bin_dir, tool_dir

        ui.result(str(bin_dir(os.environ) if args.bin else tool_dir(os.environ)))
        return 0
    if action == "update-shell":
        from .tool_dirs import bin_dir
        from .tool_shell import update_shell

        update_shell(bin_dir(os.environ), os.environ)
        return 0
    if action == "list":
        return _list(args.show_paths)
    if action == "install":
        return _install(args)
    if action == "upgrade":
        return _upgrade(args.names, args.all)
    return _uninstall(args.names)


def _install(args: argparse.Namespace) -> int:
    from .tool_install import ToolSpec, install_tool, parse_requirement

    spec = ToolSpec(
        requirement=parse_requirement(args.package, "the package"),
        with_=tuple(parse_requirement(w, "--with") for w in args.with_),
        python_request=args.python,
        index_url=args.index_url,
        variant=args.variant,
    )
    receipt = install_tool(spec, force=args.force, env=os.environ)
    if receipt is not None:
        _say_installed(f"Installed {receipt.name} {receipt.version}", receipt.scripts)
    return 0


def _say_installed(headline: str, scripts: tuple[str, ...]) -> None:
    from .tool_dirs import bin_dir, on_path

    bins = bin_dir(os.environ)
    count = f"{len(scripts)} script{'s' if len(scripts) != 1 else ''}"
    ui.info(f"{headline}: {count} in {bins}: {', '.join(scripts)}")
    if not on_path(bins, os.environ):
        ui.warn(f"{bins} is not on PATH; `pallet tool update-shell` adds it")


def _list(show_paths: bool) -> int:
    from .tool_dirs import bin_dir, tool_dir
    from .tool_receipt import incomplete_tools, installed_tools

    root = tool_dir(os.environ)
    tools = installed_tools(root)
    for name in incomplete_tools(root):
        ui.warn(
            f"{root / name}: not a complete tool (an install under way or interrupted); "
            f"`pallet tool install --force {name}` or `pallet tool uninstall {name}`"
        )
    if not tools:
        ui.info(f"No tools installed (in {root})")
        return 0
    bins = bin_dir(os.environ)
    for name, receipt in tools.items():
        where = f" ({os.path.realpath(root / name / 'current')})" if show_paths else ""
        variant = f" [{receipt.variant}]" if receipt.variant else ""  # PyTorch's build
        ui.result(f"{name} {receipt.version}{variant}{where}")
        for script in receipt.scripts:
            ui.result(f"- {script}" + (f" ({bins / script})" if show_paths else ""))
    return 0


def _names(names: list[str]) -> list[str]:
    from packaging.utils import canonicalize_name

    return [str(canonicalize_name(n)) for n in names]


def _upgrade(names: list[str], every: bool) -> int:
    from .tool_dirs import tool_dir
    from .tool_install import install_tool, spec_of, unknown_tool
    from .tool_receipt import installed_tools

    if bool(names) == every:
        raise PalletError("pallet tool upgrade: name the tools to upgrade, or give --all")
    root = tool_dir(os.environ)
    tools = installed_tools(root)
    wanted = sorted(tools) if every else _names(names)
    for name in wanted:
        if name not in tools:
            raise unknown_tool(name, root)
    if not wanted:
        ui.info(f"No tools installed (in {root})")
    failed = 0
    for name in wanted:
        old = tools[name]
        try:
            receipt = install_tool(spec_of(old), force=False, env=os.environ, upgrade=True)
        except PalletError as exc:
            if not every:
                raise
            ui.error(f"{name}: {exc}")
            failed = max(failed, exc.exit_code)
            continue
        if receipt is not None:
            headline = f"Upgraded {name} {old.version} -> {receipt.version}"
            _say_installed(headline, receipt.scripts)
    return failed


def _uninstall(names: list[str]) -> int:
    from .tool_install import uninstall_tool

    for name in _names(names):
        receipt = uninstall_tool(name, os.environ)
        scripts = f" and its scripts ({', '.join(receipt.scripts)})" if receipt else ""
        version = f" {receipt.version}" if receipt else ""
        ui.info(f"Uninstalled {name}{version}{scripts}")
    return 0
