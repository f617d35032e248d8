"""resolve_lock over an in-memory index: versions chosen, forks, markers, files."""

from __future__ import annotations

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name
from packaging.version import Version
from pallet.errors import ProjectError, ResolutionError
from pallet.resolve.check import check_exact
from pallet.resolve.universal import resolve_lock

from .memfinder import Index, MemoryFinder, entries, project, resolve_checked


def test_newest_versions_and_dependencies() -> None:
    finder = MemoryFinder(
        {
            "a": {"1.0": {"requires": ["b"]}, "2.0": {"requires": ["b>=1.5"]}},
            "b": {"1.0": {}, "1.5": {}, "1.6": {}},
        }
    )
    result = resolve_checked(finder, project(["a"]))
    assert entries(result) == {("a", "2.0"): None, ("b", "1.6"): None}
    (a,) = [p for p in result.packages if p.name == "a"]
    assert [d.name for d in a.dependencies] == ["b"]
    assert a.index == "https://memory.invalid/simple"
    assert len(result.forks) == 1


def test_diamond_conflict_backtracks() -> None:
    # a 2.0 wants c>=2 but b (every version) wants c<2: the resolver must go back to a 1.0.
    finder = MemoryFinder(
        {
            "a": {"1.0": {"requires": ["c>=1"]}, "2.0": {"requires": ["c>=2"]}},
            "b": {"1.0": {"requires": ["c<2"]}, "1.1": {"requires": ["c<2"]}},
            "c": {"1.0": {}, "1.5": {}, "2.0": {}},
        }
    )
    result = resolve_checked(finder, project(["a", "b"]))
    assert entries(result) == {("a", "1.0"): None, ("b", "1.1"): None, ("c", "1.5"): None}


def test_package_extras() -> None:
    finder = MemoryFinder(
        {
            "a": {
                "1.0": {
                    "requires": ["b", "c; extra == 'x'", "d; extra == 'y'"],
                    "extras": ["x", "y"],
                }
            },
            "b": {"1.0": {}},
            "c": {"1.0": {"requires": ["e>=2; extra == 'z'"]}},
            "d": {"1.0": {}},
            "e": {"1.0": {}},
        }
    )
    result = resolve_checked(finder, project(["a[x]"]))
    assert entries(result) == {("a", "1.0"): None, ("b", "1.0"): None, ("c", "1.0"): None}


def test_extra_with_marker_on_platform() -> None:
    finder = MemoryFinder(
        {
            "a": {
                "1.0": {
                    "requires": ["w; extra == 'x' and sys_platform == 'win32'"],
                    "extras": ["x"],
                }
            },
            "w": {"1.0": {}},
        }
    )
    result = resolve_checked(finder, project(["a[x]"]))
    assert entries(result) == {("a", "1.0"): None, ("w", "1.0"): 'sys_platform == "win32"'}


def test_project_extras_and_groups_get_pep751_terms() -> None:
    finder = MemoryFinder(
        {
            "click": {"8.0": {"requires": ["colorama; platform_system == 'Windows'"]}},
            "colorama": {"0.4": {}},
            "pytest": {"8.0": {}},
            "rich": {"13.0": {}},
            "httpx": {"0.27": {}},
        }
    )
    spec = project(
        ["httpx"],
        extras={"cli": ["click", "rich"]},
        groups={"dev": ["pytest", "app[cli]"], "docs": ["rich"]},
    )
    result = resolve_checked(finder, spec)
    assert entries(result) == {
        ("click", "8.0"): '"cli" in extras or "dev" in dependency_groups',
        ("colorama", "0.4"): (
            'sys_platform == "win32" and ("cli" in extras or "dev" in dependency_groups)'
        ),
        ("httpx", "0.27"): None,
        ("pytest", "8.0"): '"dev" in dependency_groups',
        ("rich", "13.0"): (
            '"cli" in extras or "dev" in dependency_groups or "docs" in dependency_groups'
        ),
    }
    assert result.extras == ("cli",)
    assert result.dependency_groups == ("dev", "docs")


