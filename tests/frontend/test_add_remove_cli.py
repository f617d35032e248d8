"""``pallet add`` / ``pallet remove`` end to end: a loopback index, pallet as a subprocess, pip as
the judge of what the environment holds, and tomllib (not tomlkit, which wrote them) reading the
edits back. The round trips compare bytes with the original file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.sync_tools import listing, pallet, pip_list
from support.wheels import wheel_members, with_record, write_wheel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from pallet.install.script_metadata import BLOCK, read_script

#: a file full of comments and odd formatting: add then remove must give these bytes back
COMMENTED = """\
# demo: a file full of comments and odd formatting
[project]
name    =   "demo"   # spaced out
version = '1.0'
requires-python = ">=3.9"
dependencies = [
    # runtime
    "foo>=1.0",     # foo, with a comment
    'bar >= 1',
]

[project.optional-dependencies]
cli = [ "linty" ]   # an extra

[dependency-groups]
dev = ["linty"]  # linters
test = [
  "testy",  # tests
]

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    folder = tmp_path_factory.mktemp("dists")
    make_wheel(folder, "foo", "1.0", requires_dist=["bar>=1"], files={"foo/__init__.py": ""})
    for version in ("1.0", "2.0"):
        make_wheel(folder, "bar", version, files={"bar/__init__.py": ""})
    for name, version in (("six", "1.16.0"), ("linty", "0.5"), ("testy", "8.0")):
        make_wheel(folder, name, version, files={f"{name}/__init__.py": ""})
    # locks fine, and sync refuses it (it writes outside the environment)
    members = wheel_members("evil", "1.0", {"evil/__init__.py": ""})
    members["../../../escaped.py"] = b"print('escaped')\n"
    write_wheel(folder / "evil-1.0-py3-none-any.whl", with_record(members, "evil-1.0.dist-info"))
    with IndexServer(folder) as server:
        yield server


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def env(env: dict[str, str], shared_cache: Path) -> dict[str, str]:
    return dict(env, PALLET_CACHE_DIR=str(shared_cache))


@pytest.fixture
def project(tmp_path: Path, index: IndexServer) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(COMMENTED.format(url=index.url), encoding="utf-8")
    return root


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def data(project: Path) -> dict[str, Any]:
    return tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))


def test_add_then_remove_is_byte_identical_and_synced(project: Path, env: dict[str, str]) -> None:
    before = (project / "pyproject.toml").read_bytes()
    ok(pallet(project, env, "add", "six"))
    # the bare name got the locked version as its lower bound, after the existing items
    assert data(project)["project"]["dependencies"] == ["foo>=1.0", "bar >= 1", "six>=1.16.0"]
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert "    'bar >= 1',\n    \"six>=1.16.0\",\n]" in text  # indented like its neighbours
    assert pip_list(project / ".venv")["six"] == "1.16.0"
    lock = tomllib.loads((project / "pylock.toml").read_text(encoding="utf-8"))
    assert "six" in {p["name"] for p in lock["packages"]}
    ok(pallet(project, env, "remove", "six"))
    assert (project / "pyproject.toml").read_bytes() == before
    assert "six" not in pip_list(project / ".venv")


def test_a_present_requirement_is_replaced_in_place(project: Path, env: dict[str, str]) -> None:
    ok(pallet(project, env, "add", "--frozen", "FOO>=1.0,<2"))
    assert data(project)["project"]["dependencies"] == ["FOO>=1.0,<2", "bar >= 1"]
    assert not (project / "pylock.toml").exists()  # --frozen: neither lock nor sync


@pytest.mark.parametrize(
    ("options", "path"),
    [
        (["--dev"], ("dependency-groups", "dev")),
        (["--group", "test"], ("dependency-groups", "test")),
        (["--group", "docs"], ("dependency-groups", "docs")),
        (["--optional", "cli"], ("project", "optional-dependencies", "cli")),
    ],
)
def test_each_table_option(
    project: Path, env: dict[str, str], options: list[str], path: tuple[str, ...]
) -> None:
    before = (project / "pyproject.toml").read_bytes()
    old: Any = tomllib.loads(before.decode())
    for key in path:
        old = old.get(key, [])
    ok(pallet(project, env, "add", "--no-sync", *options, "six"))
    new: Any = data(project)
    for key in path:
        new = new[key]
    assert new == [*old, "six>=1.16.0"]
    assert data(project)["project"]["dependencies"] == ["foo>=1.0", "bar >= 1"]
    assert not (project / ".venv").exists()  # --no-sync
    ok(pallet(project, env, "remove", "--no-sync", "six"))
    if path[-1] != "docs":  # a new group's table stays (empty) once its last item goes
        assert (project / "pyproject.toml").read_bytes() == before


