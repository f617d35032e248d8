"""``pallet lock`` as a user meets it: broken lock files, unusable paths, what it prints (warnings,
summaries, the progress line) and the Python floor of a project without requires-python.

pallet runs as a subprocess against a loopback index of test-built wheels.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pallet.lock.stamp import LOCK_FORMAT
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import run_pallet_lock
from support.unprivileged import unprivileged_prefix

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
{python}dependencies = ["foo", "bar"]

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
"""
#: modules the up-to-date check must not import (the ~100 ms it used to spend)
NOT_ON_FAST_PATH = ("packaging", "urllib3", "resolvelib", "pallet.index", "pallet.resolve")


@pytest.fixture
def index(tmp_path: Path) -> Iterator[IndexServer]:
    folder = tmp_path / "dists"
    make_wheel(folder, "foo", "1.0", requires_dist=["bar"])
    make_wheel(folder, "bar", "1.0")
    make_wheel(folder, "bar", "2.0")
    make_wheel(folder, "baz", "1.0")
    with IndexServer(folder) as server:
        yield server


def write_project(root: Path, url: str, python: str | None = ">=3.12", extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    line = f'requires-python = "{python}"\n' if python else ""
    text = PYPROJECT.format(python=line, url=url) + extra
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path, index: IndexServer) -> Path:
    return write_project(tmp_path / "project", index.url)


