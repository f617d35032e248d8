"""install.stamp: the sync stamp the fast paths trust, and everything that invalidates it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pallet.install.stamp import (
    SYNC_JOURNAL,
    SYNC_STAMP,
    read_stamp,
    selection_text,
    stamp_matches,
    write_stamp,
)


def test_selection_text_is_canonical() -> None:
    assert selection_text(extras=["B_x", "a", "b.x"]) == selection_text(extras=["a", "b-x"])
    assert selection_text() != selection_text(exact=False)
    assert selection_text() != selection_text(groups=[])  # only no groups != the defaults
    assert selection_text() == ("extras=;groups=default;add-groups=;no-groups=;exact=1;project=1")


def LOCK(project: Path) -> str:
    """Not pylock.toml: the lock matrix would check this made-up file."""
    return str(project / "lock.toml")


@pytest.fixture
def synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.delenv("PALLET_PYTHON", raising=False)
    project = tmp_path / "project"
    venv = project / ".venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    python = tmp_path / "python3"
    python.write_text("")
    (venv / "pyvenv.cfg").write_text(f"home = {tmp_path}\nexecutable = {python}\n")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (project / "lock.toml").write_text("lock-version = '1.0'\n")
    write_stamp(str(project), str(venv), str(project / "lock.toml"), selection_text(), str(site), 3)
    return project, venv


def test_written_stamp_matches_and_reads_without_json(synced: tuple[Path, Path]) -> None:
    project, venv = synced
    stamp = stamp_matches(str(project), str(venv), selection_text(), LOCK(project))
    assert stamp is not None and stamp["packages"] == "3"
    assert read_stamp(str(venv / SYNC_STAMP)) == json.loads((venv / SYNC_STAMP).read_text())


@pytest.mark.parametrize(
    "change",
    ["lock", "pyproject", "python-version", "site", "journal", "interpreter", "env", "selection"],
)
def test_anything_that_changed_invalidates_it(
    synced: tuple[Path, Path], change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, venv = synced
    selection = selection_text()
    if change == "lock":
        (project / "lock.toml").write_text("lock-version = '1.0'\n# edited\n")
    elif change == "pyproject":
        (project / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    elif change == "python-version":
        (project / ".python-version").write_text("3.12\n")
    elif change == "site":
        (next(venv.rglob("site-packages")) / "six.py").write_text("")
    elif change == "journal":
        (venv / SYNC_JOURNAL).write_text("{}")
    elif change == "interpreter":
        (venv / "pyvenv.cfg").write_text("executable = /nowhere/python\n")
    elif change == "env":
        monkeypatch.setenv("PALLET_PYTHON", "3.12")
    else:
        selection = selection_text(extras=["cli"])
    assert stamp_matches(str(project), str(venv), selection, LOCK(project)) is None


def test_escaped_values_fall_back_to_json(tmp_path: Path) -> None:
    path = tmp_path / SYNC_STAMP
    path.write_text(json.dumps({"python": "C:\\py\\python.exe", "n": "1"}, indent=0))
    assert read_stamp(str(path)) == {"python": "C:\\py\\python.exe", "n": "1"}
    os.remove(path)
    assert read_stamp(str(path)) is None


def test_the_same_interpreter_request_keeps_the_stamp_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync made with ``--python X`` (or ``PALLET_PYTHON=X``) stays valid for the same request
    and for no other: the fast path need not run discovery to know the venv is the one asked."""
    monkeypatch.delenv("PALLET_PYTHON", raising=False)
    project = tmp_path / "project"
    site = project / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    python = tmp_path / "python3"
    python.write_text("")
    venv = project / ".venv"
    (venv / "pyvenv.cfg").write_text(f"home = {tmp_path}\nexecutable = {python}\n")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (project / "lock.toml").write_text("lock-version = '1.0'\n")
    lock = LOCK(project)
    write_stamp(str(project), str(venv), lock, selection_text(), str(site), 1, "3.12")
    assert stamp_matches(str(project), str(venv), selection_text(), lock, "3.12") is not None
    assert stamp_matches(str(project), str(venv), selection_text(), lock, "3.11") is None
    assert stamp_matches(str(project), str(venv), selection_text(), lock) is None
    monkeypatch.setenv("PALLET_PYTHON", "3.12")  # the same request, from the environment
    assert stamp_matches(str(project), str(venv), selection_text(), lock) is not None
