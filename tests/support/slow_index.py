"""A loopback index that sends a big, incompressible wheel slowly, and a project locked against
it: what the tests of pallet's progress display (on a pseudo-terminal and off it) sync."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.index_server import IndexServer
from support.sync_tools import pallet
from support.wheels import build_wheel

__all__ = ["locked_template", "slow_index"]


@contextmanager
def slow_index(
    folder: Path, *, size: int, rate: float, seed: int, small: bool = False
) -> Iterator[IndexServer]:
    """``big`` 1.0 (a wheel of about `size` random bytes) served at `rate` bytes a second; with
    `small`, also ``small`` 1.0 (a few bytes)."""
    payload = random.Random(seed).randbytes(size)  # incompressible
    build_wheel(folder, "big", "1.0", {"big/__init__.py": "", "big/data.bin": payload})
    if small:
        build_wheel(folder, "small", "1.0", {"small.py": "VALUE = 1\n"})
    with IndexServer(folder, throttle=rate) as server:
        yield server


def locked_template(root: Path, pyproject: str, cache: Path) -> Path:
    """`root` made a project of `pyproject` and locked (no progress: ``NO_COLOR``, a pipe)."""
    root.mkdir()
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PALLET_"))}
    env.update(PALLET_CACHE_DIR=str(cache), NO_COLOR="1")
    proc = pallet(root, env, "lock")
    assert proc.returncode == 0, proc.stderr
    return root
