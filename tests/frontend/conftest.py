"""Fixtures shared by the frontend tests that run pallet as a subprocess."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """pallet's environment: its own cache, no netrc, no pip/uv configuration."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PALLET_"))}
    out.update(
        PALLET_CACHE_DIR=str(tmp_path / "cache"),
        NETRC=str(tmp_path / "no-netrc"),
        PIP_CONFIG_FILE=os.devnull,
        NO_COLOR="1",
    )
    return out
