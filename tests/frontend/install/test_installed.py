"""installed(): the environment's distributions, as pip lists them, from folder names alone."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from packaging.utils import canonicalize_name
from pallet.install.installed import installed
from pallet.install.link import install_wheel
from pallet.install.scheme import Scheme
from pallet.install.wheelfile import unpack_wheel
from support.wheels import build_wheel

from .conftest import pip, pip_list


def _importlib_metadata(scheme: Scheme) -> dict[str, str]:
    """What the environment's own importlib.metadata finds (distributions with a Name)."""
    code = (
        "import importlib.metadata as m, json; print(json.dumps("
        "[[d.metadata['Name'], d.version] for d in m.distributions(path=[sys.argv[1]])]))"
    )
    out = subprocess.run(
        [str(scheme.python), "-c", "import sys;" + code, str(scheme.purelib)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {canonicalize_name(n): v for n, v in json.loads(out.stdout) if n}


def test_installed_lists_what_pip_lists(tmp_path: Path, make_venv: Callable[..., Scheme]) -> None:
    scheme = make_venv()
    dists = tmp_path / "dists"
    by_pip = [
        build_wheel(dists, "Zope.Interface", "5.0", {"zope_i/__init__.py": ""}),
        build_wheel(dists, "typing_extensions", "4.12.2", {"typing_extensions.py": ""}),
    ]
    pip(scheme, "install", "--no-deps", "--no-compile", *map(str, by_pip))
    ours = build_wheel(dists, "Demo-Pkg", "1.0.post1", {"demo_pkg/__init__.py": ""})
    install_wheel(unpack_wheel(ours, tmp_path / "store", filename=ours.name), scheme)
    # a folder named the old way (an unescaped "-" in the name): its METADATA is read instead
    legacy = scheme.purelib / "python-dateutil-2.9.0.dist-info"
    legacy.mkdir()
    (legacy / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: python-dateutil\nVersion: 2.9.0\n"
    )
    (scheme.purelib / "broken-1.0.dist-info").mkdir()  # no METADATA: not a distribution

    found = installed(scheme)
    versions = {name: dist.version for name, dist in found.items()}
    assert versions == _importlib_metadata(scheme)
    listed = pip_list(scheme)
    # pip's view of the two odd folders (no METADATA; the legacy name) changes with pip's
    # version; importlib.metadata, checked above, is the reference for them
    for odd in ("broken", "python-dateutil"):
        listed.pop(odd, None)
    assert {k: v for k, v in versions.items() if k != "python-dateutil"} == listed
    assert found["zope-interface"].installer == "pip"
    assert found["demo-pkg"].installer == "pallet"
    assert found["zope-interface"].direct_url is not None  # pip records a local file (PEP 610)
    assert found["python-dateutil"].installer is None


def test_installed_reads_folder_names_not_metadata(
    tmp_path: Path, make_venv: Callable[..., Scheme]
) -> None:
    """40 distributions in well under a few milliseconds: no METADATA is read for them."""
    scheme = make_venv()
    for index in range(40):
        folder = scheme.purelib / f"pkg_{index}-1.{index}.dist-info"
        folder.mkdir()
        (folder / "METADATA").write_text("Name: something-else\nVersion: 9\n")
        (folder / "INSTALLER").write_text("pallet\n")
    found = installed(scheme)
    assert sorted(found) == sorted(f"pkg-{i}" for i in range(40))
    assert all(d.version == f"1.{i}" for i, d in ((int(n[4:]), d) for n, d in found.items()))
    start = time.perf_counter()
    for _ in range(20):
        installed(scheme)
    per_scan = (time.perf_counter() - start) / 20
    assert per_scan < 0.05, f"installed() took {per_scan * 1000:.1f} ms for 40 distributions"
