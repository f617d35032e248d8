"""``pallet version``: show, set and ``--bump`` the project's version in pyproject.toml.

Expected versions come from outside pallet: uv's ``uv version --bump`` (run on a copy of the
project where the two tools agree), uv's documented examples, and PEP 440's order as
`packaging.version` implements it. Edits are checked byte for byte against the original file
with only the version's text replaced, and read back with tomllib (not tomlkit, which wrote
them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from packaging.version import Version
from pallet.cli import version as version_cli
from pallet.cli.main import run as pallet_main
from pallet.errors import PalletError
from pallet.project.version_bump import BUMPS, bump_version
from support.lock_tools import pallet_env

TIMEOUT = 120

COMMENTED = """\
# A file full of comments and odd formatting: only the version may change.
[build-system]
requires = ["pallet-core"]   # the backend
build-backend = "pallet_core.build"

[project]   # PEP 621
name    =   "demo"      # spaced out
# the version follows
version =   '1.2.3'     # literal string, kept literal
description = "version = \\"9.9.9\\" is not the version"
dependencies = [
  # none yet
]

[tool.other]
version = "1.2.3"  # another tool's key of the same name and value: untouched
"""


def _project(tmp_path: Path, text: str, name: str = "proj") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


def _bare(version: str) -> str:
    return f'[project]\nname = "demo"\nversion = "{version}"\n'


def _pallet(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    """``pallet version --project ROOT ARGS`` in this process (as `pallet.cli.main` runs it)."""
    code = pallet_main(["version", "--project", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _read_version(root: Path) -> str:
    with (root / "pyproject.toml").open("rb") as f:
        value: str = tomllib.load(f)["project"]["version"]
    return value


# -- the bump rules ------------------------------------------------------------------------------

#: (current, bumps, expected): the expected values are uv's own documented examples (its
#: ``--bump`` help and the pull request that added pre-release bumps, astral-sh/uv#13578) and
#: PEP 440's normal forms; each is also checked against the uv binary below.
UV_AGREES = [
    ("1.2.3", ["major"], "2.0.0"),
    ("1.2.3", ["minor"], "1.3.0"),
    ("1.2.3", ["patch"], "1.2.4"),
    ("1.2", ["patch"], "1.2.1"),
    ("1.2.3a4.post5.dev6", ["minor"], "1.3.0"),
    ("1.2.3a4.post5.dev6", ["alpha"], "1.2.3a5"),
    ("1.2.3a4.post5.dev6", ["dev"], "1.2.3a4.post5.dev7"),
    ("1.2.3b4.post5.dev6", ["stable"], "1.2.3"),
    ("1.2.3", ["patch", "alpha"], "1.2.4a1"),
    ("1.2.3", ["beta", "minor"], "1.3.0b1"),  # order on the command line does not matter
    ("1.2.3", ["major", "dev"], "2.0.0.dev1"),
    ("1.2.3b4", ["beta"], "1.2.3b5"),
    ("1.2.3a2", ["rc"], "1.2.3rc1"),
    ("1.2.3rc1", ["patch"], "1.2.4"),
    ("1.2.3", ["post"], "1.2.3.post1"),
    ("1.2.3.post5", ["post"], "1.2.3.post6"),
    ("1.2.3.dev4", ["alpha"], "1.2.3a1"),
    ("1!1.2.3", ["minor"], "1!1.3.0"),
    ("2024.5", ["minor"], "2024.6"),
]

#: Where pallet bumps ``patch`` first (uv refuses: the result would be older, PEP 440 ordering
#: 1.3.0b1 before 1.3.0): pallet's answer is uv's answer to ``--bump patch --bump <same>``.
PATCH_FIRST = [
    ("1.3.0", ["beta"], "1.3.1b1"),
    ("1.3.0", ["alpha"], "1.3.1a1"),
    ("1.3.0", ["rc"], "1.3.1rc1"),
    ("1.3.0", ["dev"], "1.3.1.dev1"),
    ("1.3.0.post2", ["rc"], "1.3.1rc1"),
]


def _uv() -> str:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    return uv


def _uv_bump(tmp_path: Path, current: str, bumps: list[str]) -> str:
    """What ``uv version --bump ... --dry-run --short`` answers for a project at ``current``."""
    root = tmp_path / f"uv-{len(list(tmp_path.iterdir()))}"
    root.mkdir()
    (root / "pyproject.toml").write_text(_bare(current))
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(UV_NO_CONFIG="1", UV_OFFLINE="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    flags = [arg for bump in bumps for arg in ("--bump", bump)]
    proc = subprocess.run(
        [_uv(), "version", *flags, "--dry-run", "--short", "--directory", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize(("current", "bumps", "expected"), UV_AGREES)
def test_bump_follows_uv_and_pep440(current: str, bumps: list[str], expected: str) -> None:
    new = bump_version(Version(current), bumps)
    assert str(new) == expected
    assert new > Version(current)  # PEP 440's order, as packaging implements it


@pytest.mark.parametrize(("current", "bumps", "expected"), PATCH_FIRST)
def test_a_prerelease_bump_of_a_final_release_bumps_patch_first(
    current: str, bumps: list[str], expected: str
) -> None:
    old, new = Version(current), bump_version(Version(current), bumps)
    assert str(new) == expected
    assert new > old and new.is_prerelease  # newer, yet a pre-release of the next patch
    assert new.release == (old.major, old.minor, old.micro + 1)


def test_bumps_agree_with_the_uv_binary(tmp_path: Path) -> None:
    """The same answers from uv itself: every case of `UV_AGREES`, and for `PATCH_FIRST` uv's
    answer to the explicit ``--bump patch --bump X``."""
    for current, bumps, expected in UV_AGREES:
        assert _uv_bump(tmp_path, current, bumps) == expected, (current, bumps)
    for current, bumps, expected in PATCH_FIRST:
        assert _uv_bump(tmp_path, current, ["patch", *bumps]) == expected, (current, bumps)


def test_dev_alone_on_a_prerelease_starts_the_next_one() -> None:
    new = bump_version(Version("1.3.1b1"), ["dev"])
    assert new == Version("1.3.1b2.dev1")
    assert Version("1.3.1b1") < new < Version("1.3.1b2")  # PEP 440: .devN before its release


def test_a_local_label_is_dropped_and_the_epoch_kept() -> None:
    new = bump_version(Version("1!2.0.0+cu126"), ["patch"])
    assert (new.epoch, new.release, new.local) == (1, (2, 0, 1), None)


@pytest.mark.parametrize(
    ("current", "bumps", "message"),
    [
        ("1.2.3", ["minor", "minor"], "given twice"),
        ("1.2.3", ["major", "minor"], "at most one of major, minor, patch"),
        ("1.2.3", ["alpha", "beta"], "at most one of alpha, beta, rc"),
        ("1.2.3rc1", ["stable", "patch"], "'stable' goes alone"),
        ("1.2.3", ["post", "minor"], "'post' combines only with 'dev'"),
        ("1.2.3b2", ["alpha"], "1.2.3b2 would become 1.2.3a1, which is not a newer version"),
        ("1.2.3.post1", ["stable"], "not a newer version"),
        ("1.2.3", ["stable"], "1.2.3 would become 1.2.3"),
    ],
)
def test_bumps_without_one_clear_newer_meaning_are_refused(
    current: str, bumps: list[str], message: str
) -> None:
    with pytest.raises(PalletError, match=message) as info:
        bump_version(Version(current), bumps)
    assert info.value.exit_code == 2


def test_the_parser_lists_every_bump_and_imports_neither_packaging_nor_tomlkit() -> None:
    assert version_cli.BUMP_CHOICES == BUMPS
    code = (
        "import argparse, sys\n"
        "from pallet.cli import version\n"
        "p = argparse.ArgumentParser()\n"
        "version.add_parser(p.add_subparsers()).format_help()\n"
        "print(sorted(m for m in ('tomlkit', 'packaging') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == "[]"


# -- show, set, bump through the command ---------------------------------------------------------


def test_show_set_and_bump_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, _bare("1.2.3"))
    assert _pallet(capsys, root) == (0, "demo 1.2.3\n", "")
    assert _pallet(capsys, root, "--short")[1] == "1.2.3\n"
    code, out, _ = _pallet(capsys, root, "1.4.0")
    assert (code, out, _read_version(root)) == (0, "demo 1.2.3 => 1.4.0\n", "1.4.0")
    code, out, _ = _pallet(capsys, root, "--bump", "minor", "--bump", "beta")
    assert (code, out, _read_version(root)) == (0, "demo 1.4.0 => 1.5.0b1\n", "1.5.0b1")
    code, out, _ = _pallet(capsys, root, "--bump", "beta", "--short")
    assert (code, out, _read_version(root)) == (0, "1.5.0b2\n", "1.5.0b2")
    code, out, _ = _pallet(capsys, root, "--bump", "stable")
    assert (code, _read_version(root)) == (0, "1.5.0")
    assert _pallet(capsys, root, "--short")[1] == "1.5.0\n"


def test_a_given_version_is_written_in_its_pep440_normal_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, _bare("1.0"))
    code, out, _ = _pallet(capsys, root, "2.0.0-RC.1")
    assert (code, out) == (0, "demo 1.0 => 2.0.0rc1\n")
    assert _read_version(root) == str(Version("2.0.0-RC.1")) == "2.0.0rc1"


def test_dry_run_and_json_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, _bare("1.2.3"))
    before = (root / "pyproject.toml").read_bytes()
    code, out, err = _pallet(
        capsys, root, "--bump", "major", "--dry-run", "--output-format", "json"
    )
    assert code == 0 and "not changed" in err
    assert json.loads(out) == {
        "name": "demo",
        "version": "2.0.0",
        "previous_version": "1.2.3",
        "dynamic": False,
        "written": False,
    }
    assert (root / "pyproject.toml").read_bytes() == before
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml"]
    code, out, _ = _pallet(capsys, root, "--output-format", "json")
    assert json.loads(out)["previous_version"] is None and json.loads(out)["version"] == "1.2.3"


def test_setting_the_same_version_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, _bare("1.2.3"))
    stat = (root / "pyproject.toml").stat()
    code, _, err = _pallet(capsys, root, "1.2.3")
    assert code == 0 and "already at 1.2.3" in err
    assert (root / "pyproject.toml").stat().st_mtime_ns == stat.st_mtime_ns


def test_a_file_full_of_comments_changes_only_in_the_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, COMMENTED)
    (root / "pyproject.toml").chmod(0o640)
    code, out, _ = _pallet(capsys, root, "--bump", "minor")
    assert (code, out) == (0, "demo 1.2.3 => 1.3.0\n")
    expected = COMMENTED.replace("version =   '1.2.3'", "version =   '1.3.0'")
    assert expected != COMMENTED
    assert (root / "pyproject.toml").read_bytes() == expected.encode()
    assert (root / "pyproject.toml").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    "text",
    [
        'project = { name = "demo", version = "1.2.3" }  # inline\n',
        'project.name = "demo"\nproject.version = "1.2.3" # dotted\n\n'
        '[tool.x]\nversion = "1.2.3"\n',
        '[project]\r\nname = "demo"\r\nversion = "1.2.3"\r\n# crlf\r\n',
    ],
)
def test_inline_dotted_and_crlf_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    root = _project(tmp_path, "")
    (root / "pyproject.toml").write_bytes(text.encode())
    assert _pallet(capsys, root, "--bump", "patch")[0] == 0
    expected = text.replace('version = "1.2.3"', 'version = "1.2.4"', 1)
    assert (root / "pyproject.toml").read_bytes() == expected.encode()


# -- dynamic versions ----------------------------------------------------------------------------

PALLET_CORE = '[build-system]\nrequires = ["pallet-core"]\nbuild-backend = "pallet_core.build"\n'


@pytest.mark.parametrize(
    ("tables", "where"),
    [
        (
            PALLET_CORE,
            '__version__ in src/demo/__init__.py ([tool.pallet.version] source = "attr")',
        ),
        (
            PALLET_CORE + '\n[tool.pallet.version]\npath = "src/demo/_v.py"\n',
            "__version__ in src/demo/_v.py",
        ),
        (
            PALLET_CORE + '\n[tool.pallet.version]\nsource = "vcs"\nfallback = "0.0.0"\n',
            'git tags ([tool.pallet.version] source = "vcs")',
        ),
        (
            '[build-system]\nrequires = ["setuptools>=64", "setuptools_scm>=8"]\n'
            'build-backend = "setuptools.build_meta"\n\n[tool.setuptools_scm]\n',
            "git tags (setuptools-scm)",
        ),
        (
            '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
            'build-backend = "hatchling.build"\n\n[tool.hatch.version]\nsource = "vcs"\n',
            "git tags (hatch-vcs)",
        ),
        (
            '[build-system]\nrequires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"\n',
            "__version__ in the module (flit)",
        ),
    ],
)
def test_a_dynamic_version_is_refused_saying_where_it_lives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tables: str, where: str
) -> None:
    text = '[project]\nname = "demo"\ndynamic = ["version"]\n\n' + tables
    root = _project(tmp_path, text)
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__init__.py").write_text('__version__ = "2.5.0"\n')
    code, out, err = _pallet(capsys, root, "--bump", "patch")
    assert (code, out) == (2, "")
    assert err.startswith("error: pyproject.toml: [project] version is dynamic; it comes from ")
    assert where in err and err.count("\n") == 1
    assert (root / "pyproject.toml").read_text() == text


def test_a_dynamic_version_is_shown_through_the_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pallet-core (the backend) reads ``__version__``; pallet asks it through PEP 517."""
    root = _project(tmp_path, '[project]\nname = "demo"\ndynamic = ["version"]\n\n' + PALLET_CORE)
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__init__.py").write_text('__version__ = "2.5.0"\n')
    code, out, _ = _pallet(capsys, root, "--output-format", "json")
    assert code == 0
    assert json.loads(out) == {
        "name": "demo",
        "version": "2.5.0",
        "previous_version": None,
        "dynamic": True,
        "written": False,
    }


