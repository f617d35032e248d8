"""fetch: archives into the store from a loopback index, verified, resumed, in parallel, offline."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pallet.errors import IndexError_, InstallError, SetupError
from pallet.index.cache import Cache
from pallet.install.fetch import Artifact, concurrent_downloads, fetch
from pallet.install.store import Store
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer

#: A wheel member of random bytes: the wheel cannot compress it, so it is bigger than one chunk.
BIG = 300_000


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def artifact(path: Path, *, url: str | None = None, local: bool = False) -> Artifact:
    name, version = path.name.split("-")[:2]
    return Artifact(
        name=name,
        version=version.removesuffix(".tar.gz"),
        filename=path.name,
        sha256=sha256_of(path),
        url=url,
        path=path if local else None,
        size=path.stat().st_size,
    )


def stored_files(root: Path) -> list[Path]:
    """Every file under the store's kinds (temp files included)."""
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dists")
    make_wheel(root, "alpha", "1.0")
    make_wheel(root, "big", "1.0", files={"big/blob.bin": os.urandom(BIG)})
    make_sdist(root, "gamma", "2.0")
    for n in range(4):
        make_wheel(root, f"many{n}", "1.0")
    return root


@pytest.fixture
def index(dists: Path) -> Iterator[IndexServer]:
    with IndexServer(dists) as server:
        yield server


def remote(index: IndexServer, dists: Path, filename: str) -> Artifact:
    return artifact(dists / filename, url=index.files_url + filename)


def test_fetch_downloads_verifies_and_stores_by_hash(
    tmp_path: Path, index: IndexServer, dists: Path
) -> None:
    store = Store(tmp_path / "cache")
    wanted = [
        remote(index, dists, "alpha-1.0-py3-none-any.whl"),
        remote(index, dists, "gamma-2.0.tar.gz"),
    ]
    got = fetch(wanted, store, env={})
    for a in wanted:
        path = got[a.sha256]
        assert path == tmp_path / "cache" / "archives-v1" / a.sha256[:2] / a.sha256 / a.filename
        assert path.read_bytes() == (dists / a.filename).read_bytes()
    assert stored_files(tmp_path / "cache") == sorted(got.values())
    index.clear()
    assert fetch(wanted, store, env={}) == got
    assert index.requests == []  # already stored: not fetched again


def test_a_hash_mismatch_names_the_url_and_keeps_nothing(
    tmp_path: Path, index: IndexServer, dists: Path
) -> None:
    good = remote(index, dists, "alpha-1.0-py3-none-any.whl")
    wrong = Artifact(**{**good.__dict__, "sha256": "0" * 64})
    with pytest.raises(InstallError) as caught:
        fetch([wrong], Store(tmp_path), env={})
    assert str(caught.value) == (
        f"{good.url}: sha256 mismatch: expected {'0' * 64}, got {good.sha256}"
    )
    assert stored_files(tmp_path) == []


def test_a_missing_file_is_an_index_error_naming_the_url(
    tmp_path: Path, index: IndexServer, dists: Path
) -> None:
    good = remote(index, dists, "alpha-1.0-py3-none-any.whl")
    gone = Artifact(**{**good.__dict__, "url": index.files_url + "alpha-9.9-py3-none-any.whl"})
    with pytest.raises(
        IndexError_,
        match=r"^GET http://127\.0\.0\.1:\d+/files/alpha-9.9-py3"
        r"-none-any\.whl failed: HTTP 404$",
    ):
        fetch([gone], Store(tmp_path), env={})
    assert stored_files(tmp_path) == []


def test_a_dropped_connection_resumes_with_a_range_request(tmp_path: Path, dists: Path) -> None:
    name = "big-1.0-py3-none-any.whl"
    cut = 100_000
    with IndexServer(dists, drop_after={name: cut}) as index:
        got = fetch([remote(index, dists, name)], Store(tmp_path), env={})
        first, second = index.requests_for(f"/files/{name}")
    assert got[sha256_of(dists / name)].read_bytes() == (dists / name).read_bytes()
    assert first.range is None and first.status == 200
    assert second.range == f"bytes={cut}-" and second.status == 206
    assert second.headers["if-range"] == '"' + sha256_of(dists / name)[:32] + '"'


def test_a_server_without_ranges_sends_the_file_again(tmp_path: Path, dists: Path) -> None:
    name = "big-1.0-py3-none-any.whl"
    with IndexServer(dists, drop_after={name: 100_000}, ranges=False) as index:
        got = fetch([remote(index, dists, name)], Store(tmp_path), env={})
        statuses = [r.status for r in index.requests_for(f"/files/{name}")]
    assert statuses == [200, 200]
    assert got[sha256_of(dists / name)].read_bytes() == (dists / name).read_bytes()
    assert stored_files(tmp_path) == [got[sha256_of(dists / name)]]


