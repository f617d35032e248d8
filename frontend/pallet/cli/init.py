"""``pallet init``: a new project (an app, a packaged app, a library) or a PEP 723 script.

The files come from `pallet.project.scaffold`. Nothing is overwritten: an existing
pyproject.toml, or any file ``init`` would write, is refused before anything is written; a
failure while writing (a read-only folder, a full disk) removes what was written. ``git init``
runs when ``git`` is on PATH and the folder is not inside a work tree already
(``git rev-parse --is-inside-work-tree``); a failing git is a warning, the project stays.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
from pathlib import Path

from .. import ui
from ..errors import PalletError, ProjectError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..project.scaffold import Kind

__all__ = ["add_parser", "run"]

_EXAMPLES = """examples:
  pallet init                      an app in this folder (virtual: main.py, no build-system)
  pallet init demo --package       a packaged app: src/demo/, console script demo = demo:main
  pallet init mylib --lib          a library: src/mylib/__init__.py and py.typed
  pallet init --script tool.py     a PEP 723 script with an inline metadata block
  pallet init --python 3.12        requires-python >=3.12 and .python-version 3.12"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``pallet init`` on the top-level sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "init",
        help="create a new project or script",
        description=(
            "Create a new project in DIR (default: the current folder): pyproject.toml, "
            "README.md, .gitignore, .python-version, tests/, and a git repository. Nothing "
            "existing is overwritten. See docs/init.md."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", nargs="?", type=Path, default=None, metavar="DIR")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument(
        "--app", action="store_true", help="an application (the default; virtual unless --package)"
    )
    kind.add_argument("--lib", action="store_true", help="a library (src layout, py.typed)")
    kind.add_argument(
        "--script",
        type=Path,
        default=None,
        metavar="FILE",
        help="a PEP 723 script with an inline metadata block, instead of a project",
    )
    parser.add_argument(
        "--package",
        action="store_true",
        help="build the app as a package: [build-system], src layout, a console script",
    )
    parser.add_argument("--name", default=None, help="the project name (default: the folder's)")
    parser.add_argument(
        "--python",
        default=None,
        metavar="X.Y",
        help="requires-python >=X.Y and .python-version (default: the interpreter pallet picks)",
    )
    parser.add_argument("--no-git", action="store_true", help="do not run git init")
    return parser


def run(args: argparse.Namespace) -> int:
    """Create the project or script; user problems raise `PalletError`."""
    from ..project import scaffold

    if args.script is not None:
        if args.dir is not None or args.package or args.name is not None or args.no_git:
            raise PalletError("--script FILE takes no DIR, --package, --name or --no-git")
        script = args.script.absolute()
        python = _python_version(args.python, script.parent)
        name = script.stem
        _write({script: scaffold.script_text(name, python)}, script.parent)
        ui.info(f"Initialized script `{script.name}` at {script}")
        return 0
    root = (args.dir if args.dir is not None else Path.cwd()).absolute()
    if root.exists() and not root.is_dir():
        raise PalletError(f"{root}: exists and is not a folder")
    if (root / "pyproject.toml").exists():
        raise ProjectError(
            f"{root / 'pyproject.toml'}: a project is already here; init refuses to overwrite it",
            path=str(root / "pyproject.toml"),
        )
    source = "--name" if args.name is not None else "the folder name"
    name = scaffold.project_name(args.name if args.name is not None else root.name, source=source)
    kind: Kind = "lib" if args.lib else "package" if args.package else "app"
    module = name.replace("-", "_") if kind == "app" else scaffold.module_name(name, source=source)
    python = _python_version(args.python, root)
    files = scaffold.project_files(name, module, kind, python, _backend_version())
    git = None if args.no_git else _git_to_init(root)
    _write({root / rel: text for rel, text in files.items()}, root)
    what = {"app": "app", "package": "packaged app", "lib": "library"}[kind]
    ui.info(f"Initialized {what} `{name}` at {root}")
    _join_workspace(root, name)
    if git is not None:
        _git_init(git, root)
    return 0


