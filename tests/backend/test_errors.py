"""Every malformed ``pyproject.toml`` in fixtures/pyproject/ gives its exact message.

The expected messages live in one table, ``fixtures/pyproject/expected.txt``: a block per case,
``== <case>`` followed by the full ``ConfigError`` message (one problem per line).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from pallet_core.config import load_config
from pallet_core.errors import (
    BuildError,
    ConfigError,
    PalletCoreError,
    PalletCoreWarning,
    Problems,
    did_you_mean,
    type_name,
    warn,
)
from pallet_core.pyproject import load_pyproject, parse_pyproject

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "pyproject"
EXPECTED_FILE = FIXTURES / "expected.txt"


def _pep508_error(match: re.Match[str]) -> str:
    """packaging's own message for an invalid requirement: the expected value comes from
    packaging, whose wording changes between the releases pallet-core supports."""
    try:
        Requirement(match.group(1))
    except InvalidRequirement as exc:
        return str(exc).splitlines()[0]
    raise AssertionError(f"{match.group(1)!r} is a valid requirement")


def read_expected() -> dict[str, str]:
    """``expected.txt`` as case -> message (``{pep508-error:TEXT}`` expanded)."""
    expected: dict[str, str] = {}
    case = None
    lines: list[str] = []
    for line in EXPECTED_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("== "):
            if case is not None:
                expected[case] = "\n".join(lines)
            case, lines = line[3:].strip(), []
        elif case is not None:
            lines.append(line)
    if case is not None:
        expected[case] = "\n".join(lines)
    return {k: re.sub(r"\{pep508-error:([^}]*)\}", _pep508_error, v) for k, v in expected.items()}


EXPECTED = read_expected()
CASES = sorted(path.stem for path in FIXTURES.glob("*.toml"))


def make_project(tmp_path: Path, case: str) -> Path:
    """A project around fixture ``case``: demo/__init__.py, README.md and LICENSE."""
    shutil.copyfile(FIXTURES / f"{case}.toml", tmp_path / "pyproject.toml")
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text('__version__ = "1.0"\n')
    (tmp_path / "README.md").write_text("# Demo\n")
    (tmp_path / "LICENSE").write_text("MIT License\n")
    return tmp_path


def test_every_fixture_has_one_expectation() -> None:
    assert len(CASES) >= 30
    assert sorted(EXPECTED) == CASES


@pytest.mark.parametrize("case", CASES)
def test_fixture_message(tmp_path: Path, case: str) -> None:
    root = make_project(tmp_path, case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PalletCoreWarning)
        with pytest.raises(ConfigError) as info:
            load_config(root)
    assert str(info.value) == EXPECTED[case]
    assert info.value.path == "pyproject.toml"
    assert info.value.problems == tuple(EXPECTED[case].splitlines())
    for line in info.value.problems:
        assert line.startswith("pyproject.toml:")
        assert "invalid TOML: " in line or ("] field '" in line and "; " in line)


def _hook_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "backend")
    return env


@pytest.mark.parametrize("case", ["misspelled-key", "several-problems", "invalid-toml"])
def test_hook_reports_message(tmp_path: Path, case: str) -> None:
    """PEP 517 reports errors by raising: the message and the ConfigError type reach stderr."""
    root = make_project(tmp_path, case)
    done = subprocess.run(
        [sys.executable, "-c", "import pallet_core.build as b; b.build_wheel('out')"],
        cwd=root,
        env=_hook_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert EXPECTED[case] in done.stderr
    assert "pallet_core.errors.ConfigError: " in done.stderr


FRONTEND = """
import sys
import pallet_core.build as b
from pallet_core.errors import PalletCoreError
try:
    b.build_wheel("out")
except PalletCoreError as exc:
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(1)
"""


def test_frontend_prints_message_without_traceback(tmp_path: Path) -> None:
    """A frontend that catches PalletCoreError has the full message and needs no traceback."""
    root = make_project(tmp_path, "several-problems")
    done = subprocess.run(
        [sys.executable, "-c", FRONTEND],
        cwd=root,
        env=_hook_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == f"ConfigError: {EXPECTED['several-problems']}\n"
    assert "Traceback" not in done.stderr


def test_error_family() -> None:
    assert issubclass(ConfigError, PalletCoreError)
    assert issubclass(BuildError, PalletCoreError)
    err = ConfigError("pyproject.toml: [project] field 'x': bad; good", key="project.x", value=3)
    assert str(err) == "pyproject.toml: [project] field 'x': bad; good"
    assert (err.path, err.key, err.value) == (None, "project.x", 3)


def test_problems_collects_and_raises_once() -> None:
    problems = Problems("pyproject.toml")
    problems.raise_if_any()  # nothing yet
    problems.add("project", "name", "is missing", "give a name")
    problems.add_type("project.readme", "file", 3, "a string")
    problems.add_unknown("tool.pallet.build", "sorce", ("source", "packages"))
    with pytest.raises(ConfigError, match="sorce") as info:
        problems.raise_if_any()
    assert str(info.value) == (
        "pyproject.toml: [project] field 'name': is missing; give a name\n"
        "pyproject.toml: [project.readme] field 'file': found an integer (3); expected a string\n"
        "pyproject.toml: [tool.pallet.build] field 'sorce': unknown field; "
        "did you mean 'source'?"
    )
    assert info.value.key == "project.name"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (True, "a boolean"),
        (1, "an integer"),
        (1.5, "a float"),
        ("x", "a string"),
        ([], "an array"),
        ({}, "a table"),
    ],
)
def test_type_name(value: object, name: str) -> None:
    assert type_name(value) == name


def test_did_you_mean() -> None:
    assert did_you_mean("reedme", ["readme", "name"]) == "did you mean 'readme'?"
    assert did_you_mean("zzz", ["b", "a"]) == "allowed: 'a', 'b'"


def test_warn_uses_pallet_warning() -> None:
    with pytest.warns(PalletCoreWarning, match="deprecated"):
        warn("this is deprecated")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = ", "pyproject.toml:1:5: invalid TOML: Invalid value"),
        (
            "[project]\nname = 'x'\n[project]\n",
            "pyproject.toml:3:9: invalid TOML: Cannot declare ('project',) twice",
        ),
        ('a = "x', "pyproject.toml:1:7: invalid TOML: Unterminated string"),
    ],
)
def test_toml_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_pyproject(text)
    assert str(info.value) == message


def test_missing_and_non_utf8_pyproject(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"pyproject\.toml: not found"):
        load_pyproject(tmp_path)
    (tmp_path / "pyproject.toml").write_bytes(b"[project]\nname = '\xff'\n")
    with pytest.raises(ConfigError) as info:
        load_pyproject(tmp_path)
    assert str(info.value).startswith("pyproject.toml:2:9: invalid TOML: the file is not UTF-8")


def test_config_import_is_light() -> None:
    """Importing the config entry point loads none of the heavy modules; load_config does."""
    code = (
        "import sys, pallet_core.config, pallet_core.errors, pallet_core.settings; "
        "heavy = [m for m in ('packaging', 'trove_classifiers', 'email', 'subprocess',"
        " 'tomllib', 'tomli', 'difflib') if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_hook_env(), capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
