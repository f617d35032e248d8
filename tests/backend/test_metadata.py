"""Core metadata 2.4 rendering, round-tripped through ``packaging.metadata``."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest
from packaging.metadata import Metadata
from packaging.requirements import Requirement
from packaging.version import Version
from pallet_core.config import load_config
from pallet_core.errors import BuildError, PalletCoreWarning
from pallet_core.licenses import find_license_files
from pallet_core.metadata import render_metadata, requirement_line, validate_metadata
from pallet_core.project import read_project
from pallet_core.pyproject import parse_pyproject

PYPROJECT = """
[project]
name = "Acme.Tools"
version = "2.0.0rc1"
description = "Tools for acme"
readme = "README.md"
requires-python = ">=3.9"
license = "MIT"
license-files = ["LICENSE", "licenses/*.txt"]
authors = [
    { name = "Jane Doe", email = "jane@example.org" },
    { name = "Bob" },
    { email = "ops@example.org" },
    { name = "J. R. Hacker", email = "jr@example.org" },
]
maintainers = [{ name = "Team" }]
keywords = ["tools", "acme"]
classifiers = ["Typing :: Typed", "Programming Language :: Python :: 3"]
dependencies = ["requests>=2.31", "tomli; python_version < '3.11'"]

[project.urls]
Homepage = "https://example.org"
"Issue tracker" = "https://example.org/issues"

[project.optional-dependencies]
CLI = ["click>=8", "colorama; os_name == 'nt' or sys_platform == 'win32'"]
"docs.extra" = ["sphinx"]
"""

EXPECTED_HEADERS = """\
Metadata-Version: 2.4
Name: Acme.Tools
Version: 2.0.0rc1
Summary: Tools for acme
Description-Content-Type: text/markdown
Keywords: tools,acme
Author: Bob
Author-email: Jane Doe <jane@example.org>, ops@example.org, "J. R. Hacker" <jr@example.org>
Maintainer: Team
License-Expression: MIT
License-File: LICENSE
License-File: licenses/a.txt
Classifier: Typing :: Typed
Classifier: Programming Language :: Python :: 3
Requires-Dist: requests>=2.31
Requires-Dist: tomli; python_version < "3.11"
Requires-Dist: click>=8; extra == "cli"
Requires-Dist: colorama; (os_name == "nt" or sys_platform == "win32") and extra == "cli"
Requires-Dist: sphinx; extra == "docs-extra"
Requires-Python: >=3.9
Project-URL: Homepage, https://example.org
Project-URL: Issue tracker, https://example.org/issues
Provides-Extra: cli
Provides-Extra: docs-extra
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "README.md").write_text("# Acme\n\nUnicode: café ✓\n", encoding="utf-8")
    (tmp_path / "LICENSE").write_text("MIT\n")
    (tmp_path / "licenses").mkdir()
    (tmp_path / "licenses" / "a.txt").write_text("a\n")
    return tmp_path


def render(root: Path, text: str | None = None) -> str:
    data = parse_pyproject(text if text is not None else PYPROJECT)
    project = read_project(data, root)
    version = project.version if project.version is not None else Version("0")
    return render_metadata(project, version, find_license_files(root, project.license))


def test_exact_text(root: Path) -> None:
    text = render(root)
    assert text == EXPECTED_HEADERS + "\n# Acme\n\nUnicode: café ✓\n"


def test_round_trip(root: Path) -> None:
    meta = Metadata.from_email(render(root), validate=True)
    assert meta.metadata_version == "2.4"
    assert meta.name == "Acme.Tools"
    assert meta.version == Version("2.0.0rc1")
    assert meta.summary == "Tools for acme"
    assert meta.description == "# Acme\n\nUnicode: café ✓\n"
    assert meta.description_content_type == "text/markdown"
    assert meta.keywords == ["tools", "acme"]
    assert meta.author == "Bob"
    assert meta.maintainer == "Team"
    assert str(meta.license_expression) == "MIT"
    assert meta.license_files == ["LICENSE", "licenses/a.txt"]
    assert meta.classifiers == ["Typing :: Typed", "Programming Language :: Python :: 3"]
    assert [str(r) for r in meta.requires_dist or []] == [
        "requests>=2.31",
        'tomli; python_version < "3.11"',
        'click>=8; extra == "cli"',
        'colorama; (os_name == "nt" or sys_platform == "win32") and extra == "cli"',
        'sphinx; extra == "docs-extra"',
    ]
    assert str(meta.requires_python) == ">=3.9"
    assert meta.project_urls == {
        "Homepage": "https://example.org",
        "Issue tracker": "https://example.org/issues",
    }
    assert meta.provides_extra == ["cli", "docs-extra"]
    assert meta.dynamic is None  # PEP 643: nothing is dynamic in our sdists