def test_reached_from_base_on_one_platform_only_through_group_elsewhere() -> None:
    finder = MemoryFinder({"a": {"1.0": {}}})
    spec = project(["a; sys_platform == 'linux'"], groups={"dev": ["a"]})
    result = resolve_checked(finder, spec)
    assert entries(result) == {
        ("a", "1.0"): 'sys_platform == "linux" or "dev" in dependency_groups'
    }


def test_two_versions_with_disjoint_platform_markers() -> None:
    finder = MemoryFinder({"a": {"1.0": {}, "2.0": {}}, "b": {"1.0": {}, "2.0": {}, "3.0": {}}})
    spec = project(
        [
            "a<2; sys_platform == 'win32'",
            "a>=2; sys_platform != 'win32'",
            "b<2; python_version < '3.11'",
            "b>=2; python_version >= '3.11'",
        ]
    )
    result = resolve_checked(finder, spec)
    assert entries(result) == {
        ("a", "1.0"): 'sys_platform == "win32"',
        ("a", "2.0"): 'sys_platform != "win32"',
        ("b", "1.0"): 'python_version < "3.11"',
        ("b", "3.0"): 'python_version >= "3.11"',
    }


def test_machine_marker_reads_as_platform_and_machine() -> None:
    finder = MemoryFinder({"m": {"1.0": {}}})
    spec = project(["m; platform_machine == 'arm64' and sys_platform == 'darwin'"])
    result = resolve_checked(finder, spec)
    assert entries(result) == {
        ("m", "1.0"): 'sys_platform == "darwin" and platform_machine == "arm64"'
    }


def test_transitive_version_split_lists_versioned_dependencies() -> None:
    finder = MemoryFinder(
        {
            "top": {
                "1.0": {
                    "requires": [
                        "mid<2; python_version < '3.10'",
                        "mid>=2; python_version >= '3.10'",
                    ]
                }
            },
            "mid": {"1.0": {"requires": ["leaf"]}, "2.0": {"requires": ["leaf"]}},
            "leaf": {"1.0": {}},
        }
    )
    result = resolve_checked(finder, project(["top"]))
    (top,) = [p for p in result.packages if p.name == "top"]
    assert [(d.name, str(d.version)) for d in top.dependencies] == [("mid", "1.0"), ("mid", "2.0")]
    assert entries(result)[("leaf", "1.0")] is None


def test_requires_python_excludes_candidates() -> None:
    projects: Index = {
        "a": {
            "1.0": {"python": ">=3.8"},
            "2.0": {"python": ">=3.11"},
            # metadata says >=3.12 but the index gave no data-requires-python for its files
            "3.0": {"python": ">=3.12", "file_python": None},
        }
    }
    result = resolve_checked(MemoryFinder(projects), project(["a"], fork_strategy="fewest"))
    assert entries(result) == {("a", "1.0"): None}
    (a,) = result.packages
    assert str(a.requires_python) == ">=3.8"
    narrow = resolve_checked(
        MemoryFinder(projects), project(["a"], requires_python=">=3.11", fork_strategy="fewest")
    )
    assert entries(narrow) == {("a", "2.0"): None}
    # the default strategy: each Python gets the newest version that supports it; 3.0 is seen
    # only through its metadata, and still lands where it belongs
    forked = resolve_checked(MemoryFinder(projects), project(["a"]))
    assert entries(forked) == {
        ("a", "1.0"): 'python_version < "3.11"',
        ("a", "2.0"): 'python_version == "3.11"',
        ("a", "3.0"): 'python_version >= "3.12"',
    }


def test_requires_python_upper_cap_checks_the_newest_minor() -> None:
    finder = MemoryFinder({"a": {"1.0": {"python": ">=3.9"}, "2.0": {"python": ">=3.9,<3.14"}}})
    result = resolve_checked(finder, project(["a"], max_python="3.14", fork_strategy="fewest"))
    assert entries(result) == {("a", "1.0"): None}
    forked = resolve_checked(finder, project(["a"], max_python="3.14"))
    assert entries(forked) == {
        ("a", "1.0"): 'python_version >= "3.14"',
        ("a", "2.0"): 'python_version < "3.14"',
    }


