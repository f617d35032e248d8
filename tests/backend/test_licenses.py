"""PEP 639 licensing: license expressions, legacy tables, license-files globs, on real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pallet_core.errors import ConfigError, PalletCoreWarning, Problems
from pallet_core.licenses import DEFAULT_LICENSE_FILES, LicenseInfo, find_license_files
from support.projects import error_at, project_at


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "LICENSE").write_text("MIT\n")
    (tmp_path / "LICENSE.apache").write_text("Apache\n")
    return tmp_path


def test_expression_is_canonicalized(root: Path) -> None:
    project = project_at(
        root,
        '[project]\nname = "x"\nversion = "1"\nlicense = "mit or apache-2.0 WITH llvm-exception"\n',
    )
    assert project.license.expression == "MIT OR Apache-2.0 WITH LLVM-exception"
    assert project.license.file_patterns == DEFAULT_LICENSE_FILES


def test_patterns_must_each_match(root: Path) -> None:
    info = LicenseInfo(file_patterns=("LICENSE", "NOTICE", "AUTHORS*"), required=True)
    with pytest.raises(ConfigError) as raised:
        find_license_files(root, info)
    assert str(raised.value) == (
        "pyproject.toml: [project] field 'license-files': 'NOTICE' matches no file; every "
        "pattern must match at least one file (PEP 639)\n"
        "pyproject.toml: [project] field 'license-files': 'AUTHORS*' matches no file; every "
        "pattern must match at least one file (PEP 639)"
    )


def test_directories_are_not_license_files(root: Path) -> None:
    (root / "LICENSES").mkdir()
    (root / "LICENSES" / "MIT.txt").write_text("MIT\n")
    info = LicenseInfo(file_patterns=("LICENSES", "LICENSES/**"), required=False)
    assert find_license_files(root, info) == ("LICENSES/MIT.txt",)


def test_license_not_string_or_table(root: Path) -> None:
    assert error_at(root, '[project]\nname = "x"\nversion = "1"\nlicense = 3\n') == (
        "pyproject.toml: [project] field 'license': found an integer (3); expected a string "
        "(an SPDX license expression)"
    )


def test_problems_are_collected_not_raised(root: Path) -> None:
    from pallet_core.licenses import parse_license

    problems = Problems("pyproject.toml")
    parse_license({"license": "nope nope", "license-files": [1]}, root, problems)
    assert len(problems.lines) == 2


def test_legacy_license_text_warns(root: Path) -> None:
    with pytest.warns(PalletCoreWarning, match="deprecated by PEP 639"):
        project = project_at(
            root, '[project]\nname = "x"\nversion = "1"\nlicense = {text = "BSD"}\n'
        )
    assert project.license.legacy_text == "BSD"
    assert project.license.expression is None
    # No license-files given: the default patterns apply and may match nothing.
    assert find_license_files(root, project.license) == ("LICENSE", "LICENSE.apache")


def test_legacy_license_file_is_a_license_file(root: Path) -> None:
    (root / "docs").mkdir()
    (root / "docs" / "LEGAL").write_text("legal\n")
    (root / "COPYING.txt").write_text("x\n")
    with pytest.warns(PalletCoreWarning):
        project = project_at(
            root, '[project]\nname = "x"\nversion = "1"\nlicense = {file = "docs/LEGAL"}\n'
        )
    # PEP 639: the legacy file is a License-File, and the default patterns still apply.
    assert find_license_files(root, project.license) == (
        "COPYING.txt",
        "LICENSE",
        "LICENSE.apache",
        "docs/LEGAL",
    )


def test_legacy_license_file_missing(root: Path) -> None:
    with pytest.warns(PalletCoreWarning):
        message = error_at(
            root, '[project]\nname = "x"\nversion = "1"\nlicense = {file = "COPYING"}\n'
        )
    assert message == (
        "pyproject.toml: [project.license] field 'file': file 'COPYING' does not exist; "
        "give a path relative to pyproject.toml"
    )


def test_empty_license_files_means_none(root: Path) -> None:
    project = project_at(root, '[project]\nname = "x"\nversion = "1"\nlicense-files = []\n')
    assert find_license_files(root, project.license) == ()


def test_default_license_files_may_match_nothing(tmp_path: Path) -> None:
    project = project_at(tmp_path, '[project]\nname = "x"\nversion = "1"\n')
    assert find_license_files(tmp_path, project.license) == ()


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("/etc/LICENSE", "'/etc/LICENSE' is absolute"),
        ("licenses\\\\MIT", "'licenses\\\\MIT' contains a backslash"),
        (
            "LICENSE{,.txt}",
            "'LICENSE{,.txt}' uses characters PEP 639 does not allow in license globs",
        ),
        ("LICENSE[", "'LICENSE[' has an unclosed '['"),
    ],
)
def test_bad_license_globs(root: Path, pattern: str, why: str) -> None:
    message = error_at(
        root, f'[project]\nname = "x"\nversion = "1"\nlicense-files = ["{pattern}"]\n'
    )
    assert message == (
        f"pyproject.toml: [project] field 'license-files': {why}; "
        "use relative globs such as 'LICENSE*' or 'licenses/*.txt'"
    )


def test_license_classifier_allowed_without_expression(root: Path) -> None:
    project = project_at(
        root,
        '[project]\nname = "x"\nversion = "1"\n'
        'classifiers = ["License :: OSI Approved :: MIT License", "Private :: Do Not Upload"]\n',
    )
    assert project.classifiers[1] == "Private :: Do Not Upload"


def test_hidden_files_are_skipped_unless_named(root: Path) -> None:
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "LICENSE").write_text("other\n")
    (root / ".LICENSE.swp").write_text("swap\n")
    info = LicenseInfo(file_patterns=("**/LICENSE*",), required=True)
    assert find_license_files(root, info) == ("LICENSE", "LICENSE.apache")
    named = LicenseInfo(file_patterns=(".venv/lib/LICENSE",), required=True)
    assert find_license_files(root, named) == (".venv/lib/LICENSE",)