def pallet(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_pallet_lock(project, env, *args, timeout=300)


def lock_text(project: Path) -> str:
    return (project / "pylock.toml").read_text(encoding="utf-8")


def locked(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(lock_text(project))
    return data


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr


# -- a broken lock is never "up to date" -------------------------------------------------------


def _conflicted(text: str) -> str:
    """What git leaves after a conflict on bar's version (both sides kept, markers between)."""
    ours = text.split('name = "bar"\nversion = "2.0"\n', 1)
    assert len(ours) == 2
    return (
        ours[0]
        + 'name = "bar"\n<<<<<<< HEAD\nversion = "2.0"\n=======\nversion = "1.0"\n'
        + ">>>>>>> feature\n"
        + ours[1]
    )


def _truncated(text: str) -> str:
    """The packages cut in the middle of a table, pallet's tail still in place."""
    body, tail = text.split("\n[tool.pallet]\n")
    return body[: len(body) // 2] + "\n[tool.pallet]\n" + tail


def _hash_removed(text: str) -> str:
    return re.sub(r"hashes = \{ sha256 = \"[0-9a-f]+\" \}", "hashes = {}", text, count=1)


BREAKAGES = {
    "conflict-markers": _conflicted,
    "truncated": _truncated,
    "hash-removed": _hash_removed,
}
#: what --check says of each (validate_lock's words, one "pylock.toml:" prefix)
CHECK_SAYS = {
    "conflict-markers": "error: pylock.toml: invalid TOML",
    "truncated": "error: pylock.toml: invalid TOML",
    "hash-removed": "hashes: at least one hash is required",
}


@pytest.mark.parametrize("case", sorted(BREAKAGES))
def test_broken_lock_is_never_up_to_date(project: Path, env: dict[str, str], case: str) -> None:
    assert pallet(project, env).returncode == 0
    good = lock_text(project)
    (project / "pylock.toml").write_text(BREAKAGES[case](good), encoding="utf-8")

    check = pallet(project, env, "--check")
    assert check.returncode == 1, check.stderr
    assert CHECK_SAYS[case] in check.stderr
    assert "pylock.toml: pylock.toml" not in check.stderr  # the prefix is not doubled
    no_traceback(check)

    proc = pallet(project, env)
    assert proc.returncode == 0, proc.stderr
    assert "Lock is up to date" not in proc.stderr
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    # a merge-conflicted lock keeps the pins of its sides (both are the good lock here)
    said = "keeping the pins of both sides" if case == "conflict-markers" else "from scratch"
    assert len(warning) == 1 and said in warning[0], proc.stderr
    assert "was changed since pallet wrote it" not in proc.stderr  # one message is enough
    assert lock_text(project) == good  # the same index gives the same lock again
    assert pallet(project, env, "--check").returncode == 0


def test_hand_edit_is_relocked_keeping_the_pins(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    assert pallet(project, env).returncode == 0
    good = lock_text(project)
    # Still valid PEP 751, but no longer what pallet wrote: re-lock (with its pins) and say why.
    (project / "pylock.toml").write_text(good.replace("\n[[packages]]", "\n# hi\n[[packages]]", 1))
    proc = pallet(project, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == (
        "pylock.toml was changed since pallet wrote it; locking again"
    )
    assert lock_text(project) == good


def test_lock_records_a_digest_of_its_own_text(project: Path, env: dict[str, str]) -> None:
    assert pallet(project, env).returncode == 0
    text = lock_text(project)
    covered = text[: text.rindex("content = ")]
    content = locked(project)["tool"]["pallet"]["content"]
    assert content == "sha256:" + hashlib.sha256(covered.encode("utf-8")).hexdigest()
    pyproject = (project / "pyproject.toml").read_bytes()
    assert locked(project)["tool"]["pallet"]["pyproject"] == (
        "sha256:" + hashlib.sha256(b"pallet lock format %d\n" % LOCK_FORMAT + pyproject).hexdigest()
    )


def test_unrelated_edit_is_up_to_date_without_rewriting(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    assert pallet(project, env).returncode == 0
    before = lock_text(project)
    assert "tomllib" not in _modules_of_up_to_date(project, env)  # same bytes: no TOML parsed
    path = project / "pyproject.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('version = "1.0"', 'version = "1.1"')
        + "\n[tool.ruff]\nline-length = 99\n"
    )
    index.clear()
    proc = pallet(project, env)
    assert (proc.returncode, proc.stderr) == (0, "Lock is up to date\n")
    assert lock_text(project) == before  # no churn in the lock for an unrelated edit
    assert index.count() == 0
    modules = _modules_of_up_to_date(project, env)
    assert "tomllib" in modules or "tomli" in modules  # parsed, to compare the raw inputs
    assert [m for m in modules if m.split(".")[0] in NOT_ON_FAST_PATH] == []


def test_reformatted_pyproject_is_up_to_date_and_fast_again(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    assert pallet(project, env).returncode == 0
    before = locked(project)
    path = project / "pyproject.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('["foo", "bar"]', '[\n  "Bar",\n  "foo",\n]')
    )
    index.clear()
    proc = pallet(project, env)
    assert (proc.returncode, proc.stderr) == (0, "Lock is up to date\n")
    assert index.count() == 0
    after = locked(project)
    assert after["packages"] == before["packages"]
    # the new spelling is recorded, so the next run takes the fast path
    assert after["tool"]["pallet"]["raw-inputs"] != before["tool"]["pallet"]["raw-inputs"]
    assert _fast_path_modules(project, env) == []


def _fast_path_modules(project: Path, env: dict[str, str]) -> list[str]:
    """Heavy modules loaded by an up-to-date ``pallet lock`` (run in a fresh interpreter)."""
    modules = _modules_of_up_to_date(project, env)
    return [m for m in modules if m.split(".")[0] in NOT_ON_FAST_PATH or m in NOT_ON_FAST_PATH]


def _modules_of_up_to_date(project: Path, env: dict[str, str]) -> list[str]:
    """Every module loaded by an up-to-date ``pallet lock`` (run in a fresh interpreter)."""
    code = (
        "import sys, json\n"
        "from pallet.__main__ import main\n"
        f"rc = main(['lock', '--project', {str(project)!r}])\n"
        "print(json.dumps([rc, sorted(sys.modules)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    rc, modules = json.loads(proc.stdout)
    assert (rc, proc.stderr) == (0, "Lock is up to date\n")
    return list(modules)


def test_up_to_date_imports_no_packaging(project: Path, env: dict[str, str]) -> None:
    assert pallet(project, env).returncode == 0
    assert _fast_path_modules(project, env) == []


# -- one-line errors, found before resolving -----------------------------------------------


def test_lock_file_is_a_folder(project: Path, env: dict[str, str], index: IndexServer) -> None:
    (project / "pylock.toml").mkdir()
    proc = pallet(project, env)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"error: {project / 'pylock.toml'}: is a folder, not a lock file; move it away\n"
    )
    assert index.count() == 0  # found before resolving
    check = pallet(project, env, "--check")
    assert check.returncode == 1
    assert "is a folder" in check.stderr and len(check.stderr.splitlines()) == 1


def test_read_only_project_fails_before_resolving(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    prefix = unprivileged_prefix()
    project.chmod(0o555)
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "pallet", "lock", "--project", str(project)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )
    finally:
        project.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        f"error: {project}: cannot write pylock.toml in this folder: Permission denied\n"
    )
    assert index.count() == 0
    assert not (project / "pylock.toml").exists()


@pytest.mark.parametrize(
    ("tail", "says"),
    [
        ("fingerprint = 3\n", "[tool.pallet] key 'fingerprint' must be a string, not int"),
        (
            'fingerprint = "x"\ninputs = "y"\n',
            "[tool.pallet] key 'inputs' must be a table of strings",
        ),
        ("pallet = 5\n", "[tool.pallet] must be a table, not int"),
    ],
    ids=["fingerprint-int", "inputs-string", "not-a-table"],
)
def test_malformed_pallet_table(project: Path, env: dict[str, str], tail: str, says: str) -> None:
    assert pallet(project, env).returncode == 0
    good = lock_text(project)
    body = good[: good.rindex("\n[tool.pallet]\n") + 1]
    header = "[tool]\n" if tail.startswith("pallet =") else "[tool.pallet]\n"
    (project / "pylock.toml").write_text(body + header + tail, encoding="utf-8")

    check = pallet(project, env, "--check")
    assert check.returncode == 1
    assert check.stderr == f"error: pylock.toml: {says}\nhint: run `pallet lock` to rewrite it\n"

    proc = pallet(project, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(f"warning: pylock.toml: {says}")
    assert proc.stderr.count("\n") == 2  # the warning, then "Locked 2 packages in …"
    assert lock_text(project) == good


# -- what a lock prints ----------------------------------------------------------------------


def test_first_lock_is_a_summary_and_verbose_lists(project: Path, env: dict[str, str]) -> None:
    proc = pallet(project, env)
    assert re.fullmatch(r"Locked 2 packages in \d+\.\d\ds\n", proc.stderr)
    (project / "pylock.toml").unlink()
    proc = pallet(project, env, "-v")
    assert "Added bar 2.0\nAdded foo 1.0\n" in proc.stderr
    # a re-lock lists its changes without -v
    path = project / "pyproject.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"bar"]', '"bar", "baz"]'))
    proc = pallet(project, env)
    assert re.fullmatch(r"Locked 3 packages in \d+\.\d\ds\nAdded baz 1\.0\n", proc.stderr)


def test_options_after_the_sub_command(project: Path, env: dict[str, str]) -> None:
    proc = pallet(project, env, "-q")
    assert (proc.returncode, proc.stderr) == (0, "")
    proc = pallet(project, env, "--quiet")
    assert (proc.returncode, proc.stderr) == (0, "")
    proc = pallet(project, env, "-v")
    assert (proc.returncode, proc.stderr) == (0, "Lock is up to date\n")
    proc = pallet(project, env, "-v", "-q")
    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr


def test_missing_wheel_warning_once_per_entry(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "binonly"
    make_wheel(folder, "fastlib", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64")
    make_wheel(folder, "baz", "1.0")
    with IndexServer(folder) as server:
        root = write_project(tmp_path / "p", server.url, python="==3.12.*")
        pyproject = root / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text(encoding="utf-8").replace('["foo", "bar"]', '["fastlib"]')
        )
        quiet = pallet(root, env, "-q")
        assert (quiet.returncode, quiet.stderr) == (0, "")  # -q hides warnings
        (root / "pylock.toml").unlink()
        first = pallet(root, env)
        assert first.stderr.count("warning: fastlib 1.0 has no sdist and no wheel") == 1
        # a re-lock for another reason does not repeat it: the entry did not change
        pyproject.write_text(
            pyproject.read_text(encoding="utf-8").replace('["fastlib"]', '["fastlib", "baz"]')
        )
        again = pallet(root, env)
    assert again.returncode == 0, again.stderr
    assert "warning" not in again.stderr
    assert "Added baz 1.0" in again.stderr


def _pty_run(args: list[str], env: dict[str, str]) -> str:
    """Run pallet with stderr on a pseudo-terminal; everything it wrote there."""
    pty = pytest.importorskip("pty")
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=secondary, env=env, stdin=subprocess.DEVNULL
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_progress_line_on_a_terminal_only(tmp_path: Path, env: dict[str, str]) -> None:
    """A slow index: the status line appears on a terminal, erased at the end; nothing when
    stderr is a pipe or PALLET_NO_PROGRESS is set."""
    folder = tmp_path / "dists"
    make_wheel(folder, "foo", "1.0")
    with IndexServer(folder, delay=0.8) as server:
        root = write_project(tmp_path / "p", server.url)
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(', "bar"', ""))
        cmd = [sys.executable, "-m", "pallet", "lock", "--project", str(root)]
        shown = _pty_run(cmd, env)
        assert re.search(
            r"\r\x1b\[KResolving: \d+ projects, \d+ metadata reads \(\d+\.\ds\)", shown
        )
        assert "Locked 1 package in" in shown
        # erased before the summary: the summary starts on a clean line
        assert re.search(r"\r\x1b\[KLocked 1 package in", shown)
        (root / "pylock.toml").unlink()
        off = _pty_run(cmd, {**env, "PALLET_NO_PROGRESS": "1"})
        assert "Resolving" not in off and "\x1b[K" not in off
        (root / "pylock.toml").unlink()
        piped = pallet(root, env)
    assert re.fullmatch(r"Locked 1 package in \d+\.\d\ds\n", piped.stderr)


# -- no requires-python ------------------------------------------------------------------------


def _fake_interpreters(folder: Path, *names: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        exe = folder / name
        exe.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
        exe.chmod(0o755)
    return str(folder)


def _machine(env: dict[str, str], tmp_path: Path, *names: str) -> dict[str, str]:
    """`env` on a machine whose only Pythons are `names` (on PATH; no pyenv)."""
    bin_dir = _fake_interpreters(tmp_path / f"bin-{'-'.join(names) or 'none'}", *names)
    return {
        **env,
        "PATH": bin_dir,
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
        "HOME": str(tmp_path / "home"),
    }


def test_no_requires_python_uses_the_classifiers(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    classifiers = '\n[project.urls]\nx = "https://example.invalid"\n'  # unrelated table in between
    root = write_project(tmp_path / "p", index.url, python=None, extra=classifiers)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            'version = "1.0"\n',
            'version = "1.0"\nclassifiers = [\n  "Programming Language :: Python :: 3",\n'
            '  "Programming Language :: Python :: 3.11",\n'
            '  "Programming Language :: Python :: 3.10",\n]\n',
        )
    )
    proc = pallet(root, _machine(env, tmp_path, "python3.8"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(
        "warning: [project] requires-python is not set; locking for >=3.10, the lowest Python "
        "in the project's classifiers (Python :: 3.10); set requires-python in pyproject.toml "
        "to choose\n"
    )
    data = locked(root)
    assert data["requires-python"] == ">=3.10"
    assert "inferred-requires-python" in data["tool"]["pallet"]


def test_no_requires_python_uses_the_machine_and_keeps_it(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    root = write_project(tmp_path / "p", index.url, python=None)
    first_machine = _machine(env, tmp_path, "python3.13", "python3.11", "python3")
    proc = pallet(root, first_machine)
    assert proc.returncode == 0, proc.stderr
    where = tmp_path / "bin-python3.13-python3.11-python3" / "python3.11"
    assert (
        "warning: [project] requires-python is not set; locking for >=3.11, the lowest Python "
        f"3.9+ found on this machine ({where})"
    ) in proc.stderr
    assert locked(root)["requires-python"] == ">=3.11"
    assert locked(root)["tool"]["pallet"]["inferred-requires-python"] == ">=3.11"

    # Another machine (only 3.9), and the inputs change: the floor of the lock stays.
    other_machine = _machine(env, tmp_path, "python3.9")
    assert pallet(root, other_machine).stderr == "Lock is up to date\n"
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('"bar"]', '"bar", "baz"]'))
    proc = pallet(root, other_machine)
    assert proc.returncode == 0, proc.stderr
    assert "locking for >=3.11, as inferred when pylock.toml was first written" in proc.stderr
    assert locked(root)["requires-python"] == ">=3.11"
    assert pallet(root, other_machine, "--check").returncode == 0


def test_pyenv_versions_count(tmp_path: Path, env: dict[str, str], index: IndexServer) -> None:
    root = write_project(tmp_path / "p", index.url, python=None)
    machine = _machine(env, tmp_path)
    pyenv = tmp_path / "pyenv"
    for version in ("3.12.1", "3.10.13", "2.7.18", "miniconda3-latest"):
        _fake_interpreters(pyenv / "versions" / version / "bin", "python3")
    proc = pallet(root, {**machine, "PYENV_ROOT": str(pyenv)})
    assert proc.returncode == 0, proc.stderr
    assert (
        f"locking for >=3.10, the lowest Python 3.9+ found on this machine ({pyenv}" in proc.stderr
    )


def test_no_requires_python_and_no_interpreter_is_refused(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    root = write_project(tmp_path / "p", index.url, python=None)
    proc = pallet(root, _machine(env, tmp_path))
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: pyproject.toml: [project] requires-python is not set, the classifiers name no "
        "'Programming Language :: Python :: 3.X' and no python3.X interpreter (X >= 9) was found "
        'on PATH or in pyenv; add e.g. requires-python = ">=3.10" to [project]\n'
    )
    assert index.count() == 0
    assert not (root / "pylock.toml").exists()
