"""The one PEP 517 frontend (`pallet.pep517`): each hook in an isolated env whose build
requirements come from the installer it is given (here: only a loopback index)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename
from pallet.errors import BuildFailed
from pallet.pep517 import IndexInstaller, Pep517Builder, hook_environment, unpack_sdist
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer


def _builder(index_url: str | None) -> Pep517Builder:
    base = {"PATH": "/usr/bin:/bin"}
    return Pep517Builder(IndexInstaller(index_url, (), base), env=hook_environment(base))


@pytest.mark.slow
def test_wheel_from_an_sdist_with_build_requirements_from_the_index(tmp_path: Path) -> None:
    """What ``pallet sync`` will do for an sdist-only package."""
    folder = tmp_path / "index"
    make_wheel(folder, "build-helper", "1.0")
    sdist = make_sdist(
        tmp_path, "only-sdist", "2.0", requires_dist=["idna"], build_requires=["build-helper"]
    )
    with IndexServer(folder) as index:
        wheel = _builder(index.url).wheel_from_sdist(sdist, tmp_path / "out")
        assert index.requests_for("/files/build_helper-1.0-py3-none-any.whl")
    name, version, _, _ = parse_wheel_filename(wheel.name)
    assert (name, str(version)) == ("only-sdist", "2.0")
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read("only_sdist-2.0.dist-info/METADATA").decode()
    assert "Requires-Dist: idna" in metadata


@pytest.mark.slow
def test_metadata_and_a_missing_build_requirement(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "needs", "1.0", build_requires=["not-on-the-index"])

    source = unpack_sdist(sdist, tmp_path / "src", sdist.name)
    with (
        IndexServer(tmp_path / "empty") as index,
        pytest.raises(BuildFailed, match=r"^needs-1\.0\.tar\.gz: installing the build"),
    ):
        _builder(index.url).metadata(source, tmp_path / "out", label=sdist.name)
    plain = make_sdist(tmp_path, "plain", "1.0", requires_dist=["foo>=2"])
    source = unpack_sdist(plain, tmp_path / "src2", plain.name)
    dist_info = _builder(None).metadata(source, tmp_path / "out2")
    assert "Requires-Dist: foo>=2" in (dist_info / "METADATA").read_text()
