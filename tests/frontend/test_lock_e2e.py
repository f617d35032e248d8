"""``pallet lock`` end to end: a real loopback index of test-built dists, pallet as a subprocess,
and the uv interoperability check (uv installs exactly what pylock.toml locks)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer
from support.lock_tools import pylock_selection, run_pallet_lock, uv_install

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

UV = Path(sys.executable).parent / "uv"
HEAVY = ("urllib3", "resolvelib", "pallet.index", "pallet.resolve")

PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["foo>=1", "baz"]

[project.optional-dependencies]
cli = ["clicky"]

[dependency-groups]
test = ["testy"]
dev = [{{include-group = "test"}}, "linty"]

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
"""


@pytest.fixture
def dists(tmp_path: Path) -> Path:
    folder = tmp_path / "dists"
    make_wheel(folder, "foo", "1.0")
    make_wheel(folder, "foo", "2.0", requires_dist=["bar>=1", "colorama; sys_platform == 'win32'"])
    make_wheel(folder, "bar", "1.0")
    make_wheel(folder, "colorama", "0.4.6")
    make_wheel(folder, "clicky", "1.0", requires_dist=["bar"])
    make_wheel(folder, "testy", "8.0")
    make_wheel(folder, "linty", "0.5")
    make_sdist(folder, "baz", "1.0")  # metadata only through its PEP 517 hook
    return folder


@pytest.fixture
def index(dists: Path) -> Iterator[IndexServer]:
    with IndexServer(dists) as server:
        yield server


@pytest.fixture
def project(tmp_path: Path, index: IndexServer) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(url=index.url), encoding="utf-8")
    return root


