"""``pallet lock`` end to end on resolver behaviour: locked pins kept per environment, conflict
explanations that name the true chain, and PEP 592 yanked releases. Dists are built here and
served by a real loopback index; pallet runs as a subprocess."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import run_pallet_lock

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

TIMEOUT = 300


def write_project(root: Path, url: str, dependencies: list[str], python: str = ">=3.9") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "app"\nversion = "1.0"\nrequires-python = "{python}"\n'
        f"dependencies = [{deps}]\n\n"
        f'[[tool.pallet.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n',
        encoding="utf-8",
    )
    return root


def entries(root: Path) -> set[tuple[str, str, str | None]]:
    data: dict[str, Any] = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return {(p["name"], p["version"], p.get("marker")) for p in data["packages"]}


OLD = 'python_version < "3.10"'
NEW = 'python_version >= "3.10"'
ROOTS = ["pkg<2; python_version < '3.10'", "pkg>=2; python_version >= '3.10'"]


def test_relock_keeps_both_entries_of_a_package(tmp_path: Path, env: dict[str, str]) -> None:
    dists = tmp_path / "dists"
    make_wheel(dists, "pkg", "1.0", requires_dist=["shared<2"])
    make_wheel(dists, "pkg", "2.0", requires_dist=["shared>=2"])
    for version in ("1.0", "2.0"):
        make_wheel(dists, "shared", version)
    make_wheel(dists, "unrelated", "1.0")
    first = {
        ("pkg", "1.0", OLD),
        ("pkg", "2.0", NEW),
        ("shared", "1.0", OLD),
        ("shared", "2.0", NEW),
    }
    with IndexServer(dists) as index:
        project = write_project(tmp_path / "app", index.url, ROOTS)
        proc = run_pallet_lock(project, env, timeout=TIMEOUT)
        assert proc.returncode == 0, proc.stderr
        assert entries(project) == first
        for name in ("pkg", "shared"):  # newer releases on both sides of the split
            make_wheel(dists, name, "1.1", requires_dist=["shared<2"] if name == "pkg" else [])
            make_wheel(dists, name, "2.1", requires_dist=["shared>=2"] if name == "pkg" else [])

        # adding an unrelated dependency re-resolves; no pin that still satisfies moves
        write_project(project, index.url, [*ROOTS, "unrelated"])
        proc = run_pallet_lock(project, env, timeout=TIMEOUT)
        assert proc.returncode == 0, proc.stderr
        assert entries(project) == first | {("unrelated", "1.0", None)}
        assert "Updated" not in proc.stderr

        # --upgrade-package moves that package only, in every environment
        proc = run_pallet_lock(project, env, "--upgrade-package", "pkg", timeout=TIMEOUT)
        assert proc.returncode == 0, proc.stderr
        assert entries(project) == {
            ("pkg", "1.1", OLD),
            ("pkg", "2.1", NEW),
            ("shared", "1.0", OLD),
            ("shared", "2.0", NEW),
            ("unrelated", "1.0", None),
        }


def test_yanked_release_only_for_the_projects_own_pin(tmp_path: Path, env: dict[str, str]) -> None:
    dists = tmp_path / "dists"
    make_wheel(dists, "lib", "1.0")
    make_wheel(dists, "lib", "2.0")
    make_wheel(dists, "user", "1.0", requires_dist=["lib"])
    make_wheel(dists, "user", "2.0", requires_dist=["lib==2.0"])  # names the yanked release
    yanked = {"lib-2.0-py3-none-any.whl": "corrupt RECORD"}
    with IndexServer(dists, yanked=yanked) as index:
        # a dependency's == does not select it: the resolver takes the older user instead
        project = write_project(tmp_path / "dep", index.url, ["user"])
        proc = run_pallet_lock(project, env, timeout=TIMEOUT)
        assert proc.returncode == 0, proc.stderr
        assert entries(project) == {("user", "1.0", None), ("lib", "1.0", None)}
        assert "yanked" not in proc.stderr

        # the project's own == selects it, with a warning giving the index's reason
        project = write_project(tmp_path / "own", index.url, ["user", "lib==2.0"])
        proc = run_pallet_lock(project, env, timeout=TIMEOUT)
        assert proc.returncode == 0, proc.stderr
        assert entries(project) == {("user", "2.0", None), ("lib", "2.0", None)}
        assert (
            "warning: lib 2.0 is yanked (corrupt RECORD); it is locked because the project "
            "pins it with ==" in proc.stderr
        )


def test_conflict_explanation_names_the_true_chain_only(
    tmp_path: Path, env: dict[str, str]
) -> None:
    dists = tmp_path / "dists"
    # Requires-Python only in METADATA (the index page gives none): the resolver learns that
    # iniconfig 2.3.0 needs Python >=3.10 after choosing it, beside every other Requires-Python
    make_wheel(dists, "pytest", "8.4.2", requires_dist=["iniconfig>=2.3", "pluggy>=1.5"])
    make_wheel(dists, "iniconfig", "2.1.0", requires_python=">=3.8")
    make_wheel(dists, "iniconfig", "2.3.0", requires_python=">=3.10")
    make_wheel(dists, "pluggy", "1.6.0", requires_python=">=3.9")
    make_wheel(dists, "attrs", "26.1.0", requires_python=">=3.9")
    make_wheel(dists, "numpy", "2.0.0", requires_python=">=3.9")
    with IndexServer(dists) as index:
        project = write_project(tmp_path / "app", index.url, ["attrs", "numpy", "pytest>=8.4.2"])
        proc = run_pallet_lock(project, env, timeout=TIMEOUT)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: The lock cannot hold for Python 3.9, which the project supports "
        "(requires-python >=3.9):",
        "  app depends on pytest>=8.4.2",
        "  pytest 8.4.2 depends on iniconfig>=2.3",
        "  iniconfig 2.3.0 requires Python >=3.10",
        "hint: raise requires-python to exclude Python 3.9, or constrain pytest to a version "
        "that supports it",
    ]
    for bystander in ("attrs", "numpy", "pluggy"):
        assert bystander not in proc.stderr
    assert not (project / "pylock.toml").exists()
