"""``pallet lock`` scenarios end to end: dists built here, a real loopback index, pallet as a
subprocess, the exact packages of the produced pylock.toml, the PEP 751 validator on every lock
produced, and uv installing three of the locks.

One catalog of dists (every scenario's names carry its own prefix) is served for the whole
module by two index variants: HTML without PEP 658 metadata and without ``Range`` support (pallet
must download whole wheels and run sdist hooks), and JSON with PEP 658 metadata. Servers with
their own behaviour (flaky, auth, a private index) serve the same catalog or a few extra dists.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import pytest
from support.dists import make_sdist, make_wheel, wheel_filename
from support.index_server import IndexServer
from support.lock_tools import pylock_selection, run_pallet_lock, uv_install

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

Entry = tuple[str, str, Optional[str]]  # (name, version, marker or None)

WIN = 'sys_platform == "win32"'
NOT_WIN = 'sys_platform != "win32"'
TIMEOUT = 120

# -- the catalog --------------------------------------------------------------------------------

#: Files the shared index marks as yanked (PEP 592) and their reasons.
YANKED = {
    wheel_filename("yk-a", "2.0"): "broken build",
    wheel_filename("yk-b", "2.0"): "",
    "yk_c-1.0.tar.gz": "sdist was incomplete",
}
#: Files whose Requires-Python only the index page gives (``data-requires-python``).
INDEX_REQUIRES_PYTHON = {wheel_filename("rp-idx", "2.0"): ">=3.11"}


def _build_catalog(folder: Path) -> None:
    w = make_wheel
    # 1. diamond: the newest b needs c>=2 but every a needs c<2 (the older ones even c<1); b has
    # fewer candidates, so the resolver pins b 2.0 first and must backtrack out of it
    w(folder, "dia-a", "1.0", requires_dist=["dia-c<1"])
    w(folder, "dia-a", "1.1", requires_dist=["dia-c<1"])
    w(folder, "dia-a", "2.0", requires_dist=["dia-c<2"])
    w(folder, "dia-b", "1.0", requires_dist=["dia-c<2"])
    w(folder, "dia-b", "2.0", requires_dist=["dia-c>=2"])
    for version in ("1.0", "1.5", "2.0", "2.1"):
        w(folder, "dia-c", version)
    # 2. extras
    w(folder, "ext-web", "1.0", extras={"async": ["ext-aio>=1"], "speed": ["ext-speedup"]})
    w(folder, "ext-aio", "0.5")
    w(folder, "ext-aio", "1.0", requires_dist=["ext-aiohelper"])
    w(folder, "ext-aiohelper", "1.0")
    w(folder, "ext-speedup", "1.0")
    w(folder, "ext-clitool", "1.0")
    for version in ("1.0", "2.0", "3.0"):
        w(folder, "ext-shared", version)
    # 3. markers
    for version in ("1.0", "1.5", "2.0", "2.1"):
        w(folder, "mk-dep", version)
    w(folder, "mk-tomlish", "1.0", requires_dist=[f"mk-typing; {WIN}"])
    w(folder, "mk-typing", "1.0")
    w(
        folder,
        "mk-plat",
        "1.0",
        requires_dist=[
            f"mk-winonly; {WIN}",
            'mk-macarm; sys_platform == "darwin" and platform_machine == "arm64"',
        ],
    )
    w(folder, "mk-winonly", "1.0")
    w(folder, "mk-macarm", "1.0")
    for version, dependency in (("1.0", "mk-old"), ("1.5", "mk-old"), ("2.0", "mk-new")):
        w(folder, "mk-fork", version, requires_dist=[dependency])
    w(folder, "mk-old", "1.0")
    w(folder, "mk-new", "1.0")
    for tag in ("manylinux_2_17_x86_64", "win_amd64", "macosx_11_0_arm64"):
        w(folder, "mk-binary", "1.0", tag=f"cp39-abi3-{tag}")
    # 4. requires-python: only on the index page / only in METADATA
    w(folder, "rp-idx", "1.0")
    w(folder, "rp-idx", "2.0")  # no Requires-Python in METADATA: see INDEX_REQUIRES_PYTHON
    w(folder, "rp-meta", "1.0", requires_python=">=3.8")
    w(folder, "rp-meta", "2.0", requires_python=">=3.10")
    make_sdist(folder, "rp-sdist", "1.0")
    make_sdist(folder, "rp-sdist", "2.0", requires_python=">=3.12")  # only its hook says so
    # 5. yanked
    for name in ("yk-a", "yk-b", "yk-c"):
        w(folder, name, "1.0")
    w(folder, "yk-a", "2.0")
    w(folder, "yk-b", "2.0")
    make_sdist(folder, "yk-c", "1.0")
    # 6. pre-releases
    for name, versions in {
        "pre-a": ("1.0", "2.0b1"),
        "pre-b": ("1.0", "2.0b1"),
        "pre-c": ("0.9a1", "1.0a1"),
        "pre-d": ("1.0", "2.1rc1"),
        "pre-e": ("1.0", "2.0b1"),
    }.items():
        for version in versions:
            w(folder, name, version)
    w(folder, "pre-user", "1.0", requires_dist=["pre-e>=2.0b1"])  # a dependency names one
    # 7. local versions
    for name in ("loc-a", "loc-b"):
        for version in ("1.0+cpu", "1.0+cu124"):
            w(folder, name, version)
    # 8. an sdist-only dependency (metadata only from its PEP 517 hook)
    make_sdist(folder, "sd-only", "1.0", requires_dist=["sd-dep>=1"])
    w(folder, "sd-dep", "1.0")
    # ... and one whose isolated build env needs a requirement from the project's index
    make_sdist(folder, "sd-built", "1.0", build_requires=["sd-helper"], requires_dist=["sd-dep"])
    w(folder, "sd-helper", "1.0")
    # 9. dependency groups
    w(folder, "grp-base", "1.0")
    w(folder, "grp-pytest", "1.0", requires_dist=["grp-pluggy"])
    w(folder, "grp-pluggy", "1.0")
    w(folder, "grp-lint", "1.0")
    w(folder, "grp-docs", "1.0")
    w(folder, "grp-cli", "1.0")
    # 10. the public side of index pinning: shadows of the private names and a public dep
    w(folder, "pin-corp-lib", "99.0", requires_dist=["pin-evil"])
    w(folder, "pin-corp-util", "99.0", requires_dist=["pin-evil"])
    w(folder, "pin-evil", "1.0")
    w(folder, "pin-pubdep", "1.0", requires_dist=["pin-corp-util>=1"])
    # 12. unsatisfiable: web 2.0 needs core>=3, db needs core<3
    w(folder, "uns-web", "1.0", requires_dist=["uns-core<2"])
    w(folder, "uns-web", "2.0", requires_dist=["uns-core>=3"])
    w(folder, "uns-db", "1.0", requires_dist=["uns-core<3"])
    w(folder, "uns-core", "2.0")
    w(folder, "uns-core", "3.0")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("catalog")
    _build_catalog(folder)
    return folder


VARIANTS: dict[str, dict[str, Any]] = {
    "html-nometa-norange": {"format": "html", "metadata": False, "ranges": False},
    "json-pep658": {"format": "json", "metadata": True, "ranges": True},
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def index(catalog: Path, variant: str) -> Iterator[IndexServer]:
    with IndexServer(
        catalog, yanked=YANKED, requires_python=INDEX_REQUIRES_PYTHON, **VARIANTS[variant]
    ) as server:
        yield server


@pytest.fixture(scope="module")
def json_index(catalog: Path) -> Iterator[IndexServer]:
    """The JSON variant alone, for the scenarios that run once (uv, flaky, auth)."""
    with IndexServer(
        catalog,
        yanked=YANKED,
        requires_python=INDEX_REQUIRES_PYTHON,
        **VARIANTS["json-pep658"],
    ) as server:
        yield server


# -- running pallet -----------------------------------------------------------------------------


def write_project(
    root: Path,
    index_url: str,
    dependencies: Sequence[str],
    *,
    requires_python: str = ">=3.9",
    tables: str = "",
) -> Path:
    """A project ``app`` with one default index; ``tables`` is TOML appended after [project]."""
    root.mkdir(parents=True)
    deps = "".join(f"    {json.dumps(d)},\n" for d in dependencies)
    text = (
        f'[project]\nname = "app"\nversion = "1.0"\nrequires-python = "{requires_python}"\n'
        f"dependencies = [\n{deps}]\n\n{tables.strip()}\n\n"
        f'[[tool.pallet.index]]\nname = "local"\nurl = "{index_url}"\ndefault = true\n'
    )
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


@dataclasses.dataclass
class LockRun:
    """One ``pallet lock`` run and the lock it left (``data`` is empty without one)."""

    proc: subprocess.CompletedProcess[str]
    data: dict[str, Any]

    @property
    def entries(self) -> set[Entry]:
        """Every package as (name, version, marker); no two alike."""
        found = [(p["name"], p["version"], p.get("marker")) for p in self.data["packages"]]
        assert len(set(found)) == len(found), found
        return set(found)

    def package(self, name: str, version: str | None = None) -> dict[str, Any]:
        found: list[dict[str, Any]] = [
            p
            for p in self.data["packages"]
            if p["name"] == name and version in (None, p["version"])
        ]
        assert len(found) == 1, (name, version, found)
        return found[0]


def run_lock(project: Path, env: Mapping[str, str], *args: str, expect: int = 0) -> LockRun:
    """Run ``python -m pallet lock``; assert its exit code and validate any pylock.toml left."""
    before = (project / "pylock.toml").read_bytes() if (project / "pylock.toml").exists() else None
    proc = run_pallet_lock(project, env, *args, timeout=TIMEOUT)
    assert proc.returncode == expect, f"exit {proc.returncode}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    path = project / "pylock.toml"
    if expect != 0:  # a failed lock leaves any previous lock as it was
        assert (path.read_bytes() if path.exists() else None) == before
    if not path.exists():
        return LockRun(proc, {})
    from pallet.lock.validate import validate_lock

    assert validate_lock(path) == []
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    return LockRun(proc, data)


def lock_project(
    tmp_path: Path,
    env: Mapping[str, str],
    index_url: str,
    dependencies: Sequence[str],
    **kwargs: str,
) -> LockRun:
    project = write_project(tmp_path / "project", index_url, dependencies, **kwargs)
    return run_lock(project, env)


# -- 1. backtracking ----------------------------------------------------------------------------


def test_backtracks_through_a_diamond_conflict(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    index.clear()
    run = lock_project(tmp_path, env, index.url, ["dia-a", "dia-b"])
    assert run.entries == {("dia-a", "2.0", None), ("dia-b", "1.0", None), ("dia-c", "1.5", None)}
    # the metadata of the newest b was read (and b dropped), through PEP 658 or the whole wheel
    newest_b = f"/files/{wheel_filename('dia-b', '2.0')}"
    if index.metadata:
        assert index.count(f"{newest_b}.metadata") == 1
    else:
        assert {r.status for r in index.requests_for(newest_b)} == {200}
        assert index.requests_for("/files/dia_b-2.0-py3-none-any.whl.metadata") == []
    assert run.package("dia-b")["dependencies"] == [{"name": "dia-c"}]
    # backtracking leaves no trace: the versions tried and dropped make no forks or entries
    assert "marker" not in run.package("dia-c")


# -- 2. extras ----------------------------------------------------------------------------------

EXTRAS_DEPS = ["ext-web[async]"]
EXTRAS_TABLES = """
[project.optional-dependencies]
fast = ["ext-web[speed]", "ext-shared>=2"]
cli = ["ext-clitool", "ext-shared<3"]
"""


def test_extras_of_a_dependency_and_of_the_project(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    run = lock_project(tmp_path, env, index.url, EXTRAS_DEPS, tables=EXTRAS_TABLES)
    assert run.data["extras"] == ["cli", "fast"]
    assert run.entries == {
        ("ext-web", "1.0", None),
        ("ext-aio", "1.0", None),  # ext-web[async] in the base pulls ext-aio>=1 ...
        ("ext-aiohelper", "1.0", None),  # ... and its dependency
        ("ext-speedup", "1.0", '"fast" in extras'),  # ext-web[speed] only with the extra
        ("ext-clitool", "1.0", '"cli" in extras'),
        # both extras may be installed together: one version satisfies both (>=2 and <3)
        ("ext-shared", "2.0", '"cli" in extras or "fast" in extras'),
    }
    assert run.package("ext-web")["dependencies"] == [
        {"name": "ext-aio"},
        {"name": "ext-speedup"},
    ]


# -- 3. markers ---------------------------------------------------------------------------------

MARKER_DEPS = [
    f"mk-dep>=2; {NOT_WIN}",
    f"mk-dep<2; {WIN}",
    'mk-tomlish; python_version < "3.11"',
    "mk-plat",
    'mk-binary; sys_platform == "linux"',
    f"mk-fork>=2; {NOT_WIN}",
    f"mk-fork<2; {WIN}",
]
MARKER_ENTRIES = {
    ("mk-dep", "1.5", WIN),
    ("mk-dep", "2.1", NOT_WIN),
    ("mk-tomlish", "1.0", 'python_version < "3.11"'),
    ("mk-typing", "1.0", 'sys_platform == "win32" and python_version < "3.11"'),
    ("mk-plat", "1.0", None),
    ("mk-winonly", "1.0", WIN),
    ("mk-macarm", "1.0", 'sys_platform == "darwin" and platform_machine == "arm64"'),
    ("mk-binary", "1.0", 'sys_platform == "linux"'),
    # each fork's version brings its own dependencies, under that fork's marker
    ("mk-fork", "1.5", WIN),
    ("mk-fork", "2.0", NOT_WIN),
    ("mk-old", "1.0", WIN),
    ("mk-new", "1.0", NOT_WIN),
}


def test_platform_and_python_markers_make_per_environment_entries(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    run = lock_project(tmp_path, env, index.url, MARKER_DEPS)
    assert run.entries == MARKER_ENTRIES
    # only the wheel that installs where the entry's marker holds is kept
    wheels = [w["name"] for w in run.package("mk-binary")["wheels"]]
    assert wheels == [wheel_filename("mk-binary", "1.0", "cp39-abi3-manylinux_2_17_x86_64")]
    assert run.package("mk-plat")["dependencies"] == [{"name": "mk-macarm"}, {"name": "mk-winonly"}]
    assert run.package("mk-fork", "1.5")["dependencies"] == [{"name": "mk-old"}]
    assert run.package("mk-fork", "2.0")["dependencies"] == [{"name": "mk-new"}]
    # forks are merged in a stable order: a fresh resolution in another process (another hash
    # seed) writes the same bytes
    lock = tmp_path / "project" / "pylock.toml"
    first = lock.read_bytes()
    run_lock(lock.parent, {**env, "PYTHONHASHSEED": "12345"}, "--upgrade")
    assert lock.read_bytes() == first


# -- 2+3. environments, extras and groups in one marker -----------------------------------------

ENVIRONMENTS = {
    "linux-3.9": ("linux", "Linux", "x86_64", "3.9"),
    "linux-3.12": ("linux", "Linux", "x86_64", "3.12"),
    "win-3.9": ("win32", "Windows", "AMD64", "3.9"),
    "mac-3.11": ("darwin", "Darwin", "arm64", "3.11"),
}


def holds(marker: str | None, where: str, extras: Sequence[str], groups: Sequence[str]) -> bool:
    """A lock marker's truth on one of `ENVIRONMENTS` with extras and groups selected."""
    if marker is None:
        return True
    from packaging.markers import Marker, default_environment

    sys_platform, system, machine, python = ENVIRONMENTS[where]
    environment: dict[str, Any] = dict(default_environment())
    environment.update(
        sys_platform=sys_platform,
        platform_system=system,
        platform_machine=machine,
        python_version=python,
        python_full_version=f"{python}.0",
        extras=frozenset(extras),
        dependency_groups=frozenset(groups),
    )
    return Marker(marker).evaluate(environment, context="lock_file")


