"""Fixtures for the build-side tests (helpers live in ``support.projects``)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from support.projects import pyproject, write_tree


@pytest.fixture(autouse=True)
def _no_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds are reproducible by default; a test that wants SOURCE_DATE_EPOCH sets it."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """``make_project(files, name=..., version=..., extra=...)``: a project in tmp_path/project.

    ``extra`` is TOML appended after ``[project]`` (more fields, then other tables).
    """

    def make(
        files: dict[str, str] | None = None,
        *,
        name: str = "demo",
        version: str = "1.0.0",
        extra: str = "",
    ) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        (root / "pyproject.toml").write_text(pyproject(name, version, extra), encoding="utf-8")
        return write_tree(root, files or {})

    return make
