"""``pallet version``: show, set or bump the project's version (PEP 440, PEP 621).

``pallet version`` prints ``name version``; ``pallet version 1.4.0`` sets ``[project] version``;
``pallet version --bump minor [--bump beta]`` computes the next version
(`pallet.project.version_bump`). The edit changes that one value and nothing else in
pyproject.toml (`pallet.project.version_edit`), written atomically (a temporary file beside it,
then `os.replace`), keeping the file's mode. A dynamic version (``dynamic = ["version"]``) is
shown by asking the build backend (PEP 517 ``prepare_metadata_for_build_wheel``, through
`pallet.pep517`) and never edited: the error says where it lives
(`pallet.project.version_source`).

The project's own version is no input of ``pylock.toml`` (docs/lock.md), so the lock stays up
to date and is never re-locked; ``--sync`` then runs ``pallet sync`` so that the editable
install's metadata carries the new version.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import ui
from ..errors import PalletError, ProjectError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from packaging.version import Version

__all__ = ["add_parser", "run"]

_PYPROJECT = "pyproject.toml"
_LOCK = "pylock.toml"
#: `pallet.project.version_bump.BUMPS`, repeated so that building the parser imports no packaging
#: (a test checks they are equal)
BUMP_CHOICES = ("major", "minor", "patch", "stable", "alpha", "beta", "rc", "post", "dev")

_EXAMPLES = """examples:
  pallet version                           demo 1.2.3
  pallet version --short                   1.2.3
  pallet version 1.4.0                     demo 1.2.3 => 1.4.0
  pallet version --bump minor              demo 1.2.3 => 1.3.0
  pallet version --bump minor --bump beta  demo 1.2.3 => 1.3.0b1
  pallet version --bump beta               demo 1.3.0 => 1.3.1b1 (patch first: see docs/version.md)
  pallet version --bump patch --dry-run    prints the new version, writes nothing"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``pallet version`` on the top-level sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "version",
        help="show, set or bump the project's version",
        description=(
            "Show the project's version ([project] version in pyproject.toml), set it, or bump "
            "it by PEP 440 rules. Only that value changes in pyproject.toml; the lock is not "
            "affected (the version is not a lock input). See docs/version.md."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "value", nargs="?", default=None, metavar="VERSION", help="set this version (PEP 440)"
    )
    parser.add_argument(
        "--bump",
        action="append",
        default=[],
        choices=BUMP_CHOICES,
        metavar="COMPONENT",
        help="bump this component: " + ", ".join(BUMP_CHOICES) + " (repeatable: --bump minor "
        "--bump beta)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the new version; change nothing"
    )
    parser.add_argument("--short", action="store_true", help="print only the version")
    parser.add_argument(
        "--output-format",
        choices=("text", "json"),
        default="text",
        help="text (default) or json: {name, version, previous_version, dynamic, written}",
    )
    parser.add_argument(
        "--sync",
        action="store_true",
        help="after a change, run pallet sync (the installed project then reports the new version)",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=None,
        metavar="DIR",
        help="the project directory (default: the nearest one holding pyproject.toml)",
    )
    from .workspace_args import add_package_option

    add_package_option(parser, all_packages=False)
    return parser