def test_a_backend_that_cannot_say_its_version_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(
        tmp_path,
        '[project]\nname = "demo"\ndynamic = ["version"]\n\n[build-system]\nrequires = []\n'
        'build-backend = "broken"\nbackend-path = ["."]\n',
    )
    (root / "broken.py").write_text(
        textwrap.dedent(
            """\
            def prepare_metadata_for_build_wheel(directory, config_settings=None):
                raise RuntimeError("no version to be had here")
            def build_wheel(directory, config_settings=None, metadata_directory=None):
                raise RuntimeError("no version to be had here")
            """
        )
    )
    code, out, err = _pallet(capsys, root)
    assert (code, out) == (1, "")
    assert err.startswith("error: pyproject.toml: [project] version is dynamic (the build ")
    assert err.rstrip().endswith("could not report it: no version to be had here")
    assert err.count("\n") == 1


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (_bare("1.2.3"), ["1.4.x"], "version '1.4.x': not a valid PEP 440 version"),
        (_bare("1.2.3"), ["minor"], "did you mean --bump minor?"),
        (_bare("1.2.3"), ["1.4.0", "--bump", "minor"], "give a VERSION or --bump, not both"),
        (_bare("1.2.3b2"), ["--bump", "alpha"], "not a newer version"),
        ('[project]\nname = "demo"\n', [], "[project] has no 'version' and 'version' is not in"),
        (_bare("one"), [], "pyproject.toml: [project] 'version': 'one' is not a valid PEP 440"),
        ('[project]\nname = "demo"\nversion = 1\n', [], "'version': 1 is not a string"),
        ('[project\nname = "demo"\n', [], "pyproject.toml:1:9: invalid TOML"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, args: list[str], message: str
) -> None:
    root = _project(tmp_path, text)
    code, out, err = _pallet(capsys, root, *args)
    assert (code, out) == (2, "")
    assert message in err and err.startswith("error: ") and err.count("\n") == 1
    assert (root / "pyproject.toml").read_text() == text