def pallet(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_pallet_lock(project, env, *args, timeout=300)


def locked(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((project / "pylock.toml").read_text(encoding="utf-8"))
    return data


def versions(data: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["version"] for p in data["packages"]}


def active(marker: str) -> set[str]:
    """The single dependency groups for which a lock marker is true (on this machine)."""
    from packaging.markers import Marker

    parsed = Marker(marker)
    return {
        group
        for group in ("dev", "test", "other")
        if parsed.evaluate(
            {"extras": frozenset(), "dependency_groups": frozenset({group})},
            context="lock_file",
        )
    }


def edit(project: Path, old: str, new: str) -> None:
    path = project / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_lock_content(project: Path, env: dict[str, str], index: IndexServer) -> None:
    proc = pallet(project, env)
    assert proc.returncode == 0, proc.stderr
    # a first lock prints a summary, not one line per package (those come with -v)
    assert re.fullmatch(r"Locked 7 packages in \d+\.\d\ds\n", proc.stderr)
    data = locked(project)
    assert data["lock-version"] == "1.0"
    assert data["created-by"] == "pallet"
    assert data["requires-python"] == ">=3.9"
    assert data["extras"] == ["cli"]
    assert data["dependency-groups"] == ["dev", "test"]
    assert data["default-groups"] == ["dev"]
    assert versions(data) == {
        "bar": "1.0",
        "baz": "1.0",
        "clicky": "1.0",
        "colorama": "0.4.6",
        "foo": "2.0",
        "linty": "0.5",
        "testy": "8.0",
    }
    by_name = {p["name"]: p for p in data["packages"]}
    assert "marker" not in by_name["foo"]
    assert "marker" not in by_name["bar"]  # reached from foo (no condition) and clicky
    assert by_name["colorama"]["marker"] == 'sys_platform == "win32"'
    assert by_name["clicky"]["marker"] == '"cli" in extras'
    assert active(by_name["testy"]["marker"]) == {"dev", "test"}
    assert active(by_name["linty"]["marker"]) == {"dev"}
    assert by_name["foo"]["dependencies"] == [{"name": "bar"}, {"name": "colorama"}]
    assert by_name["baz"]["sdist"]["name"] == "baz-1.0.tar.gz"
    for package in data["packages"]:
        assert package["index"] == index.url
        for file in [
            *package.get("wheels", []),
            *([package["sdist"]] if "sdist" in package else []),
        ]:
            assert file["url"].startswith(index.files_url)
            assert len(file["hashes"]["sha256"]) == 64
    assert data["tool"]["pallet"]["fingerprint"].startswith("sha256:")

    from pallet.lock.validate import validate_lock

    assert validate_lock(project / "pylock.toml") == []


def test_relock_is_byte_identical(project: Path, env: dict[str, str]) -> None:
    assert pallet(project, env).returncode == 0
    first = (project / "pylock.toml").read_bytes()
    proc = pallet(project, env)
    assert proc.returncode == 0
    assert proc.stderr == "Lock is up to date\n"
    assert pallet(project, env, "--upgrade").returncode == 0  # a full resolution again
    assert (project / "pylock.toml").read_bytes() == first
    (project / "pylock.toml").unlink()
    assert pallet(project, env).returncode == 0  # from scratch
    assert (project / "pylock.toml").read_bytes() == first


def test_fast_path_imports_no_index_or_resolver(project: Path, env: dict[str, str]) -> None:
    assert pallet(project, env).returncode == 0
    code = (
        "import sys, json\n"
        "from pallet.__main__ import main\n"
        f"rc = main(['lock', '--project', {str(project)!r}])\n"
        "print(json.dumps([rc, sorted(sys.modules)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    rc, modules = json.loads(proc.stdout)
    assert rc == 0
    assert "Lock is up to date" in proc.stderr
    assert [m for m in modules if m.startswith(HEAVY)] == []


def test_check(project: Path, env: dict[str, str]) -> None:
    proc = pallet(project, env, "--check")
    assert proc.returncode == 1
    assert "pylock.toml does not exist" in proc.stderr
    assert not (project / "pylock.toml").exists()

    assert pallet(project, env).returncode == 0
    before = (project / "pylock.toml").read_bytes()
    proc = pallet(project, env, "--check")
    assert (proc.returncode, proc.stderr) == (0, "Lock is up to date\n")

    # formatting and unrelated keys do not make the lock stale
    edit(project, 'version = "1.0"', 'version = "1.1"\ndescription = "x"')
    edit(
        project, 'dependencies = ["foo>=1", "baz"]', 'dependencies = [\n  "baz",\n  "foo >= 1",\n]'
    )
    assert pallet(project, env, "--check").returncode == 0

    edit(project, '"foo >= 1"', '"foo >= 1", "clicky"')
    edit(project, 'test = ["testy"]', 'test = ["testy>=8"]')
    proc = pallet(project, env, "--check")
    assert proc.returncode == 1
    assert proc.stderr == (
        "error: pylock.toml is out of date: [project] name or dependencies, [dependency-groups] "
        "(or [tool.pallet] default-groups) changed since it was locked\nhint: run `pallet lock`\n"
    )
    assert (project / "pylock.toml").read_bytes() == before  # --check never writes


@pytest.mark.hand_edited_lock("project/pylock.toml", reason="a name made non-normalized by hand")
def test_check_finds_a_hand_broken_lock(project: Path, env: dict[str, str]) -> None:
    assert pallet(project, env).returncode == 0
    path = project / "pylock.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('name = "bar"', 'name = "Bar"'))
    proc = pallet(project, env, "--check")
    assert proc.returncode == 1
    assert "error: pylock.toml: packages[0].name: 'Bar' is not normalized" in proc.stderr


def test_pins_kept_unless_upgraded(
    project: Path, env: dict[str, str], dists: Path, index: IndexServer
) -> None:
    assert pallet(project, env).returncode == 0
    make_wheel(dists, "foo", "3.0", requires_dist=["bar>=1"])
    make_wheel(dists, "bar", "2.0")
    make_wheel(dists, "linty", "0.6")

    # a changed input re-resolves, but the locked versions stay
    edit(project, '"linty"', '"linty>=0.1"')
    proc = pallet(project, env)
    assert proc.returncode == 0, proc.stderr
    assert versions(locked(project))["foo"] == "2.0"
    assert versions(locked(project))["bar"] == "1.0"
    assert versions(locked(project))["linty"] == "0.5"

    # only the named package moves
    proc = pallet(project, env, "--upgrade-package", "Bar")
    assert proc.returncode == 0, proc.stderr
    assert "Updated bar 1.0 -> 2.0" in proc.stderr
    got = versions(locked(project))
    assert (got["foo"], got["bar"], got["linty"]) == ("2.0", "2.0", "0.5")

    # everything moves
    proc = pallet(project, env, "--upgrade")
    assert proc.returncode == 0, proc.stderr
    got = versions(locked(project))
    assert (got["foo"], got["bar"], got["linty"]) == ("3.0", "2.0", "0.6")
    assert "colorama" not in got  # foo 3.0 no longer needs it


def test_index_pinning_defeats_a_shadow_package(
    tmp_path: Path, project: Path, env: dict[str, str], index: IndexServer
) -> None:
    internal = tmp_path / "internal"
    make_wheel(internal, "corp-secret", "1.0")
    # the same name on the public (default) index, with a tempting version
    make_wheel(tmp_path / "dists", "corp-secret", "99.0", requires_dist=["evil"])
    with IndexServer(internal) as private:
        edit(project, '"baz"', '"baz", "corp_secret"')
        text = (project / "pyproject.toml").read_text(encoding="utf-8")
        text += (
            f'\n[[tool.pallet.index]]\nname = "internal"\nurl = "{private.url}"\n'
            'explicit = true\n\n[tool.pallet.sources]\n"Corp.Secret" = "internal"\n'
        )
        (project / "pyproject.toml").write_text(text, encoding="utf-8")
        proc = pallet(project, env)
        assert proc.returncode == 0, proc.stderr
        entry = next(p for p in locked(project)["packages"] if p["name"] == "corp-secret")
        assert entry["version"] == "1.0"
        assert entry["index"] == private.url
        assert entry["wheels"][0]["url"].startswith(private.files_url)
        assert index.count("/simple/corp-secret/") == 0  # never even asked the public index
        # the explicit index serves nothing else
        assert {r.path for r in private.requests if r.path.startswith("/simple/")} == {
            "/simple/corp-secret/"
        }


def test_unsatisfiable_explained(project: Path, env: dict[str, str]) -> None:
    edit(project, '"foo>=1"', '"foo>=2", "bar>=5"')
    proc = pallet(project, env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")
    assert "bar>=5" in proc.stderr
    assert len(proc.stderr.splitlines()) <= 5
    assert not (project / "pylock.toml").exists()


def test_bad_project_is_one_error(project: Path, env: dict[str, str]) -> None:
    edit(project, 'dev = [{include-group = "test"}, "linty"]', 'dev = [{include-group = "lint"}]')
    proc = pallet(project, env)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: pyproject.toml: [dependency-groups] group 'dev': include-group 'lint' is not "
        "defined; defined groups: test\n"
    )


def test_unreadable_lock_is_replaced_with_a_warning(project: Path, env: dict[str, str]) -> None:
    (project / "pylock.toml").write_text("<<<<<<< HEAD\n", encoding="utf-8")
    proc = pallet(project, env, "--check")
    assert proc.returncode == 1
    assert "pylock.toml: invalid TOML" in proc.stderr
    proc = pallet(project, env)
    assert proc.returncode == 0, proc.stderr
    assert "warning: pylock.toml: invalid TOML" in proc.stderr
    assert "its pins are not kept" in proc.stderr
    assert versions(locked(project))["foo"] == "2.0"


# -- uv interoperability -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not UV.exists(), reason="uv is not in the dev venv")
@pytest.mark.parametrize(
    ("flags", "extras", "groups"),
    [
        ([], [], None),  # default-groups = ["dev"] (dev includes test)
        (["--extra", "cli"], ["cli"], None),
        (["--group", "test"], [], ["test"]),
    ],
    ids=["default", "extra-cli", "group-test"],
)
def test_uv_installs_exactly_the_lock(
    tmp_path: Path,
    project: Path,
    env: dict[str, str],
    flags: list[str],
    extras: list[str],
    groups: list[str] | None,
) -> None:
    pytest.importorskip("packaging.pylock")
    assert pallet(project, env).returncode == 0
    expected = pylock_selection(locked(project), extras, groups)
    assert uv_install(UV, tmp_path, project / "pylock.toml", *flags, timeout=300) == expected
    # and the sets differ as the markers say
    assert ("clicky" in expected) == ("cli" in extras)
    assert ("linty" in expected) == (groups is None)
    assert "testy" in expected
    shutil.rmtree(tmp_path / "venv")


def test_entry_without_installable_file_warns_and_stays_valid(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """A binary-only package built for one CPython on one platform is locked with a warning,
    and its entry keeps its wheel so that the lock is still valid PEP 751."""
    from pallet.lock.validate import validate_lock

    folder = tmp_path / "binonly"
    make_wheel(folder, "fastlib", "1.0", tag="cp311-cp311-manylinux_2_17_x86_64")
    with IndexServer(folder) as server:
        root = tmp_path / "proj"
        root.mkdir()
        (root / "pyproject.toml").write_text(
            '[project]\nname = "p"\nversion = "1"\nrequires-python = ">=3.11"\n'
            'dependencies = ["fastlib"]\n[tool.pallet.resolution]\nmax-python = "3.12"\n'
            f'[[tool.pallet.index]]\nname = "l"\nurl = "{server.url}"\ndefault = true\n',
            encoding="utf-8",
        )
        proc = pallet(root, env)
    assert proc.returncode == 0, proc.stderr
    assert (
        "warning: fastlib 1.0 has no sdist and no wheel for Python 3.12+ on every platform; "
        "Python 3.11 on linux-arm64, darwin-x86_64, darwin-arm64, win32-x86_64, win32-arm64: "
        "installing the lock there will fail\n"
    ) in proc.stderr
    (entry,) = locked(root)["packages"]
    assert [w["name"] for w in entry["wheels"]] == [
        "fastlib-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    ]
    assert validate_lock(root / "pylock.toml") == []
