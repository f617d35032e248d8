"""``load_config``: the one entry point of the build side, on real projects in tmp_path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pallet_core.config import ProjectConfig, load_config
from pallet_core.errors import ConfigError

PYPROJECT = """
[project]
name = "Acme_Tools"
dynamic = ["version"]
license = "MIT"

[project.scripts]
acme = "acme_tools.cli:main"

[project.entry-points."acme.plugins"]
core = "acme_tools.plugins:Core"

[tool.pallet.build]
exclude = ["**/*.tmp"]

[tool.pallet.version]
path = "src/acme_tools/_version.py"
"""


def make(root: Path, pyproject: str = PYPROJECT) -> Path:
    (root / "pyproject.toml").write_text(pyproject)
    package = root / "src" / "acme_tools"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from ._version import __version__\n")
    (package / "_version.py").write_text("__version__: str = '0.3.0'\n")
    (root / "LICENSE.txt").write_text("MIT\n")
    return root


def test_project_config(tmp_path: Path) -> None:
    config = load_config(make(tmp_path))
    assert isinstance(config, ProjectConfig)
    assert config.root == tmp_path
    assert (config.name, config.normalized_name, config.dist_name) == (
        "Acme_Tools",
        "acme-tools",
        "acme_tools",
    )
    assert config.version == "0.3.0"
    assert config.import_names == ("acme_tools",)
    assert config.layout.source_root == "src"
    assert config.license_files == ("LICENSE.txt",)
    assert config.readme_file is None
    assert {group: dict(entries) for group, entries in config.entry_points.items()} == {
        "acme.plugins": {"core": "acme_tools.plugins:Core"},
        "console_scripts": {"acme": "acme_tools.cli:main"},
    }
    assert config.settings.exclude == ("**/*.tmp",)
    assert config.version_settings is not None
    assert config.version_settings.path == "src/acme_tools/_version.py"
    assert config.pyproject_file == "pyproject.toml"
    assert config.metadata.startswith("Metadata-Version: 2.4\nName: Acme_Tools\nVersion: 0.3.0\n")
    assert config.metadata.endswith("License-Expression: MIT\nLicense-File: LICENSE.txt\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.version = "1"  # type: ignore[misc]


def test_project_and_tool_problems_in_one_error(tmp_path: Path) -> None:
    make(tmp_path, '[project]\nname = "x y"\nversion = "1"\n[tool.pallet.build]\nsorce = "src"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.problems == (
        "pyproject.toml: [project] field 'name': 'x y' is not a valid project name; use ASCII "
        "letters, digits, '.', '_' and '-', starting and ending with a letter or digit",
        "pyproject.toml: [tool.pallet.build] field 'sorce': unknown field; did you mean 'source'?",
    )
    assert info.value.key == "project.name"
    assert info.value.value == "x y"


def test_for_editable_gives_the_same_config(tmp_path: Path) -> None:
    make(tmp_path)
    assert load_config(tmp_path, for_editable=True) == load_config(tmp_path)