def test_yanked_skipped_unless_pinned_exactly() -> None:
    projects: Index = {"a": {"1.0": {}, "2.0": {"yanked": "broken"}}}
    assert entries(resolve_checked(MemoryFinder(projects), project(["a"]))) == {("a", "1.0"): None}
    pinned = resolve_checked(MemoryFinder(projects), project(["a==2.0"]))
    assert entries(pinned) == {("a", "2.0"): None}
    assert pinned.packages[0].wheels[0].yanked == "broken"


def test_partially_yanked_release_keeps_good_files() -> None:
    finder = MemoryFinder({"a": {"1.0": {}}})
    files = finder.files(canonicalize_name("a"))
    assert len(files) == 2


@pytest.mark.parametrize(
    ("requirement", "mode", "expected"),
    [
        ("a", "if-necessary", "1.0"),
        ("a>=2.0b1", "if-necessary", "2.0b1"),
        ("a", "allow", "2.0b1"),
        ("a>=2.0b1", "disallow", None),
    ],
)
def test_prereleases(requirement: str, mode: str, expected: str | None) -> None:
    finder = MemoryFinder({"a": {"1.0": {}, "2.0b1": {}}})
    spec = project([requirement], prerelease=mode)
    if expected is None:
        with pytest.raises(ResolutionError):
            resolve_checked(finder, spec)
        return
    assert entries(resolve_checked(finder, spec)) == {("a", expected): None}


def test_prerelease_taken_when_nothing_else_exists() -> None:
    finder = MemoryFinder({"a": {"1.0a1": {}, "1.0a2": {}}})
    assert entries(resolve_checked(finder, project(["a"]))) == {("a", "1.0a2"): None}


def test_local_versions() -> None:
    projects: Index = {"torch": {"2.5.1": {}, "2.5.1+cpu": {}, "2.5.1+cu126": {}, "2.4.0+cpu": {}}}
    exact = resolve_checked(MemoryFinder(projects), project(["torch==2.5.1+cpu"]))
    assert entries(exact) == {("torch", "2.5.1+cpu"): None}
    assert exact.packages[0].wheels[0].filename == "torch-2.5.1+cpu-py3-none-any.whl"
    # PEP 440: "==2.5.1" matches every local variant; the highest one sorts first
    public = resolve_checked(MemoryFinder(projects), project(["torch==2.5.1"]))
    assert entries(public) == {("torch", "2.5.1+cu126"): None}


def test_preferences_kept_unless_upgraded() -> None:
    projects: Index = {"a": {"1.0": {}, "2.0": {}}, "b": {"1.0": {}, "2.0": {}}}
    spec = project(["a", "b"])
    prefs = {canonicalize_name("a"): Version("1.0"), canonicalize_name("b"): Version("1.0")}
    kept = resolve_checked(MemoryFinder(projects), spec, preferences=prefs)
    assert entries(kept) == {("a", "1.0"): None, ("b", "1.0"): None}
    every = resolve_checked(MemoryFinder(projects), spec, preferences=prefs, upgrade=True)
    assert entries(every) == {("a", "2.0"): None, ("b", "2.0"): None}
    one = resolve_checked(
        MemoryFinder(projects), spec, preferences=prefs, upgrade=frozenset({canonicalize_name("a")})
    )
    assert entries(one) == {("a", "2.0"): None, ("b", "1.0"): None}


def test_preference_ignored_when_it_no_longer_satisfies() -> None:
    projects: Index = {"a": {"1.0": {}, "2.0": {}, "3.0": {}}}
    prefs = {canonicalize_name("a"): Version("1.0")}
    result = resolve_checked(MemoryFinder(projects), project(["a>=2"]), preferences=prefs)
    assert entries(result) == {("a", "3.0"): None}


