"""``pallet variants add``: PyTorch-style variants written into pyproject.toml, then locked.

``pallet variants add torch torchvision --backends cpu,cu126,rocm6.2`` adds one extra per backend,
the ``[tool.pallet.variants]`` table and one explicit ``[[tool.pallet.index]]`` per backend
(`pallet.project.variants_edit`), then runs ``pallet lock``'s own code. pyproject.toml is replaced
atomically, and put back byte for byte when the lock fails (or is interrupted), so a failed
``variants add`` leaves the project as it found it.

``cli/variants.py`` registers this module's parser as the ``add`` sub-command of
``pallet variants``: `add_parser(subparsers)` and `run(args)`, as every command module.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import ui
from ..errors import ProjectError
from .project_files import (
    LOCK,
    PYPROJECT,
    lock_with_bounds,
    read_or_none,
    replace_file,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["add_parser", "run"]

_PYPROJECT = PYPROJECT
_LOCK = LOCK


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    """Register ``add`` on the sub-parsers of ``pallet variants``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "add",
        epilog=(
            "examples:\n"
            "  pallet variants add torch --backends cpu,cu126\n"
            "  pallet variants add torch torchvision --backends cpu,cu128,rocm6.2 --default cpu\n"
            "  pallet variants add torch --backends cpu,cu126 --no-lock"
        ),
        help="add PyTorch-style hardware variants (one extra per backend) and lock",
        description=(
            "Add one extra per backend naming PACKAGE..., the [tool.pallet.variants] table "
            "(preference: CUDA newest first, then ROCm, then XPU, then CPU) and one explicit "
            "[[tool.pallet.index]] per backend, then lock. Nothing already in pyproject.toml is "
            "replaced; a failed lock leaves pyproject.toml as it was."
        ),
    )
    parser.add_argument("packages", nargs="+", metavar="PACKAGE", help="e.g. torch torchvision")
    parser.add_argument(
        "--backends",
        required=True,
        metavar="LIST",
        help="PyTorch backends, comma-separated: cpu, cuXYZ (cu126), rocmX.Y (rocm6.2), xpu",
    )
    parser.add_argument(
        "--default",
        metavar="BACKEND",
        default=None,
        help="the variant installed where no other fits and by plain installers (default: cpu)",
    )
    parser.add_argument(
        "--index-url-pattern",
        metavar="PATTERN",
        default=None,
        help="each backend's index URL, {backend} replaced by its name "
        "(default: https://download.pytorch.org/whl/{backend})",
    )
    parser.add_argument(
        "--no-lock", action="store_true", help="only edit pyproject.toml; do not lock"
    )
    # SUPPRESS: no default of ours replaces a ``pallet variants --project DIR`` given before ``add``
    parser.add_argument(
        "--project",
        metavar="DIR",
        type=Path,
        default=argparse.SUPPRESS,
        help="the project directory (default: the nearest one holding pyproject.toml)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Edit pyproject.toml, then lock; user problems raise `PalletError` (the caller prints)."""
    from ..project.pyproject import load_toml
    from ..project.variants_edit import (
        PYTORCH_INDEX_PATTERN,
        add_variants,
        make_plan,
        with_lower_bounds,
    )
    from .lock import workspace_root

    project: Path | None = getattr(args, "project", None)
    # a workspace's variants are declared at its root (docs/workspaces.md)
    root = workspace_root(project.resolve() if project else None)
    path = root / _PYPROJECT
    plan = make_plan(
        args.packages,
        args.backends.split(","),
        args.default,
        args.index_url_pattern or PYTORCH_INDEX_PATTERN,
    )
    try:
        before = path.read_bytes()
    except OSError as exc:
        raise ProjectError(
            f"{_PYPROJECT}: cannot be read ({path}): {exc.strerror}", path=_PYPROJECT
        ) from exc
    load_toml(path, _PYPROJECT)  # not UTF-8 or bad TOML: the message every command gives
    text = before.decode("utf-8")
    after = add_variants(text, plan)
    replace_file(path, after.encode("utf-8"))
    names = ", ".join(b.extra for b in plan.backends)
    ui.info(f"added variants {names} (default {plan.default.extra}) to {_PYPROJECT}")
    if args.no_lock:
        return 0

    def bounded(locked: dict[str, list[str]]) -> tuple[str, str] | None:
        # a bare name gets the lowest version the lock chose for it as its lower bound
        # (``torch>=2.5.1``), so a later lock never goes below what was tested
        with_bounds = with_lower_bounds(plan, locked)
        if with_bounds == plan:
            return None
        added = [b for a, b in zip(plan.packages, with_bounds.packages) if a != b]
        message = f"lower bounds from the lock: {', '.join(added)}; locking again"
        return add_variants(text, with_bounds), message

    old_lock = read_or_none(root / _LOCK)
    return lock_with_bounds(root, args, path, before, old_lock, bounded)