COMBINED_DEPS = ['ext-clitool; sys_platform == "win32"']
COMBINED_TABLES = """
[project.optional-dependencies]
fast = ["ext-web[speed]; python_version >= '3.12'", "ext-clitool"]

[dependency-groups]
dev = ["mk-dep; sys_platform == 'darwin'", "ext-clitool; python_version < '3.10'"]
"""


def test_markers_of_environments_extras_and_groups_combine(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    run = lock_project(tmp_path, env, index.url, COMBINED_DEPS, tables=COMBINED_TABLES)
    markers = {name: marker for name, _, marker in run.entries}
    assert sorted(markers) == ["ext-clitool", "ext-speedup", "ext-web", "mk-dep"]
    for where, (sys_platform, _, _, python) in ENVIRONMENTS.items():
        old_python = python == "3.9"
        for extras, groups in [([], []), (["fast"], []), ([], ["dev"]), (["fast"], ["dev"])]:
            fast, dev = bool(extras), bool(groups)
            expected = {
                "ext-clitool": sys_platform == "win32" or fast or (dev and old_python),
                "ext-web": fast and python == "3.12",
                "ext-speedup": fast and python == "3.12",
                "mk-dep": dev and sys_platform == "darwin",
            }
            got = {name: holds(marker, where, extras, groups) for name, marker in markers.items()}
            assert got == expected, (where, extras, groups)


# -- 4. requires-python -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requires_python", "expected"),
    [(">=3.9", "1.0"), (">=3.11", "2.0")],
    ids=["newest-excluded", "newest-allowed"],
)
def test_requires_python_of_the_newest_release_excludes_part_of_the_range(
    tmp_path: Path, env: dict[str, str], index: IndexServer, requires_python: str, expected: str
) -> None:
    deps = ["rp-idx", "rp-meta", "rp-sdist"]
    fewest = '[tool.pallet.resolution]\nfork-strategy = "fewest"'
    run = lock_project(
        tmp_path, env, index.url, deps, requires_python=requires_python, tables=fewest
    )
    assert run.data["requires-python"] == requires_python
    assert run.entries == {
        ("rp-idx", expected, None),  # data-requires-python on the index page only
        ("rp-meta", expected, None),  # Requires-Python in METADATA only
        ("rp-sdist", "1.0", None),  # Requires-Python only from the sdist's PEP 517 hook
    }
    meta_python = {"1.0": ">=3.8", "2.0": ">=3.10"}[expected]
    assert run.package("rp-meta")["requires-python"] == meta_python


