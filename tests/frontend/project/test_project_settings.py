"""pallet.project.settings: [tool.pallet] index, sources, resolution and default-groups."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pallet.errors import ProjectError
from pallet.project.model import PYPI, IndexConfig
from pallet.project.problems import Problems
from pallet.project.settings import ToolSettings, parse_tool_settings


def _settings(raw: Any) -> ToolSettings:
    problems = Problems("pyproject.toml")
    settings = parse_tool_settings(raw, problems)
    problems.raise_if_any()
    return settings


def test_no_table_means_pypi_only() -> None:
    assert _settings(None) == ToolSettings()
    assert _settings({}).indexes == (PYPI,)


def test_flat_index_and_sources_normalized() -> None:
    settings = _settings(
        {
            "index": [
                {"name": "local", "url": "./wheels", "format": "flat", "explicit": True},
                {"name": "corp", "url": "https://corp.invalid/simple", "default": True},
            ],
            "sources": {"My_Pkg": "local", "other": "corp"},
        }
    )
    assert settings.indexes == (
        IndexConfig("local", "./wheels", explicit=True, format="flat"),
        IndexConfig("corp", "https://corp.invalid/simple", default=True),
    )
    assert dict(settings.sources) == {"my-pkg": "local", "other": "corp"}


def test_source_may_name_implicit_pypi() -> None:
    settings = _settings({"sources": {"requests": "pypi"}})
    assert dict(settings.sources) == {"requests": "pypi"}


def test_resolution_settings() -> None:
    settings = _settings(
        {"resolution": {"prerelease": "disallow", "max-python": "3.12", "environments": []}}
    )
    assert settings.resolution.prerelease == "disallow"
    assert settings.resolution.max_python == "3.12"
    assert settings.resolution.fork_strategy == "requires-python"
    assert settings.resolution.implementations == ("cpython",)
    assert settings.resolution.linux_libc == ("glibc",)


def test_universe_and_fork_settings() -> None:
    resolution = _settings(
        {
            "resolution": {
                "fork-strategy": "fewest",
                "required-environments": ["sys_platform == 'win32'"],
                "implementations": ["cpython", "pypy"],
                "linux-libc": ["musl"],
            }
        }
    ).resolution
    assert resolution.fork_strategy == "fewest"
    assert resolution.required_environments == ("sys_platform == 'win32'",)
    assert resolution.implementations == ("cpython", "pypy")
    assert resolution.linux_libc == ("musl",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"index": [{"name": "pypi", "url": "https://mirror.invalid/simple"}]},
            "[tool.pallet.index] index 'pypi': no index is marked default = true, and the name "
            "'pypi' is reserved",
        ),
        (
            {"index": [{"url": "https://x.invalid/simple"}]},
            "[tool.pallet.index] entry 1: key 'name' is missing",
        ),
        (
            {"index": [{"name": "x", "url": "https://x.invalid/simple", "format": "html"}]},
            "index 'x': key 'format' is 'html'; use 'simple' or 'flat'",
        ),
        (
            {"index": [{"name": "x", "url": "./dir"}]},
            "index 'x': key 'url' is './dir'; a simple index needs an http, https or file URL",
        ),
        (
            {"index": [{"name": "x", "url": "https://x.invalid/simple", "default": "yes"}]},
            "index 'x': key 'default' must be true or false, not 'yes'",
        ),
        ({"index": {"name": "x"}}, "[[tool.pallet.index]] must be an array of tables"),
        (
            {"sources": {"a": "pypi", "A": "pypi"}},
            "[tool.pallet.sources] key 'A' names the same package as 'a'",
        ),
        ({"sources": {"a": 1}}, "package 'a': the value must be an index name"),
        (
            {"resolution": {"max-python": 3.12}},
            "key 'max-python' is 3.12; use a Python 3 minor version like '3.14'",
        ),
        ({"default-groups": "dev"}, "key 'default-groups': must be an array of group names"),
        (
            {"resolution": {"fork-strategy": "most"}},
            "[tool.pallet.resolution] key 'fork-strategy' is 'most'; use 'requires-python' or "
            "'fewest'",
        ),
        (
            {"resolution": {"required-environments": ["sys_platform = 'win32'"]}},
            "key 'required-environments' entry 1: \"sys_platform = 'win32'\" is not a valid marker",
        ),
        (
            {"resolution": {"implementations": ["jython"]}},
            "key 'implementations' is ['jython']; use a non-empty array of 'cpython' and/or 'pypy'",
        ),
        (
            {"resolution": {"linux-libc": []}},
            "key 'linux-libc' is []; use a non-empty array of 'glibc' and/or 'musl'",
        ),
        ({"indexes": []}, "key 'indexes' is not allowed; did you mean 'index'?"),
    ],
)
def test_invalid_settings(raw: Any, message: str) -> None:
    with pytest.raises(ProjectError) as info:
        _settings(raw)
    assert message in str(info.value)
    assert str(info.value).startswith("pyproject.toml: ")


def test_all_problems_at_once() -> None:
    with pytest.raises(ProjectError) as info:
        _settings(
            {
                "index": [{"name": "a", "url": "https://a.invalid/simple", "defualt": True}],
                "resolution": {"prerelease": "maybe", "environmants": []},
            }
        )
    assert len(str(info.value).splitlines()) == 3


def test_no_build_and_no_binary() -> None:
    only_build = _settings({"resolution": {"no-build": ["Foo_Bar", "baz"]}}).resolution
    assert only_build.no_build == frozenset({"foo-bar", "baz"}) and only_build.no_binary is False
    both = _settings({"resolution": {"no-build": ["a"], "no-binary": ["b"]}}).resolution
    assert both.no_build == frozenset({"a"}) and both.no_binary == frozenset({"b"})
    assert _settings({"resolution": {"no-build": True}}).resolution.no_build is True
    assert _settings({}).resolution.no_build is False


@pytest.mark.parametrize(
    ("resolution", "message"),
    [
        (
            {"no-build": "yes"},
            "key 'no-build' must be true, false or an array of package names, not a string",
        ),
        ({"no-binary": ["ok", "-bad-"]}, "key 'no-binary' entry 2: '-bad-' is not a valid"),
        (
            {"no-build": ["Foo"], "no-binary": ["foo", "bar"]},
            "keys 'no-build' and 'no-binary' both name 'foo': such a package could be "
            "installed neither from a wheel nor from an sdist",
        ),
        ({"no-build": True, "no-binary": True}, "both name every package"),
        ({"no-build": True, "no-binary": ["x"]}, "both name 'x'"),
    ],
)
def test_invalid_build_switches(resolution: dict[str, Any], message: str) -> None:
    with pytest.raises(ProjectError, match=re.escape(message)):
        _settings({"resolution": resolution})


def test_path_and_git_source_tables() -> None:
    from pallet.project.model import DirectSource

    settings = _settings(
        {
            "sources": {
                "Lib": {"path": "../lib", "editable": True},
                "tool": {"git": "https://example.invalid/tool.git", "tag": "v1.2"},
                "plain": {"git": "https://example.invalid/plain.git"},
                "torch": "pypi",
            }
        }
    )
    assert dict(settings.sources) == {"torch": "pypi"}
    assert dict(settings.direct_sources) == {
        "lib": DirectSource("path", path="../lib", editable=True),
        "tool": DirectSource(
            "git", url="https://example.invalid/tool.git", requested="v1.2", reference="tag"
        ),
        "plain": DirectSource("git", url="https://example.invalid/plain.git"),
    }


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"path": "a", "git": "https://x/y.git"}, "exactly one of 'path' or 'git', not both"),
        ({"editable": True}, "exactly one of 'path' or 'git'; an index is named by a string"),
        (
            {"path": "a", "editible": True},
            "key 'editible' is not allowed; did you mean 'editable'?",
        ),
        ({"path": "a", "editable": "yes"}, "key 'editable' must be true or false, not a string"),
        ({"git": "https://x/y.git", "rev": "a", "tag": "b"}, "at most one of 'rev', 'tag'"),
        ({"git": "ftp://x/y.git"}, "key 'git' is 'ftp://x/y.git'; use an http, https, ssh"),
        ({"git": "https://x/y.git", "subdirectory": "../up"}, "a path inside the repository"),
        ({"path": ""}, "key 'path' is empty"),
    ],
)
def test_invalid_source_tables(table: Any, message: str) -> None:
    with pytest.raises(ProjectError) as info:
        _settings({"sources": {"lib": table}})
    assert str(info.value).startswith("pyproject.toml: [tool.pallet.sources] package 'lib': ")
    assert message in str(info.value)


def test_publish_url() -> None:
    index = {"name": "corp", "url": "https://corp.invalid/simple", "default": True}
    settings = _settings({"index": [dict(index, **{"publish-url": "https://corp.invalid/up/"})]})
    assert settings.indexes[0].publish_url == "https://corp.invalid/up/"
    assert _settings({"index": [index]}).indexes[0].publish_url is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://me:hunter22@corp.invalid/up/", "key 'publish-url' holds credentials"),
        ("https://token@corp.invalid/up/", "key 'publish-url' holds credentials"),
        ("ftp://corp.invalid/up/", "key 'publish-url' is 'ftp://corp.invalid/up/'; use an http"),
        ("https:///up/", "key 'publish-url' is 'https:///up/'; use an http"),
        ("", "key 'publish-url' is empty"),
        (5, "key 'publish-url' is an integer, not a URL"),
    ],
)
def test_invalid_publish_url(value: Any, message: str) -> None:
    index = {"name": "corp", "url": "https://corp.invalid/simple", "publish-url": value}
    with pytest.raises(ProjectError, match=re.escape(message)) as caught:
        _settings({"index": [index]})
    assert "[tool.pallet.index]" in str(caught.value)
    assert "hunter22" not in str(caught.value)
