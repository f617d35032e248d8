"""``pallet sync`` checked by other tools: locks written by uv and pip install, and what pallet
installs is what pip sees, what ``pip check`` accepts and what uv installs from the same lock.

Everything is real: a loopback index of test-built wheels, ``python -m pallet sync`` as a
subprocess, ``uv lock`` / ``uv export --format pylock.toml`` / ``uv pip install -r pylock.toml``
(uv from the test venv), and pip (``pip lock``, ``pip list --format=json``, ``pip check``) from
the test venv aimed at the synced environment with ``--python``. The expected sets come from uv,
pip and ``packaging.pylock`` (PEP 751's selection), never from pallet.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import pylock_selection, run_pallet_lock, uv_env, uv_install

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

UV = Path(sys.executable).parent / "uv"
TIMEOUT = 300

PYPROJECT = """\
[project]
name = "interop"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1", "zeta; sys_platform == 'win32'"]

[project.optional-dependencies]
fast = ["delta"]

[dependency-groups]
test = ["gamma"]

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """alpha needs beta (2.0 is newest) and, only on Windows, colorama; delta and gamma are
    leaves behind an extra and a group; zeta only on Windows."""
    folder = tmp_path_factory.mktemp("interop-dists")
    make_wheel(folder, "alpha", "1.0", requires_dist=["beta>=1", "colorama; os_name == 'nt'"])
    make_wheel(folder, "beta", "1.0")
    make_wheel(folder, "beta", "2.0", files={"beta/__init__.py": "VERSION = '2.0'\n"})
    make_wheel(folder, "colorama", "0.4.6")
    make_wheel(folder, "delta", "1.0", requires_dist=["beta"])
    make_wheel(folder, "gamma", "3.1")
    make_wheel(folder, "zeta", "1.0")
    with IndexServer(folder) as server:
        yield server


@pytest.fixture
def env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """pallet's environment with a short interpreter search: this venv's bin and the system's
    (no pyenv), so that ``--python`` is found without probing every Python on the machine."""
    bin_dir = str(Path(sys.executable).parent)
    return {
        **env,
        "PATH": os.pathsep.join([bin_dir, "/usr/bin", "/bin"]),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
    }


@pytest.fixture
def project(tmp_path: Path, index: IndexServer) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(url=index.url), encoding="utf-8")
    return root