def test_downloads_run_in_parallel(tmp_path: Path, dists: Path) -> None:
    with IndexServer(dists, delay=0.3) as index:
        wanted = [remote(index, dists, f"many{n}-1.0-py3-none-any.whl") for n in range(4)]
        got = fetch(wanted, Store(tmp_path), env={}, jobs=4)
        assert index.peak >= 2
    assert len(got) == 4


def test_the_jobs_variable_is_validated() -> None:
    assert concurrent_downloads({}) == 8
    assert concurrent_downloads({"PALLET_CONCURRENT_DOWNLOADS": "3"}) == 3
    with pytest.raises(SetupError, match=r"^PALLET_CONCURRENT_DOWNLOADS='0': must be a whole"):
        concurrent_downloads({"PALLET_CONCURRENT_DOWNLOADS": "0"})


def test_offline_lists_every_missing_file_and_fetches_nothing(
    tmp_path: Path, index: IndexServer, dists: Path
) -> None:
    wanted = [
        remote(index, dists, "gamma-2.0.tar.gz"),
        remote(index, dists, "alpha-1.0-py3-none-any.whl"),
    ]
    with pytest.raises(InstallError) as caught:
        fetch(wanted, Store(tmp_path), offline=True, env={})
    assert str(caught.value) == (
        "not in the cache (offline): alpha-1.0-py3-none-any.whl, gamma-2.0.tar.gz"
    )
    assert index.requests == [] and stored_files(tmp_path) == []


def test_offline_uses_what_is_stored(tmp_path: Path, index: IndexServer, dists: Path) -> None:
    wanted = [remote(index, dists, "alpha-1.0-py3-none-any.whl")]
    got = fetch(wanted, Store(tmp_path), env={})
    index.clear()
    assert fetch(wanted, Store(tmp_path), offline=True, env={}) == got
    assert index.requests == []


def test_a_local_file_is_copied_and_hashed(tmp_path: Path, dists: Path) -> None:
    source = dists / "gamma-2.0.tar.gz"
    a = artifact(source, local=True)
    got = fetch([a], Store(tmp_path), offline=True, env={})[a.sha256]
    assert got.read_bytes() == source.read_bytes()
    assert got.stat().st_ino != source.stat().st_ino  # a copy: editing the source cannot reach it
    bad = Artifact(**{**a.__dict__, "sha256": "1" * 64})
    with pytest.raises(InstallError, match=f"^{source}: sha256 mismatch: expected 1{{64}}, got"):
        fetch([bad], Store(tmp_path / "other"), env={})
    missing = Artifact(**{**a.__dict__, "path": tmp_path / "nope.tar.gz", "sha256": "2" * 64})
    with pytest.raises(InstallError, match=r"nope\.tar\.gz: cannot read: No such file"):
        fetch([missing], Store(tmp_path), env={})


def test_a_file_pallet_lock_downloaded_is_linked_not_fetched(
    tmp_path: Path, index: IndexServer, dists: Path
) -> None:
    a = remote(index, dists, "big-1.0-py3-none-any.whl")
    assert a.url is not None
    lock_time = Cache(tmp_path).file_path(a.filename, a.url, {"sha256": a.sha256})
    lock_time.parent.mkdir(parents=True)
    lock_time.write_bytes((dists / a.filename).read_bytes())
    got = fetch([a], Store(tmp_path), offline=True, env={})[a.sha256]
    assert index.requests == []
    assert got.stat().st_ino == lock_time.stat().st_ino  # one file on disk, two names


def test_a_corrupt_lock_time_file_is_not_reused(
    tmp_path: Path, index: IndexServer, dists: Path
) -> None:
    a = remote(index, dists, "alpha-1.0-py3-none-any.whl")
    assert a.url is not None
    lock_time = Cache(tmp_path).file_path(a.filename, a.url, {"sha256": a.sha256})
    lock_time.parent.mkdir(parents=True)
    lock_time.write_bytes(b"not the wheel")
    got = fetch([a], Store(tmp_path), env={})[a.sha256]
    assert got.read_bytes() == (dists / a.filename).read_bytes()
    assert index.count(f"/files/{a.filename}") == 1


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pallet.install.fetch import Artifact, fetch
    from pallet.install.store import Store

    root, url, name, sha = sys.argv[1:]
    a = Artifact(name="big", version="1.0", filename=name, sha256=sha, url=url, path=None,
                 size=None)
    print(fetch([a], Store(Path(root)), env={})[sha])
    """
)


def test_two_processes_fetching_one_file_both_succeed(tmp_path: Path, dists: Path) -> None:
    name = "big-1.0-py3-none-any.whl"
    sha = sha256_of(dists / name)
    with IndexServer(dists, delay=0.2) as index:
        args = [str(tmp_path / "cache"), index.files_url + name, name, sha]
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, *args], stdout=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
        assert index.count(f"/files/{name}") == 2  # both really downloaded it
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs[0] == outputs[1]
    assert stored_files(tmp_path / "cache") == [Path(outputs[0])]
    assert Path(outputs[0]).read_bytes() == (dists / name).read_bytes()
