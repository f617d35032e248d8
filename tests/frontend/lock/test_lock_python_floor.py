"""pallet.lock.python_floor: the floor of a lock whose project declares no requires-python."""

from __future__ import annotations

from pathlib import Path

import pytest
from pallet.errors import ProjectError
from pallet.lock.python_floor import floor_from_classifiers, infer_requires_python, interpreters


def _exe(path: Path, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_classifiers() -> None:
    assert floor_from_classifiers(None) is None
    assert floor_from_classifiers("Programming Language :: Python :: 3.9") is None  # not a list
    assert floor_from_classifiers(["Programming Language :: Python :: 3"]) is None
    assert (
        floor_from_classifiers(
            [
                "Programming Language :: Python :: 3.12",
                "Programming Language :: Python :: 3.9",
                "Programming Language :: Python :: 3 :: Only",
                "Programming Language :: Python :: Implementation :: CPython",
                "Programming Language :: Python :: 2.7",
                7,
            ]
        )
        == 9
    )


def test_interpreters_by_name_on_path_and_pyenv(tmp_path: Path) -> None:
    first, second = tmp_path / "bin1", tmp_path / "bin2"
    _exe(first / "python3.12")
    _exe(first / "python3.8", mode=0o644)  # not executable: not an interpreter
    (first / "python3.7").mkdir()  # a folder of that name neither
    _exe(first / "python3.12-config")
    _exe(second / "python3.10")
    _exe(second / "python3")  # no minor in the name: would have to be run to know
    pyenv = tmp_path / "pyenv"
    _exe(pyenv / "versions" / "3.11.4" / "bin" / "python3")
    _exe(pyenv / "versions" / "2.7.18" / "bin" / "python3")
    _exe(pyenv / "versions" / "pypy3.10-7.3.12" / "bin" / "python3")
    (pyenv / "versions" / "3.6.15").mkdir()  # no interpreter inside
    path = f"{first}:{second}:{tmp_path / 'missing'}"
    found = interpreters(path, {"PYENV_ROOT": str(pyenv)}, tmp_path / "home")
    assert found == [
        (10, str(second / "python3.10")),
        (11, str(pyenv / "versions" / "3.11.4" / "bin" / "python3")),
        (12, str(first / "python3.12")),
    ]
    # without PYENV_ROOT, ~/.pyenv
    _exe(tmp_path / "home" / ".pyenv" / "versions" / "3.9.1" / "bin" / "python3")
    assert interpreters("", {}, tmp_path / "home")[0][0] == 9


def test_order_of_the_sources(tmp_path: Path) -> None:
    _exe(tmp_path / "bin" / "python3.11")
    machine = {"path": str(tmp_path / "bin"), "env": {}, "home": tmp_path}
    classifiers = ["Programming Language :: Python :: 3.13"]
    assert infer_requires_python(classifiers, ">=3.10", **machine).specifier == ">=3.13"
    assert infer_requires_python([], ">=3.10", **machine).specifier == ">=3.10"
    found = infer_requires_python([], "", **machine)
    assert found.specifier == ">=3.11"
    assert str(tmp_path / "bin" / "python3.11") in found.reason
    with pytest.raises(ProjectError, match="requires-python is not set"):
        infer_requires_python([], "", path="", env={}, home=tmp_path / "nowhere")


def test_end_of_life_interpreters_are_not_a_floor(tmp_path: Path) -> None:
    _exe(tmp_path / "old" / "python3.6")
    _exe(tmp_path / "old" / "python3.8")
    machine = {"path": str(tmp_path / "old"), "env": {}, "home": tmp_path}
    with pytest.raises(ProjectError, match=r"\(X >= 9\)"):
        infer_requires_python([], "", **machine)
    _exe(tmp_path / "new" / "python3.10")
    machine["path"] += f":{tmp_path / 'new'}"
    found = infer_requires_python([], "", **machine)
    assert found.specifier == ">=3.10" and "3.9+" in found.reason
