"""``pallet add REQ...``: requirements written into pyproject.toml, then locked and synced.

The edit is `pallet.project.deps_edit`'s (tomlkit; comments and layout kept). A bare name gets a
lower bound from the version the lock resolved (lock with the bare name, write ``>=X``, lock again
keeping the pins), as ``pallet variants add`` does. Then ``pallet sync``'s own code installs.

Nothing is half-done: pyproject.toml and pylock.toml are saved (their bytes) before; a failed or
interrupted lock puts both back. The environment is synced only after a successful lock; a
failed sync puts both files back and, where there was a lock, syncs the old one again
(``--frozen``), so the environment holds what it held before. ``--script FILE`` edits a PEP 723
script's inline block instead (no lock: scripts are locked when they run).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from .. import ui
from ..errors import ProjectError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from ..project.deps_edit import Target

__all__ = ["add_parser", "add_target_options", "edit_lock_sync", "run", "target_of"]

_PYPROJECT = "pyproject.toml"
_LOCK = "pylock.toml"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "add",
        help="add dependencies to pyproject.toml, then lock and sync",
        description=(
            "Add REQ... (PEP 508) to [project] dependencies (or an extra or a dependency group), "
            "keeping the file's comments and layout; a name already there is replaced in place. "
            "A bare name gets a lower bound from the version locked. Then lock and sync; a "
            "failure leaves pyproject.toml, pylock.toml and .venv as they were."
        ),
        epilog="examples:\n  pallet add 'requests>=2.31' rich\n  pallet add --dev pytest\n"
        "  pallet add --optional cli click\n  pallet add --editable ../mylib\n"
        "  pallet add mypkg --git https://example.org/mypkg.git --rev v1.0\n"
        "  pallet add --script tool.py httpx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("requirements", nargs="*", metavar="REQ", help="e.g. 'requests>=2.31'")
    add_target_options(parser)
    parser.add_argument(
        "--index", metavar="NAME", help="pin the packages to this [[tool.pallet.index]]"
    )
    parser.add_argument(
        "--editable", metavar="PATH", type=Path, help="a local project, installed editable"
    )
    parser.add_argument("--git", metavar="URL", help="the package from this git repository")
    parser.add_argument("--rev", metavar="REV", help="with --git: the commit, tag or branch")
    parser.add_argument(
        "--script", metavar="FILE", type=Path, help="edit this PEP 723 script's inline block"
    )
    _lock_options(parser)
    return parser


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """``--group``, ``--dev``, ``--optional`` (shared with ``pallet remove``)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--group", metavar="GROUP", help="a PEP 735 [dependency-groups] group")
    where.add_argument("--dev", action="store_true", help="the 'dev' group (= --group dev)")
    where.add_argument(
        "--optional", metavar="EXTRA", help="an extra: [project.optional-dependencies]"
    )


def _lock_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-sync", action="store_true", help="lock, but leave the environment as it is"
    )
    parser.add_argument(
        "--frozen",
        "--no-lock",
        dest="no_lock",
        action="store_true",
        help="only edit pyproject.toml; neither lock nor sync",
    )
    parser.add_argument("--offline", action="store_true", help="use only cached index pages")
    parser.add_argument(
        "--project",
        metavar="DIR",
        type=Path,
        help="the project directory (default: the nearest one holding pyproject.toml)",
    )
    from .workspace_args import add_package_option

    add_package_option(parser, all_packages=False)


def target_of(args: argparse.Namespace) -> Target | None:
    """The table the options name; None when none is named."""
    from ..project.deps_edit import Target

    if args.dev:
        return Target("group", "dev")
    if args.group:
        return Target("group", args.group)
    if args.optional:
        return Target("optional", args.optional)
    return None