def run(args: argparse.Namespace) -> int:
    """Show, set or bump; user problems raise `PalletError` (the caller prints them)."""
    if args.value is not None and args.bump:
        raise PalletError("give a VERSION or --bump, not both")
    if args.package:  # a workspace member (`cli.workspace_args`)
        from .workspace_args import edited_project

        root = edited_project(args)
    else:
        root = args.project.resolve() if args.project else _find_root(Path.cwd())
    path = root / _PYPROJECT
    data = _load(path)
    project = data.get("project")
    if not isinstance(project, dict):
        raise ProjectError(f"{_PYPROJECT}: [project] table is missing", path=_PYPROJECT)
    name = str(project.get("name", root.name))
    dynamic = project.get("dynamic")
    if isinstance(dynamic, list) and "version" in dynamic:
        if args.value is not None or args.bump:
            from ..project.version_source import describe_dynamic_version

            raise ProjectError(
                f"{_PYPROJECT}: [project] version is dynamic; it comes from "
                f"{describe_dynamic_version(data, root)}",
                path=_PYPROJECT,
                key="project.version",
            )
        _report(args, name, _backend_version(root, data), None, dynamic=True, written=False)
        return 0
    current = _static_version(project)
    new = _new_version(current, args)
    written = False
    if new is not None and new != current and not args.dry_run:
        from ..project.version_edit import replace_version

        text = path.read_bytes().decode("utf-8")  # load_toml read it as UTF-8 already
        _replace(path, replace_version(text, str(new)).encode("utf-8"))
        written = True
    shown, previous = (current, None) if new is None else (new, current)
    _report(args, name, shown, previous, dynamic=False, written=written)
    if new is not None and args.dry_run:
        ui.info(f"dry run: {_PYPROJECT} not changed")
    elif new is not None and not written:
        ui.info(f"{name} is already at {current}: {_PYPROJECT} not changed")
    if written:
        _lock_note(root, name, str(new))
        if args.sync:
            return _sync(root, args)
    return 0


def _find_root(start: Path) -> Path:
    """The nearest folder holding pyproject.toml; `pallet.project.pyproject` says why not
    (imported only then: it brings in the whole project model, most of this command's time)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / _PYPROJECT).is_file():
            return folder
    from ..project.pyproject import find_project_root

    return find_project_root(start)


def _load(path: Path) -> dict[str, Any]:
    """pyproject.toml parsed; any problem is `pallet.project.pyproject.load_toml`'s message
    (file, line and column)."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(path.read_bytes().decode("utf-8"))
        return data
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        from ..project.pyproject import load_toml

        return load_toml(path, _PYPROJECT)


def _static_version(project: dict[str, Any]) -> Version:
    """``[project] version`` as a PEP 440 `Version`; `ProjectError` naming the key otherwise."""
    from packaging.version import InvalidVersion, Version

    value = project.get("version")
    if value is None:
        raise ProjectError(
            f"{_PYPROJECT}: [project] has no 'version' and 'version' is not in 'dynamic' "
            "(PEP 621 asks for one of them); set one with: pallet version 0.1.0",
            path=_PYPROJECT,
            key="project.version",
        )
    if not isinstance(value, str):
        raise ProjectError(
            f"{_PYPROJECT}: [project] 'version': {value!r} is not a string",
            path=_PYPROJECT,
            key="project.version",
        )
    try:
        return Version(value)
    except InvalidVersion:
        raise ProjectError(
            f"{_PYPROJECT}: [project] 'version': {value!r} is not a valid PEP 440 version; "
            "set one with: pallet version 1.2.3",
            path=_PYPROJECT,
            key="project.version",
        ) from None


def _new_version(current: Version, args: argparse.Namespace) -> Version | None:
    """The version asked for (given or bumped), or None to only show."""
    from packaging.version import InvalidVersion, Version

    from ..project.version_bump import bump_version

    if args.bump:
        return bump_version(current, args.bump)
    if args.value is None:
        return None
    try:
        return Version(args.value)
    except InvalidVersion:
        hint = f"; did you mean --bump {args.value}?" if args.value in BUMP_CHOICES else ""
        raise PalletError(
            f"version {args.value!r}: not a valid PEP 440 version (e.g. 1.4.0, 2.0.0rc1){hint}"
        ) from None


