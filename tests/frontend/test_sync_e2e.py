"""``pallet sync`` end to end: a loopback index, a project built by pallet-core, pallet as a
subprocess, and pip and uv as the judges of what it installed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.index_server import IndexServer
from support.lock_tools import pylock_selection, uv_install
from support.sync_tools import (
    UV,
    copy_project,
    listing,
    make_dists,
    make_project,
    pallet,
    pip,
    pip_check,
    pip_list,
)

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    with IndexServer(make_dists(tmp_path_factory.mktemp("dists"))) as server:
        yield server


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pallet cache for the module, as on a developer's machine: interpreter facts, the
    archives and the sdist built once are reused by every test (each still has its own venv)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def env(env: dict[str, str], shared_cache: Path) -> dict[str, str]:
    return dict(env, PALLET_CACHE_DIR=str(shared_cache))


@pytest.fixture(scope="module")
def template(
    tmp_path_factory: pytest.TempPathFactory, index: IndexServer, shared_cache: Path
) -> Path:
    """The project, locked once for the module (each test syncs a copy)."""
    import os

    root = make_project(tmp_path_factory.mktemp("template") / "demo", index.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PALLET_"))}
    env.update(PALLET_CACHE_DIR=str(shared_cache), PIP_CONFIG_FILE=os.devnull)
    proc = pallet(root, env, "lock")
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    return copy_project(template, tmp_path / "demo")


def lock_data(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((project / "pylock.toml").read_text(encoding="utf-8"))
    return data


def expected(project: Path, extras: list[str], groups: list[str] | None) -> dict[str, str]:
    """What PEP 751 selects here (packaging.pylock), plus the project itself."""
    return {**pylock_selection(lock_data(project), extras, groups), "demo": "1.0"}


def sync(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = pallet(project, env, "sync", *args)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_fresh_sync_installs_what_pip_and_uv_agree_on(
    project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    proc = sync(project, env)
    venv = project / ".venv"
    assert "Installed 5 packages in" in proc.stderr
    assert pip_list(venv) == expected(project, [], None)
    pip_check(venv)
    by_uv = uv_install(UV, tmp_path / "uv", project / "pylock.toml", timeout=120)
    assert {k: v for k, v in pip_list(venv).items() if k != "demo"} == by_uv
    # a console script of a dependency runs, with the venv's python in its shebang
    hello = subprocess.run([venv / "bin" / "foo-hello"], capture_output=True, text=True)
    assert hello.stdout == "hello from foo\n"
    assert (venv / "bin" / "foo-hello").read_text().startswith(f"#!{venv}/bin/python")
    info = next((venv / "lib").glob("python*/site-packages/foo-1.0.dist-info"))
    assert (info / "INSTALLER").read_text() == "pallet\n"


def test_resync_is_answered_by_the_fast_path(project: Path, env: dict[str, str]) -> None:
    sync(project, env)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pallet", "sync"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "pallet.cli.uptodate" in imported
    assert not {"packaging", "argparse", "json", "pallet.install.sync"} & imported
    assert "Audited 5 packages in" in proc.stderr


def test_exact_sync_removes_what_pip_added_and_inexact_keeps_it(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    sync(project, env)
    venv = project / ".venv"
    added = pip(venv, "install", "--index-url", index.url, "six==1.16.0")
    assert added.returncode == 0, added.stderr
    proc = sync(project, env, "--inexact", "-v")
    assert "six" in pip_list(venv)
    assert "- six" not in proc.stderr
    proc = sync(project, env, "-v")
    assert "- six 1.16.0" in proc.stderr.splitlines()
    assert pip_list(venv) == expected(project, [], None)
    pip_check(venv)


def test_pip_installed_package_at_the_locked_version_is_not_churned(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    sync(project, env, "--no-dev")
    venv = project / ".venv"
    assert "linty" not in pip_list(venv)
    assert pip(venv, "install", "--index-url", index.url, "linty==0.5").returncode == 0
    proc = sync(project, env, "-v")
    assert "linty" not in proc.stderr  # installed by pip at the locked version: left alone
    info = next((venv / "lib").glob("python*/site-packages/linty-0.5.dist-info"))
    assert (info / "INSTALLER").read_text() == "pip\n"


@pytest.mark.parametrize(
    ("flags", "extras", "groups", "with_project"),
    [
        (["--extra", "cli"], ["cli"], None, True),
        (["--all-extras", "--group", "test"], ["cli"], ["dev", "test"], True),
        (["--no-dev"], [], [], True),
        (["--no-group", "dev", "--no-install-project"], [], [], False),
        (["--only-group", "test"], [], ["test"], False),
    ],
)
def test_extras_and_groups(
    project: Path,
    env: dict[str, str],
    flags: list[str],
    extras: list[str],
    groups: list[str] | None,
    with_project: bool,
) -> None:
    sync(project, env, *flags)
    want = expected(project, extras, groups)
    if not with_project:
        del want["demo"]
    assert pip_list(project / ".venv") == want
    pip_check(project / ".venv") if with_project else None
    # the same flags again: the fast path knows them
    again = sync(project, env, *flags)
    assert "Audited" in again.stderr


def test_editable_project_sees_a_source_edit(project: Path, env: dict[str, str]) -> None:
    sync(project, env)
    python = project / ".venv" / "bin" / "python"
    code = "import demo; print(demo.VALUE)"
    assert subprocess.run([python, "-c", code], capture_output=True, text=True).stdout == "1\n"
    (project / "src" / "demo" / "__init__.py").write_text("VALUE = 2\n", encoding="utf-8")
    assert subprocess.run([python, "-c", code], capture_output=True, text=True).stdout == "2\n"
    info = next((project / ".venv" / "lib").glob("python*/site-packages/demo-1.0.dist-info"))
    direct = json.loads((info / "direct_url.json").read_text())
    assert direct == {"url": project.resolve().as_uri(), "dir_info": {"editable": True}}
    assert (info / "REQUESTED").exists()


def test_pyproject_edit_rebuilds_the_editable_project(project: Path, env: dict[str, str]) -> None:
    sync(project, env)
    path = project / "pyproject.toml"
    path.write_text(path.read_text().replace('version = "1.0"', 'version = "1.1"'))
    proc = sync(project, env, "-v")
    assert "~ demo 1.0 -> 1.1" in proc.stderr.splitlines()
    assert pip_list(project / ".venv")["demo"] == "1.1"


def test_locked_refuses_a_stale_lock_and_frozen_uses_it(project: Path, env: dict[str, str]) -> None:
    path = project / "pyproject.toml"
    path.write_text(path.read_text().replace('["foo", "baz"]', '["foo", "baz", "six"]'))
    proc = pallet(project, env, "sync", "--locked")
    assert proc.returncode == 1
    assert "--locked: pylock.toml is out of date" in proc.stderr
    assert not (project / ".venv").exists()
    sync(project, env, "--frozen")
    assert "six" not in pip_list(project / ".venv")
    sync(project, env)  # locks first, then installs six
    assert pip_list(project / ".venv")["six"] == "1.16.0"


def test_missing_lock_is_made_first(project: Path, env: dict[str, str]) -> None:
    (project / "pylock.toml").unlink()
    proc = sync(project, env)
    assert "Locked 6 packages" in proc.stderr
    assert pip_list(project / ".venv") == expected(project, [], None)


def test_dry_run_changes_nothing(project: Path, env: dict[str, str], index: IndexServer) -> None:
    proc = sync(project, env, "--dry-run")
    assert proc.stdout.splitlines() == [
        "+ bar 2.0",
        "+ baz 1.0",
        "+ demo (built)",
        "+ foo 1.0",
        "+ linty 0.5",
    ]
    assert not (project / ".venv").exists()
    sync(project, env)
    venv = project / ".venv"
    assert pip(venv, "install", "--index-url", index.url, "six==1.16.0").returncode == 0
    before = listing(venv)
    proc = sync(project, env, "--dry-run", "--extra", "cli")
    assert proc.stdout.splitlines() == ["+ clicky 1.0", "- six 1.16.0"]
    assert listing(venv) == before


def test_lock_option_installs_another_lock_file(
    project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """A named lock (PEP 751 pylock.<name>.toml) written by uv from the same requirements."""
    other = project / "pylock.other.toml"
    text = (project / "pylock.toml").read_text()
    other.write_text(text)
    sync(project, env, "--lock", str(other), "--no-install-project")
    assert pip_list(project / ".venv") == pylock_selection(lock_data(project), [], None)
    assert not (project / ".venv" / ".pallet-sync.json").read_text().count('pylock.toml"')


def test_offline_from_a_warm_cache(project: Path, env: dict[str, str], tmp_path: Path) -> None:
    env = dict(env, PALLET_CACHE_DIR=str(tmp_path / "cache"))
    sync(project, env)
    second = copy_project(project, tmp_path / "second")
    proc = sync(second, env, "--offline")
    assert pip_list(second / ".venv") == expected(second, [], None)
    assert "Installed 5 packages" in proc.stderr
    cold = dict(env, PALLET_CACHE_DIR=str(tmp_path / "cold"))
    third = copy_project(project, tmp_path / "third")
    proc = pallet(third, cold, "sync", "--offline", "--frozen", "--no-install-project")
    assert proc.returncode == 1
    assert "foo-1.0-py3-none-any.whl" in proc.stderr


def test_the_store_keeps_wheels_unpacked_only(
    project: Path, env: dict[str, str], tmp_path: Path, index: IndexServer
) -> None:
    cache = tmp_path / "cache"
    env = dict(env, PALLET_CACHE_DIR=str(cache))
    sync(project, env)
    wheels = {
        w["hashes"]["sha256"]
        for p in lock_data(project)["packages"]
        for w in p.get("wheels", [])
        if p["name"] in expected(project, [], None)
    }
    assert wheels
    # each installed wheel's tree is in unpacked-v1 under its hash; its archive is gone
    assert {p.parent.name for p in (cache / "unpacked-v1").glob("*/*/.pallet-unpacked.json")} >= (
        wheels
    )
    assert not [p for p in (cache / "archives-v1").rglob("*.whl") if p.parent.name in wheels]
    # a second environment takes them from the trees: no file is requested again
    index.clear()
    second = copy_project(project, tmp_path / "second")
    sync(second, env)
    assert pip_list(second / ".venv") == expected(second, [], None)
    assert not index.requests_for("/files/")


def uv_tool_env(tmp_path: Path, index: IndexServer) -> dict[str, str]:
    from support.lock_tools import uv_env

    out = uv_env(tmp_path)
    del out["UV_NO_INDEX"]
    out["UV_DEFAULT_INDEX"] = index.url
    return out


def test_a_lock_by_uv_export_installs(
    project: Path, env: dict[str, str], tmp_path: Path, index: IndexServer
) -> None:
    """uv lock, then ``uv export --format pylock.toml``: the project itself is a directory
    entry (``path = "."``, editable) there, which pallet builds through its backend."""
    uv = uv_tool_env(tmp_path, index)
    for args in (["lock"], ["export", "--format", "pylock.toml", "-o", "pylock.uv.toml"]):
        proc = subprocess.run(
            [UV, *args, "--python", sys.executable],
            cwd=project,
            env=uv,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
    sync(project, env, "--lock", "pylock.uv.toml")
    venv = project / ".venv"
    data = tomllib.loads((project / "pylock.uv.toml").read_text(encoding="utf-8"))
    from packaging.pylock import Pylock

    selected = {str(p.name): str(p.version or "1.0") for p, _ in Pylock.from_dict(data).select()}
    assert pip_list(venv) == selected
    pip_check(venv)
    info = next((venv / "lib").glob("python*/site-packages/demo-1.0.dist-info"))
    direct = json.loads((info / "direct_url.json").read_text())
    assert direct == {"url": project.resolve().as_uri(), "dir_info": {"editable": True}}


def test_a_lock_by_uv_pip_compile_installs(
    project: Path, env: dict[str, str], tmp_path: Path, index: IndexServer
) -> None:
    (tmp_path / "req.in").write_text("foo\nbaz\n", encoding="utf-8")
    lock = tmp_path / "pylock.toml"
    proc = subprocess.run(
        [UV, "pip", "compile", tmp_path / "req.in", "--format", "pylock.toml", "-o", lock],
        env=uv_tool_env(tmp_path, index),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    sync(project, env, "--lock", str(lock), "--no-install-project")
    assert pip_list(project / ".venv") == {"foo": "1.0", "bar": "2.0", "baz": "1.0"}


def test_link_modes_and_compile(project: Path, env: dict[str, str]) -> None:
    sync(project, env)
    site = next((project / ".venv" / "lib").glob("python*/site-packages"))
    assert (site / "foo" / "__init__.py").stat().st_nlink > 1  # hard-linked from the cache
    assert not (site / "foo" / "__pycache__").exists()
    second = copy_project(project, project.parent / "copied")
    sync(second, env, "--link-mode", "copy", "--compile")
    site = next((second / ".venv" / "lib").glob("python*/site-packages"))
    assert (site / "foo" / "__init__.py").stat().st_nlink == 1
    assert list((site / "foo" / "__pycache__").glob("__init__.*.pyc"))


def test_seeded_environment_keeps_pip(project: Path, env: dict[str, str]) -> None:
    sync(project, env, "--seed", "--no-dev")
    venv = project / ".venv"
    assert "pip" in pip_list(venv)
    proc = sync(project, env, "-v")  # exact, without --seed: pip stays, linty comes
    assert "- pip" not in proc.stderr
    assert {"pip", "linty"} <= set(pip_list(venv))


def test_output_piped_and_quiet(project: Path, env: dict[str, str]) -> None:
    proc = sync(project, env, "--no-dev")
    lines = proc.stderr.splitlines()
    assert lines[-1].startswith("Installed 4 packages in ")  # piped: no per-package lines
    assert not [line for line in lines if line[:2] in ("+ ", "- ", "~ ")]
    assert proc.stdout == ""
    quiet = sync(project, env, "-q")
    assert quiet.stderr == quiet.stdout == ""
    assert "linty" in pip_list(project / ".venv")


PY312 = Path.home() / ".pyenv" / "versions" / "3.12.1" / "bin" / "python3.12"


@pytest.mark.skipif(not PY312.exists(), reason="pyenv 3.12.1 not installed")
def test_python_option_recreates_the_venv_for_that_interpreter(
    project: Path, env: dict[str, str]
) -> None:
    sync(project, env)
    proc = sync(project, env, "--python", str(PY312))
    assert "Recreated" in proc.stderr
    venv = project / ".venv"
    assert "version_info = 3.12.1" in (venv / "pyvenv.cfg").read_text()
    assert pip_list(venv) == expected(project, [], None)
    pip_check(venv)
    code = "import demo, foo, sys; print(sys.version_info[:2], demo.VALUE)"
    run = subprocess.run([venv / "bin" / "python", "-c", code], capture_output=True, text=True)
    assert run.stdout == "(3, 12) 1\n"
    # the same request again takes the fast path (no discovery, no packaging import)
    assert "Audited" in sync(project, env, "--python", str(PY312)).stderr
    assert "Audited" in sync(project, dict(env, PALLET_PYTHON=str(PY312))).stderr
    # the venv keeps 3.12 on the next plain sync (nothing asks for another)
    sync(project, env)
    assert "Audited" in sync(project, env).stderr
    assert "version_info = 3.12.1" in (venv / "pyvenv.cfg").read_text()