def run(args: argparse.Namespace) -> int:
    from ..project.deps_edit import Target, add_requirements, bounded_requirements

    root = _root(args)
    requirements, sources = _requested(args, root if args.script is None else Path.cwd())
    if args.script is not None:
        return _add_to_script(args.script, requirements, sources)
    sources.update(_member_sources(root, requirements, sources))
    target = target_of(args) or Target("project")

    def edit(text: str, locked: dict[str, list[str]] | None) -> str:
        wanted = bounded_requirements(requirements, locked) if locked else tuple(requirements)
        return add_requirements(text, wanted, target, sources)

    ui.info(f"adding {', '.join(requirements)} to {target.label}")
    return edit_lock_sync(root, edit, args)


def edit_lock_sync(
    root: Path,
    edit: Callable[[str, dict[str, list[str]] | None], str],
    args: argparse.Namespace,
) -> int:
    """Write ``edit(text, None)``; lock; write ``edit(text, locked versions)`` and lock again when
    that differs; sync. Any failure puts the files (and the environment) back."""
    from ..project.pyproject import load_toml
    from .project_files import (
        lock_with_bounds,
        read_or_none,
        replace_file,
        restore_files,
    )

    path = root / _PYPROJECT
    before = read_or_none(path)
    if before is None:
        raise ProjectError(f"{_PYPROJECT}: does not exist in {root}", path=_PYPROJECT)
    load_toml(path, _PYPROJECT)  # not UTF-8 or bad TOML: the message every command gives
    text = before.decode("utf-8")
    first = edit(text, None)
    replace_file(path, first.encode("utf-8"))
    if args.no_lock:
        return 0
    from .lock import workspace_root

    home = workspace_root(root)  # a workspace member's lock and .venv are the root's
    lock_path = home / _LOCK
    old_lock = read_or_none(lock_path)

    def bounded(locked: dict[str, list[str]]) -> tuple[str, str] | None:
        second = edit(text, locked)
        if second == first:
            return None
        return second, "lower bounds from the lock written; locking again"

    code = lock_with_bounds(root, args, path, before, old_lock, bounded)
    if code != 0:
        return code
    if args.no_sync:
        return 0
    try:
        return _sync(root, args, frozen=False)
    except BaseException:
        restore_files(path, before, lock_path, old_lock)
        if old_lock is not None and (home / ".venv").is_dir():
            ui.info("syncing the environment back to the previous lock")
            _sync(root, args, frozen=True)
        raise


def _sync(root: Path, args: argparse.Namespace, *, frozen: bool) -> int:
    """``pallet sync --project ROOT``, through the sync command's own parser and code."""
    from . import sync

    parser = argparse.ArgumentParser(prog="pallet")
    argv = ["--project", str(root)] + (["--frozen"] if frozen else [])
    argv += ["--offline"] if args.offline else []
    sync_args = sync.add_parser(parser.add_subparsers()).parse_args(argv)
    sync_args.verbose = getattr(args, "verbose", False)
    sync_args.quiet = getattr(args, "quiet", False)
    code: int = sync.run(sync_args)
    return code


def _root(args: argparse.Namespace) -> Path:
    """The folder whose pyproject.toml is edited: ``--package``'s workspace member, else
    ``--project``, else the nearest project (`cli.workspace_args.edited_project`)."""
    from .workspace_args import edited_project

    if args.script is not None:
        script: Path = args.script.parent
        return script
    return edited_project(args)


def _requested(args: argparse.Namespace, root: Path) -> tuple[list[str], dict[str, Any]]:
    """The requirements to write and their ``[tool.pallet.sources]`` entries."""
    from ..project.deps_edit import parse_requirement

    requirements: list[str] = []
    sources: dict[str, Any] = {}
    paths = [(Path(r), False) for r in args.requirements if _is_path(r)]
    if args.editable is not None:
        paths.append((args.editable, True))
    for path, editable in paths:
        name = _project_name(path)
        requirements.append(name)
        sources[name] = {"path": _relative(path, root), **({"editable": True} if editable else {})}
    for text in args.requirements:
        if not _is_path(text):
            parse_requirement(text)
            requirements.append(text)
    if not requirements:
        raise ProjectError("name at least one requirement (REQ, a path or --editable PATH)")
    if args.rev and not args.git:
        raise ProjectError("--rev needs --git URL")
    if args.git:
        if len(requirements) != 1 or paths:
            raise ProjectError("--git: name exactly one package, e.g. pallet add NAME --git URL")
        name = parse_requirement(requirements[0]).name
        sources[name] = {"git": args.git, **({"rev": args.rev} if args.rev else {})}
    if args.index:
        for text in requirements:
            sources.setdefault(parse_requirement(text).name, args.index)
    return requirements, sources


