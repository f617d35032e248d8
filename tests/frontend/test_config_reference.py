"""docs/config.md against the code: the keys each ``[tool.pallet]`` table documents are exactly
the keys its reader accepts, the page's full example loads through both readers (pallet's
`read_project` and pallet-core's `load_config`), and an unknown key in each table is refused.

The accepted keys are the readers' own known-key tuples, the very ones they validate against
(`project.settings`, `project.resolution`, `project.variants`, `install.script_metadata`,
`pallet_core.settings`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from pallet.errors import PalletError
from pallet.install import script_metadata
from pallet.project import resolution, settings, tasks, variants, workspace
from pallet.project.pyproject import read_project
from pallet_core import settings as core_settings
from pallet_core.config import load_config
from pallet_core.errors import PalletCoreError

DOC = Path(__file__).parents[2] / "docs" / "config.md"
SCRIPT = "`[tool.pallet]` in a PEP 723 script"
WORKSPACE = "`[tool.pallet.workspace]`"
MEMBER_SOURCE = "`[tool.pallet.sources]` entries: a workspace member"

#: each documented table (its heading on the page) -> the keys its reader accepts
ACCEPTED: dict[str, tuple[str, ...]] = {
    "`[tool.pallet]`": settings._TOOL_KEYS,
    "`[[tool.pallet.index]]`": settings._INDEX_KEYS,
    "`[tool.pallet.sources]` entries: a local path": settings._PATH_SOURCE_KEYS,
    "`[tool.pallet.sources]` entries: a git repository": settings._GIT_SOURCE_KEYS,
    MEMBER_SOURCE: settings._WORKSPACE_SOURCE_KEYS,
    WORKSPACE: workspace._KEYS,
    "`[tool.pallet.resolution]`": resolution._RESOLUTION_KEYS,
    "`[tool.pallet.variants]`": variants._KEYS,
    "`[tool.pallet.variants.<extra>]`": variants._VARIANT_KEYS,
    "`[tool.pallet.build]`": core_settings._BUILD_KEYS,
    "`[tool.pallet.build.data]`": core_settings.DATA_SCHEMES,
    "`[tool.pallet.version]`": core_settings._VERSION_KEYS,
    "`[tool.pallet.scripts.<name>]`": (*tasks._KINDS, *tasks._OPTIONS),
    SCRIPT: script_metadata._TOOL_KEYS,
}


def _documented() -> dict[str, set[str]]:
    """heading -> the keys in the first column of the key table under it."""
    out: dict[str, set[str]] = {}
    heading = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("| `") and heading is not None:
            key = re.match(r"\| `([^`]+)` \|", line)
            assert key, line
            out.setdefault(heading, set()).add(key.group(1))
    return out


def test_every_documented_table_is_known() -> None:
    assert set(_documented()) == set(ACCEPTED)


@pytest.mark.parametrize("heading", list(ACCEPTED))
def test_documented_keys_are_the_accepted_keys(heading: str) -> None:
    assert _documented()[heading] == set(ACCEPTED[heading])


def _block(after: str, language: str) -> str:
    text = DOC.read_text(encoding="utf-8").split(after, 1)[1]
    return text.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def _examples() -> list[dict[str, Any]]:
    """The page's full example, and the same with the ``vcs`` example of
    ``[tool.pallet.version]``."""
    data: dict[str, Any] = tomlkit.parse(_block("## A full example", "toml")).unwrap()
    vcs = copy.deepcopy(data)
    version = tomlkit.parse(_block("## `[tool.pallet.version]`", "toml")).unwrap()
    vcs["tool"]["pallet"]["version"] = version["tool"]["pallet"]["version"]
    return [data, vcs]


def _tables(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(heading, table) for every table of the example that a documented heading describes."""
    pallet = data["tool"]["pallet"]
    yield "`[tool.pallet]`", pallet
    for index in pallet["index"]:
        yield "`[[tool.pallet.index]]`", index
    for entry in pallet["sources"].values():
        if isinstance(entry, dict):
            kind = "a local path" if "path" in entry else "a git repository"
            yield f"`[tool.pallet.sources]` entries: {kind}", entry
    yield "`[tool.pallet.resolution]`", pallet["resolution"]
    yield (
        "`[tool.pallet.variants]`",
        {k: v for k, v in pallet["variants"].items() if not isinstance(v, dict)},
    )
    for value in pallet["variants"].values():
        if isinstance(value, dict):
            yield "`[tool.pallet.variants.<extra>]`", value
    yield "`[tool.pallet.build]`", pallet["build"]
    yield "`[tool.pallet.build.data]`", pallet["build"]["data"]
    yield "`[tool.pallet.version]`", pallet["version"]
    for task in pallet.get("scripts", {}).values():
        if isinstance(task, dict):
            yield "`[tool.pallet.scripts.<name>]`", task


def _project(root: Path, data: dict[str, Any]) -> Path:
    """A project with the folders the example names, and ``data`` as its pyproject.toml."""
    project = root / "demo"
    for folder in ("src/demo", "scripts", "data", "include", "purelib", "platlib"):
        (project / folder).mkdir(parents=True, exist_ok=True)
    (project / "src/demo/__init__.py").write_text('__version__ = "1.0"\n', encoding="utf-8")
    (root / "lib").mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(tomlkit.dumps(data), encoding="utf-8")
    return project


