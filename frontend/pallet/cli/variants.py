"""``pallet variants``: what this machine has, each variant of the lock, which fits and is chosen.

The project's lock first (locked when missing or stale, as ``pallet sync`` does; ``--frozen``
uses it as it is), then the machine as detection sees it (`variants.detect.machine_facts`, the
cached answer), each variant's verdict (`variants.choose.choose`), the one ``pallet sync`` would
install now (`cli.variant_choice.pick_variant`: a recorded request or ``PALLET_VARIANT`` wins over
detection) and the one ``.venv`` holds, printed by `variants.report.report_lines`.

``pallet variants add ...`` (the fixtures helper's `cli.variants_add`) is registered as a
sub-command when that module exists.
"""

from __future__ import annotations

import argparse
import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from .. import ui

__all__ = ["add_parser", "run"]


def _add_module() -> ModuleType | None:
    """`cli.variants_add` (``pallet variants add``), when this pallet has it."""
    try:
        return importlib.import_module(f"{__package__}.variants_add")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.variants_add":
            raise
        return None


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # argparse._SubParsersAction
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "variants",
        epilog=(
            "examples:\n"
            "  pallet variants\n"
            "  pallet variants --frozen\n"
            "  pallet variants add torch --backends cpu,cu126"
        ),
        help="show the detected hardware and which of the lock's variants fits and is chosen",
        description=(
            "Print what pallet detects on this machine (NVIDIA driver, CUDA, GPUs and their "
            "compute capability, ROCm, Intel and Apple GPUs, the x86-64 level), each hardware "
            "variant of pylock.toml with whether it fits and why not, the variant pallet sync "
            "would install and the one .venv holds. Locks first when pylock.toml is missing or "
            "out of date. See docs/sync.md."
        ),
    )
    parser.add_argument(
        "--frozen", action="store_true", help="use pylock.toml as it is; never lock"
    )
    parser.add_argument("--offline", action="store_true", help="lock from the cache only")
    parser.add_argument(
        "--project",
        type=Path,
        default=None,
        metavar="DIR",
        help="the project directory (default: the nearest one holding pyproject.toml)",
    )
    module = _add_module()
    if module is not None:  # pallet variants add ...
        commands = parser.add_subparsers(dest="variants_command", metavar="COMMAND")
        module.add_parser(commands)
    return parser


def run(args: argparse.Namespace) -> int:
    if getattr(args, "variants_command", None):
        module = _add_module()
        assert module is not None
        code: int = module.run(args)
        return code
    from ..install.stamp import SYNC_STAMP, read_stamp
    from ..install.store import Store
    from ..variants.choose import Choice, VariantDecl, choose
    from ..variants.detect import machine_facts
    from ..variants.report import report_lines
    from .sync import VENV, lock_first, project_root
    from .uptodate import LOCK_FILE
    from .variant_choice import lock_variants_of, pick_variant, unavailable_here
    from .variant_stamp import read_record

    args.lock = None
    root = project_root(args)
    lock_args = argparse.Namespace(
        frozen=args.frozen,
        locked=False,
        dry_run=False,
        offline=args.offline,
        verbose=getattr(args, "verbose", False),
    )
    lock_first(root, lock_args)
    variants = lock_variants_of(root / LOCK_FILE)
    cache_root = Store.default().root
    facts = machine_facts(os.environ, str(cache_root))
    venv = root / VENV
    choice: Choice | None = None
    installed: str | None = None
    unavailable: frozenset[str] = frozenset()
    if variants is not None:
        python = venv / "bin" / "python"
        if python.exists() and any(v.unavailable for v in variants.order):
            from ..install.target import target_for

            unavailable = unavailable_here(variants, target_for(python, cache_root).markers)
        decls = [VariantDecl(v.name, v.requires) for v in variants.order]
        choice = choose(
            decls, variants.default, facts, cuda_minor_compat=variants.cuda_minor_compat
        )
        pick = pick_variant(
            variants,
            flag=None,
            force=False,
            extras=(),
            env=os.environ,
            venv=venv,
            cache_root=cache_root,
            keep_recorded=False,
            unavailable=unavailable,
        )
        if pick is not None and (pick.name, pick.mode) != (choice.name, choice.mode):
            choice = Choice(pick.name, pick.mode, choice.verdicts)
        stamp = read_stamp(str(venv / SYNC_STAMP)) or {}
        record = read_record(str(venv))
        installed = stamp.get("variant") or (record[0] if record else None)
    for line in report_lines(facts, choice, installed):
        ui.result(line)
    if variants is None:
        ui.result(f"{LOCK_FILE} has no hardware variants ([tool.pallet.variants]; docs/gpu.md)")
    elif unavailable:
        names = ", ".join(sorted(unavailable))
        ui.result(f"not available here (the lock installs {variants.default}'s packages): {names}")
    return 0
