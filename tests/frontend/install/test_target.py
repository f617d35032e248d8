"""install.target: the markers and tags of an interpreter, read by running it, then cached."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.tags import sys_tags
from pallet.errors import InterpreterError
from pallet.install import target

PY39 = Path.home() / ".pyenv/versions/3.9.18/bin/python3.9"


def test_this_interpreter_matches_packaging_in_process(tmp_path: Path) -> None:
    found = target.target_for(Path(sys.executable), tmp_path)
    assert dict(found.markers) == default_environment()
    assert list(found.tags) == list(sys_tags())


def test_second_query_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = target.target_for(Path(sys.executable), tmp_path)

    def no_run(executable: Path) -> target.Target:
        raise AssertionError("ran the interpreter again")

    monkeypatch.setattr(target, "_run", no_run)
    assert target.target_for(Path(sys.executable), tmp_path) == first


@pytest.mark.skipif(not PY39.exists(), reason="pyenv 3.9 not installed")
def test_another_interpreter_answers_for_itself(tmp_path: Path) -> None:
    found = target.target_for(PY39, tmp_path)
    assert found.markers["python_version"] == "3.9"
    assert str(found.tags[0]).startswith("cp39-cp39-")


def test_not_a_python_is_one_line_error(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho nope >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(InterpreterError, match=r"python: cannot tell its markers .*: nope$"):
        target.target_for(fake, tmp_path / "cache")


PYENV = sorted((Path.home() / ".pyenv/versions").glob("3.1[0-9]*/bin/python3"))


@pytest.mark.parametrize("python", PYENV, ids=lambda p: p.parent.parent.name)
def test_other_interpreters_tags_as_their_own_packaging_says(python: Path, tmp_path: Path) -> None:
    """Expected: packaging.tags.sys_tags() run inside that interpreter (3.10+ imports it)."""
    import json
    import subprocess

    import packaging

    where = str(Path(packaging.__file__).parent.parent)
    code = (
        f"import sys, json; sys.path.append({where!r}); "
        "from packaging.tags import sys_tags; from packaging.markers import default_environment; "
        "print(json.dumps([[str(t) for t in sys_tags()], default_environment()]))"
    )
    out = subprocess.run([python, "-I", "-S", "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    tags, markers = json.loads(out.stdout)
    found = target.target_for(python, tmp_path)
    assert [str(t) for t in found.tags] == tags
    assert dict(found.markers) == markers


def test_venv_interpreter_is_the_probe_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pallet.python.venv import VenvInterpreter

    expected = VenvInterpreter.probe(sys.executable)
    assert target.venv_interpreter_for(Path(sys.executable), tmp_path) == expected

    def no_probe(executable: object) -> VenvInterpreter:
        raise AssertionError("probed again")

    monkeypatch.setattr(VenvInterpreter, "probe", staticmethod(no_probe))
    assert target.venv_interpreter_for(Path(sys.executable), tmp_path) == expected
