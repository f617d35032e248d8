"""sdist metadata: safe unpacking, PEP 643 static PKG-INFO, PEP 517 hooks in an isolated env."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path
from typing import Callable

import pytest
from packaging.utils import canonicalize_name
from pallet.errors import BuildFailed
from pallet.index.client import IndexClient
from pallet.index.sdist_metadata import (
    SdistMetadataBuilder,
    pip_environment,
    static_pkg_info,
    unpack_sdist,
)
from support.dists import make_sdist
from support.index_server import IndexServer

ClientFactory = Callable[..., IndexClient]


def _tar(path: Path, members: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for info in members:
            data = b"x" if info.isreg() else None
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


@pytest.mark.parametrize(
    "member",
    [
        tarfile.TarInfo("../evil"),
        tarfile.TarInfo("/etc/evil"),
        tarfile.TarInfo("pkg-1.0/../../evil"),
        _link("pkg-1.0/link", "../../outside"),
        _link("pkg-1.0/hard", "/etc/passwd", tarfile.LNKTYPE),
    ],
)
def test_unsafe_tar_members_are_refused(tmp_path: Path, member: tarfile.TarInfo) -> None:
    archive = _tar(tmp_path / "pkg-1.0.tar.gz", [tarfile.TarInfo("pkg-1.0/ok"), member])
    with pytest.raises(BuildFailed, match=r"pkg-1\.0\.tar\.gz: refusing"):
        unpack_sdist(archive, tmp_path / "out", archive.name)
    assert not (tmp_path / "evil").exists()


def test_unsafe_zip_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "pkg-1.0.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pkg-1.0/ok", "x")
        zf.writestr("../evil", "x")
    with pytest.raises(BuildFailed, match="refusing"):
        unpack_sdist(archive, tmp_path / "out", archive.name)


def test_unpack_and_static_pkg_info(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "foo", "1.0", requires_dist=["bar"], metadata_version="2.2")
    project = unpack_sdist(sdist, tmp_path / "out", sdist.name)
    assert project.name == "foo-1.0" and (project / "pyproject.toml").is_file()
    assert static_pkg_info(project) is not None  # PEP 643: reliable, no build needed
    old = make_sdist(tmp_path, "foo", "1.1", archive="zip")
    project = unpack_sdist(old, tmp_path / "out2", old.name)
    assert static_pkg_info(project) is None  # Metadata-Version 2.1: must ask the backend


def test_pip_environment_uses_only_the_project_indexes() -> None:
    base = {"PATH": "/bin", "PIP_EXTRA_INDEX_URL": "file:///elsewhere", "PIP_CONSTRAINT": "c.txt"}
    env = pip_environment("http://127.0.0.1:1/simple", ["/links"], base)
    assert env["PIP_INDEX_URL"] == "http://127.0.0.1:1/simple"
    assert env["PIP_FIND_LINKS"] == "/links" and env["PIP_CONFIG_FILE"]
    assert "PIP_EXTRA_INDEX_URL" not in env and "PIP_CONSTRAINT" not in env
    assert pip_environment(None, [], base)["PIP_NO_INDEX"] == "1"


@pytest.mark.slow
def test_sdist_metadata_through_the_in_tree_backend(
    tmp_path: Path, make_client: ClientFactory
) -> None:
    folder = tmp_path / "d"
    make_sdist(folder, "Baz", "0.1", requires_dist=["foo>=1"], extras={"x": ["bar"]})
    with IndexServer(folder) as index:
        client = make_client(index.url)
        (sdist,) = client.files(canonicalize_name("baz"))
        meta = client.metadata(sdist)
        assert meta.name == "baz" and [str(r) for r in meta.requires_dist] == [
            "foo>=1",
            'bar; extra == "x"',
        ]
        assert meta.provides_extra == ("x",)
        # Cached by the sdist's hash: a new client on the same cache downloads nothing.
        index.clear()
        assert make_client(index.url).metadata(sdist) == meta
        assert index.requests == []


@pytest.mark.slow
def test_missing_prepare_hook_falls_back_and_failures_are_reported(tmp_path: Path) -> None:
    builder = SdistMetadataBuilder(index_url=None, env={"PATH": "/usr/bin:/bin"})
    sdist = make_sdist(
        tmp_path, "nohook", "1.0", requires_dist=["foo"], backend="intree-no-prepare"
    )
    assert b"Requires-Dist: foo" in builder.metadata(sdist, sdist.name)
    broken = make_sdist(tmp_path, "broken", "1.0", backend="failing")
    with pytest.raises(BuildFailed, match=r"broken-1\.0\.tar\.gz") as info:
        builder.metadata(broken, broken.name)
    assert "deliberate failure for broken" in str(info.value)


@pytest.mark.slow
def test_build_requirements_come_from_the_project_index(
    tmp_path: Path, make_client: ClientFactory
) -> None:
    from support.dists import make_wheel

    folder = tmp_path / "d"
    make_wheel(folder, "build-helper", "1.0")
    make_sdist(folder, "needs-helper", "1.0", build_requires=["build-helper"])
    with IndexServer(folder, auth=("me", "pw")) as index:
        client = make_client(index.url_with_auth("me", "pw"))
        (sdist,) = client.files(canonicalize_name("needs-helper"))
        assert client.metadata(sdist).name == "needs-helper"
        assert index.requests_for("/simple/build-helper/")
        assert index.requests_for("/files/build_helper-1.0-py3-none-any.whl")
