"""``pallet publish``: upload the project's distributions with twine's library (docs/publish.md).

The steps, each before the next can start: the upload URL (``--publish-url``, an index's
``publish-url``, or PyPI's) and its scheme; the files; ``twine check --strict`` on each; the
credentials (`publish_auth`); the uploads (`publish_upload`). twine is imported by the last two.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from .. import ui

__all__ = ["add_parser", "run"]

#: What ``pallet build`` writes and an index accepts: wheels (PEP 427) and sdists (PEP 625).
_SUFFIXES = (".whl", ".tar.gz", ".zip")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``pallet publish`` on the top-level sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "publish",
        epilog=(
            "examples:\n"
            "  pallet publish\n"
            "  pallet publish --index testpypi\n"
            "  pallet publish --publish-url https://pypi.example.com/legacy/ dist/*.whl\n"
            "  pallet publish --username alice --skip-existing\n"
            "  pallet publish --package app"
        ),
        help="upload the project's sdists and wheels to a package index",
        description=(
            "Upload distributions (default: the project's dist/*.tar.gz and dist/*.whl) with "
            "twine, after `twine check --strict` passes on every one of them. The repository "
            "is --publish-url, the publish-url of a [[tool.pallet.index]] entry (--index), or "
            "PyPI. Credentials: --username/--password, then PALLET_PUBLISH_TOKEN, "
            "PALLET_PUBLISH_USERNAME/PASSWORD, keyring, netrc, and on a terminal a password "
            "prompt (docs/publish.md)."
        ),
    )
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILES",
        help="the distributions to upload (default: the project's dist/ sdists and wheels)",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=None,
        metavar="DIR",
        help="the project directory (default: the nearest one holding pyproject.toml)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--index",
        metavar="NAME",
        help="upload to the publish-url of this [[tool.pallet.index]] entry",
    )
    where.add_argument(
        "--publish-url",
        metavar="URL",
        help="the upload URL (default: https://upload.pypi.org/legacy/)",
    )
    parser.add_argument(
        "--package",
        metavar="NAME",
        help="in a workspace: upload only this member's files (by the name in each file's name)",
    )
    parser.add_argument("--username", help="the username (a token's is __token__)")
    parser.add_argument(
        "--password", help="the password or token (prefer PALLET_PUBLISH_TOKEN: not in ps)"
    )
    parser.add_argument(
        "--skip-existing",
        action="store_true",
        help="skip files the repository already has instead of stopping",
    )
    return parser


def _project_root(args: argparse.Namespace) -> Path:
    """The folder whose dist/ is published: the project's, or for a workspace member its
    workspace root's (where ``pallet build`` writes a member's distributions)."""
    from ..project.locate import find_root
    from .uptodate import nearest_project

    if args.project is not None:
        project = Path(args.project).absolute()
        found = find_root(str(project))
        if found is not None and found[1] == os.path.realpath(project):
            return Path(found[0])
        return project
    found_root = nearest_project(str(Path.cwd()))
    return Path(found_root) if found_root is not None else Path.cwd()


def _index_url(root: Path, name: str) -> str:
    """The ``publish-url`` of the ``[[tool.pallet.index]]`` entry `name` (case-insensitive)."""
    from ..errors import ProjectError
    from ..project.model import PYPI
    from .lock import read_lock_spec
    from .publish_auth import DEFAULT_UPLOAD_URL

    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise ProjectError(f"--index {name}: no pyproject.toml in {root}", path=str(pyproject))
    spec = read_lock_spec(root)  # a workspace's root may have no [project]
    index = {i.name.lower(): i for i in spec.indexes}.get(name.lower())
    if index == PYPI:  # the implicit default index
        return DEFAULT_UPLOAD_URL
    if index is None:
        known = ", ".join(repr(i.name) for i in spec.indexes if i.publish_url) or "none"
        raise ProjectError(
            f"{pyproject}: [[tool.pallet.index]] has no index named {name!r} "
            f"(indexes with a publish-url: {known})",
            path=str(pyproject),
            key="tool.pallet.index",
        )
    if index.publish_url is None:
        raise ProjectError(
            f"{pyproject}: [[tool.pallet.index]] index {index.name!r} has no 'publish-url' key "
            "(where to upload; e.g. https://upload.pypi.org/legacy/)",
            path=str(pyproject),
            key="publish-url",
        )
    return index.publish_url


def _files(args: argparse.Namespace, root: Path) -> list[Path]:
    """The files to upload: those given (each must be a distribution file), or dist/'s sdists
    and wheels; each release's sdist before its wheels, as ``pallet build`` makes them."""
    from ..errors import PalletError

    if args.files:
        files: list[Path] = []
        for path in args.files:
            if not path.is_file():
                problem = "is a folder" if path.is_dir() else "does not exist"
                raise PalletError(f"{path}: {problem}; give sdist and wheel files")
            if not path.name.endswith(_SUFFIXES):
                raise PalletError(f"{path}: not a distribution (an sdist .tar.gz or a wheel .whl)")
            files.append(path)
        return files
    dist = root / "dist"
    found = sorted(
        (p for p in dist.glob("*") if p.is_file() and p.name.endswith((".whl", ".tar.gz"))),
        key=lambda p: (p.name.endswith(".whl"), p.name),
    )
    if not found:
        raise PalletError(
            f"{dist}: no sdists or wheels to upload; run `pallet build` first, or name the files"
        )
    return found


def run(args: argparse.Namespace) -> int:
    from .publish_auth import (
        DEFAULT_UPLOAD_URL,
        check_upload_url,
        find_credentials,
        split_userinfo,
        terminal_prompt,
    )
    from .sync_progress import human_size

    root = _project_root(args)
    given = args.publish_url or (_index_url(root, args.index) if args.index else None)
    url, url_user, url_password = split_userinfo(given or DEFAULT_UPLOAD_URL)
    check_upload_url(url)  # before anything is read, asked for or sent
    files = _files(args, root)
    if args.package:
        from .publish_files import member_files

        files = member_files(files, args.package, root)

    from .publish_upload import check_files, make_scrubber, upload_files

    secrets = [s for s in (args.password, url_password) if s]
    check_files(files, make_scrubber(secrets))
    credentials = find_credentials(
        url,
        username=args.username,
        password=args.password,
        url_username=url_user,
        url_password=url_password,
        env=os.environ,
        prompt=terminal_prompt(),
    )
    ui.verbose(f"credentials: {credentials.describe()}")

    from .. import envvars

    timeout = envvars.positive_number(os.environ, envvars.PALLET_HTTP_TIMEOUT, 30.0)

    def report(done: Any) -> None:
        size = human_size(done.size)
        if done.skipped:
            ui.result(f"Skipped {done.path.name} ({size}): {url} already has it")
        else:
            ui.result(f"Uploaded {done.path.name} ({size}) to {url}")

    started = time.perf_counter()
    results = upload_files(
        files,
        url,
        credentials,
        skip_existing=args.skip_existing,
        timeout=timeout,
        on_done=report,
    )
    uploaded = sum(not r.skipped for r in results)
    skipped = len(results) - uploaded
    ui.info(
        f"Published {uploaded} file(s) to {url} in {time.perf_counter() - started:.2f}s"
        + (f"; skipped {skipped} already there" if skipped else "")
    )
    return 0
