"""``pallet lock --upgrade-package`` as ``pallet tree`` and ``pallet export`` show it (issue 13
item 3): only the named package moves to the index's newest version; the others keep their
locked versions although the index now has newer ones too.

The expected versions come from the wheels the test serves, read back with ``packaging``
(`parse_wheel_filename`); the views are read back with ``packaging`` too (`Requirement` for the
requirements file, `Version` for the tree's ``vX.Y``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject, run_pallet_lock
from support.sync_tools import pallet


def _served(root: Path) -> dict[str, list[Version]]:
    """name -> the versions of the wheels in the index folder, read from their file names."""
    out: dict[str, list[Version]] = {}
    for wheel in root.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        out.setdefault(name, []).append(version)
    return out


def _tree_versions(text: str) -> dict[str, Version]:
    """``name vX.Y`` entries of ``pallet tree`` output (uv's format) -> name -> version."""
    found = re.findall(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])? v(\S+)", text)
    return {canonicalize_name(name): Version(version) for name, version in found}


def _export_versions(text: str) -> dict[str, Version]:
    """The ``name==version`` requirements of an exported requirements file (hashes on the
    continuation lines dropped, as pip's requirement-file format allows) -> name -> version."""
    out: dict[str, Version] = {}
    for line in text.replace("\\\n", " ").splitlines():
        line = line.split(" --hash")[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", line
        out[canonicalize_name(requirement.name)] = Version(spec.version)
    return out


def test_upgrade_package_moves_only_that_package(tmp_path: Path, env: dict[str, str]) -> None:
    dists = tmp_path / "dists"
    make_wheel(dists, "pkg", "1.0")
    make_wheel(dists, "other", "1.0")
    project = tmp_path / "demo"
    project.mkdir()
    with IndexServer(dists, cache_headers=False) as index:
        (project / "pyproject.toml").write_text(
            lock_pyproject(index.url, ["pkg", "other"]), encoding="utf-8"
        )
        proc = run_pallet_lock(project, env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        before = {name: max(versions) for name, versions in _served(dists).items()}

        make_wheel(dists, "pkg", "2.0")
        make_wheel(dists, "other", "2.0")
        newest = {name: max(versions) for name, versions in _served(dists).items()}
        assert newest["pkg"] > before["pkg"] and newest["other"] > before["other"]

        proc = run_pallet_lock(project, env, "--upgrade-package", "pkg", timeout=120)
        assert proc.returncode == 0, proc.stderr

    expected = {"demo": Version("1.0"), "pkg": newest["pkg"], "other": before["other"]}
    shown = pallet(project, env, "tree", "--frozen", "--python", sys.executable)
    assert shown.returncode == 0, shown.stderr
    assert _tree_versions(shown.stdout) == expected

    exported = pallet(project, env, "export", "--frozen", "--no-emit-project")
    assert exported.returncode == 0, exported.stderr
    assert _export_versions(exported.stdout) == {k: v for k, v in expected.items() if k != "demo"}
