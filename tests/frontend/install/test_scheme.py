"""Scheme.read (no subprocess) against Scheme.for_venv (the probed interpreter) and against what
the venv's own interpreter says (sysconfig), for every Python on this machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pallet.errors import InstallError
from pallet.install.scheme import Scheme
from pallet.python.venv import VenvInterpreter, create_venv

PYENV = Path("/root/.pyenv/versions")
VERSIONS = ["3.9.18", "3.10.13", "3.12.1", "3.13.0"]

_SYSCONFIG = (
    "import json, sys, sysconfig; p = sysconfig.get_paths();"
    "print(json.dumps([p['purelib'], p['platlib'], p['scripts'], sys.executable]))"
)


def _pythons() -> list[pytest.param]:  # type: ignore[valid-type]
    params = [pytest.param(sys.executable, id="running")]
    for version in VERSIONS:
        exe = PYENV / version / "bin" / "python3"
        mark = pytest.mark.skipif(not exe.exists(), reason=f"no {exe}")
        params.append(pytest.param(str(exe), id=version, marks=mark))
    return params


@pytest.mark.parametrize("python", _pythons())
def test_read_agrees_with_the_probe_and_with_sysconfig(tmp_path: Path, python: str) -> None:
    interpreter = VenvInterpreter.probe(python)
    ours = create_venv(tmp_path / "ours", interpreter)
    assert Scheme.read(ours) == Scheme.for_venv(ours, interpreter)
    theirs = tmp_path / "theirs"  # made by the stdlib, not by pallet
    subprocess.run([python, "-m", "venv", "--without-pip", str(theirs)], check=True)
    for root in (ours, theirs):
        scheme = Scheme.read(root)
        out = subprocess.run(
            [str(root / "bin" / "python"), "-c", _SYSCONFIG], capture_output=True, text=True
        )
        purelib, platlib, scripts, executable = json.loads(out.stdout)
        assert (scheme.purelib, scheme.platlib, scheme.scripts) == (
            Path(purelib),
            Path(platlib),
            Path(scripts),
        )
        assert scheme.python == Path(executable)
        assert scheme.python_version == interpreter.version_info[:2]
        major, minor = scheme.python_version
        assert scheme.headers("x") == root / "include" / "site" / f"python{major}.{minor}" / "x"


def test_read_refuses_what_is_not_a_venv(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match=r"pyvenv\.cfg: cannot read this virtual environment"):
        Scheme.read(tmp_path)
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion_info = 3.11.7\n")
    with pytest.raises(InstallError, match="no site-packages folder"):
        Scheme.read(tmp_path)
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    with pytest.raises(InstallError, match="no usable version_info"):
        Scheme.read(tmp_path)