def test_an_unknown_bump_is_an_argparse_error(tmp_path: Path) -> None:
    root = _project(tmp_path, _bare("1.2.3"))
    proc = subprocess.run(
        [sys.executable, "-m", "pallet", "version", "--bump", "micro", "--project", str(root)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 2 and "invalid choice: 'micro'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("read_only", ["folder", "file"])
def test_a_read_only_project_is_one_line_and_unchanged(tmp_path: Path, read_only: str) -> None:
    """As a user who may not write there (`support.unprivileged`): a read-only folder stops the
    temporary file, a read-only pyproject.toml is refused although a rename could replace it."""
    from support.unprivileged import unprivileged_prefix

    prefix = unprivileged_prefix()
    root = _project(tmp_path, COMMENTED)
    target = root if read_only == "folder" else root / "pyproject.toml"
    target.chmod(0o555 if read_only == "folder" else 0o444)
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "pallet", "version", "--bump", "patch"],
            cwd=root,
            capture_output=True,
            text=True,
            env=pallet_env(tmp_path),
            timeout=TIMEOUT,
            check=False,
        )
    finally:
        target.chmod(0o755 if read_only == "folder" else 0o644)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: pyproject.toml: cannot be written (")
    assert "Permission denied" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stdout == ""
    assert (root / "pyproject.toml").read_text() == COMMENTED
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml"]


# -- the lock ------------------------------------------------------------------------------------


def test_the_lock_stays_up_to_date(tmp_path: Path) -> None:
    """pallet's lock does not record the project's version: after a bump ``pallet lock
    --check`` passes and the lock's bytes are unchanged."""
    env = pallet_env(tmp_path)
    root = _project(tmp_path, _bare("1.2.3") + 'requires-python = ">=3.9"\ndependencies = []\n')

    def pallet(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pallet", *args, "--project", str(root)],
            capture_output=True,
            text=True,
            env=env,
            timeout=TIMEOUT,
            check=False,
        )

    assert pallet("lock").returncode == 0
    lock = (root / "pylock.toml").read_bytes()
    proc = pallet("version", "--bump", "minor")
    assert proc.returncode == 0 and "pylock.toml is still up to date" in proc.stderr
    check = pallet("lock", "--check")
    assert check.returncode == 0, check.stderr
    assert (root / "pylock.toml").read_bytes() == lock


LOCK_NAMING_THE_PROJECT = """\
lock-version = "1.0"
created-by = "another-tool"

[[packages]]
name = "demo"
version = "1.2.3"
directory = { path = ".", editable = true }
"""


@pytest.mark.hand_edited_lock(
    "proj/pylock.toml", reason="another tool's lock naming the project with its version"
)
def test_a_lock_that_records_the_projects_version_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, _bare("1.2.3"))
    (root / "pylock.toml").write_text(LOCK_NAMING_THE_PROJECT)
    code, _, err = _pallet(capsys, root, "--bump", "patch")
    assert code == 0
    assert "warning: pylock.toml records demo 1.2.3: lock again" in err
    assert (root / "pylock.toml").read_text() == LOCK_NAMING_THE_PROJECT


def test_sync_installs_the_new_version(tmp_path: Path) -> None:
    """``--sync``: the editable install's metadata (read by importlib.metadata in the venv, not
    by pallet) carries the new version."""
    env = pallet_env(tmp_path)
    root = _project(
        tmp_path,
        _bare("1.2.3") + 'requires-python = ">=3.9"\ndependencies = []\n\n' + PALLET_CORE,
    )
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__init__.py").write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "pallet", "version", "--bump", "minor", "--sync"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "demo 1.2.3 => 1.3.0\n"
    python = root / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    installed = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('demo'))"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    assert installed.stdout.strip() == "1.3.0"