def _backend_version(root: Path, data: dict[str, Any]) -> str:
    """A dynamic version, from the build backend's PEP 517 ``prepare_metadata_for_build_wheel``
    (or the ``build_wheel`` fallback), in a fresh isolated environment as ``pallet build``
    makes it (`build_env`: pallet's resolver and installer, the project's interpreter)."""
    import email.parser
    import tempfile

    from ..errors import BuildFailed
    from ..pep517.hooks import Pep517Builder
    from ..project.version_source import describe_dynamic_version
    from .build_env import store_build

    installer, environments = store_build(root, data, python=None, label=_PYPROJECT)
    builder = Pep517Builder(installer, environment=environments)
    with tempfile.TemporaryDirectory(prefix="pallet-version-") as tmp:
        try:
            dist_info = builder.metadata(root, Path(tmp), label=_PYPROJECT)
            text = (dist_info / "METADATA").read_text(encoding="utf-8")
        except (BuildFailed, OSError) as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise BuildFailed(
                f"{_PYPROJECT}: [project] version is dynamic ("
                f"{describe_dynamic_version(data, root)}) and the build backend could not "
                f"report it: {reason}"
            ) from exc
    version = email.parser.Parser().parsestr(text, headersonly=True).get("Version")
    if not version:
        raise BuildFailed(f"{_PYPROJECT}: the build backend's metadata has no Version")
    return str(version)


def _report(
    args: argparse.Namespace,
    name: str,
    version: Version | str,
    previous: Version | None,
    *,
    dynamic: bool,
    written: bool,
) -> None:
    if args.output_format == "json":
        import json

        record = {
            "name": name,
            "version": str(version),
            "previous_version": None if previous is None else str(previous),
            "dynamic": dynamic,
            "written": written,
        }
        ui.result(json.dumps(record, indent=2))
    elif args.short:
        ui.result(str(version))
    elif previous is not None:
        ui.result(f"{name} {previous} => {version}")
    else:
        ui.result(f"{name} {version}")


def _lock_note(root: Path, name: str, new: str) -> None:
    """Say what the change means for the lock: nothing, unless the lock records the project's
    own version (a PEP 751 entry of the project's name with a ``version``: another tool's lock
    can hold one; pallet's holds the project as no entry, docs/lock.md)."""
    import sys

    from packaging.utils import canonicalize_name

    from .lock import workspace_root

    lock = workspace_root(root) / _LOCK  # a workspace member's: the root's
    if not lock.is_file():
        return
    if lock.parent != root:  # docs/workspaces.md: a member's version is a lock input
        ui.info(f"the workspace's {_LOCK} records {name}'s version: the next lock updates it")
        return
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(lock.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return  # pallet lock/sync say what is wrong with it
    own = canonicalize_name(name)
    for entry in data.get("packages", []):
        if (
            isinstance(entry, dict)
            and canonicalize_name(str(entry.get("name", ""))) == own
            and "version" in entry
            and str(entry["version"]) != new
        ):
            ui.warn(
                f"{_LOCK} records {name} {entry['version']}: lock again with the tool that wrote it"
            )
            return
    ui.info(f"{_LOCK} is still up to date (the project's version is not a lock input)")


def _sync(root: Path, args: argparse.Namespace) -> int:
    """``pallet sync --project ROOT``, through the sync command's own parser and code."""
    from . import sync

    parser = argparse.ArgumentParser(prog="pallet")
    sync_args = sync.add_parser(parser.add_subparsers()).parse_args(["--project", str(root)])
    sync_args.verbose = getattr(args, "verbose", False)
    sync_args.quiet = getattr(args, "quiet", False)
    code: int = sync.run(sync_args)
    return code


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` over ``path`` atomically (`project_files.write_atomic`, synced to the disk),
    keeping its mode; through a symlink, its target is replaced. A file the user may not write
    is refused, though its folder would let a rename replace it."""
    import os

    from .project_files import write_atomic

    target = Path(os.path.realpath(path))
    try:
        if not os.access(target, os.W_OK):
            raise PermissionError(13, "Permission denied (the file is read-only)")
        write_atomic(target, data, mode=target.stat().st_mode & 0o7777, fsync=True)
    except OSError as exc:
        raise ProjectError(
            f"{_PYPROJECT}: cannot be written ({target}): {exc.strerror}", path=_PYPROJECT
        ) from exc
