"""``pallet build``: any PEP 517 backend, isolated, offline for pallet-core projects."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from pallet.pep517 import hook_error_message
from support.unprivileged import unprivileged_prefix

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "fixtures" / "frontend-build"


def pallet_build(
    project: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pallet", "build", str(project), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def offline_env(tool_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """No index at all: anything pallet does not provide itself cannot be installed."""
    env = dict(tool_env)
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    env["PIP_FIND_LINKS"] = str(empty)
    # pallet resolves build requirements from PALLET_INDEX_URL (the projects name no index):
    # an empty local index, never PyPI
    env["PALLET_INDEX_URL"] = empty.as_uri() + "/"
    return env


def test_example_builds_offline_with_self_provided_backend(
    offline_env: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "hello", project, ignore=shutil.ignore_patterns("dist"))
    proc = pallet_build(project, offline_env)
    assert proc.returncode == 0, proc.stderr
    built = sorted(p.name for p in (project / "dist").iterdir())
    assert built == ["hello_pallet-1.0.0-py3-none-any.whl", "hello_pallet-1.0.0.tar.gz"]
    assert proc.stdout.splitlines() == [str(project / "dist" / n) for n in reversed(built)]
    with zipfile.ZipFile(project / "dist" / built[0]) as wheel:
        assert "hello/cli.py" in wheel.namelist()
        metadata = wheel.read("hello_pallet-1.0.0.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata


def test_any_backend_builds(offline_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "custom"
    shutil.copytree(CASES / "custom-backend", project)
    proc = pallet_build(project, offline_env, "--out-dir", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["custom_pkg-2.0-py3-none-any.whl", "custom_pkg-2.0.tar.gz"]
    with tarfile.open(tmp_path / "out" / "custom_pkg-2.0.tar.gz") as tar:
        assert "custom_pkg-2.0/PKG-INFO" in tar.getnames()


def test_wheel_only_and_sdist_only(offline_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "custom"
    shutil.copytree(CASES / "custom-backend", project)
    assert pallet_build(project, offline_env, "--wheel", "-o", str(tmp_path / "w")).returncode == 0
    assert [p.name for p in (tmp_path / "w").iterdir()] == ["custom_pkg-2.0-py3-none-any.whl"]
    assert pallet_build(project, offline_env, "--sdist", "-o", str(tmp_path / "s")).returncode == 0
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["custom_pkg-2.0.tar.gz"]


def test_backend_error_is_shown_without_traceback(
    offline_env: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "broken"
    shutil.copytree(CASES / "broken-metadata", project)
    proc = pallet_build(project, offline_env)
    # a configuration error: exit 2, as for `pallet lock`, before any build environment is made
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(
        f"error: {project / 'pyproject.toml'}: [project] field 'classifiers'"
    )
    assert not (project / "dist").exists() or not any((project / "dist").iterdir())


def test_bad_toml_is_a_config_error(offline_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "custom"
    shutil.copytree(CASES / "custom-backend", project)
    (project / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    proc = pallet_build(project, offline_env)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {project / 'pyproject.toml'}:1:")
    assert "invalid TOML" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_unwritable_output_folder(offline_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "custom"
    shutil.copytree(CASES / "custom-backend", project)
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    proc = pallet_build(project, offline_env, "-o", str(tmp_path / "a-file"))
    assert (proc.returncode, proc.stderr) == (
        2,
        f"error: {tmp_path / 'a-file'}: cannot write the distributions there: is not a folder\n",
    )
    out = tmp_path / "read-only"
    out.mkdir(mode=0o555)
    prefix = unprivileged_prefix()
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "pallet", "build", str(project), "-o", str(out)],
        capture_output=True,
        text=True,
        env=offline_env,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (
        2,
        f"error: {out}: cannot write the distributions there: Permission denied\n",
    )


def test_unsatisfiable_build_requirement_names_the_failure(
    offline_env: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "newer"
    shutil.copytree(CASES / "needs-newer-core", project)
    proc = pallet_build(project, offline_env)
    assert proc.returncode == 1
    assert "installing the build requirements failed" in proc.stderr
    assert "pallet-core>=99" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_pyproject(tmp_path: Path, offline_env: dict[str, str]) -> None:
    proc = pallet_build(tmp_path, offline_env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: {tmp_path / 'pyproject.toml'}: not found; pallet build needs a project "
        "directory with a pyproject.toml"
    )


def test_hook_error_message_reads_the_last_exception() -> None:
    output = (
        "some backend chatter\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "    raise ConfigError(msg)\n"
        "pallet_core.errors.ConfigError: pyproject.toml: [project] field 'name': bad\n"
        "second line of the message\n"
    )
    assert hook_error_message(output) == (
        "pyproject.toml: [project] field 'name': bad\nsecond line of the message"
    )
    assert hook_error_message("only\noutput\n") == "only\noutput"