def _run(
    args: Sequence[str | Path], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=TIMEOUT,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def pallet_sync(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pallet sync`` for this interpreter, in ``cwd``; must succeed."""
    cmd = [sys.executable, "-m", "pallet", "sync", "--python", sys.executable, *args]
    proc = _run(cmd, env, cwd)
    assert proc.returncode == 0, f"pallet sync {args}: exit {proc.returncode}\n{proc.stderr}"
    return proc


def pip(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The test venv's pip, aimed at ``venv`` (``--python``), with no configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", NO_COLOR="1")
    cmd = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), *args]
    return _run(cmd, env, venv.parent)


def pip_list(venv: Path) -> dict[str, str]:
    """``pip list --format=json`` of the venv: lower-case name -> version (pip itself aside)."""
    proc = pip(venv, "list", "--format=json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    return {row["name"].lower(): row["version"] for row in rows if row["name"] != "pip"}


def assert_pip_check(venv: Path) -> None:
    proc = pip(venv, "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No broken requirements found." in proc.stdout


def read_lock(path: Path) -> dict[str, object]:
    with open(path, "rb") as f:
        return tomllib.load(f)


def test_a_lock_exported_by_uv_installs_as_uv_installs_it(
    tmp_path: Path, project: Path, index: IndexServer, env: dict[str, str]
) -> None:
    uv = uv_env(tmp_path)
    del uv["UV_NO_INDEX"]  # uv lock reads the index; the export and installs need none
    lock_proc = _run([UV, "lock", "--default-index", index.url], uv, project)
    assert lock_proc.returncode == 0, lock_proc.stderr
    export = [UV, "export", "--format", "pylock.toml", "--frozen", "--no-emit-project"]
    export += ["--all-extras", "--group", "test", "-o", "pylock.toml"]
    export_proc = _run(export, uv, project)
    assert export_proc.returncode == 0, export_proc.stderr
    (project / "uv.lock").unlink()  # what pallet gets is the PEP 751 file alone
    lock = project / "pylock.toml"
    assert read_lock(lock).get("created-by") == "uv"

    pallet_sync(project, env, "--lock", str(lock))
    by_pallet = pip_list(project / ".venv")
    by_uv = uv_install(UV, tmp_path / "uv-side", lock, timeout=TIMEOUT)
    assert by_pallet == by_uv
    # uv's export writes the extra and the group in unconditionally; the Windows-only ones
    # carry their markers and stay out here
    assert by_pallet == {"alpha": "1.0", "beta": "2.0", "delta": "1.0", "gamma": "3.1"}
    assert_pip_check(project / ".venv")


def test_pallet_sync_installs_the_locks_selection_and_pip_check_passes(
    tmp_path: Path, project: Path, env: dict[str, str]
) -> None:
    locked = run_pallet_lock(project, env, timeout=TIMEOUT)
    assert locked.returncode == 0, locked.stderr
    lock = read_lock(project / "pylock.toml")
    defaults = lock.get("default-groups", [])
    assert isinstance(defaults, list)

    pallet_sync(project, env)
    venv = project / ".venv"
    assert pip_list(venv) == pylock_selection(lock, [], None)
    assert pip_list(venv) == {"alpha": "1.0", "beta": "2.0"}
    assert_pip_check(venv)
    lock_path = project / "pylock.toml"
    assert uv_install(UV, tmp_path / "uv-side", lock_path, timeout=TIMEOUT) == pip_list(venv)

    pallet_sync(project, env, "--extra", "fast", "--group", "test")
    wanted = pylock_selection(lock, ["fast"], [*defaults, "test"])
    assert pip_list(venv) == wanted
    assert set(wanted) == {"alpha", "beta", "delta", "gamma"}
    assert_pip_check(venv)

    pallet_sync(project, env)  # exact: the extra and the group go again
    assert pip_list(venv) == pylock_selection(lock, [], None)
    assert_pip_check(venv)


def test_a_lock_written_by_pip_installs(
    tmp_path: Path, index: IndexServer, env: dict[str, str]
) -> None:
    folder = tmp_path / "from-pip"
    folder.mkdir()
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    pip_env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip_lock = [sys.executable, "-m", "pip", "lock", "--index-url", index.url]
    proc = _run([*pip_lock, "-o", "pylock.toml", "alpha", "delta", "gamma==3.1"], pip_env, folder)
    if "unknown command" in proc.stderr:  # pip < 25.1
        pytest.skip(f"this pip has no `pip lock`: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    lock_path = folder / "pylock.toml"
    lock = read_lock(lock_path)
    assert str(lock.get("created-by", "")).startswith("pip")

    pallet_sync(folder, env, "--lock", str(lock_path))
    venv = folder / ".venv"
    assert pip_list(venv) == pylock_selection(lock, [], None)
    assert pip_list(venv) == {"alpha": "1.0", "beta": "2.0", "delta": "1.0", "gamma": "3.1"}
    assert_pip_check(venv)
    shutil.rmtree(tmp_path / "uv-cache", ignore_errors=True)


PYPY = shutil.which("pypy3")


@pytest.mark.skipif(PYPY is None, reason="pypy3 not on PATH (.ci/run installs it with apt)")
def test_sync_into_a_pypy_venv(tmp_path: Path, project: Path, env: dict[str, str]) -> None:
    """``pallet sync --python pypy3``: a PyPy .venv holding the locked pure-Python wheels,
    importable by PyPy, seen by its importlib.metadata and accepted by ``uv pip check`` (the
    test venv's pip needs Python >= 3.10; Debian's PyPy is 3.9)."""
    assert PYPY is not None
    with open(project / "pyproject.toml", "a", encoding="utf-8") as f:  # the default is CPython
        f.write('\n[tool.pallet.resolution]\nimplementations = ["cpython", "pypy"]\n')
    locked = run_pallet_lock(project, env, timeout=TIMEOUT)
    assert locked.returncode == 0, locked.stderr
    cmd = [sys.executable, "-m", "pallet", "sync", "--python", PYPY]
    proc = _run(cmd, env, project)
    assert proc.returncode == 0, proc.stderr
    python = project / ".venv" / "bin" / "python"
    code = "import sys, beta; print(sys.implementation.name, beta.VERSION)"
    out = _run([python, "-c", code], env, project)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["pypy", "2.0"]
    code = (  # the venv's own site-packages: PyPy's standard library has dist-infos too
        "import json, sysconfig, importlib.metadata as m\n"
        "dists = m.distributions(path=[sysconfig.get_path('purelib')])\n"
        "print(json.dumps(sorted((d.metadata['Name'].lower(), d.version) for d in dists)))"
    )
    out = _run([python, "-c", code], env, project)
    assert out.returncode == 0, out.stderr
    lock = read_lock(project / "pylock.toml")
    assert dict(json.loads(out.stdout)) == {"alpha": "1.0", "beta": "2.0"}
    assert lock["environments"] and any("pypy" in str(m) for m in lock["environments"])
    check = _run([UV, "pip", "check", "--python", python], uv_env(tmp_path), project)
    assert check.returncode == 0, check.stdout + check.stderr
