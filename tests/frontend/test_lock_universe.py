"""Where a lock holds, end to end: Requires-Python forks, the PEP 751 ``environments`` the lock
writes, PyPy and musl Linux by configuration, required environments and the preference for
versions that install everywhere. pallet runs as a subprocess against a loopback index; the
locks are read back with `packaging.pylock` (what another installer selects) and installed
with uv on this machine's Python.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import default_environment
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from support.dists import make_sdist, make_wheel, wheel_filename
from support.index_server import IndexServer
from support.lock_tools import run_pallet_lock, uv_env, uv_install

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pylock = pytest.importorskip("packaging.pylock")

TIMEOUT = 120
UV = shutil.which("uv", path=str(Path(sys.executable).parent))
LINUX_X86_64 = sys.platform == "linux" and platform.machine() == "x86_64"

#: rise: each release needs a newer Python (given as data-requires-python and in METADATA)
RISE = {"1.0": ">=3.8", "2.0": ">=3.10", "3.0": ">=3.12"}
LINUX_WHEEL = "py3-none-manylinux_2_17_x86_64"
MUSL_WHEEL = "py3-none-musllinux_1_2_x86_64"


def _build(folder: Path) -> dict[str, str]:
    index_python: dict[str, str] = {}
    for version, python in RISE.items():
        make_wheel(folder, "rise", version, requires_python=python)
        index_python[wheel_filename("rise", version)] = python
    make_wheel(folder, "emsdep", "1.0")
    make_wheel(folder, "pypydep", "1.0")
    # cov 2.0 installs on x86_64 Linux only (no sdist): cov 1.0 installs everywhere
    make_wheel(folder, "cov", "1.0")
    make_wheel(folder, "cov", "2.0", tag=LINUX_WHEEL)
    # nat 2.0 has an sdist but no Windows wheel; nat 1.0 a wheel for everything
    make_wheel(folder, "nat", "1.0")
    make_wheel(folder, "nat", "2.0", tag=LINUX_WHEEL)
    make_sdist(folder, "nat", "2.0")
    # mus: a glibc and a musl wheel, no sdist
    make_wheel(folder, "mus", "1.0", tag=LINUX_WHEEL)
    make_wheel(folder, "mus", "1.0", tag=MUSL_WHEEL)
    return index_python


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    folder = tmp_path_factory.mktemp("universe-catalog")
    index_python = _build(folder)
    with IndexServer(folder, format="json", metadata=True, requires_python=index_python) as server:
        yield server


def _lock(
    tmp_path: Path,
    env: Mapping[str, str],
    url: str,
    dependencies: Sequence[str],
    resolution: str = "",
) -> dict[str, Any]:
    root = tmp_path / "project"
    root.mkdir(parents=True)
    deps = "".join(f"    {json.dumps(d)},\n" for d in dependencies)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "app"\nversion = "1.0"\nrequires-python = ">=3.9"\n'
        f"dependencies = [\n{deps}]\n\n"
        f"[tool.pallet.resolution]\n{resolution}\n\n"
        f'[[tool.pallet.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n',
        encoding="utf-8",
    )
    proc = run_pallet_lock(root, env, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    from pallet.lock.validate import validate_lock

    assert validate_lock(root / "pylock.toml") == []
    data: dict[str, Any] = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return data


def _select(
    data: Mapping[str, Any], environment: Mapping[str, str] | None = None, tags: Any = None
) -> dict[str, tuple[str, str]]:
    """What packaging.pylock installs: name -> (version, file name)."""
    lock = pylock.Pylock.from_dict(dict(data))
    return {
        str(p.name): (str(p.version), str(getattr(f, "name", None) or ""))
        for p, f in lock.select(environment=environment, tags=tags)  # type: ignore[arg-type]
    }


def _machine(**values: str) -> dict[str, str]:
    out = dict(default_environment())
    out.update(values)
    return out


PYPY_LINUX = _machine(
    implementation_name="pypy",
    platform_python_implementation="PyPy",
    sys_platform="linux",
    platform_machine="x86_64",
    python_version="3.10",
    python_full_version="3.10.14",
)
EMSCRIPTEN = _machine(sys_platform="emscripten", platform_machine="wasm32", platform_system="")
FREEBSD = _machine(sys_platform="freebsd14", platform_machine="amd64", platform_system="FreeBSD")
MUSL_TAGS = [
    *cpython_tags((3, 12), ["cp312"], ["musllinux_1_2_x86_64", "linux_x86_64"]),
    *compatible_tags((3, 12), "cp312", ["musllinux_1_2_x86_64", "linux_x86_64"]),
]
CPYTHON_312_LINUX = _machine(
    implementation_name="cpython",
    platform_python_implementation="CPython",
    sys_platform="linux",
    platform_machine="x86_64",
    python_version="3.12",
    python_full_version="3.12.4",
)


def test_each_python_gets_the_newest_release_it_supports(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    data = _lock(tmp_path, env, index.url, ["rise"])
    # per Python, the release packaging.pylock selects is the newest whose Requires-Python holds
    for minor in range(9, 15):
        python = f"3.{minor}"
        machine = _machine(python_version=python, python_full_version=f"{python}.0")
        expected = max(
            (v for v, spec in RISE.items() if SpecifierSet(spec).contains(f"{python}.0")),
            key=lambda v: tuple(map(int, v.split("."))),
        )
        assert _select(data, machine)["rise"][0] == expected, python
    fewest = _lock(tmp_path / "fewest", env, index.url, ["rise"], 'fork-strategy = "fewest"')
    assert [(p["name"], p["version"]) for p in fewest["packages"]] == [("rise", "1.0")]


@pytest.mark.skipif(UV is None, reason="uv is not installed next to the test interpreter")
def test_uv_installs_the_release_meant_for_this_python(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    _lock(tmp_path, env, index.url, ["rise"])
    here = platform.python_version()
    expected = max(
        (v for v, spec in RISE.items() if SpecifierSet(spec).contains(here)),
        key=lambda v: tuple(map(int, v.split("."))),
    )
    assert UV is not None
    installed = uv_install(UV, tmp_path, tmp_path / "project" / "pylock.toml", timeout=TIMEOUT)
    assert installed == {"rise": expected}


def test_the_lock_says_where_it_holds(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    deps = [
        "rise",
        "emsdep; sys_platform == 'emscripten'",
        "pypydep; platform_python_implementation == 'PyPy'",
    ]
    data = _lock(tmp_path, env, index.url, deps)
    assert {p["name"] for p in data["packages"]} == {"rise"}
    assert len(data["environments"]) == 6
    # every PEP 751 installer outside the universe refuses the lock instead of guessing
    for outside in (PYPY_LINUX, EMSCRIPTEN, FREEBSD):
        with pytest.raises(pylock.PylockSelectError):
            _select(data, outside)
    assert "rise" in _select(data, CPYTHON_312_LINUX)
    # PyPy by configuration: its requirement is locked, for PyPy only
    pypy = _lock(tmp_path / "pypy", env, index.url, deps, 'implementations = ["cpython", "pypy"]')
    assert {p["name"] for p in pypy["packages"]} == {"rise", "pypydep"}
    assert "pypydep" in _select(pypy, PYPY_LINUX)
    assert "pypydep" not in _select(pypy, CPYTHON_312_LINUX)
    with pytest.raises(pylock.PylockSelectError):
        _select(pypy, EMSCRIPTEN)


def test_musl_wheels_by_configuration(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    glibc = _lock(tmp_path, env, index.url, ["mus"], "environments = [\"sys_platform == 'linux'\"]")
    (entry,) = glibc["packages"]
    assert [w["name"] for w in entry["wheels"]] == [wheel_filename("mus", "1.0", LINUX_WHEEL)]
    musl = _lock(
        tmp_path / "musl",
        env,
        index.url,
        ["mus"],
        'environments = ["sys_platform == \'linux\'"]\nlinux-libc = ["glibc", "musl"]',
    )
    # a musl machine (its tags from packaging.tags) gets the musllinux wheel
    assert _select(musl, CPYTHON_312_LINUX, MUSL_TAGS)["mus"][1] == wheel_filename(
        "mus", "1.0", MUSL_WHEEL
    )
    with pytest.raises(pylock.PylockSelectError):
        _select(glibc, CPYTHON_312_LINUX, MUSL_TAGS)
    glibc_tags = [Tag("py3", "none", "manylinux_2_17_x86_64")]
    assert _select(musl, CPYTHON_312_LINUX, glibc_tags)["mus"][1] == wheel_filename(
        "mus", "1.0", LINUX_WHEEL
    )


def test_prefers_a_version_that_installs_everywhere(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    data = _lock(tmp_path, env, index.url, ["cov"])
    assert [(p["name"], p["version"]) for p in data["packages"]] == [("cov", "1.0")]
    only_there = "environments = [\"sys_platform == 'linux' and platform_machine == 'x86_64'\"]"
    narrow = _lock(tmp_path / "narrow", env, index.url, ["cov"], only_there)
    assert [(p["name"], p["version"]) for p in narrow["packages"]] == [("cov", "2.0")]


def test_required_environments_need_a_wheel(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    # nat 2.0's sdist covers Windows: by default it is the choice
    data = _lock(tmp_path, env, index.url, ["nat"])
    assert [(p["name"], p["version"]) for p in data["packages"]] == [("nat", "2.0")]
    required = "required-environments = [\"sys_platform == 'win32'\"]"
    wheels = _lock(tmp_path / "required", env, index.url, ["nat"], required)
    assert [(p["name"], p["version"]) for p in wheels["packages"]] == [("nat", "1.0")]
    # only where it is required: Linux has a wheel for 2.0
    linux = "required-environments = [\"sys_platform == 'linux' and platform_machine == 'x86_64'\"]"
    there = _lock(tmp_path / "linux", env, index.url, ["nat"], linux)
    assert [(p["name"], p["version"]) for p in there["packages"]] == [("nat", "2.0")]


def test_relock_keeps_every_python_range_pinned(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    first = _lock(tmp_path, env, index.url, ["rise"])
    root = tmp_path / "project"
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(text.replace('"rise",', '"rise",\n    "emsdep",'))
    proc = run_pallet_lock(root, env, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    second: dict[str, Any] = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))

    def rise(data: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [(p["version"], p["marker"]) for p in data["packages"] if p["name"] == "rise"]

    assert len(rise(first)) == 3
    assert rise(second) == rise(first)
    assert {p["name"] for p in second["packages"]} == {"rise", "emsdep"}


def _uv_for_platform(tmp_path: Path, lock: Path, target: str) -> subprocess.CompletedProcess[str]:
    """``uv pip install -r lock`` as if on ``target`` (uv's ``--python-platform``)."""
    assert UV is not None
    env = uv_env(tmp_path)
    venv = tmp_path / f"venv-{target}-{lock.parent.parent.name}"
    made = subprocess.run(
        [UV, "venv", str(venv), "--python", sys.executable],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=TIMEOUT,
    )
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    args = ["pip", "install", "--python", str(python), "--python-platform", target, "-r"]
    return subprocess.run(
        [UV, *args, str(lock)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=TIMEOUT,
    )


@pytest.mark.skipif(UV is None or not LINUX_X86_64, reason="needs uv on x86_64 Linux")
def test_uv_on_musl_and_outside_the_lock(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    linux = "environments = [\"sys_platform == 'linux' and platform_machine == 'x86_64'\"]"
    _lock(tmp_path / "glibc", env, index.url, ["mus"], linux)
    _lock(tmp_path / "musl", env, index.url, ["mus"], linux + '\nlinux-libc = ["glibc", "musl"]')
    musl = "x86_64-unknown-linux-musl"
    refused = _uv_for_platform(tmp_path, tmp_path / "glibc/project/pylock.toml", musl)
    assert refused.returncode != 0
    installed = _uv_for_platform(tmp_path, tmp_path / "musl/project/pylock.toml", musl)
    assert installed.returncode == 0, installed.stderr
    assert "mus==1.0" in installed.stderr
    # aarch64 Linux is outside this lock's environments: uv refuses the whole lock
    other = _uv_for_platform(
        tmp_path, tmp_path / "musl/project/pylock.toml", "aarch64-unknown-linux-gnu"
    )
    assert other.returncode != 0
    assert "not supported by the lockfile" in other.stderr
