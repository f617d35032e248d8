"""``[project]`` validation (PEP 621) and PEP 639 license handling, on real files in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from pallet_core.licenses import find_license_files
from pallet_core.people import Person
from support.projects import error_at, project_at

FULL = """
[project]
name = "Acme.Tools"
version = "1.02.0"
description = "Tools for acme"
readme = "README.rst"
requires-python = ">=3.9"
license = "mit OR apache-2.0"
license-files = ["LICENSE*", "licenses/**"]
authors = [{ name = "Jane Doe", email = "jane@example.org" }, { name = "Bob" }]
maintainers = [{ email = "team@example.org" }]
keywords = ["tools", "acme"]
classifiers = ["Typing :: Typed", "Programming Language :: Python :: 3"]
dependencies = ["requests>=2.31", "tomli; python_version < '3.11'"]

[project.urls]
Homepage = "https://example.org"

[project.scripts]
acme = "acme.cli:main"

[project.gui-scripts]
acme-gui = "acme.gui:run"

[project.entry-points."acme.plugins"]
core = "acme.plugins.core"

[project.optional-dependencies]
CLI_Extra = ["click>=8"]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "README.rst").write_text("Acme\n====\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Acme\n", encoding="utf-8")
    (tmp_path / "LICENSE").write_text("MIT\n")
    (tmp_path / "LICENSE.apache").write_text("Apache\n")
    (tmp_path / "licenses" / "vendored").mkdir(parents=True)
    (tmp_path / "licenses" / "vendored" / "six.txt").write_text("six\n")
    return tmp_path


def test_full_project(root: Path) -> None:
    project = project_at(root, FULL)
    assert project.name == "Acme.Tools"
    assert str(project.version) == "1.2.0"
    assert project.description == "Tools for acme"
    assert project.readme is not None
    assert (project.readme.file, project.readme.content_type) == ("README.rst", "text/x-rst")
    assert project.readme.text == "Acme\n====\n"
    assert str(project.requires_python) == ">=3.9"
    assert project.license.expression == "MIT OR Apache-2.0"
    assert project.authors == (Person("Jane Doe", "jane@example.org"), Person("Bob", None))
    assert project.maintainers == (Person(None, "team@example.org"),)
    assert project.keywords == ("tools", "acme")
    assert project.urls == (("Homepage", "https://example.org"),)
    assert [str(r) for r in project.dependencies] == [
        "requests>=2.31",
        'tomli; python_version < "3.11"',
    ]
    assert list(project.optional_dependencies) == ["cli-extra"]
    assert {k: dict(v) for k, v in project.all_entry_points().items()} == {
        "acme.plugins": {"core": "acme.plugins.core"},
        "console_scripts": {"acme": "acme.cli:main"},
        "gui_scripts": {"acme-gui": "acme.gui:run"},
    }
    assert find_license_files(root, project.license) == (
        "LICENSE",
        "LICENSE.apache",
        "licenses/vendored/six.txt",
    )


@pytest.mark.parametrize(
    ("readme", "content_type"),
    [
        ('"README.md"', "text/markdown"),
        ('"README.rst"', "text/x-rst"),
        ('"notes.TXT"', "text/plain"),
        ('"README"', "text/plain"),
        (
            '{ text = "Hi", content-type = "text/markdown; variant=GFM" }',
            "text/markdown; variant=GFM",
        ),
        (
            '{ file = "README.md", content-type = "text/plain; charset=UTF-8" }',
            "text/plain; charset=UTF-8",
        ),
    ],
)
def test_readme_content_type(root: Path, readme: str, content_type: str) -> None:
    (root / "notes.TXT").write_text("notes\n")
    (root / "README").write_text("plain\n")
    project = project_at(root, f'[project]\nname = "x"\nversion = "1"\nreadme = {readme}\n')
    assert project.readme is not None
    assert project.readme.content_type == content_type