def test_extra_markers_evaluate_as_intended() -> None:
    line = requirement_line(Requirement("x; os_name == 'nt' or sys_platform == 'win32'"), "cli")
    marker = Requirement(line).marker
    assert marker is not None
    env = {"os_name": "nt", "sys_platform": "linux", "extra": "other"}
    assert not marker.evaluate(env)  # without parentheses "or" would make this true
    assert marker.evaluate({**env, "extra": "cli"})


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        (
            "pkg @ https://example.org/pkg.whl ; os_name == 'nt'",
            ' ; (os_name == "nt") and extra == "x"',
        ),
        ("pkg @ https://example.org/pkg.whl", ' ; extra == "x"'),
    ],
)
def test_requirement_with_url_and_extra(text: str, marker: str) -> None:
    line = "pkg @ https://example.org/pkg.whl" + marker
    assert requirement_line(Requirement(text), "x") == line
    assert Requirement(line).url == "https://example.org/pkg.whl"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # PEP 508's own spelling; pallet-core writes it whatever packaging is installed
        # (packaging before 26.0 spelled a URL requirement ``pkg@ url``)
        ("pkg@https://example.org/pkg.whl", "pkg @ https://example.org/pkg.whl"),
        (
            "pkg [b, a] @ https://example.org/p.whl ; python_version>'3'",
            'pkg[a,b] @ https://example.org/p.whl ; python_version > "3"',
        ),
        ("Pkg_B [y,x] >=1 , <2", "Pkg_B[x,y]<2,>=1"),
        ("c ~= 1.0 ; os_name == 'nt'", 'c~=1.0; os_name == "nt"'),
        ("d", "d"),
    ],
)
def test_requirement_spelling_does_not_depend_on_packaging(text: str, line: str) -> None:
    assert requirement_line(Requirement(text)) == line
    assert Requirement(line) == Requirement(text)  # the same requirement, re-read


def test_minimal_project_has_no_body(tmp_path: Path) -> None:
    text = render(tmp_path, '[project]\nname = "x"\nversion = "1.0"\nlicense-files = []\n')
    assert text == "Metadata-Version: 2.4\nName: x\nVersion: 1.0\n"
    Metadata.from_email(text, validate=True)


def test_legacy_license_text(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PalletCoreWarning)
        text = render(tmp_path, '[project]\nname = "x"\nversion = "1"\nlicense = {text = "BSD"}\n')
    assert "License: BSD\n" in text
    assert "License-Expression" not in text
    assert Metadata.from_email(text, validate=True).license == "BSD"


def test_readme_text_without_final_newline(tmp_path: Path) -> None:
    text = render(
        tmp_path,
        '[project]\nname = "x"\nversion = "1"\n'
        'readme = { text = "Hello", content-type = "text/plain" }\n',
    )
    assert text.endswith("Description-Content-Type: text/plain\n\nHello\n")


def test_validation_failure_is_build_error() -> None:
    with pytest.raises(BuildError, match="generated core metadata is invalid"):
        validate_metadata("Metadata-Version: 2.4\nName: x\nVersion: not-a-version\n")


def test_load_config_end_to_end(root: Path) -> None:
    (root / "acme_tools").mkdir()
    (root / "acme_tools" / "__init__.py").write_text("")
    config = load_config(root)
    assert config.metadata == render(root)
    assert config.version == "2.0.0rc1"
    assert config.normalized_name == "acme-tools"
    assert config.dist_name == "acme_tools"
    assert config.import_names == ("acme_tools",)
    assert config.license_files == ("LICENSE", "licenses/a.txt")
    assert config.readme_file == "README.md"
    assert config.pyproject_file == "pyproject.toml"
    assert dict(config.entry_points) == {}


def test_dynamic_version_through_load_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "demo"
            dynamic = ["version"]
            """
        )
    )
    (tmp_path / "src" / "demo").mkdir(parents=True)
    (tmp_path / "src" / "demo" / "__init__.py").write_text('__version__ = "3.1.0.post2"\n')
    config = load_config(tmp_path)
    assert config.version == "3.1.0.post2"
    assert "Version: 3.1.0.post2\n" in config.metadata
    assert "Dynamic" not in config.metadata
