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
    upper = Artifact(**{**wanted[0].__dict__, "sha256": wanted[0].sha256.upper()})
    assert fetch([upper], store, env={}) == {upper.sha256: got[wanted[0].sha256]}


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


class Recorder:
    """A ProgressSink that keeps every call (fetch calls it from its worker threads)."""

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()
        self.calls: list[tuple[str, str, int | None]] = []

    def start(self, artifact: Artifact, total: int | None) -> None:
        with self.lock:
            self.calls.append(("start", artifact.filename, total))

    def advance(self, artifact: Artifact, nbytes: int) -> None:
        with self.lock:
            self.calls.append(("advance", artifact.filename, nbytes))

    def finish(self, artifact: Artifact) -> None:
        with self.lock:
            self.calls.append(("finish", artifact.filename, None))


def test_progress_sees_every_byte_once_per_file(tmp_path: Path, dists: Path) -> None:
    big, gamma = "big-1.0-py3-none-any.whl", "gamma-2.0.tar.gz"
    sink = Recorder()
    with IndexServer(dists, drop_after={big: 50_000}, ranges=False) as index:
        wanted = [remote(index, dists, big), artifact(dists / gamma, local=True)]
        fetch(wanted, Store(tmp_path), env={}, progress=sink)
    for name in (big, gamma):
        mine = [c for c in sink.calls if c[1] == name]
        size = (dists / name).stat().st_size
        assert mine[0] == ("start", name, size) and mine[-1] == ("finish", name, None)
        assert sum(int(n or 0) for kind, _, n in mine if kind == "advance") == size
    # the server sent big again from its start: the count went back (a negative advance)
    assert any(kind == "advance" and (n or 0) < 0 for kind, name, n in sink.calls if name == big)


def test_flaky_answers_are_retried(tmp_path: Path, dists: Path) -> None:
    name = "alpha-1.0-py3-none-any.whl"
    with IndexServer(dists, flaky_failures=2) as index:  # a dropped connection, then a 503
        got = fetch([remote(index, dists, name)], Store(tmp_path), env={})
        assert [r.status for r in index.requests_for(f"/files/{name}")] == [0, 503, 200]
    assert got[sha256_of(dists / name)].read_bytes() == (dists / name).read_bytes()


def test_retries_are_bounded_and_the_error_is_one_line(tmp_path: Path, dists: Path) -> None:
    name = "alpha-1.0-py3-none-any.whl"
    env = {"PALLET_HTTP_RETRIES": "1"}
    with IndexServer(dists, flaky_failures=5) as index:
        a = remote(index, dists, name)
        with pytest.raises(IndexError_) as caught:
            fetch([a], Store(tmp_path), env=env)
        assert index.count(f"/files/{name}") == 2
    assert str(caught.value) == f"GET {a.url} failed: HTTP 503 after 2 attempt(s)"
    assert stored_files(tmp_path) == []


def test_credentials_come_from_netrc(tmp_path: Path, dists: Path) -> None:
    name = "alpha-1.0-py3-none-any.whl"
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login user password secret\n")
    netrc.chmod(0o600)
    with IndexServer(dists, auth=("user", "secret")) as index:
        a = remote(index, dists, name)
        with pytest.raises(IndexError_, match=r"HTTP 401 \(authentication failed"):
            fetch([a], Store(tmp_path / "one"), env={"NETRC": str(tmp_path / "none")})
        got = fetch([a], Store(tmp_path / "two"), env={"NETRC": str(netrc)})
    assert got[a.sha256].read_bytes() == (dists / name).read_bytes()


def test_a_file_url_is_copied_even_offline(tmp_path: Path, dists: Path) -> None:
    source = dists / "gamma-2.0.tar.gz"
    a = artifact(source, url=source.as_uri())
    got = fetch([a], Store(tmp_path), offline=True, env={})
    assert got[a.sha256].read_bytes() == source.read_bytes()


def test_an_unwritable_store_is_one_line(tmp_path: Path, dists: Path) -> None:
    from support.unprivileged import unprivileged_prefix

    prefix = unprivileged_prefix()
    root = tmp_path / "cache"
    root.mkdir()
    root.chmod(0o555)
    source = dists / "gamma-2.0.tar.gz"
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from pallet.errors import PalletError
        from pallet.install.fetch import Artifact, fetch
        from pallet.install.store import Store
        a = Artifact("gamma", "2.0", {source.name!r}, {sha256_of(source)!r}, None,
                     Path({str(source)!r}), None)
        try:
            fetch([a], Store(Path({str(root)!r})), env={{}})
        except PalletError as exc:
            print(exc)
        """
    )
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
    finally:
        root.chmod(0o755)
    assert proc.stdout.startswith(f"cache folder '{root}' (PALLET_CACHE_DIR) cannot be written")
    assert proc.stderr == ""


MEASURE = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from pallet.install.fetch import Artifact, fetch
    from pallet.install.store import Store
    import urllib3  # imported before the baseline: only the download itself is measured

    root, url, name, sha = sys.argv[1:]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    a = Artifact("huge", "1.0", name, sha, url, None, None)
    fetch([a], Store(Path(root)), env={})
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """
)


def test_a_large_file_is_never_whole_in_memory(tmp_path: Path) -> None:
    pytest.importorskip("resource")
    size = 96 << 20
    dists = tmp_path / "dists"
    dists.mkdir()
    name = "huge-1.0-py3-none-any.whl"  # only its name is a wheel's: fetch reads no content
    with (dists / name).open("wb") as f:
        f.truncate(size)  # sparse zeros: quick to make
    sha = hashlib.sha256(bytes(size)).hexdigest()
    with IndexServer(dists) as index:
        args = [str(tmp_path / "cache"), index.files_url + name, name, sha]
        proc = subprocess.run(
            [sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, check=False
        )
    assert proc.returncode == 0, proc.stderr
    grew_kib = int(proc.stdout)
    assert grew_kib < 24 << 10, f"peak memory grew by {grew_kib} KiB for a {size >> 20} MiB file"


def test_one_failure_among_many_is_raised_and_leaves_no_temp_files(
    tmp_path: Path, index: IndexServer, dists: Path
) -> None:
    good = [remote(index, dists, f"many{n}-1.0-py3-none-any.whl") for n in range(4)]
    big = remote(index, dists, "big-1.0-py3-none-any.whl")
    bad = Artifact(**{**good[0].__dict__, "sha256": "3" * 64})
    with pytest.raises(InstallError, match=r"sha256 mismatch: expected 3{64}"):
        fetch([bad, big, *good[1:]], Store(tmp_path), env={}, jobs=3)
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()]
    for path in stored_files(tmp_path):  # whatever finished is whole and right
        assert path.read_bytes() == (dists / path.name).read_bytes()


def test_on_ready_reports_each_verified_archive_largest_first(
    tmp_path: Path, index: IndexServer, dists: Path
) -> None:
    store = Store(tmp_path / "cache")
    names = ["alpha-1.0-py3-none-any.whl", "big-1.0-py3-none-any.whl", "gamma-2.0.tar.gz"]
    wanted = [remote(index, dists, n) for n in names]
    fetch(wanted[:1], store, env={})  # alpha is stored already: reported before any download
    ready: list[tuple[str, Path]] = []
    got = fetch(wanted, store, env={}, jobs=1, on_ready=lambda h, p: ready.append((h, p)))
    assert [p.name for _, p in ready] == [names[0], names[1], names[2]]  # big before gamma
    assert dict(ready) == got  # every archive once, verified, at its store path
    assert all(sha256_of(p) == h for h, p in ready)
