"""`project.locate` (where a command's folder is) and `project.workspace` (members read and
merged into one spec), on workspaces written into tmp_path; no index, no build."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from pallet.errors import ProjectError
from pallet.project.locate import find_root, input_bytes
from pallet.project.workspace import read_workspace, workspace_spec
from pallet.project.workspace_edit import add_member

ROOT = '[tool.pallet.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/old"]\n'


def member(root: Path, folder: str, body: str) -> Path:
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text(body, encoding="utf-8")
    return path


def project(name: str, more: str = "") -> str:
    build = '[build-system]\nrequires = ["pallet-core"]\nbuild-backend = "pallet_core.build"\n'
    return f'{build}[project]\nname = "{name}"\nversion = "1.0"\n{more}'


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pyproject.toml").write_text(ROOT, encoding="utf-8")
    member(
        root,
        "packages/a",
        project(
            "a",
            'requires-python = ">=3.9"\ndependencies = ["x>=1"]\n'
            '[project.optional-dependencies]\ncli = ["click"]\n'
            '[dependency-groups]\ndev = ["pytest"]\n',
        ),
    )
    member(
        root,
        "packages/b",
        project(
            "b",
            'requires-python = ">=3.11,<4"\n'
            'dependencies = ["a"]\n[tool.pallet.sources]\na = { workspace = true }\n'
            '[project.optional-dependencies]\ncli = ["rich"]\n',
        ),
    )
    member(root, "packages/old", project("old"))  # excluded
    return root


def test_find_root_from_members_and_elsewhere(workspace: Path, tmp_path: Path) -> None:
    deep = workspace / "packages" / "b" / "src" / "b"
    deep.mkdir(parents=True)
    real = str(workspace.resolve())
    assert find_root(str(deep)) == (real, str((workspace / "packages" / "b").resolve()))
    assert find_root(str(workspace)) == (real, real)
    # an excluded folder, and a project nested deeper than the globs, are their own roots
    old = str((workspace / "packages" / "old").resolve())
    assert find_root(old) == (old, old)
    nested = member(workspace, "packages/a/tests/fixture", project("fixture"))
    assert find_root(str(nested)) == (str(nested.resolve()), str(nested.resolve()))
    assert find_root(str(tmp_path)) is None


def test_input_bytes_cover_every_member(workspace: Path) -> None:
    before = input_bytes(str(workspace))
    assert before is not None and before.startswith(ROOT.encode())
    b = workspace / "packages" / "b" / "pyproject.toml"
    b.write_text(b.read_text() + "# edited\n")
    assert input_bytes(str(workspace)) != before
    old = workspace / "packages" / "old" / "pyproject.toml"
    after = input_bytes(str(workspace))
    old.write_text(old.read_text() + "# excluded: not an input\n")
    assert input_bytes(str(workspace)) == after


def test_workspace_spec_merges_members(workspace: Path) -> None:
    found = read_workspace(workspace)
    assert found is not None and found.virtual
    assert found.names() == ["a", "b"]
    spec = workspace_spec(found)
    assert spec.name == "ws-workspace"
    assert spec.requires_python == SpecifierSet(">=3.11,<4")
    assert [str(r) for r in spec.dependencies] == ["a", "b"]
    assert sorted(str(r) for r in spec.optional_dependencies["cli"]) == ["a[cli]", "b[cli]"]
    assert [str(r) for r in spec.dependency_groups["dev"]] == ["pytest"]
    assert spec.default_groups == ("dev",)
    assert {n: (s.path, s.editable) for n, s in spec.direct_sources.items()} == {
        "a": ("packages/a", True),
        "b": ("packages/b", True),
    }
    assert [m.name for m in spec.workspace_members] == ["a", "b"]
    assert read_workspace(workspace / "packages" / "a") is None  # a member is no workspace
    # without [build-system], a member is virtual: its requirements, not itself
    b = workspace / "packages" / "b" / "pyproject.toml"
    b.write_text(b.read_text().split("[project]", 1)[1].join(["[project]", ""]))
    spec = workspace_spec(read_workspace(workspace))  # type: ignore[arg-type]
    assert [str(r) for r in spec.dependencies] == ["a", "a"]  # b's own requirement on a
    assert sorted(str(r) for r in spec.optional_dependencies["cli"]) == ["a[cli]", "rich"]
    assert set(spec.direct_sources) == {"a"}
    # a virtual member cannot be a workspace source: it is never installed itself
    a = workspace / "packages" / "a" / "pyproject.toml"
    a.write_text(a.read_text().split("[project]", 1)[1].join(["[project]", ""]))
    with pytest.raises(ProjectError, match="'a' has no \\[build-system\\]"):
        read_workspace(workspace)


@pytest.mark.parametrize(
    ("root_text", "message"),
    [
        ("[tool.pallet]\nworkspace = 1\n", "key 'workspace' must be a table"),
        ("[tool.pallet.workspace]\nmembers = []\n", "key 'members' is missing or empty"),
        ("[tool.pallet.workspace]\nmembers = 'packages/*'\n", "must be an array of glob"),
        ("[tool.pallet.workspace]\nmembers = ['/abs/*']\n", "must be a glob inside the workspace"),
        ("[tool.pallet.workspace]\nmembers = ['../*']\n", "must be a glob inside the workspace"),
        ("[tool.pallet.workspace]\nmembers = ['x']\nextra = 1\n", "key 'extra' is not allowed"),
        ("[tool.pallet.workspace]\nmembers = ['nothing/*']\n", "no folder matches"),
    ],
)
def test_bad_workspace_tables(tmp_path: Path, root_text: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(root_text, encoding="utf-8")
    with pytest.raises(ProjectError, match=message):
        read_workspace(tmp_path)


@pytest.mark.parametrize(
    ("folder", "body", "message"),
    [
        ("packages/c", project("a"), "packages/c and packages/a are both named 'a'"),
        (
            "packages/c",
            "[tool.other]\n",
            "packages/c/pyproject.toml: [project] table is missing",
        ),
        (
            "packages/c",
            project("c") + "[tool.pallet.workspace]\nmembers = ['x']\n",
            "a member cannot declare a workspace of its own",
        ),
        (
            "packages/c",
            project("c", "[tool.pallet.sources]\nzz = { workspace = true }\n"),
            "package 'zz': { workspace = true } but 'zz' is not a member; members: a, b, c",
        ),
        (
            "packages/c",
            project("c", "[tool.pallet.sources]\nzz = { workspace = 1 }\n"),
            "key 'workspace' must be true",
        ),
        (
            "packages/c",
            project("c", 'requires-python = "<3.10"\n'),
            "packages/b/pyproject.toml requires-python '<4,>=3.11' and packages/c/pyproject.toml "
            "requires-python '<3.10' share no Python version",
        ),
    ],
)
def test_bad_members(workspace: Path, folder: str, body: str, message: str) -> None:
    member(workspace, folder, body)
    with pytest.raises(ProjectError, match=re.escape(message)):
        workspace_spec(read_workspace(workspace))  # type: ignore[arg-type]


def test_add_member_keeps_the_file() -> None:
    text = '# root\n[tool.pallet.workspace]\nmembers = [\n    "packages/*",  # all\n]\n'
    out = add_member(text, "tools/x")
    assert out.startswith('# root\n[tool.pallet.workspace]\nmembers = [\n    "packages/*",  # all')
    assert '"tools/x"' in out
    with pytest.raises(ProjectError, match="no array"):
        add_member("[tool.pallet.workspace]\n", "x")
