"""pallet.project.pyproject: pyproject.toml -> ProjectSpec, and every malformed case's message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from pallet.errors import ProjectError
from pallet.project.model import PYPI, IndexConfig
from pallet.project.pyproject import find_project_root, read_project

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "frontend-pyproject"


def _pep508_error(text: str) -> str:
    """packaging's own parse error for ``text`` (its wording changed in packaging 26.0)."""
    try:
        Requirement(text)
    except InvalidRequirement as exc:
        return str(exc).splitlines()[0]
    raise AssertionError(f"{text!r} is a valid requirement")


# case (fixtures/frontend-pyproject/<case>.toml) -> the exact ProjectError message
MALFORMED = {
    "bad-toml": "pyproject.toml:3:11: invalid TOML: Invalid value",
    "missing-project": (
        "pyproject.toml: [project] table is missing; pallet needs at least [project] name"
    ),
    "bad-name": (
        "pyproject.toml: [project] field 'name': '-demo-' is not a valid project name; use "
        "letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    ),
    "bad-requirement": (
        "pyproject.toml: [project] field 'dependencies' entry 2: 'idna >>= 3' is not a valid "
        f"PEP 508 requirement: {_pep508_error('idna >>= 3')}"
    ),
    "bad-requires-python": (
        "pyproject.toml: [project] field 'requires-python': '3.9+' is not a valid version "
        "specifier (PEP 440), e.g. '>=3.9'"
    ),
    "dynamic-dependencies": (
        "pyproject.toml: [project] field 'dynamic': 'dependencies' is dynamic; pallet lock "
        "needs it written in pyproject.toml"
    ),
    "duplicate-extras": (
        "pyproject.toml: [project.optional-dependencies] extra 'cli': same name as extra "
        "'CLI' after normalization (PEP 685)"
    ),
    "include-unknown-group": (
        "pyproject.toml: [dependency-groups] group 'dev': include-group 'lint' is not "
        "defined; defined groups: test, docs"
    ),
    "group-cycle": (
        "pyproject.toml: [dependency-groups] group 'dev': include-group cycle dev -> test -> dev"
    ),
    "duplicate-group-names": (
        "pyproject.toml: [dependency-groups] group 'dev-tools': same name as group "
        "'Dev_Tools' after normalization (PEP 735)"
    ),
    "bad-group-table": (
        "pyproject.toml: [dependency-groups] group 'dev' entry 1: a table must have exactly "
        "one key, 'include-group' (PEP 735); found 'include'\n"
        "pyproject.toml: [dependency-groups] group 'dev' entry 2: must be a requirement "
        "string or an {include-group = ...} table, not an integer"
    ),
    "misspelled-tool-key": (
        "pyproject.toml: [tool.pallet] key 'resolutoin' is not allowed; did you mean 'resolution'?"
    ),
    "misspelled-index-key": (
        "pyproject.toml: [tool.pallet.index] index 'internal': key 'defualt' is not allowed; "
        "did you mean 'default'?"
    ),
    "two-default-indexes": (
        "pyproject.toml: [tool.pallet.index] indexes 'one', 'two' are all marked default = "
        "true; exactly one index may be the default"
    ),
    "duplicate-index-name": (
        "pyproject.toml: [tool.pallet.index] index 'mirror': name 'mirror' is used by another index"
    ),
    "explicit-default-index": (
        "pyproject.toml: [tool.pallet.index] index 'internal': the default index cannot be "
        "explicit (an explicit index serves only packages pinned to it in "
        "[tool.pallet.sources])"
    ),
    "source-unknown-index": (
        "pyproject.toml: [tool.pallet.sources] package 'torch': index 'pytorch-gpu' is not "
        "defined; defined indexes: pytorch-cpu, pypi"
    ),
    "bad-prerelease": (
        "pyproject.toml: [tool.pallet.resolution] key 'prerelease' is 'sometimes'; use "
        "'if-necessary', 'allow' or 'disallow'"
    ),
    "bad-environment-marker": (
        "pyproject.toml: [tool.pallet.resolution] key 'environments' entry 2: \"os_name = "
        "'nt'\" is not a valid marker: Expected marker operator, one of <=, <, !=, ==, >=, >, "
        "~=, ===, in, not in"
    ),
    "unknown-default-group": (
        "pyproject.toml: [tool.pallet] key 'default-groups': group 'dev' is not defined in "
        "[dependency-groups]; defined groups: test"
    ),
    "several-problems": (
        "pyproject.toml: [project] field 'dependencies' entry 2: must be a string, not an "
        "integer\n"
        "pyproject.toml: [dependency-groups] group 'dev': include-group 'lint' is not "
        "defined; defined groups: none\n"
        "pyproject.toml: [tool.pallet.resolution] key 'prerelase' is not allowed; did you "
        "mean 'prerelease'?"
    ),
}


def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_every_fixture_has_an_expected_message() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.toml")) == sorted(MALFORMED)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_pyproject_message(case: str, tmp_path: Path) -> None:
    shutil.copy(FIXTURES / f"{case}.toml", tmp_path / "pyproject.toml")
    with pytest.raises(ProjectError) as info:
        read_project(tmp_path)
    assert str(info.value) == MALFORMED[case]
    assert info.value.path == "pyproject.toml"
    assert "Traceback" not in str(info.value)


def test_full_project(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        """
[project]
name = "Demo_App"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["Requests>=2", "idna; sys_platform == 'win32'"]

[project.optional-dependencies]
CLI = ["click>=8"]

[dependency-groups]
test = ["pytest"]
dev = [{include-group = "test"}, "ruff"]

[[tool.pallet.index]]
name = "cpu"
url = "https://download.pytorch.org/whl/cpu"
explicit = true

[tool.pallet.sources]
Torch = "cpu"

[tool.pallet.resolution]
prerelease = "allow"
environments = ["sys_platform == 'linux'"]

[tool.pallet.build]
source = "src"
""",
    )
    spec = read_project(root)
    assert spec.root == root
    assert spec.name == "demo-app"
    assert spec.version == "1.0"
    assert spec.requires_python == SpecifierSet(">=3.9")
    assert [str(r) for r in spec.dependencies] == ["Requests>=2", 'idna; sys_platform == "win32"']
    assert dict(spec.optional_dependencies) == {"cli": (Requirement("click>=8"),)}
    assert [str(r) for r in spec.dependency_groups["dev"]] == ["pytest", "ruff"]
    assert spec.default_groups == ("dev",)  # "dev" is a default group unless told otherwise
    assert spec.indexes == (
        IndexConfig("cpu", "https://download.pytorch.org/whl/cpu", explicit=True),
        PYPI,
    )
    assert spec.default_index == PYPI
    assert dict(spec.sources) == {"torch": "cpu"}
    assert spec.resolution.prerelease == "allow"
    assert spec.resolution.environments == ("sys_platform == 'linux'",)


def test_minimal_project_defaults(tmp_path: Path) -> None:
    spec = read_project(_project(tmp_path, '[project]\nname = "x"\n'))
    assert spec.dependencies == ()
    assert spec.requires_python == SpecifierSet()
    assert spec.indexes == (PYPI,)
    assert spec.default_groups == ()
    assert dict(spec.sources) == {}


def test_configured_default_index_replaces_pypi(tmp_path: Path) -> None:
    spec = read_project(
        _project(
            tmp_path,
            '[project]\nname = "x"\n[[tool.pallet.index]]\nname = "corp"\n'
            'url = "https://corp.invalid/simple"\ndefault = true\n',
        )
    )
    assert spec.indexes == (IndexConfig("corp", "https://corp.invalid/simple", default=True),)


def test_default_groups_setting(tmp_path: Path) -> None:
    spec = read_project(
        _project(
            tmp_path,
            '[project]\nname = "x"\n[dependency-groups]\ndev = []\nDocs = ["sphinx"]\n'
            '[tool.pallet]\ndefault-groups = ["docs"]\n',
        )
    )
    assert spec.default_groups == ("docs",)


def test_missing_pyproject(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"^pyproject.toml: file not found"):
        read_project(tmp_path)


def test_find_project_root_walks_up(tmp_path: Path) -> None:
    _project(tmp_path, '[project]\nname = "x"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project_root(deep) == tmp_path.resolve()