def _read_tasks(project: Path) -> object:
    """The reader of ``pallet run`` (tasks and env files: not lock inputs, so not in
    `read_project`)."""
    path = project / "pyproject.toml"
    return tasks.parse_run_config(tomlkit.parse(path.read_text("utf-8")).unwrap(), file=str(path))


LOADERS: list[Callable[[Path], object]] = [read_project, load_config, _read_tasks]


def test_the_examples_have_every_key_and_load(tmp_path: Path) -> None:
    used: dict[str, set[str]] = {}
    for data in _examples():
        for heading, table in _tables(data):
            used.setdefault(heading, set()).update(table)
    expected = {heading: set(keys) for heading, keys in _documented().items()}
    del expected[SCRIPT]  # the workspace's own example below; the script's in its test
    del expected[WORKSPACE], expected[MEMBER_SOURCE]
    expected["`[tool.pallet]`"].discard("workspace")
    assert {h: k for h, k in used.items() if k} == {h: k for h, k in expected.items() if k}

    attr, vcs = (_project(tmp_path / name, data) for name, data in zip("ab", _examples()))
    spec = read_project(attr)
    assert [index.name for index in spec.indexes] == ["pytorch-cu126", "corp"]
    assert spec.variants is not None and spec.variants.default == "cpu"
    config = load_config(attr)
    assert config.settings.data["headers"] == "include"
    assert config.version == "1.0"  # attr: __version__ of src/demo/__init__.py
    assert load_config(vcs).version == "0.0.0"  # vcs outside a git checkout: the fallback


#: one case per documented table (its first table in the example), while its reader exists
UNKNOWN_KEY_CASES = list(
    dict.fromkeys(heading for heading, _ in _tables(_examples()[0]) if ACCEPTED[heading])
)


@pytest.mark.parametrize("heading", UNKNOWN_KEY_CASES)
def test_an_unknown_key_is_refused(tmp_path: Path, heading: str) -> None:
    data = _examples()[0]
    if heading == "`[tool.pallet.variants]`":  # _tables yields a filtered copy of this one
        table = data["tool"]["pallet"]["variants"]
    else:
        table = next(t for h, t in _tables(data) if h == heading)
    table["zzz-unknown"] = "x"
    project = _project(tmp_path, data)
    messages = []
    for load in LOADERS:
        try:
            load(project)
        except (PalletError, PalletCoreError) as exc:
            messages.append(str(exc))
    assert any("zzz-unknown" in message for message in messages), messages


def _script(tmp_path: Path, block: str) -> Path:
    path = tmp_path / "script.py"
    lines = "".join(f"# {line}\n" if line else "#\n" for line in block.splitlines())
    path.write_text(f"# /// script\n{lines}# ///\nprint('hi')\n", encoding="utf-8")
    return path


def test_the_script_example_loads_and_an_unknown_key_is_refused(tmp_path: Path) -> None:
    example = "\n".join(
        line.removeprefix("# ").removeprefix("#")
        for line in _block(SCRIPT, "python").splitlines()
        if line.startswith("#") and "///" not in line
    )
    metadata = script_metadata.read_script(_script(tmp_path, example))
    assert metadata is not None
    assert [index.url for index in metadata.indexes] == ["https://mirror.example.com/simple"]
    with pytest.raises(PalletError, match="zzz-unknown"):
        script_metadata.read_script(_script(tmp_path, example + '\nzzz-unknown = "x"'))


def test_the_workspace_example_loads_and_an_unknown_key_is_refused(tmp_path: Path) -> None:
    root_data = tomlkit.parse(_block(f"## {WORKSPACE}", "toml")).unwrap()
    assert set(root_data["tool"]["pallet"]["workspace"]) == set(workspace._KEYS)
    for name, source in (("lib", None), ("app", {"lib": {"workspace": True}}), ("scratch", None)):
        member = tmp_path / "packages" / name
        member.mkdir(parents=True)
        data: dict[str, Any] = {
            "project": {"name": name, "version": "1.0"},
            "build-system": {"requires": ["pallet-core"], "build-backend": "pallet_core.build"},
        }
        if name == "scratch":
            data = {"tool": {"other": {}}}  # not a project: excluded, so no error
        if source is not None:
            data["project"]["dependencies"] = ["lib"]
            data["tool"] = {"pallet": {"sources": source}}
        (member / "pyproject.toml").write_text(tomlkit.dumps(data), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(tomlkit.dumps(root_data), encoding="utf-8")
    found = workspace.read_workspace(tmp_path)
    assert found is not None and found.names() == ["app", "lib"]

    root_data["tool"]["pallet"]["workspace"]["zzz-unknown"] = "x"
    (tmp_path / "pyproject.toml").write_text(tomlkit.dumps(root_data), encoding="utf-8")
    with pytest.raises(PalletError, match="zzz-unknown"):
        workspace.read_workspace(tmp_path)


def test_a_workspace_source_takes_no_other_key(tmp_path: Path) -> None:
    data = {
        "project": {"name": "app", "version": "1.0", "dependencies": ["lib"]},
        "tool": {"pallet": {"sources": {"lib": {"workspace": True, "zzz-unknown": "x"}}}},
    }
    (tmp_path / "pyproject.toml").write_text(tomlkit.dumps(data), encoding="utf-8")
    with pytest.raises(PalletError, match="zzz-unknown"):
        read_project(tmp_path)