def test_requires_python_forks_give_each_python_the_newest_release(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    """The default fork strategy: each Python range gets the newest release supporting it."""
    run = lock_project(tmp_path, env, index.url, ["rp-idx", "rp-meta", "rp-sdist"])
    assert run.entries == {
        ("rp-idx", "1.0", 'python_version < "3.11"'),
        ("rp-idx", "2.0", 'python_version >= "3.11"'),
        ("rp-meta", "1.0", 'python_version < "3.10"'),
        ("rp-meta", "2.0", 'python_version >= "3.10"'),
        ("rp-sdist", "1.0", 'python_version < "3.12"'),
        ("rp-sdist", "2.0", 'python_version >= "3.12"'),
    }


def test_requires_python_is_judged_per_fork(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    """A dependency needed only on newer Pythons may take a release that needs them."""
    deps = [
        'rp-idx; python_version >= "3.11"',
        'rp-meta; python_version >= "3.10"',
        'rp-sdist; python_version >= "3.12"',
    ]
    run = lock_project(tmp_path, env, index.url, deps)
    assert run.entries == {
        ("rp-idx", "2.0", 'python_version >= "3.11"'),
        ("rp-meta", "2.0", 'python_version >= "3.10"'),
        ("rp-sdist", "2.0", 'python_version >= "3.12"'),
    }


# -- 5. yanked ----------------------------------------------------------------------------------


def test_yanked_files_are_skipped_unless_pinned_exactly(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    run = lock_project(tmp_path, env, index.url, ["yk-a", "yk-b==2.0", "yk-c"])
    assert run.entries == {("yk-a", "1.0", None), ("yk-b", "2.0", None), ("yk-c", "1.0", None)}
    assert [w["name"] for w in run.package("yk-b")["wheels"]] == [wheel_filename("yk-b", "2.0")]
    # a partly yanked release keeps only its files that are not yanked
    assert "sdist" not in run.package("yk-c")
    assert [w["name"] for w in run.package("yk-c")["wheels"]] == [wheel_filename("yk-c", "1.0")]

    # a range is no exact pin: the yanked 2.0 is not offered to it
    project = write_project(tmp_path / "ranged", index.url, ["yk-a>=2"])
    failed = run_lock(project, env, expect=1)
    assert "yk-a" in failed.proc.stderr
    assert "yanked" in failed.proc.stderr


# -- 6. pre-releases ----------------------------------------------------------------------------

PRE_DEPS = ["pre-a", "pre-b>=2.0b1", "pre-c", "pre-d>=2", "pre-user"]


@pytest.mark.parametrize(
    ("setting", "pre_a"),
    [("", "1.0"), ('[tool.pallet.resolution]\nprerelease = "allow"\n', "2.0b1")],
    ids=["if-necessary", "allow"],
)
def test_prereleases(
    tmp_path: Path, env: dict[str, str], index: IndexServer, setting: str, pre_a: str
) -> None:
    run = lock_project(tmp_path, env, index.url, PRE_DEPS, tables=setting)
    assert run.entries == {
        ("pre-a", pre_a, None),  # a final release exists: no pre-release unless allowed
        ("pre-b", "2.0b1", None),  # the specifier names a pre-release
        ("pre-c", "1.0a1", None),  # only pre-releases exist
        ("pre-d", "2.1rc1", None),  # nothing but a pre-release satisfies >=2
        ("pre-user", "1.0", None),
        ("pre-e", "2.0b1", None),  # a dependency's specifier names a pre-release
    }


# -- 7. local versions --------------------------------------------------------------------------


def test_local_versions(tmp_path: Path, env: dict[str, str], index: IndexServer) -> None:
    run = lock_project(tmp_path, env, index.url, ["loc-a==1.0+cpu", "loc-b==1.0"])
    # PEP 440: a public `==1.0` ignores local labels, so both 1.0+cpu and 1.0+cu124 match; the
    # higher one wins (local labels compare segment by segment: "cu124" > "cpu")
    assert run.entries == {("loc-a", "1.0+cpu", None), ("loc-b", "1.0+cu124", None)}
    assert [w["name"] for w in run.package("loc-a")["wheels"]] == [
        wheel_filename("loc-a", "1.0+cpu")
    ]


# -- 8. an sdist-only dependency ----------------------------------------------------------------


def test_sdist_only_dependency(
    tmp_path: Path, env: dict[str, str], index: IndexServer, catalog: Path
) -> None:
    run = lock_project(tmp_path, env, index.url, ["sd-only", "sd-built"])
    # the build requirement is not a dependency: it is not locked
    assert run.entries == {
        ("sd-only", "1.0", None),
        ("sd-built", "1.0", None),
        ("sd-dep", "1.0", None),
    }
    assert index.count("/files/sd_helper-1.0-py3-none-any.whl") >= 1
    entry = run.package("sd-only")
    assert "wheels" not in entry
    assert entry["dependencies"] == [{"name": "sd-dep"}]
    data = (catalog / "sd_only-1.0.tar.gz").read_bytes()
    assert entry["sdist"]["name"] == "sd_only-1.0.tar.gz"
    assert entry["sdist"]["url"] == f"{index.files_url}sd_only-1.0.tar.gz"
    assert entry["sdist"]["hashes"] == {"sha256": hashlib.sha256(data).hexdigest()}
    # only the JSON page gives sizes (PEP 700); the HTML one has none to copy
    assert entry["sdist"].get("size") == (len(data) if index.format == "json" else None)


# -- 9. dependency groups -----------------------------------------------------------------------

GROUP_DEPS = ["grp-base"]
GROUP_TABLES = """
[project.optional-dependencies]
cli = ["grp-cli"]

[dependency-groups]
test = ["grp-pytest", "grp-base"]
dev = [{include-group = "test"}, "grp-lint"]
docs = ["grp-docs", "app[cli]"]
"""
TEST_OR_DEV = '"dev" in dependency_groups or "test" in dependency_groups'


def test_dependency_groups_with_include_group(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    run = lock_project(tmp_path, env, index.url, GROUP_DEPS, tables=GROUP_TABLES)
    assert run.data["dependency-groups"] == ["dev", "docs", "test"]
    assert run.data["default-groups"] == ["dev"]  # a group named dev exists
    assert run.data["extras"] == ["cli"]
    assert run.entries == {
        ("grp-base", "1.0", None),  # the base needs it: no group term
        ("grp-pytest", "1.0", TEST_OR_DEV),  # dev includes test
        ("grp-pluggy", "1.0", TEST_OR_DEV),
        ("grp-lint", "1.0", '"dev" in dependency_groups'),
        ("grp-docs", "1.0", '"docs" in dependency_groups'),
        # docs asks for the project's own extra
        ("grp-cli", "1.0", '"cli" in extras or "docs" in dependency_groups'),
    }


def test_default_groups_setting(tmp_path: Path, env: dict[str, str], index: IndexServer) -> None:
    tables = GROUP_TABLES.replace(
        "[dependency-groups]",
        '[tool.pallet]\ndefault-groups = ["docs", "test"]\n\n[dependency-groups]',
    )
    run = lock_project(tmp_path, env, index.url, GROUP_DEPS, tables=tables)
    assert run.data["default-groups"] == ["docs", "test"]
    assert len(run.entries) == 6


# -- 10. index pinning --------------------------------------------------------------------------


def test_index_pinning_defeats_a_shadow_on_the_other_index(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    internal = tmp_path / "internal"
    make_wheel(internal, "pin-corp-lib", "1.0", requires_dist=["pin-pubdep"])
    make_wheel(internal, "pin-corp-util", "1.0")
    with IndexServer(internal, **VARIANTS["json-pep658"]) as private:
        tables = (
            f'[[tool.pallet.index]]\nname = "internal"\nurl = "{private.url}"\nexplicit = true\n\n'
            '[tool.pallet.sources]\n"Pin_Corp.Lib" = "internal"\npin-corp-util = "internal"\n'
        )
        run = lock_project(tmp_path, env, index.url, ["pin-corp-lib"], tables=tables)
        assert run.entries == {
            ("pin-corp-lib", "1.0", None),
            ("pin-corp-util", "1.0", None),  # reached through a public package, still pinned
            ("pin-pubdep", "1.0", None),
        }
        for name, source in [
            ("pin-corp-lib", private),
            ("pin-corp-util", private),
            ("pin-pubdep", index),
        ]:
            assert run.package(name)["index"] == source.url
            assert run.package(name)["wheels"][0]["url"].startswith(source.files_url)
        # the shadow index was never asked for the pinned names
        assert index.requests_for("/simple/pin-corp-lib/") == []
        assert index.requests_for("/simple/pin-corp-util/") == []
        assert index.requests_for("/simple/pin-evil/") == []
        assert {r.path for r in private.requests if r.path.startswith("/simple/")} == {
            "/simple/pin-corp-lib/",
            "/simple/pin-corp-util/",
        }


# -- 11. a flaky index --------------------------------------------------------------------------

FLAKY_DEPS = ["dia-a", "dia-b", "sd-only", *EXTRAS_DEPS]


def _comparable(run: LockRun, server: IndexServer) -> str:
    """The lock without its [tool.pallet] table, the server's address made neutral."""
    data = {k: v for k, v in run.data.items() if k != "tool"}
    return json.dumps(data, sort_keys=True, default=str).replace(server.base_url, "http://INDEX")


def test_flaky_index_recovered_by_retries(
    tmp_path: Path, env: dict[str, str], catalog: Path, json_index: IndexServer
) -> None:
    healthy = lock_project(tmp_path / "healthy", env, json_index.url, FLAKY_DEPS)
    # the first two requests to every path fail: a dropped connection, then a 503
    with IndexServer(catalog, flaky_failures=2, **VARIANTS["json-pep658"]) as flaky:
        run = lock_project(tmp_path / "flaky", env, flaky.url, FLAKY_DEPS)
        statuses = [r.status for r in flaky.requests]
        assert _comparable(run, flaky) == _comparable(healthy, json_index)
    assert 0 in statuses
    assert 503 in statuses


# -- 12. unsatisfiable --------------------------------------------------------------------------


def test_unsatisfiable_requirements_are_explained(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    project = write_project(tmp_path / "project", index.url, ["uns-web>=2", "uns-db"])
    run = run_lock(project, env, expect=1)
    stderr = run.proc.stderr
    assert stderr.startswith("error: ")
    assert not (project / "pylock.toml").exists()
    assert len(stderr.splitlines()) <= 5
    # the chain from the project down to the two requirements that clash
    for sentence in (
        "app depends on uns-db",
        "uns-db 1.0 depends on uns-core<3",
        "app depends on uns-web>=2",
        "uns-web 2.0 depends on uns-core>=3",
        "`uns-core<3` and `uns-core>=3` conflict",
    ):
        assert sentence in stderr


# -- credentials --------------------------------------------------------------------------------

PASSWORD = "pw-S3cret!x"


def test_credentials_in_the_index_url(tmp_path: Path, env: dict[str, str], catalog: Path) -> None:
    with IndexServer(catalog, auth=("alice", PASSWORD), **VARIANTS["json-pep658"]) as server:
        url = server.url_with_auth("alice", PASSWORD)
        run = lock_project(tmp_path, env, url, ["dia-a", "dia-b", "sd-only"])
        assert {r.status for r in server.requests} <= {200, 206, 301, 304, 401}
        simple_url = server.url
        # a wrong password fails as an unreadable index (exit 3), without showing it
        wrong = write_project(
            tmp_path / "wrong", server.url_with_auth("alice", "Wr0ngPa55"), ["dia-a"]
        )
        refused = run_lock(wrong, env, expect=3)
        assert "HTTP 401" in refused.proc.stderr
        assert "Wr0ngPa55" not in refused.proc.stderr + refused.proc.stdout
    assert {(n, v) for n, v, _ in run.entries} == {
        ("dia-a", "2.0"),
        ("dia-b", "1.0"),
        ("dia-c", "1.5"),
        ("sd-only", "1.0"),
        ("sd-dep", "1.0"),
    }
    for package in run.data["packages"]:
        assert package["index"] == simple_url
    text = (tmp_path / "project" / "pylock.toml").read_text(encoding="utf-8")
    for secret in (PASSWORD, "S3cret", "alice"):
        assert secret not in text
        assert secret not in run.proc.stdout
        assert secret not in run.proc.stderr
    # nor in pallet's cache (pages, metadata, files and their keys)
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert cached
    for path in cached:
        assert b"S3cret" not in path.read_bytes(), path
        assert "S3cret" not in str(path)


# -- uv installs the locks ----------------------------------------------------------------------

UV = shutil.which("uv", path=str(Path(sys.executable).parent))
LINUX_X86_64 = sys.platform == "linux" and platform.machine() == "x86_64"


@pytest.mark.slow
@pytest.mark.skipif(UV is None, reason="uv is not installed next to the test interpreter")
@pytest.mark.parametrize(
    ("deps", "tables", "flags", "extras", "groups", "expected"),
    [
        pytest.param(
            EXTRAS_DEPS,
            EXTRAS_TABLES,
            ["--extra", "fast"],
            ["fast"],
            None,
            {
                "ext-web": "1.0",
                "ext-aio": "1.0",
                "ext-aiohelper": "1.0",
                "ext-speedup": "1.0",
                "ext-shared": "2.0",
            },
            id="extra-fast",
        ),
        pytest.param(
            MARKER_DEPS,
            "",
            [],
            [],
            None,
            {
                "mk-dep": "2.1",
                "mk-plat": "1.0",
                "mk-binary": "1.0",
                "mk-fork": "2.0",
                "mk-new": "1.0",
                **({"mk-tomlish": "1.0"} if sys.version_info < (3, 11) else {}),
            },
            id="markers",
            marks=pytest.mark.skipif(
                not LINUX_X86_64, reason="expects Linux x86_64 (mk-binary has its wheel)"
            ),
        ),
        pytest.param(
            GROUP_DEPS,
            GROUP_TABLES,
            ["--group", "docs"],
            [],
            ["docs"],
            {"grp-base": "1.0", "grp-docs": "1.0", "grp-cli": "1.0"},
            id="group-docs",
        ),
    ],
)
def test_uv_installs_what_the_lock_selects(
    tmp_path: Path,
    env: dict[str, str],
    json_index: IndexServer,
    deps: list[str],
    tables: str,
    flags: list[str],
    extras: list[str],
    groups: list[str] | None,
    expected: dict[str, str],
) -> None:
    pytest.importorskip("packaging.pylock")
    run = lock_project(tmp_path, env, json_index.url, deps, tables=tables)
    selected = pylock_selection(run.data, extras, groups)
    assert selected == expected
    assert UV is not None
    lock = tmp_path / "project" / "pylock.toml"
    assert uv_install(UV, tmp_path, lock, *flags, timeout=TIMEOUT) == selected