def test_wheels_kept_per_entry() -> None:
    wheels = [
        "cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "cp312-cp312-manylinux_2_17_aarch64",
        "cp312-cp312-win_amd64",
        "cp312-cp312-win32",
        "cp39-abi3-macosx_11_0_arm64",
        "pp310-pypy310_pp73-win_amd64",
    ]
    finder = MemoryFinder({"n": {"1.0": {"wheels": wheels}}})
    result = resolve_checked(finder, project(["n; sys_platform == 'win32'"]))
    (n,) = result.packages
    assert [w.filename for w in n.wheels] == ["n-1.0-cp312-cp312-win_amd64.whl"]
    assert n.sdist is not None
    everywhere = resolve_checked(MemoryFinder({"n": {"1.0": {"wheels": wheels}}}), project(["n"]))
    assert [w.filename for w in everywhere.packages[0].wheels] == [
        "n-1.0-cp312-cp312-manylinux_2_17_aarch64.whl",
        "n-1.0-cp312-cp312-win_amd64.whl",
        "n-1.0-cp39-abi3-macosx_11_0_arm64.whl",
        "n-1.0-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ]


def test_metadata_fetched_once_across_forks_and_prefetched() -> None:
    finder = MemoryFinder(
        {
            "a": {
                "1.0": {
                    "requires": ["b", "c; sys_platform == 'win32'", "d; python_version < '3.11'"]
                }
            },
            "b": {"1.0": {"requires": ["e"]}},
            "c": {"1.0": {}},
            "d": {"1.0": {}},
            "e": {"1.0": {}},
        }
    )
    spec = project(["a"])
    result = resolve_lock(spec, finder)
    assert len(result.forks) >= 3
    assert set(finder.metadata_calls.values()) == {1}
    assert set(finder.files_calls.values()) == {1}
    assert "b" in finder.prefetched
    assert check_exact(result, spec, finder) == []


def test_python_full_version_markers_split_a_minor() -> None:
    finder = MemoryFinder({"a": {"1.0": {}}, "b": {"1.0": {}}})
    spec = project(["a; python_full_version >= '3.9.2'", "b; python_full_version < '3.11.4'"])
    result = resolve_checked(finder, spec)
    assert entries(result) == {
        ("a", "1.0"): 'python_full_version >= "3.9.2"',
        ("b", "1.0"): 'python_full_version < "3.11.4"',
    }


def test_environments_setting_narrows_the_universe() -> None:
    finder = MemoryFinder({"a": {"1.0": {}}, "w": {"1.0": {}}, "m": {"1.0": {}}})
    spec = project(
        ["a", "w; sys_platform == 'win32'", "m; platform_machine == 'aarch64'"],
        environments=("sys_platform == 'linux'",),
    )
    result = resolve_checked(finder, spec)
    assert entries(result) == {("a", "1.0"): None, ("m", "1.0"): 'platform_machine == "aarch64"'}
    assert {e.platform.sys_platform for e in result.universe} == {"linux"}
    # PEP 751 environments: exactly the universe, false anywhere else (PyPy, ppc64le, ...)
    assert [str(m) for m in result.environments] == [
        'implementation_name == "cpython" and sys_platform == "linux" and '
        'platform_machine == "x86_64"',
        'implementation_name == "cpython" and sys_platform == "linux" and '
        'platform_machine == "aarch64"',
    ]


def test_markers_outside_the_default_universe_select_nothing() -> None:
    finder = MemoryFinder({"a": {"1.0": {}}, "e": {"1.0": {}}, "p": {"1.0": {}}})
    deps = ["a", "e; sys_platform == 'emscripten'", "p; platform_python_implementation == 'PyPy'"]
    result = resolve_checked(finder, project(deps))
    assert entries(result) == {("a", "1.0"): None}
    assert len(result.environments) == 6


def test_pypy_and_musl_by_configuration() -> None:
    projects: Index = {
        "a": {"1.0": {}},
        "p": {"1.0": {}},
        "m": {
            "1.0": {"wheels": ["py3-none-manylinux_2_17_x86_64", "py3-none-musllinux_1_2_x86_64"]}
        },
    }
    deps = ["a", "p; platform_python_implementation == 'PyPy'", "m; sys_platform == 'linux'"]
    spec = project(deps, implementations=("cpython", "pypy"), linux_libc=("glibc", "musl"))
    result = resolve_checked(MemoryFinder(projects), spec)  # exact on PyPy and musl too
    assert entries(result) == {
        ("a", "1.0"): None,
        ("m", "1.0"): 'sys_platform == "linux"',
        ("p", "1.0"): 'implementation_name == "pypy"',
    }
    # musl and glibc Linux share their markers: one environments line each for 6 + 5 platforms
    assert len(result.environments) == 11
    assert len(result.universe) == (6 + 2 + 5 + 2) * 6
    (m,) = [p for p in result.packages if p.name == "m"]
    assert len(m.wheels) == 2


def test_root_markers_and_self_reference_of_base() -> None:
    finder = MemoryFinder({"a": {"1.0": {}}, "t": {"1.0": {}}})
    spec = project(["a"], groups={"test": ["app", "t"]})
    result = resolve_checked(finder, spec)
    assert entries(result) == {("a", "1.0"): None, ("t", "1.0"): '"test" in dependency_groups'}


def test_cycle_between_packages() -> None:
    finder = MemoryFinder({"a": {"1.0": {"requires": ["b"]}}, "b": {"1.0": {"requires": ["a"]}}})
    result = resolve_checked(finder, project(["a"]))
    assert entries(result) == {("a", "1.0"): None, ("b", "1.0"): None}


def test_required_environments_need_a_wheel_there() -> None:
    projects: Index = {
        "n": {
            "1.0": {"wheels": ["py3-none-win_amd64", "py3-none-manylinux_2_17_x86_64"]},
            "2.0": {"wheels": ["py3-none-manylinux_2_17_x86_64"]},  # and an sdist
            "3.0": {"wheels": ["py3-none-manylinux_2_17_x86_64"], "sdist": False},
        }
    }
    required = ("sys_platform == 'win32' and platform_machine == 'AMD64'",)
    spec = project(["n"], required_environments=required)
    assert entries(resolve_checked(MemoryFinder(projects), spec)) == {("n", "1.0"): None}
    # without it: 3.0 would not install off x86_64 Linux, 2.0's sdist installs everywhere
    assert entries(resolve_checked(MemoryFinder(projects), project(["n"]))) == {("n", "2.0"): None}
    with pytest.raises(ResolutionError) as info:
        resolve_lock(project(["n>=2"], required_environments=required), MemoryFinder(projects))
    assert "without a wheel for the required environments" in str(info.value)


def test_newest_when_no_version_installs_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    projects: Index = {
        "n": {
            "1.0": {"wheels": ["py3-none-manylinux_2_17_x86_64"], "sdist": False},
            "2.0": {"wheels": ["py3-none-manylinux_2_17_aarch64"], "sdist": False},
        }
    }
    assert entries(resolve_checked(MemoryFinder(projects), project(["n"]))) == {("n", "2.0"): None}
    assert "n 2.0 has no sdist and no wheel for" in caplog.text


def test_environments_setting_narrows_pypy_pythons() -> None:
    finder = MemoryFinder({"a": {"1.0": {}}, "p": {"1.0": {}}})
    narrowed = (
        "implementation_name == 'cpython'",
        "implementation_name == 'pypy' and python_version < '3.12'",
    )
    spec = project(
        ["a", "p; implementation_name == 'pypy'"],
        implementations=("cpython", "pypy"),
        environments=narrowed,
    )
    result = resolve_checked(finder, spec)
    pypy = {
        "implementation_name": "pypy",
        "platform_python_implementation": "PyPy",
        "sys_platform": "linux",
        "platform_machine": "x86_64",
        "python_full_version": "3.11.9",
        "python_version": "3.11",
    }
    # what the lock's environments admit is what the configured markers admit
    for python in ("3.10", "3.11", "3.12", "3.13"):
        values = {**pypy, "python_version": python, "python_full_version": f"{python}.1"}
        wanted = any(Marker(m).evaluate(values) for m in narrowed)
        assert any(m.evaluate(values) for m in result.environments) == wanted, python


def test_required_environment_outside_the_lock_is_an_error() -> None:
    finder = MemoryFinder({"a": {"1.0": {}}})
    spec = project(["a"], required_environments=("sys_platform == 'freebsd14'",))
    with pytest.raises(ProjectError, match=r"'required-environments': .*freebsd14.* selects no"):
        resolve_lock(spec, finder)
    assert finder.files_calls == {}