def _member_sources(root: Path, requirements: list[str], sources: dict[str, Any]) -> dict[str, Any]:
    """``{ workspace = true }`` for each requirement naming another member of the workspace
    `root` is in (as ``uv add`` writes it), unless a source was asked for (docs/workspaces.md)."""
    from packaging.utils import canonicalize_name

    from ..project.deps_edit import parse_requirement
    from .lock import workspace_root
    from .workspace_args import workspace_of

    workspace = workspace_of(workspace_root(root))
    if workspace is None:
        return {}
    here = root.resolve()
    # a virtual member (no [build-system]) is never installed itself: no source can name it
    members = {m.name for m in workspace.members if not m.virtual and m.path != here}
    out: dict[str, Any] = {}
    for text in requirements:
        name = parse_requirement(text).name
        if name not in sources and canonicalize_name(name) in members:
            out[name] = {"workspace": True}
    return out


def _is_path(text: str) -> bool:
    return text.startswith((".", "/", "~")) or (os.sep in text and Path(text).exists())


def _project_name(path: Path) -> str:
    """The ``[project] name`` of the local project at ``path`` (read statically)."""
    from ..project.pyproject import load_toml

    file = path.expanduser() / _PYPROJECT
    if not file.is_file():
        raise ProjectError(f"{path}: no {_PYPROJECT} there; a local dependency is a project")
    name = load_toml(file, str(file)).get("project", {}).get("name")
    if not isinstance(name, str):
        raise ProjectError(f"{file}: [project] 'name' is missing", path=str(file))
    return name


def _relative(path: Path, root: Path) -> str:
    full = path.expanduser().absolute()
    try:
        return Path(os.path.relpath(full, root.absolute())).as_posix()
    except ValueError:  # another drive (Windows)
        return full.as_posix()


def _add_to_script(script: Path, requirements: list[str], sources: dict[str, Any]) -> int:
    """PEP 723: the ``# /// script`` block's TOML edited, each line written back as ``# ``."""
    from ..install.script_metadata import BLOCK
    from ..project.deps_edit import Target, add_requirements
    from .project_files import read_or_none, replace_file

    if sources:
        raise ProjectError("--script: --index, --editable, --git and paths are not supported")
    data = read_or_none(script)
    if data is None:
        raise ProjectError(f"{script}: does not exist")
    text = data.decode("utf-8")
    blocks = [m for m in BLOCK.finditer(text) if m.group("type") == "script"]
    if len(blocks) > 1:
        raise ProjectError(f"{script}: more than one '# /// script' block (PEP 723)")
    if blocks:
        block = blocks[0]
        content = block.group("content").splitlines(keepends=True)
        toml = "".join(line[2:] if line.startswith("# ") else line[1:] for line in content)
        start, end = block.span("content")
    else:
        toml, start, end = "dependencies = []\n", *_new_block_at(text)
    edited = add_requirements(toml, requirements, Target("script"))
    lines = "".join(f"# {line}" if line.strip() else "#\n" for line in edited.splitlines(True))
    if not blocks:
        lines = f"# /// script\n{lines}# ///\n"
    replace_file(script, (text[:start] + lines + text[end:]).encode("utf-8"))
    ui.info(f"added {', '.join(requirements)} to {script}")
    return 0


def _new_block_at(text: str) -> tuple[int, int]:
    """Where a new block goes: after a ``#!`` line (and a coding line), else at the top."""
    at = 0
    for line in text.splitlines(keepends=True)[:2]:
        if line.startswith("#!") or (line.startswith("#") and "coding" in line):
            at += len(line)
    return at, at
