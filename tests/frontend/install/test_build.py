"""wheel_for_sdist: a test-built sdist from a loopback index, built once, then a cache hit."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from pallet.errors import BuildFailed
from pallet.install.build import wheel_for_sdist
from pallet.install.fetch import Artifact, fetch
from pallet.install.store import Store
from pallet.pep517 import IndexInstaller, IsolatedEnvironment
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer


class CountingInstaller:
    """The real `IndexInstaller`, counting the isolated environments it was asked to fill."""

    def __init__(self, inner: IndexInstaller) -> None:
        self.inner = inner
        self.calls = 0

    def install(self, env: IsolatedEnvironment, requirements: Sequence[str]) -> None:
        self.calls += 1
        self.inner.install(env, requirements)


def sdist_artifact(path: Path, url: str) -> Artifact:
    name, version = path.name.removesuffix(".tar.gz").split("-")
    return Artifact(
        name=name,
        version=version,
        filename=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        url=url,
        path=None,
        size=None,
    )


def test_an_sdist_is_built_once_then_served_from_built(tmp_path: Path) -> None:
    dists = tmp_path / "dists"
    make_wheel(dists, "helper", "1.0")  # a build requirement, installed from the index
    sdist = make_sdist(dists, "gamma", "2.0", build_requires=["helper"])
    store = Store(tmp_path / "cache")
    env = {"PATH": "/usr/bin:/bin"}
    with IndexServer(dists) as index:
        a = sdist_artifact(sdist, index.files_url + sdist.name)
        archive = fetch([a], store, env={})[a.sha256]
        installer = CountingInstaller(IndexInstaller(index.url, (), env))
        wheel = wheel_for_sdist(a, archive, store, env=env, installer=installer)
        assert index.count("/simple/helper/") >= 1  # the build requirement came from the index
    assert installer.calls > 0
    assert wheel == store.root / "built-v1" / a.sha256[:2] / a.sha256 / "gamma-2.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        assert "gamma-2.0.dist-info/METADATA" in zf.namelist()
    assert [p.name for p in (store.root / "built-v1").iterdir()] == [a.sha256[:2]]  # no temp

    calls = installer.calls
    archive.unlink()  # a build now would fail: nothing to build from
    assert wheel_for_sdist(a, archive, store, env=env, installer=installer) == wheel
    assert installer.calls == calls


def test_a_failing_backend_is_one_build_failed_and_nothing_stored(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "dists", "broken", "1.0", backend="failing")
    a = sdist_artifact(sdist, "http://127.0.0.1:9/unused")
    store = Store(tmp_path / "cache")
    with pytest.raises(BuildFailed, match=r"^broken-1\.0\.tar\.gz: building the wheel failed:"):
        wheel_for_sdist(a, sdist, store, env={}, installer=IndexInstaller(None, (), {}))
    assert store.built(a.sha256) is None
    assert list((store.root / "built-v1").iterdir()) == []


def test_a_wheel_of_another_version_is_refused(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "dists", "gamma", "2.0")
    a = sdist_artifact(sdist, "http://127.0.0.1:9/unused")
    lying = Artifact(**{**a.__dict__, "version": "3.0"})
    store = Store(tmp_path / "cache")
    with pytest.raises(
        BuildFailed, match=r"built gamma-2\.0-py3-none-any\.whl, not a wheel of gamma 3\.0"
    ):
        wheel_for_sdist(lying, sdist, store, env={}, installer=IndexInstaller(None, (), {}))
    assert store.built(a.sha256) is None