def test_readme_bad_markdown_variant(root: Path) -> None:
    message = error_at(
        root,
        '[project]\nname = "x"\nversion = "1"\n'
        'readme = { text = "Hi", content-type = "text/markdown; variant=Foo" }\n',
    )
    assert message == (
        "pyproject.toml: [project.readme] field 'content-type': parameter 'variant=Foo' is not "
        "allowed; use charset=UTF-8 and, for text/markdown, variant=GFM or variant=CommonMark"
    )


def test_entry_point_and_script_names(root: Path) -> None:
    message = error_at(
        root,
        """
        [project]
        name = "x"
        version = "1"

        [project.scripts]
        "bad/name" = "x:main"

        [project.entry-points."bad group!"]
        a = "x:y"

        [project.entry-points.good]
        "b=c" = "x:y"
        d = "not a ref"
        """,
    )
    assert message.splitlines() == [
        "pyproject.toml: [project.scripts] field 'bad/name': is not a valid script name; use "
        "letters, digits, '_', '.', '+' and '-' (it becomes a file name)",
        "pyproject.toml: [project.entry-points] field 'bad group!': is not a valid group name; "
        "use dotted words such as 'acme.plugins'",
        "pyproject.toml: [project.entry-points.good] field 'b=c': is not a valid entry point "
        "name; no '=' and no leading or trailing spaces",
        "pyproject.toml: [project.entry-points.good] field 'd': 'not a ref' is not an object "
        "reference; use 'package.module:object.attr'",
    ]


def test_people_errors(root: Path) -> None:
    message = error_at(
        root,
        '[project]\nname = "x"\nversion = "1"\n'
        'authors = [{ name = "Doe, Jane" }, {}, { name = "A", web = "x" }, 3]\n',
    )
    assert message.splitlines() == [
        "pyproject.toml: [project] field 'authors': name 'Doe, Jane' contains a comma or a line "
        "break; names are joined with ', ' in core metadata; give one person per table",
        "pyproject.toml: [project] field 'authors': {} has neither name nor email; "
        "give at least one",
        "pyproject.toml: [project] field 'authors': unknown key 'web' in {'name': 'A', 'web': "
        "'x'}; use only 'name' and 'email'",
        "pyproject.toml: [project] field 'authors': found an integer (3); expected an array of "
        "tables with name and/or email",
    ]


def test_url_label_too_long(root: Path) -> None:
    label = "L" * 33
    message = error_at(
        root, f'[project]\nname = "x"\nversion = "1"\nurls = {{ {label} = "https://x.org" }}\n'
    )
    assert message == (
        f"pyproject.toml: [project.urls] field '{label}': label is longer than 32 characters or "
        "contains a comma or control character; use a short label such as 'Homepage' or 'Source'"
    )


def test_invalid_extra_name(root: Path) -> None:
    message = error_at(
        root, '[project]\nname = "x"\nversion = "1"\noptional-dependencies = { "-x" = [] }\n'
    )
    assert message == (
        "pyproject.toml: [project.optional-dependencies] field '-x': is not a valid extra name; "
        "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    )


def test_project_not_a_table(root: Path) -> None:
    assert error_at(root, 'project = "x"\n') == (
        "pyproject.toml: [project] field 'name': is missing because [project] is a string, not "
        "a table; add a [project] table with name and version (PEP 621)"
    )


def test_control_characters_never_reach_headers(root: Path) -> None:
    message = error_at(
        root,
        '[project]\nname = "x"\nversion = "1"\n'
        'classifiers = ["Private :: x\\nEvil: y"]\nurls = { "a\\nb" = "https://x.org" }\n',
    )
    assert message.splitlines() == [
        "pyproject.toml: [project] field 'classifiers': 'Private :: x\\nEvil: y' contains a "
        "control character; remove it",
        "pyproject.toml: [project.urls] field 'a\\nb': label is longer than 32 characters or "
        "contains a comma or control character; use a short label such as 'Homepage' or 'Source'",
    ]