def _join_workspace(root: Path, name: str) -> None:
    """Inside a workspace (docs/workspaces.md): a folder its ``members`` globs do not match is
    added to them (as uv's init does), unless ``exclude`` names it; the edit is atomic."""
    import os

    from ..project.locate import member_folders, workspace_above

    found = workspace_above(str(root))
    if found is None:
        return
    workspace, table = found
    folder = os.path.realpath(root)
    relative = Path(os.path.relpath(folder, workspace)).as_posix()
    if folder in member_folders(workspace, table):
        ui.info(f"`{name}` is a member of the workspace at {workspace}")
        return
    if folder in member_folders(workspace, {"members": table.get("exclude", [])}):
        ui.info(f"`{name}` is excluded from the workspace at {workspace} (exclude); left out")
        return
    from ..project.workspace_edit import add_member
    from .project_files import replace_file

    path = Path(workspace) / "pyproject.toml"
    try:
        text = add_member(path.read_text(encoding="utf-8"), relative)
        replace_file(path, text.encode("utf-8"))
    except (PalletError, OSError, UnicodeDecodeError) as exc:  # the project stays made
        ui.warn(f"{path}: cannot add {relative} to the workspace's members ({exc}); add it there")
        return
    ui.info(f"Added {relative} to the workspace's members in {path}")


def _python_version(asked: str | None, where: Path) -> str:
    """``X.Y`` (or ``X.Y.Z``) from ``--python``; else the major.minor of the interpreter that
    pallet's discovery picks for ``where`` (``PALLET_PYTHON``, ``.python-version``, PATH)."""
    from packaging.version import InvalidVersion, Version

    if asked is not None:
        try:
            version = Version(asked)
        except InvalidVersion:
            version = None
        if version is None or str(version) != asked or not 2 <= len(version.release) <= 3:
            raise PalletError(f"--python {asked!r}: give a Python version like 3.12")
        return asked
    from ..python.discovery import find_python
    from ..python.facts import FactsCache

    anchor = next((p for p in (where, *where.parents) if p.is_dir()), where)
    found = find_python(project=anchor, cache=FactsCache.default())
    assert found.facts is not None  # find_python returns only interpreters that ran
    release = Version(found.facts.version).release
    return f"{release[0]}.{release[1]}"


def _backend_version() -> str:
    """pallet-core's own version: the floor the new project's build requires."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pallet-core")
    except PackageNotFoundError as exc:
        raise PalletError("pallet-core is not installed beside pallet; reinstall pallet") from exc


def _write(files: dict[Path, str], root: Path) -> None:
    """Write every file, or none: all are checked first; a failure midway removes what this
    call created (files, then the folders it made, deepest first)."""
    for path in sorted(files):
        if path.exists() or path.is_symlink():
            raise PalletError(f"{path}: already exists; init refuses to overwrite it")
    made_dirs: list[Path] = []
    written: list[Path] = []
    try:
        for path in sorted(files):
            missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                made_dirs.append(folder)
            # "x": created here, never an existing file (one made since the check included)
            with path.open("x", encoding="utf-8", newline="\n") as f:
                written.append(path)
                f.write(files[path])
    except OSError as exc:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()
        where = exc.filename if exc.filename is not None else root
        raise PalletError(f"{where}: cannot write: {exc.strerror or exc}") from exc


def _git_to_init(root: Path) -> str | None:
    """git's path when ``root`` should become a repository: git on PATH, and ``root`` (or its
    nearest existing parent) not inside a work tree."""
    git = shutil.which("git")
    if git is None:
        return None
    anchor = next((p for p in (root, *root.parents) if p.is_dir()), root)
    try:
        proc = subprocess.run(
            [git, "rev-parse", "--is-inside-work-tree"],
            cwd=anchor,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode == 0 and proc.stdout.strip() == "true":
        return None
    return git


def _git_init(git: str, root: Path) -> None:
    try:
        proc = subprocess.run(
            [git, "init", "--quiet", str(root)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        ui.warn(f"git init {root}: {exc}; the project is made, without a repository")
        return
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        ui.warn(f"git init {root}: {last}; the project is made, without a repository")
