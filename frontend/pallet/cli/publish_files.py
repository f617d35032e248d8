"""``pallet publish --package NAME``: of the files to upload, the workspace member's.

A distribution's project is read from its file name, as the specifications write it: a wheel's
first part (PEP 427, `packaging.utils.parse_wheel_filename`), an sdist's name before the version
(PEP 625, `packaging.utils.parse_sdist_filename`), both compared PEP 503-normalized. A file whose
name does not parse is an error naming it (it cannot be told apart).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import PalletError, ProjectError

__all__ = ["distribution_name", "member_files"]


def distribution_name(path: Path) -> str:
    """The normalized project name in a wheel's or an sdist's file name."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if path.name.endswith(".whl"):
            return parse_wheel_filename(path.name)[0]
        return parse_sdist_filename(path.name)[0]
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise PalletError(f"{path}: cannot tell which project it belongs to: {exc}") from None


def member_files(files: list[Path], package: str, root: Path) -> list[Path]:
    """The files of workspace member `package` (validated against the workspace at `root`)."""
    from ..project.workspace import read_workspace

    workspace = read_workspace(root)
    if workspace is None:
        raise ProjectError(
            f"--package {package}: {root / 'pyproject.toml'} declares no workspace "
            "([tool.pallet.workspace]); --package selects a workspace member"
        )
    from packaging.utils import canonicalize_name

    wanted = canonicalize_name(package)
    if workspace.virtual or wanted != workspace.root_spec.name:
        wanted = workspace.member(package).name  # an unknown name: the members listed
    chosen = [path for path in files if distribution_name(path) == wanted]
    if not chosen:
        where = sorted({str(path.parent) for path in files})
        raise PalletError(
            f"{', '.join(where)}: no sdist or wheel of {wanted}; "
            f"run `pallet build --package {package}` first"
        )
    return chosen
