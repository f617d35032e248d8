"""``pallet build``: the project's sdist and wheel, through its own PEP 517 backend."""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path
from typing import Any

from .. import ui

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .build_targets import Target

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``pallet build`` on the top-level sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "build",
        epilog=(
            "examples:\n"
            "  pallet build\n"
            "  pallet build --wheel -o wheelhouse\n"
            "  pallet build --sdist\n"
            "  pallet build --no-isolation -C key=value\n"
            "  pallet build --package app\n"
            "  pallet build --all"
        ),
        help="build the project's sdist and wheel into dist/",
        description=(
            "Build the project's sdist and wheel through the build backend its pyproject.toml "
            "declares (any PEP 517 backend). By default the sdist is built first and the wheel "
            "is built from it, in isolated environments."
        ),
    )
    parser.add_argument(
        "project",
        nargs="?",
        default=None,
        type=Path,
        help="project directory (default: the nearest one holding pyproject.toml)",
    )
    parser.add_argument(
        "-o",
        "--out-dir",
        type=Path,
        help="output directory (default: the project's dist/; the workspace root's with "
        "--package or --all)",
    )
    members = parser.add_mutually_exclusive_group()
    members.add_argument(
        "--package", metavar="NAME", help="in a workspace: build this member (from anywhere in it)"
    )
    members.add_argument(
        "--all",
        action="store_true",
        help="in a workspace: build every member with a [build-system], each with its own backend",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sdist", action="store_true", help="build only the sdist")
    which.add_argument("--wheel", action="store_true", help="build only the wheel (from the tree)")
    parser.add_argument(
        "--python",
        metavar="REQUEST",
        help="the build interpreter: 3.12, pypy3.10 or a path (default: the project's)",
    )
    parser.add_argument(
        "--offline", action="store_true", help="resolve build requirements from the cache only"
    )
    parser.add_argument(
        "--no-isolation",
        action="store_true",
        help="build in the current environment instead of a fresh isolated one",
    )
    parser.add_argument(
        "-C",
        "--config-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="pass a config setting to the backend (repeatable)",
    )
    return parser


def _config_settings(pairs: list[str]) -> dict[str, str | list[str]]:
    from ..errors import PalletError

    settings: dict[str, str | list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PalletError(f"--config-setting {pair!r}: expected KEY=VALUE")
        previous = settings.get(key)
        if previous is None:
            settings[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            settings[key] = [previous, value]
    return settings


def _check_config(project: Path) -> dict[str, Any] | None:
    """A configuration error is exit 2 for every command (as for ``pallet lock``), not a build
    failure (1): bad TOML is found here, and for a pallet-core project its whole configuration
    is checked in-process (the frontend may use pallet-core as a library) before any build
    environment is made. Other backends report their own errors as build failures."""
    from ..errors import ProjectError
    from ..project.pyproject import load_toml

    pyproject = project / "pyproject.toml"
    if not pyproject.is_file():
        return None  # build_project says so
    data = load_toml(pyproject, str(pyproject))
    system = data.get("build-system")
    if not isinstance(system, dict) or system.get("build-backend") != "pallet_core.build":
        return data
    if system.get("backend-path"):
        return data  # an in-tree pallet-core (pallet itself): not the installed one's to judge
    from pallet_core.config import load_config
    from pallet_core.errors import ConfigError, PalletCoreError

    try:
        load_config(project)
    except ConfigError as exc:
        message = str(exc)  # "pyproject.toml: [project] ...": name the file in full
        if message.startswith("pyproject.toml"):
            message = f"{pyproject}{message[len('pyproject.toml') :]}"
        raise ProjectError(message, path=str(pyproject)) from exc
    except PalletCoreError:
        pass  # a problem on disk, not in the configuration: the build reports it
    return data


def _check_outdir(outdir: Path) -> None:
    """Fail before building when the output folder cannot be made or written."""
    import os
    import tempfile

    from ..errors import PalletError

    try:
        outdir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".pallet-", suffix=".probe", dir=outdir)
    except OSError as exc:
        problem = "is not a folder" if outdir.exists() and not outdir.is_dir() else None
        raise PalletError(
            f"{outdir}: cannot write the distributions there: {problem or exc.strerror or exc}"
        ) from exc
    os.close(fd)
    Path(probe).unlink()


def _spinner(project: Path, verbose: bool) -> contextlib.AbstractContextManager[object]:
    """``Building NAME with BACKEND`` and a spinner on a terminal; not with -v, whose backend
    output streams to the terminal."""
    if verbose:
        return contextlib.nullcontext()
    from ..install.build_label import project_label
    from .progress_bars import SpinnerLines

    label = project_label(project.resolve())
    return ui.Progress(lambda: label, lines=SpinnerLines(lambda: label))


def run(args: argparse.Namespace) -> int:
    from .build_targets import build_targets

    targets, notes = build_targets(args)
    for note in notes:
        ui.info(note)
    # every configuration checked (exit 2) before anything is built
    checked = [(target, _check_config(target.path.resolve())) for target in targets]
    for outdir in dict.fromkeys(target.outdir for target in targets):
        _check_outdir(outdir)
    started = time.perf_counter()
    built = _build_one(args, *checked[0]) if len(checked) == 1 else _build_each(args, checked)
    elapsed = time.perf_counter() - started
    ui.info(f"Built {built} distribution(s) in {elapsed:.2f}s")
    return 0


def _build_each(
    args: argparse.Namespace, checked: list[tuple[Target, dict[str, Any] | None]]
) -> int:
    """``--all``: every member built even when one fails (as ``uv build --all-packages``
    reports every failure); each failure printed as it happens, then one error naming them."""
    from ..errors import BuildFailed, PalletError

    built = 0
    failed: list[tuple[str, PalletError]] = []
    for target, data in checked:
        try:
            built += _build_one(args, target, data)
        except PalletError as exc:
            ui.error(str(exc))
            failed.append((target.label, exc))
    if failed:
        error = BuildFailed(
            f"{len(failed)} of {len(checked)} workspace builds failed: "
            + ", ".join(label for label, _ in failed)
        )
        error.exit_code = max(exc.exit_code for _, exc in failed)
        raise error
    return built


def _build_one(args: argparse.Namespace, target: Target, data: dict[str, Any] | None) -> int:
    from ..pep517 import build_project

    project = target.path
    root = project.resolve()
    distributions: tuple[Any, ...] = (
        ("sdist",) if args.sdist else ("wheel",) if args.wheel else ("sdist", "wheel")
    )
    installer = environments = None
    settings = _config_settings(args.config_setting)
    if not args.no_isolation and data is not None:
        from .build_env import store_build

        installer, environments = store_build(
            root, data, python=args.python, label=str(root), offline=args.offline
        )
    with _spinner(project, args.verbose):
        result = build_project(
            project,
            target.outdir,
            distributions=distributions,
            isolation=not args.no_isolation,
            verbose=args.verbose,
            config_settings=settings,
            installer=installer,
            environment=environments,
        )
    for path in result.paths:
        ui.result(str(path))
    return len(result.paths)
