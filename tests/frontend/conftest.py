"""Fixtures shared by the frontend tests that run pallet as a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.lock_tools import pallet_env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """pallet's environment: its own cache, no netrc, no pip/uv configuration."""
    return pallet_env(tmp_path)
