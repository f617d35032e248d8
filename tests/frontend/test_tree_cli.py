"""``pallet tree`` end to end: a loopback index, ``pallet lock``, then the tree as a subprocess.

The project has an extra (``fast``), a group (``dev``, a default group), a requirement with an
extra (``alpha[socks]``), a diamond (``alpha -> beta -> delta``, ``alpha -> gamma -> delta``), a
package split by Python version (``numpy 1.26.0`` below 3.11, ``2.3.1`` from 3.11: its wheels'
Requires-Python) and a cycle (``cyca <-> cycb``). Each expected tree is written by hand from that
lock's ``[[packages]]`` entries and their ``dependencies`` (checked in `test_the_lock_is_as_drawn`),
in uv's tree format (https://docs.astral.sh/uv/reference/cli/#uv-tree).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import pallet_env
from support.sync_tools import copy_project, pallet
from support.sync_variant_index import VariantIndexes, variant_indexes, variant_pyproject

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

NUMPY = "2.3.1" if sys.version_info >= (3, 11) else "1.26.0"  # the lock's markers decide


def _dists(root: Path) -> Path:
    make_wheel(
        root, "alpha", "1.0", requires_dist=["beta>=1", "gamma"], extras={"socks": ["pysocks"]}
    )
    make_wheel(root, "beta", "1.0", requires_dist=["delta"])
    make_wheel(root, "gamma", "1.0", requires_dist=["delta"])
    make_wheel(root, "delta", "1.0")
    make_wheel(root, "delta", "1.1")  # newer than the lock's (the project asks delta<1.1)
    make_wheel(root, "pysocks", "1.7")
    make_wheel(root, "numpy", "1.26.0", requires_python=">=3.9")
    make_wheel(root, "numpy", "2.3.1", requires_python=">=3.11")
    make_wheel(root, "cyca", "1.0", requires_dist=["cycb"])
    make_wheel(root, "cycb", "1.0", requires_dist=["cyca"])
    make_wheel(root, "pytest", "8.0", requires_dist=["cyca"])
    return root


def _pyproject(url: str, dependencies: str = '"alpha[socks]", "numpy", "delta<1.1"') -> str:
    return (
        '[project]\nname = "demo"\nversion = "1.0"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{dependencies}]\n"
        '[project.optional-dependencies]\nfast = ["gamma"]\n'
        '[dependency-groups]\ndev = ["pytest"]\n'
        f'[[tool.pallet.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n'
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    with IndexServer(_dists(tmp_path_factory.mktemp("dists"))) as server:
        yield server


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def env(env: dict[str, str], shared_cache: Path) -> dict[str, str]:
    return dict(env, PALLET_CACHE_DIR=str(shared_cache))


@pytest.fixture(scope="module")
def template(
    tmp_path_factory: pytest.TempPathFactory, index: IndexServer, shared_cache: Path
) -> Path:
    root = tmp_path_factory.mktemp("template") / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(_pyproject(index.url), encoding="utf-8")
    env = dict(pallet_env(root.parent), PALLET_CACHE_DIR=str(shared_cache))
    proc = pallet(root, env, "lock")
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    return copy_project(template, tmp_path / "demo")


def tree(project: Path, env: dict[str, str], *args: str, code: int = 0) -> str:
    proc = pallet(project, env, "tree", "--python", sys.executable, *args, timeout=120)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout if code == 0 else proc.stderr


def test_the_lock_is_as_drawn(template: Path) -> None:
    """The facts the expected trees below are written from."""
    data = tomllib.loads((template / "pylock.toml").read_text(encoding="utf-8"))
    entries = {
        (p["name"], p["version"]): (
            p.get("marker"),
            sorted(d["name"] for d in p.get("dependencies", [])),
        )
        for p in data["packages"]
    }
    assert entries == {
        ("alpha", "1.0"): (None, ["beta", "gamma", "pysocks"]),
        ("beta", "1.0"): (None, ["delta"]),
        ("gamma", "1.0"): (None, ["delta"]),
        ("delta", "1.0"): (None, []),
        ("pysocks", "1.7"): (None, []),
        ("numpy", "1.26.0"): ('python_version < "3.11"', []),
        ("numpy", "2.3.1"): ('python_version >= "3.11"', []),
        ("cyca", "1.0"): ('"dev" in dependency_groups', ["cycb"]),
        ("cycb", "1.0"): ('"dev" in dependency_groups', ["cyca"]),
        ("pytest", "8.0"): ('"dev" in dependency_groups', ["cyca"]),
    }


def test_tree_for_this_python(project: Path, env: dict[str, str]) -> None:
    assert tree(project, env) == (
        "demo v1.0\n"
        "├── alpha[socks] v1.0\n"
        "│   ├── beta v1.0\n"
        "│   │   └── delta v1.0\n"
        "│   ├── gamma v1.0\n"
        "│   │   └── delta v1.0\n"
        "│   └── pysocks v1.7\n"
        "├── delta v1.0\n"
        f"├── numpy v{NUMPY}\n"
        "└── pytest v8.0 (group: dev)\n"
        "    └── cyca v1.0\n"
        "        └── cycb v1.0\n"
        "            └── cyca v1.0 (*)\n"
    )


def test_universal_tree_shows_both_numpys_with_their_markers(
    project: Path, env: dict[str, str]
) -> None:
    assert tree(project, env, "--universal", "--no-dev", "--extra", "fast") == (
        "demo v1.0\n"
        "├── alpha[socks] v1.0\n"
        "│   ├── beta v1.0\n"
        "│   │   └── delta v1.0\n"
        "│   ├── gamma v1.0\n"
        "│   │   └── delta v1.0\n"
        "│   └── pysocks v1.7\n"
        "├── delta v1.0\n"
        '├── numpy v1.26.0 ; python_version < "3.11"\n'
        '├── numpy v2.3.1 ; python_version >= "3.11"\n'
        "└── gamma v1.0 (extra: fast) (*)\n"
    )


def test_no_dedupe_expands_repeats_but_stops_at_a_cycle(project: Path, env: dict[str, str]) -> None:
    out = tree(project, env, "--no-dedupe", "--extra", "fast", "--package", "pytest")
    assert out == "pytest v8.0\n└── cyca v1.0\n    └── cycb v1.0\n        └── cyca v1.0 (*)\n"
    full = tree(project, env, "--no-dedupe", "--extra", "fast", "--no-dev")
    assert "└── gamma v1.0 (extra: fast)\n    └── delta v1.0\n" in full


def test_depth_and_prune(project: Path, env: dict[str, str]) -> None:
    assert tree(project, env, "--depth", "1", "--prune", "numpy") == (
        "demo v1.0\n├── alpha[socks] v1.0\n├── delta v1.0\n└── pytest v8.0 (group: dev)\n"
    )
    assert tree(project, env, "--depth", "0") == "demo v1.0\n"


def test_invert_walks_up_to_the_project(project: Path, env: dict[str, str]) -> None:
    assert tree(project, env, "--invert", "delta") == (
        "delta v1.0\n"
        "├── beta v1.0\n"
        "│   └── alpha v1.0\n"
        "│       └── demo v1.0\n"
        "├── demo v1.0\n"
        "└── gamma v1.0\n"
        "    └── alpha v1.0 (*)\n"
    )
    # cut by --depth, alpha is not expanded under beta, so it is no repeat under gamma
    assert tree(project, env, "--invert", "delta", "--depth", "2") == (
        "delta v1.0\n"
        "├── beta v1.0\n"
        "│   └── alpha v1.0\n"
        "├── demo v1.0\n"
        "└── gamma v1.0\n"
        "    └── alpha v1.0\n"
    )
    assert tree(project, env, "--invert", "pytest") == "pytest v8.0\n└── demo v1.0 (group: dev)\n"


def test_outdated_asks_the_index(project: Path, env: dict[str, str]) -> None:
    # the index has delta 1.1; every other package's newest version is the locked one
    assert tree(project, env, "--outdated", "--no-dev", "--package", "beta") == (
        "beta v1.0\n└── delta v1.0 (latest: 1.1)\n"
    )


def test_a_stale_lock_is_relocked_unless_locked_or_frozen(
    project: Path, env: dict[str, str], index: IndexServer
) -> None:
    (project / "pyproject.toml").write_text(_pyproject(index.url, '"delta>=1.1"'), encoding="utf-8")
    before = (project / "pylock.toml").read_bytes()
    # the old lock as it is: it holds no delta>=1.1
    assert tree(project, env, "--frozen", "--no-dev") == "demo v1.0\n"
    assert tree(project, env, "--locked", code=1).startswith("error: --locked:")
    assert (project / "pylock.toml").read_bytes() == before
    assert tree(project, env, "--no-dev") == "demo v1.0\n└── delta v1.1\n"
    assert (project / "pylock.toml").read_bytes() != before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--invert", "nosuch"], "no package 'nosuch'"),
        (["--extra", "nosuch"], "--extra 'nosuch'"),
        (["--group", "nosuch"], "--group 'nosuch'"),
        (["--variant", "cu126"], "not a variant of this lock (it has: none)"),
        (["--depth", "-1"], "--depth -1"),
    ],
)
def test_bad_input_is_one_line(
    project: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    err = tree(project, env, "--frozen", *args, code=2)
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_no_lock_with_frozen(project: Path, env: dict[str, str]) -> None:
    (project / "pylock.toml").unlink()
    assert "pylock.toml does not exist" in tree(project, env, "--frozen", code=1)


@pytest.fixture(scope="module")
def variant_project(
    tmp_path_factory: pytest.TempPathFactory, shared_cache: Path
) -> Iterator[tuple[Path, VariantIndexes]]:
    with variant_indexes(tmp_path_factory.mktemp("variant-indexes")) as served:
        root = tmp_path_factory.mktemp("gpu") / "gpuapp"
        root.mkdir()
        text = variant_pyproject(served, ("cu126", "cpu"))
        (root / "pyproject.toml").write_text(text, encoding="utf-8")
        env = dict(pallet_env(root.parent), PALLET_CACHE_DIR=str(shared_cache))
        proc = pallet(root, env, "lock")
        assert proc.returncode == 0, proc.stderr
        yield root, served


def test_variant_lock_shows_the_default_variant_or_the_asked_one(
    variant_project: tuple[Path, VariantIndexes], env: dict[str, str]
) -> None:
    root, _ = variant_project
    # pylock.toml's [tool.pallet] variants: cu126 then cpu, cpu the default; each variant's
    # extra takes torch and torchvision (which requires torch) from its own index
    for flag, build in (
        ([], "cpu"),
        (["--variant", "cu126"], "cu126"),
        (["--extra", "cu126"], "cu126"),
    ):
        assert tree(root, env, "--frozen", *flag) == (
            "gpuapp v1.0\n"
            "├── filelock v3.16.1\n"
            f"├── torch v2.5.1+{build} (extra: {build})\n"
            "│   └── filelock v3.16.1\n"
            f"└── torchvision v0.20.1+{build} (extra: {build})\n"
            f"    └── torch v2.5.1+{build} (*)\n"
        )


def test_outdated_asks_each_package_of_its_own_index(
    variant_project: tuple[Path, VariantIndexes], env: dict[str, str], tmp_path: Path
) -> None:
    root, served = variant_project
    fresh = dict(env, PALLET_CACHE_DIR=str(tmp_path / "cache"))  # no cached pages
    main_before = served.servers["main"].count("/simple/torch")
    out = tree(root, fresh, "--frozen", "--variant", "cu126", "--outdated", "--depth", "1")
    assert "latest" not in out  # each index has one version of each package
    assert served.servers["cu126"].count("/simple/torch/") >= 1
    assert served.servers["main"].count("/simple/torch") == main_before