def test_sources_round_trip(project: Path, env: dict[str, str], tmp_path: Path) -> None:
    before = (project / "pyproject.toml").read_bytes()
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "pyproject.toml").write_text('[project]\nname = "My_Lib"\nversion = "0.1"\n')
    ok(pallet(project, env, "add", "--frozen", "--editable", str(lib)))
    ok(pallet(project, env, "add", "--frozen", "--dev", "mypkg", "--git", "https://h/x.git"))
    ok(pallet(project, env, "add", "--frozen", "--index", "local", "six"))
    sources = data(project)["tool"]["pallet"]["sources"]
    assert sources == {
        "My_Lib": {"path": "../lib", "editable": True},
        "mypkg": {"git": "https://h/x.git"},
        "six": "local",
    }
    assert data(project)["dependency-groups"]["dev"] == ["linty", "mypkg"]
    ok(pallet(project, env, "remove", "--frozen", "my-lib", "mypkg", "six"))
    assert (project / "pyproject.toml").read_bytes() == before


def test_a_source_another_table_needs_stays(project: Path, env: dict[str, str]) -> None:
    ok(pallet(project, env, "add", "--frozen", "--index", "local", "linty"))
    assert data(project)["tool"]["pallet"]["sources"] == {"linty": "local"}
    ok(pallet(project, env, "remove", "--frozen", "--dev", "linty"))
    assert data(project)["tool"]["pallet"]["sources"] == {"linty": "local"}  # the extra has it


@pytest.mark.parametrize("requirement", ["nosuchpkg", "bar<1"], ids=["missing", "conflict"])
def test_a_failed_add_changes_no_file_and_no_package(
    project: Path, env: dict[str, str], requirement: str
) -> None:
    ok(pallet(project, env, "sync"))
    files = {n: (project / n).read_bytes() for n in ("pyproject.toml", "pylock.toml")}
    installed = pip_list(project / ".venv")
    proc = pallet(project, env, "add", requirement, "six")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert {n: (project / n).read_bytes() for n in files} == files
    assert pip_list(project / ".venv") == installed
    assert sorted(p.name for p in project.iterdir()) == [".venv", "pylock.toml", "pyproject.toml"]


def test_a_failed_sync_puts_the_files_back(project: Path, env: dict[str, str]) -> None:
    ok(pallet(project, env, "sync"))
    files = {n: (project / n).read_bytes() for n in ("pyproject.toml", "pylock.toml")}
    before = listing(project / ".venv")
    proc = pallet(project, env, "add", "evil", "six")
    assert proc.returncode == 1, proc.stderr
    assert "evil-1.0-py3-none-any.whl" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert {n: (project / n).read_bytes() for n in files} == files
    assert listing(project / ".venv") == before


def test_remove_absent_or_ambiguous_is_one_line(project: Path, env: dict[str, str]) -> None:
    before = (project / "pyproject.toml").read_bytes()
    proc = pallet(project, env, "remove", "six")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: pyproject.toml: 'six' is not a dependency of the project"
    )
    proc = pallet(project, env, "remove", "linty")  # in the extra and in the dev group
    assert proc.returncode == 2
    assert "[project.optional-dependencies] 'cli', [dependency-groups] 'dev'" in proc.stderr
    proc = pallet(project, env, "remove", "--group", "test", "foo")
    assert proc.returncode == 2
    assert "'foo' is not in [dependency-groups] 'test'; it is in [project] dependencies" in (
        proc.stderr
    )
    assert (project / "pyproject.toml").read_bytes() == before


def test_script_block_is_edited(tmp_path: Path, env: dict[str, str]) -> None:
    script = tmp_path / "tool.py"
    script.write_text(
        "#!/usr/bin/env python\n# /// script\n# requires-python = '>=3.9'\n"
        '# dependencies = [\n#   "foo",  # kept\n# ]\n#\n# [tool.other]\n# a = 1\n# ///\n'
        "print('hi')\n"
    )
    ok(pallet(tmp_path, env, "add", "--script", str(script), "six>=1", "FOO<2"))
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env python\n# /// script\n")
    assert text.endswith("# ///\nprint('hi')\n")
    block = BLOCK.search(text)
    assert block is not None
    # PEP 723's reference reader: each line without its first two characters
    lines = block.group("content").splitlines(keepends=True)
    parsed = tomllib.loads("".join(line[2:] for line in lines))
    assert parsed == {
        "requires-python": ">=3.9",
        "dependencies": ["FOO<2", "six>=1"],
        "tool": {"other": {"a": 1}},
    }
    assert [str(r) for r in read_script(script).dependencies] == ["FOO<2", "six>=1"]


def test_script_without_a_block_gets_one(tmp_path: Path, env: dict[str, str]) -> None:
    script = tmp_path / "bare.py"
    script.write_text("#!/usr/bin/env python\nprint('hi')\n")
    ok(pallet(tmp_path, env, "add", "--script", str(script), "six"))
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env python\n# /// script\n")
    assert [str(r) for r in read_script(script).dependencies] == ["six"]
