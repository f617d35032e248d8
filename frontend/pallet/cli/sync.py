"""``pallet sync``: lock if needed, make ``.venv``, install exactly what the lock selects.

An environment already in sync is answered before argparse by `cli.uptodate.fast_sync`; what
reaches `run` takes the full path: the lock first (`cli.lock`, unless ``--frozen``, ``--lock``
or ``--dry-run``; ``--locked`` only checks), the interpreter (`python.discovery`), the venv
(`python.venv.ensure_venv`), then `install.sync.install_lock`. docs/sync.md is the user's page.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import ui
from ..errors import LockError, PalletError

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from ..install.plan import Change
    from ..install.select import Selection
    from ..python.venv import VenvInterpreter
    from .variant_choice import VariantPick

__all__ = ["ROUTES_LOGGING", "add_parser", "lock_first", "project_root", "run", "sync_interpreter"]

ROUTES_LOGGING = True
VENV = ".venv"
#: In a venv made with --seed: exact syncs keep these unless the lock names them.
SEED_MARKER = ".pallet-seeded"
SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sync",
        epilog=(
            "examples:\n"
            "  pallet sync\n"
            "  pallet sync --extra cli --group test\n"
            "  pallet sync --frozen --no-dev\n"
            "  pallet sync --variant cu126 --dry-run"
        ),
        help="install the lock into the project's .venv (locking first when needed)",
        description=(
            "Make the project's .venv hold exactly the packages pylock.toml selects for it "
            "(PEP 751), and the project itself, editable. Locks first when pylock.toml is "
            "missing or out of date. See docs/sync.md."
        ),
    )
    add = parser.add_argument
    add(
        "--variant",
        metavar="NAME",
        default=None,
        help="install this hardware variant (a variant extra), kept for later syncs and runs; "
        "auto: detect it again (also PALLET_VARIANT)",
    )
    add(
        "--force-variant",
        action="store_true",
        help="install the --variant even when this machine does not meet its requirement",
    )
    from .selection_args import add_selection_options

    add_selection_options(parser, verb="install")
    add("--no-install-project", action="store_true", help="do not install the project itself")
    add("--inexact", action="store_true", help="keep installed packages the lock does not name")
    add("--dry-run", action="store_true", help="print what would change; change nothing")
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--locked",
        action="store_true",
        help="fail (exit 1) instead of locking when pylock.toml is missing or out of date",
    )
    when.add_argument(
        "--frozen", action="store_true", help="install pylock.toml as it is; never lock"
    )
    add(
        "--lock",
        type=Path,
        default=None,
        metavar="PATH",
        help="install this PEP 751 file (pylock.<name>.toml, or one by uv or pip); no locking",
    )
    add(
        "--link-mode",
        choices=("hardlink", "clone", "copy", "symlink"),
        default="hardlink",
        help="how files get from the cache into .venv (default: hardlink, falling back to "
        "clone or copy across filesystems)",
    )
    add("--compile", action="store_true", help="byte-compile the installed .py files")
    add("--offline", action="store_true", help="no network: install from the cache only")
    add("--python", metavar="REQUEST", help="the interpreter: 3.12, pypy3.10 or a path")
    add("--force", action="store_true", help="replace a .venv that pallet did not create")
    add("--seed", action="store_true", help="install pip into a new .venv (and keep it)")
    add(
        "--project",
        type=Path,
        default=None,
        metavar="DIR",
        help="the project directory (default: the nearest one holding pyproject.toml, or the "
        "workspace around it)",
    )
    from .workspace_args import add_package_option

    add_package_option(parser, all_packages=True)
    return parser


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    from .main import route_logging

    route_logging(getattr(args, "verbose", False))
    if args.only_group and (args.group or args.no_dev):
        raise PalletError("--only-group cannot be combined with --group or --no-dev")
    root = project_root(args)
    has_project = (root / "pyproject.toml").is_file()
    from ..install.sync import locked_project

    with contextlib.nullcontext() if args.dry_run else locked_project(root):
        changes, variant = _sync(root, has_project, args)
    _report(changes, args, time.perf_counter() - started, variant)
    return 0


def _sync(
    root: Path, has_project: bool, args: argparse.Namespace
) -> tuple[list[Change], VariantPick | None]:
    from .workspace_args import package_roots

    packages = package_roots(root, args)  # --package checked before anything changes
    lock_path = args.lock.absolute() if args.lock is not None else root / "pylock.toml"
    if args.lock is None:
        lock_first(root, args)
    elif not lock_path.is_file():
        raise PalletError(f"{lock_path}: does not exist")

    from ..install.store import Store
    from ..install.sync import ProjectInstall, SyncOptions, install_lock

    requires_python, build_installer, pyproject = (
        _project_facts(root) if has_project else (None, None, {})
    )
    if has_project:  # a workspace: the members' requires-python together
        from .workspace_args import workspace_requires_python

        requires_python = workspace_requires_python(root, requires_python)
    interpreter = sync_interpreter(root, args, requires_python)
    build_environment = None
    if build_installer is not None:  # the project names its indexes: pallet fills build envs
        build_installer, build_environment = _store_builds(root, pyproject, interpreter, args)
    venv = root / VENV
    store = Store.default()
    # a refused request changes nothing
    variant = _variant(args, lock_path, venv, store.root, Path(interpreter.executable))
    if not args.dry_run:
        _ensure_venv(venv, interpreter, args)
        if variant is not None:
            _record_variant(venv, variant)
    selection = _selection(args, variant)
    if packages is not None:  # a workspace's members (`cli.workspace_args`)
        selection = dataclasses.replace(
            selection, packages=packages, members=frozenset(args.package), install_project=False
        )
    keep = SEED_PACKAGES if (args.seed or (venv / SEED_MARKER).exists()) else frozenset()
    options = SyncOptions(
        exact=not args.inexact,
        dry_run=args.dry_run,
        link_mode=args.link_mode,
        compile=args.compile,
        offline=args.offline,
        keep=keep,
        build_installer=build_installer,
        build_environment=build_environment,
        python_request=args.python or "",
        variant_stamp=variant.stamp if variant is not None else (),
    )
    project = ProjectInstall.of(root, pyproject) if has_project else None
    from .progress_bars import FrameLines
    from .sync_progress import SyncDisplay

    display = SyncDisplay()
    with ui.Progress(display.status, lines=FrameLines(display.frame)):
        changes = install_lock(
            lock_path,
            venv,
            selection,
            options,
            store=store,
            project=project,
            python=Path(interpreter.executable),
            progress=display,
            phases=display,
        )
    return changes, variant


def _variant(
    args: argparse.Namespace, lock_path: Path, venv: Path, cache_root: Path, python: Path
) -> VariantPick | None:
    """The hardware variant to install (`cli.variant_choice`); None for a lock without
    variants."""
    from .variant_choice import lock_variants_of, pick_variant, unavailable_here

    variants = lock_variants_of(lock_path)
    unavailable: frozenset[str] = frozenset()
    if variants is not None and any(v.unavailable for v in variants.order):
        from ..install.target import target_for

        unavailable = unavailable_here(variants, target_for(python, cache_root).markers)
    return pick_variant(
        variants,
        flag=args.variant,
        force=args.force_variant,
        extras=args.extra,
        env=os.environ,
        venv=venv,
        cache_root=cache_root,
        keep_recorded=getattr(args, "keep_variant", False),
        lock_name=lock_path.name,
        unavailable=unavailable,
    )


def _record_variant(venv: Path, variant: VariantPick) -> None:
    """Record the choice in the environment before anything changes (`cli.variant_stamp`)."""
    from .variant_stamp import write_record

    try:
        write_record(str(venv), variant.name, variant.mode)
    except OSError as exc:
        raise PalletError(f"{venv}: cannot record the variant: {exc.strerror or exc}") from None


def project_root(args: argparse.Namespace) -> Path:
    """The project folder (pyproject.toml from here or --project upwards), found with the
    standard library; with --lock and no project, the current folder."""
    from ..errors import ProjectError
    from .uptodate import nearest_project

    start = args.project if args.project is not None else Path.cwd()
    found = nearest_project(str(start))
    if found is not None:
        return Path(found)
    if args.lock is not None and args.project is None:
        return Path.cwd().absolute()
    raise ProjectError(
        f"no pyproject.toml found in {Path(start).resolve()} or any parent directory; "
        "run pallet inside a project or pass --project DIR",
        path="pyproject.toml",
    )


def lock_first(root: Path, args: argparse.Namespace) -> None:
    """Lock when pylock.toml is missing or stale; ``--locked`` fails instead, ``--frozen`` and
    ``--dry-run`` use the file as it is (a dry run writes nothing, the lock included)."""
    from .uptodate import LOCK_FILE, is_fresh

    lock_path = root / LOCK_FILE
    if args.frozen or (args.dry_run and not args.locked):
        if not lock_path.is_file():
            raise LockError(f"{LOCK_FILE} does not exist in {root}", hint="run `pallet lock`")
        if args.dry_run and not args.frozen and not is_fresh(str(root)):
            ui.warn(f"{LOCK_FILE} may be out of date; the plan is for the lock as it is")
        return
    if is_fresh(str(root)):
        return
    from . import lock as lock_command

    lock_args = argparse.Namespace(
        check=bool(args.locked),
        upgrade=False,
        upgrade_package=[],
        exclude_newer=None,
        offline=args.offline,
        refresh=False,
        no_build=False,
        no_binary=False,
        project=root,
        verbose=getattr(args, "verbose", False),
    )
    try:
        lock_command.run(lock_args)
    except LockError as exc:
        if args.locked:
            raise LockError(f"--locked: {exc}") from None
        raise


def _project_facts(root: Path) -> tuple[SpecifierSet | None, Any, dict[str, Any]]:
    """requires-python, pip restricted to the project's own indexes for isolated builds
    (sdists, the project itself), and the parsed file (read once). Read from pyproject.toml
    directly, not validated again: the lock step validated it (``--frozen``: a bad value here is
    ignored; pip's defaults apply)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from ..errors import ProjectError
    from ..pep517.installers import IndexInstaller

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(f"{path}: cannot be read: {exc}", path="pyproject.toml") from None
    project = data.get("project")
    text = project.get("requires-python") if isinstance(project, dict) else None
    try:
        requires_python = SpecifierSet(text) if isinstance(text, str) else None
    except InvalidSpecifier:
        requires_python = None
    tool = data.get("tool")
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    indexes = pallet.get("index") if isinstance(pallet, dict) else None
    rows = [i for i in indexes if isinstance(i, dict)] if isinstance(indexes, list) else []
    flat = [str(i["url"]) for i in rows if i.get("format") == "flat" and "url" in i]
    simple = [i for i in rows if i.get("format", "simple") == "simple" and "url" in i]
    default = next((i for i in simple if i.get("default")), simple[0] if simple else None)
    if not rows:
        return requires_python, None, data  # PyPI: the machine's pip, as pallet build does
    return requires_python, IndexInstaller(str(default["url"]) if default else None, flat), data


def _store_builds(
    root: Path, pyproject: dict[str, Any], interpreter: VenvInterpreter, args: argparse.Namespace
) -> tuple[Any, Any]:
    """Build requirements of sdists and of the project itself resolved from the project's
    indexes by pallet and hard-linked into fresh venvs of the sync's interpreter
    (`build_env`), as ``pallet build`` fills its environments."""
    from ..index.cache import Cache
    from .build_env import StoreEnvironments, StoreInstaller, project_indexes

    indexes, sources = project_indexes(root, pyproject, os.environ)
    installer = StoreInstaller(
        interpreter,
        label=str(root),
        indexes=indexes,
        sources=sources,
        offline=args.offline,
        display=False,
    )
    return installer, StoreEnvironments(interpreter, Cache.default().root)


def sync_interpreter(
    root: Path, args: argparse.Namespace, requires_python: SpecifierSet | None
) -> VenvInterpreter:
    """The venv's interpreter: the existing pallet .venv's own when nothing asks for another
    and it still fits requires-python (no discovery, no churn); else discovery's choice."""
    from ..install.target import venv_interpreter_for
    from ..python.discovery import PYTHON_VERSION_FILE, find_python
    from ..python.facts import FactsCache
    from ..python.venv import inspect_venv

    cache = FactsCache.default()

    asked = (
        args.python
        or os.environ.get("PALLET_PYTHON")
        or any((d / PYTHON_VERSION_FILE).is_file() for d in (root, *root.parents))
    )
    if not asked:
        state = inspect_venv(root / VENV)
        version = state.config.get("version_info", "")
        executable = state.config.get("executable", "")
        fits = requires_python is None or requires_python.contains(version, prereleases=True)
        if state.kind == "compatible" and executable and version and fits:
            return venv_interpreter_for(Path(executable), cache.root.parent)
    path = find_python(requires_python, args.python, project=root, cache=cache).path
    return venv_interpreter_for(path, cache.root.parent)


def _ensure_venv(venv: Path, interpreter: VenvInterpreter, args: argparse.Namespace) -> None:
    from ..python.venv import ensure_venv

    action = ensure_venv(venv, interpreter, force=args.force, seed=args.seed)
    if action != "reused":
        what = "Created" if action == "created" else "Recreated"
        ui.info(f"{what} {venv} ({interpreter.implementation} {interpreter.version})")
        if args.seed:
            (venv / SEED_MARKER).write_text("pip\n", encoding="utf-8")


def _selection(args: argparse.Namespace, variant: VariantPick | None) -> Selection:
    from ..install.select import Selection
    from ..install.stamp import normalize_name

    no_groups = [*args.no_group, *(["dev"] if args.no_dev else [])]
    names = frozenset(variant.names) if variant is not None else frozenset()
    return Selection(
        extras=frozenset(e for e in args.extra if normalize_name(e) not in names),
        variant=variant.name if variant is not None else None,
        variant_extras=names,
        groups=frozenset(args.only_group) if args.only_group else None,
        all_extras=args.all_extras,
        add_groups=frozenset(args.group),
        no_groups=frozenset(no_groups),
        install_project=not args.no_install_project and not args.only_group,
    )


def _report(
    changes: list[Change], args: argparse.Namespace, elapsed: float, variant: VariantPick | None
) -> None:
    """The changes (on a terminal, with -v, or for a dry run), then one summary line (with the
    hardware variant and why it was chosen)."""
    show = args.dry_run or sys.stderr.isatty()
    for change in changes:
        if args.dry_run:
            ui.result(str(change))
        elif show:
            ui.info(str(change))
        else:
            ui.verbose(str(change))
    added = sum(c.kind == "+" for c in changes)
    updated = sum(c.kind == "~" for c in changes)
    removed = sum(c.kind == "-" for c in changes)

    def count(n: int, verb: str) -> str:
        return f"{verb} {n} package{'' if n == 1 else 's'}"

    parts = [
        count(n, verb)
        for n, verb in ((added, "installed"), (updated, "updated"), (removed, "removed"))
        if n
    ]
    took = f" in {elapsed:.2f} s" + (f"; {variant.summary()}" if variant is not None else "")
    if args.dry_run:
        ui.info(("Would have " + ", ".join(parts) if parts else "Would change nothing") + took)
    elif parts:
        text = ", ".join(parts)
        ui.info(text[0].upper() + text[1:] + took)
    else:
        ui.info(f"Nothing to change{took}")
