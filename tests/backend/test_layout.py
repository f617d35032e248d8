"""Layout discovery: src, flat, single module, namespace portions, -stubs, explicit packages."""

from __future__ import annotations

from pathlib import Path

import pytest
from pallet_core.errors import BuildError
from pallet_core.layout import Layout, discover_layout, guess_import_name
from pallet_core.settings import BuildSettings
from support.projects import PROJECTS, write_tree

FIXTURES = PROJECTS


def tree(tmp_path: Path, *paths: str) -> Path:
    return write_tree(tmp_path, {p: "" for p in paths})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("demo", "demo"),
        ("My.Project-Name", "my_project_name"),
        ("a__b", "a_b"),
        ("foo-stubs", "foo-stubs"),
        ("Foo_Bar-stubs", "foo_bar-stubs"),
    ],
)
def test_guess_import_name(name: str, expected: str) -> None:
    assert guess_import_name(name) == expected


def test_src_layout(tmp_path: Path) -> None:
    tree(tmp_path, "src/demo/__init__.py", "demo/__init__.py")
    layout = discover_layout(tmp_path, "demo", BuildSettings())
    assert layout == Layout("src", ("demo",), "src/demo/__init__.py", "src")
    assert layout.import_names == ("demo",)


def test_flat_layout(tmp_path: Path) -> None:
    tree(tmp_path, "my_pkg/__init__.py", "tests/test_x.py")
    layout = discover_layout(tmp_path, "My-Pkg", BuildSettings())
    assert layout == Layout("", ("my_pkg",), "my_pkg/__init__.py", "flat")


def test_flat_layout_found_when_src_holds_something_else(tmp_path: Path) -> None:
    tree(tmp_path, "src/other/__init__.py", "demo/__init__.py")
    assert discover_layout(tmp_path, "demo", BuildSettings()).source_root == ""


@pytest.mark.parametrize("where", ["", "src/"])
def test_single_module(tmp_path: Path, where: str) -> None:
    tree(tmp_path, f"{where}demo.py")
    layout = discover_layout(tmp_path, "demo", BuildSettings())
    assert layout.modules == ("demo.py",)
    assert layout.kind == "module"
    assert layout.version_file == f"{where}demo.py"
    assert layout.import_names == ("demo",)


def test_stubs_package(tmp_path: Path) -> None:
    tree(tmp_path, "foo-stubs/__init__.pyi", "foo-stubs/py.typed")
    layout = discover_layout(tmp_path, "foo-stubs", BuildSettings())
    assert layout == Layout("", ("foo-stubs",), "foo-stubs/__init__.pyi", "stubs")


def test_stubs_directory_without_pyi_is_not_a_stubs_package(tmp_path: Path) -> None:
    tree(tmp_path, "foo-stubs/README")
    with pytest.raises(BuildError, match="looked for src/foo-stubs/, foo-stubs/"):
        tree(tmp_path, "src/.keep")
        discover_layout(tmp_path, "foo-stubs", BuildSettings())


def test_source_setting_names_the_directory(tmp_path: Path) -> None:
    tree(tmp_path, "frontend/demo/__init__.py", "src/demo/__init__.py")
    layout = discover_layout(tmp_path, "demo", BuildSettings(source="frontend"))
    assert layout.source_root == "frontend"
    assert layout.module_path("demo") == "frontend/demo"
    assert layout.kind == "src"


def test_source_dot_means_the_root(tmp_path: Path) -> None:
    tree(tmp_path, "demo/__init__.py")
    assert discover_layout(tmp_path, "demo", BuildSettings(source=".")).source_root == ""


def test_explicit_packages(tmp_path: Path) -> None:
    tree(tmp_path, "src/alpha/__init__.py", "src/beta/__init__.py", "src/gamma.py")
    settings = BuildSettings(packages=("beta", "alpha", "gamma"))
    layout = discover_layout(tmp_path, "anything", settings)
    assert layout.modules == ("alpha", "beta", "gamma.py")
    assert layout.version_file == "src/beta/__init__.py"  # the first one listed
    assert layout.kind == "src"


def test_namespace_portion(tmp_path: Path) -> None:
    tree(tmp_path, "src/acme/tools/cli.py")
    settings = BuildSettings(packages=("acme.tools",), namespace=True)
    layout = discover_layout(tmp_path, "acme-tools", settings)
    assert layout == Layout("src", ("acme/tools",), None, "namespace")
    assert layout.import_names == ("acme.tools",)


def test_namespace_portion_with_init_gives_version_file(tmp_path: Path) -> None:
    tree(tmp_path, "acme/tools/__init__.py")
    settings = BuildSettings(packages=("acme.tools",), namespace=True)
    assert discover_layout(tmp_path, "x", settings).version_file == "acme/tools/__init__.py"


def test_nothing_found_says_where_it_looked(tmp_path: Path) -> None:
    tree(tmp_path, "src/other/__init__.py")
    with pytest.raises(BuildError) as info:
        discover_layout(tmp_path, "My-Demo", BuildSettings())
    message = str(info.value)
    assert "src/my_demo/__init__.py, src/my_demo.py, my_demo/__init__.py, my_demo.py" in message
    assert "packages" in message and "source" in message


def test_directory_without_init_hints_at_namespace(tmp_path: Path) -> None:
    tree(tmp_path, "demo/module.py")
    with pytest.raises(BuildError, match=r"demo/ exists but has no __init__.py.*namespace"):
        discover_layout(tmp_path, "demo", BuildSettings())


def test_package_and_module_of_one_name_is_ambiguous(tmp_path: Path) -> None:
    tree(tmp_path, "demo/__init__.py", "demo.py")
    with pytest.raises(BuildError, match="ambiguous"):
        discover_layout(tmp_path, "demo", BuildSettings())


def test_explicit_package_missing(tmp_path: Path) -> None:
    tree(tmp_path, "src/alpha/__init__.py")
    with pytest.raises(BuildError, match=r"'packages': 'beta' not found in src/"):
        discover_layout(tmp_path, "x", BuildSettings(packages=("alpha", "beta")))


def test_dotted_package_needs_namespace(tmp_path: Path) -> None:
    tree(tmp_path, "acme/__init__.py", "acme/tools/__init__.py")
    with pytest.raises(BuildError, match="namespace = true"):
        discover_layout(tmp_path, "x", BuildSettings(packages=("acme.tools",)))


def test_namespace_without_packages(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"'namespace'.*packages = \[\"acme.tools\"\]"):
        discover_layout(tmp_path, "acme", BuildSettings(namespace=True))


def test_missing_source_directory(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="'source': directory 'lib/' does not exist"):
        discover_layout(tmp_path, "demo", BuildSettings(source="lib"))


@pytest.mark.parametrize(
    ("case", "modules", "kind"),
    [
        ("src-layout", ("srcdemo",), "src"),
        ("flat-layout", ("flatdemo",), "flat"),
        ("single-module", ("singlemod.py",), "module"),
        ("namespace-package", ("acme/tools",), "namespace"),
        ("stubs-package", ("foo-stubs",), "stubs"),
        ("multiple-packages", ("alpha", "beta", "gamma.py"), "src"),
    ],
)
def test_fixture_layouts(case: str, modules: tuple[str, ...], kind: str) -> None:
    from pallet_core.config import load_config

    layout = load_config(FIXTURES / case).layout
    assert (layout.modules, layout.kind) == (modules, kind)
