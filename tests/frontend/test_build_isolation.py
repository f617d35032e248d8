"""``pallet build`` fills its isolated environment itself: pallet's resolver, the project's
indexes, wheels hard-linked from the store; never pip (issue 13 item 5).

The backend is a wheel built here (``zipback``: PEP 517 hooks writing the wheel with zipfile and
the sdist with tarfile) served only by a loopback index. pip is kept out of the picture: no pip
configuration, and ``PIP_INDEX_URL`` points at a dead port, so a pip asked for anything fails.
The backend records what it saw (is pip importable, its own file's inode, a dynamic requirement's
value) in the wheel it writes.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import tomllib
from packaging.markers import default_environment
from packaging.metadata import Metadata
from packaging.pylock import Pylock
from packaging.utils import parse_wheel_filename
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer
from support.zipback import BACKEND

REPO = Path(__file__).resolve().parents[2]


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    dists = tmp_path_factory.mktemp("build-index")
    make_wheel(dists, "zipback", "1.0", files={"zipback/__init__.py": BACKEND})
    make_wheel(dists, "helperdep", "1.0", files={"helperdep/__init__.py": "VALUE = 'one'\n"})
    make_wheel(dists, "helperdep", "2.0", files={"helperdep/__init__.py": "VALUE = 'two'\n"})
    # static PKG-INFO (PEP 643): locking reads it; only sync builds it
    make_sdist(dists, "sdistonly", "1.0", build_requires=["helperdep==1.0"], metadata_version="2.2")
    with IndexServer(dists) as server:
        yield server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No pip configuration and a pip index that does not answer: pip cannot install a thing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PALLET_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=f"http://127.0.0.1:{_dead_port()}/simple",
        PALLET_CACHE_DIR=str(tmp_path / "cache"),
        PALLET_NO_PROGRESS="1",
        PALLET_PYTHON=sys.executable,
    )
    return env


def _project(root: Path, index_url: str | None, requires: str, dynamic: str = "") -> Path:
    root.mkdir()
    (root / "src").mkdir()
    (root / "src" / "demo_app.py").write_text("ANSWER = 42\n", encoding="utf-8")
    text = (
        f'[build-system]\nrequires = ["{requires}"]\nbuild-backend = "zipback"\n\n'
        '[project]\nname = "demo-app"\nversion = "0.1"\nrequires-python = ">=3.11"\n'
    )
    if dynamic:
        text += f'\n[tool.zipback]\nrequires = ["{dynamic}"]\n'
    if index_url:
        text += f'\n[[tool.pallet.index]]\nname = "local"\nurl = "{index_url}"\ndefault = true\n'
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


def _build(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pallet", "build", str(project), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_build_installs_the_backend_from_the_store_without_pip(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    project = _project(tmp_path / "demo", index.url, "zipback>=1", dynamic="helperdep==2.0")
    proc = _build(project, env)
    assert proc.returncode == 0, proc.stderr
    dist = project / "dist"
    assert sorted(p.name for p in dist.iterdir()) == [
        "demo_app-0.1-py3-none-any.whl",
        "demo_app-0.1.tar.gz",
    ]
    wheel = dist / "demo_app-0.1-py3-none-any.whl"
    assert parse_wheel_filename(wheel.name)[:2] == ("demo-app", parse_wheel_filename(wheel.name)[1])
    with zipfile.ZipFile(wheel) as zf:
        seen = json.loads(zf.read("_seen.json"))
        metadata = Metadata.from_email(zf.read("demo_app-0.1.dist-info/METADATA"))
    assert (metadata.name, str(metadata.version)) == ("demo-app", "0.1")
    assert seen["pip"] is False  # no pip in the isolated environment
    assert seen["helperdep==2.0"] == "two"  # the dynamic get_requires_for_build_wheel round
    # the backend's module was a hard link of the store's unpacked copy
    stored = list((tmp_path / "cache").glob("unpacked-v1/**/zipback/__init__.py"))
    assert len(stored) == 1
    assert os.stat(stored[0]).st_ino == seen["backend_inode"]
    assert seen["backend_links"] >= 2
    # and no build environment is left behind
    assert not any((tmp_path / "cache" / "build-envs-v1").iterdir())

    # pip installs the wheel built (from the wheelhouse-less wheel itself, no index)
    target = tmp_path / "target"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    pip_env = {**env, "PIP_NO_INDEX": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install",
         "--no-deps", str(wheel)],
        check=True, env=pip_env, capture_output=True,
    )  # fmt: skip
    out = subprocess.run(
        [str(target / "bin" / "python"), "-c", "import demo_app; print(demo_app.ANSWER)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "42"

    # a second build resolves nothing: the cached lock, the index not asked again
    index.clear()
    again = _build(project, env, "--wheel", "-o", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr
    assert not index.requests_for("/simple/zipback/")


def test_build_uses_pallet_index_url(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    project = _project(tmp_path / "demo", None, "zipback")
    proc = _build(project, {**env, "PALLET_INDEX_URL": index.url}, "--wheel")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (project / "dist").iterdir()] == ["demo_app-0.1-py3-none-any.whl"]


def test_unsatisfiable_build_requirement_is_one_line(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    project = _project(tmp_path / "demo", index.url, "zipback>=5")
    proc = _build(project, env)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: {project}: installing the build requirements failed: ")
    assert "zipback>=5" in lines[-1]
    assert [line for line in lines if line.startswith("error")] == lines[-1:]
    assert "Traceback" not in proc.stderr


def test_unsatisfiable_dynamic_requirement(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    project = _project(tmp_path / "demo", index.url, "zipback", dynamic="helperdep==9")
    proc = _build(project, env, "--wheel")
    assert proc.returncode == 1
    assert "helperdep==9" in proc.stderr.strip().splitlines()[-1]


def test_index_down_is_exit_3(env: dict[str, str], tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{_dead_port()}/simple"
    project = _project(tmp_path / "demo", dead, "zipback")
    proc = _build(project, {**env, "PALLET_HTTP_RETRIES": "0"}, "--wheel")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr


def test_sync_builds_an_sdist_with_build_requirements_from_the_store(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    """pallet sync's sdist builds (a project naming its indexes) fill their environments the
    same way: the build requirement resolved into a cached build lock, no pip."""
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["sdistonly"]\n\n'
        f'[[tool.pallet.index]]\nname = "local"\nurl = "{index.url}"\ndefault = true\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pallet", "sync"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert list(project.glob(".venv/lib/python*/site-packages/sdistonly-1.0.dist-info"))
    locks = list((tmp_path / "cache").glob("build-locks-v1/*/pylock.toml"))
    assert len(locks) == 1
    assert 'name = "helperdep"\nversion = "1.0"' in locks[0].read_text(encoding="utf-8")
    # resolved for the build interpreter's platform only, as a PEP 751 lock says so
    pylock = Pylock.from_dict(tomllib.loads(locks[0].read_text(encoding="utf-8")))
    assert pylock.environments is not None and len(pylock.environments) == 1
    assert pylock.environments[0].evaluate(cast("dict[str, str]", default_environment()))


def test_read_only_cache_still_builds_a_self_provided_project(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Nothing to install (pallet-core comes from pallet itself): a cache pallet cannot write
    to is no reason to fail; the environment goes to the system's temp folder instead."""
    from support.unprivileged import unprivileged_prefix

    project = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "hello", project, ignore=shutil.ignore_patterns("dist"))
    cache = tmp_path / "ro-cache"
    cache.mkdir(mode=0o555)
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    proc = subprocess.run(
        [*unprivileged_prefix(), sys.executable, "-m", "pallet", "build", str(project),
         "-o", str(out)],
        capture_output=True, text=True, check=False, timeout=120,
        env={**env, "PALLET_CACHE_DIR": str(cache)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "hello_pallet-1.0.0-py3-none-any.whl",
        "hello_pallet-1.0.0.tar.gz",
    ]
    assert list(cache.iterdir()) == []


OTHER_PYTHON = Path("/usr/bin/python3.11")


@pytest.mark.skipif(not OTHER_PYTHON.is_file(), reason="no second interpreter")
def test_build_interpreter_is_the_requested_one(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    """--python picks the build interpreter, not the one running pallet; the hooks ran in a
    venv of it (what that interpreter itself reports: its version and base prefix)."""
    code = "import sys; print(sys.version); print(sys.base_prefix)"
    expected = subprocess.run(
        [str(OTHER_PYTHON), "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    if expected[0] == sys.version:
        pytest.skip("the second interpreter is the one running the tests")
    project = _project(tmp_path / "demo", index.url, "zipback")
    proc = _build(project, env, "--wheel", "--python", str(OTHER_PYTHON))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(project / "dist" / "demo_app-0.1-py3-none-any.whl") as zf:
        seen = json.loads(zf.read("_seen.json"))
    assert seen["python"] == expected[:2]
