"""``[tool.pallet.build]`` and ``[tool.pallet.version]`` parsing."""

from __future__ import annotations

from typing import Any

import pytest
from pallet_core.errors import ConfigError
from pallet_core.pyproject import parse_pyproject
from pallet_core.settings import (
    DEFAULT_TAG_PATTERN,
    BuildSettings,
    VersionSettings,
    read_settings,
)


def settings(text: str) -> tuple[BuildSettings, VersionSettings]:
    return read_settings(parse_pyproject(text))


def error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        settings(text)
    return str(info.value)


def test_defaults_without_tables() -> None:
    build, version = settings("[project]\nname = 'x'\n")
    assert build == BuildSettings()
    assert build.source is None and build.packages == () and build.editable_mode == "auto"
    assert dict(build.data) == {}
    assert version == VersionSettings("attr", None, None, DEFAULT_TAG_PATTERN)


def test_full_build_table() -> None:
    build, _ = settings(
        """
[tool.pallet.build]
source = "src/"
packages = ["acme.tools", "acme_extra"]
namespace = true
include = ["data/*.json"]
exclude = ["**/*.tmp"]
sdist-include = ["tests/", "docs/"]
sdist-exclude = ["docs/_build/"]
editable-mode = "pth"

[tool.pallet.build.data]
scripts = "bin"
data = "share"
"""
    )
    assert build.source == "src"
    assert build.packages == ("acme.tools", "acme_extra")
    assert build.namespace is True
    assert build.include == ("data/*.json",)
    assert build.exclude == ("**/*.tmp",)
    assert build.sdist_include == ("tests/", "docs/")
    assert build.sdist_exclude == ("docs/_build/",)
    assert dict(build.data) == {"data": "share", "scripts": "bin"}
    assert build.editable_mode == "pth"


def test_full_version_table() -> None:
    _, version = settings(
        """
[tool.pallet.version]
source = "vcs"
fallback = "0.0.0"
tag-pattern = "^release-(?P<version>.+)$"
"""
    )
    assert version == VersionSettings("vcs", None, "0.0.0", "^release-(?P<version>.+)$")


def test_attr_path() -> None:
    _, version = settings('[tool.pallet.version]\npath = "src/acme/_version.py"\n')
    assert version.path == "src/acme/_version.py"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'source = "../elsewhere"',
            "pyproject.toml: [tool.pallet.build] field 'source': '../elsewhere' leaves the "
            "project directory ('..'); use a relative path with '/' separators",
        ),
        (
            'source = "/abs"',
            "pyproject.toml: [tool.pallet.build] field 'source': '/abs' is absolute; "
            "use a relative path with '/' separators",
        ),
        (
            'packages = ["acme-tools"]',
            "pyproject.toml: [tool.pallet.build] field 'packages': 'acme-tools' is not an import "
            "name; use dotted Python identifiers such as 'acme.tools'",
        ),
        (
            'packages = [""]',
            "pyproject.toml: [tool.pallet.build] field 'packages': item '' is empty; "
            "expected an array of non-empty strings",
        ),
        (
            "data = 3",
            "pyproject.toml: [tool.pallet.build] field 'data': found an integer (3); "
            "expected a table",
        ),
        (
            "editable-mode = true",
            "pyproject.toml: [tool.pallet.build] field 'editable-mode': found a boolean (True); "
            "expected a string ('auto', 'hook' or 'pth')",
        ),
    ],
)
def test_build_errors(body: str, message: str) -> None:
    assert error(f"[tool.pallet.build]\n{body}\n") == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'source = "vcs"\nfallback = "next"',
            "pyproject.toml: [tool.pallet.version] field 'fallback': 'next' is not a valid "
            "PEP 440 version; use a version such as '0.0.0' or '1.2.3.dev0'",
        ),
        (
            'source = "vcs"\ntag-pattern = "(?P<version>"',
            "pyproject.toml: [tool.pallet.version] field 'tag-pattern': '(?P<version>' is not a "
            "valid regular expression (missing ), unterminated subpattern at position 0); "
            "use a Python regular expression with a group named 'version'",
        ),
        (
            'fallback = "1.0"',
            "pyproject.toml: [tool.pallet.version] field 'fallback': only applies to "
            "source = 'vcs'; set source = 'vcs' or remove the field",
        ),
        (
            'source = "vcs"\npath = "a.py"',
            "pyproject.toml: [tool.pallet.version] field 'path': only applies to "
            "source = 'attr'; remove it or set source = 'attr'",
        ),
        (
            'sorce = "vcs"',
            "pyproject.toml: [tool.pallet.version] field 'sorce': unknown field; "
            "did you mean 'source'?",
        ),
    ],
)
def test_version_errors(body: str, message: str) -> None:
    assert error(f"[tool.pallet.version]\n{body}\n") == message


def test_frontend_tables_are_left_alone() -> None:
    build, _ = settings(
        """
[[tool.pallet.index]]
name = "internal"
url = "https://example.invalid/simple"

[tool.pallet.sources]
acme = "internal"

[tool.pallet.resolution]
strategy = "lowest"
"""
    )
    assert build == BuildSettings()


def test_all_problems_of_both_tables_at_once() -> None:
    message = error(
        """
[tool.pallet.build]
namespace = "no"
includes = []

[tool.pallet.version]
source = 1
"""
    )
    assert message.splitlines() == [
        "pyproject.toml: [tool.pallet.build] field 'includes': unknown field; "
        "did you mean 'include'?",
        "pyproject.toml: [tool.pallet.build] field 'namespace': found a string ('no'); "
        "expected a boolean",
        "pyproject.toml: [tool.pallet.version] field 'source': found an integer (1); "
        "expected a string ('attr' or 'vcs')",
    ]


def test_settings_are_frozen() -> None:
    build, _ = settings("")
    with pytest.raises(AttributeError):
        build.source = "src"  # type: ignore[misc]
    data: Any = build.data
    with pytest.raises(TypeError):
        data["scripts"] = "bin"
