"""Wheel metadata: PEP 658 file, range requests, full download; METADATA parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from pallet.errors import IndexError_
from pallet.index.cache import Cache
from pallet.index.http import Credentials, HashMismatch, HttpClient
from pallet.index.metadata import WheelMetadataFetcher, parse_metadata
from pallet.index.models import DistFile
from pallet.index.simple import parse_project_page
from support.dists import make_wheel, metadata_text
from support.index_server import IndexServer

BIG = bytes(range(256)) * 2000  # ~500 KB of incompressible-ish data, so ranges matter


def test_parse_metadata_normalizes_and_is_lenient() -> None:
    text = metadata_text(
        "Foo_Bar",
        "1.0",
        requires_dist=["idna>=3", "this is not a requirement"],
        requires_python=">=3.9",
        extras={"Socks_Proxy": ["pysocks; os_name == 'nt'"]},
    )
    meta = parse_metadata(text.encode(), source="x")
    assert meta.name == "foo-bar" and str(meta.version) == "1.0"
    assert [r.name for r in meta.requires_dist] == ["idna", "pysocks"]
    marker = meta.requires_dist[1].marker
    assert marker is not None  # PEP 685: the extra matches by its normalized name
    assert marker.evaluate({"os_name": "nt", "extra": "socks-proxy"})
    assert not marker.evaluate({"os_name": "posix", "extra": "socks-proxy"})
    assert meta.requires_python == SpecifierSet(">=3.9")
    assert meta.provides_extra == ("socks-proxy",)
    with pytest.raises(IndexError_, match="no Name or Version"):
        parse_metadata(b"Metadata-Version: 2.1\n\n", source="x")


def _files(index: IndexServer, http: HttpClient, name: str) -> list[DistFile]:
    response = http.get(f"{index.url}/{name}/", index="local")
    return parse_project_page(
        response.body,
        response.headers["content-type"],
        response.url,
        index="local",
        project=canonicalize_name(name),
    )


@pytest.fixture
def big_wheel(tmp_path: Path) -> Path:
    return make_wheel(
        tmp_path / "dists", "big", "1.0", requires_dist=["foo"], files={"big/blob.bin": BIG}
    )


@pytest.mark.parametrize(
    ("metadata", "ranges", "expected"),
    [
        (True, True, ["/files/big-1.0-py3-none-any.whl.metadata"]),
        (False, True, ["/files/big-1.0-py3-none-any.whl"]),
        (False, False, ["/files/big-1.0-py3-none-any.whl"]),
    ],
)
def test_strategies(
    big_wheel: Path, tmp_path: Path, metadata: bool, ranges: bool, expected: list[str]
) -> None:
    with IndexServer(big_wheel.parent, metadata=metadata, ranges=ranges) as index:
        http = HttpClient(Credentials({}))
        (file,) = _files(index, http, "big")
        index.clear()
        fetcher = WheelMetadataFetcher(http, Cache(tmp_path / "cache"))
        meta = fetcher.fetch(file)
        assert [str(r) for r in meta.requires_dist] == ["foo"]
        requests = index.requests
        assert sorted({r.path for r in requests}) == expected
        cached = fetcher.cache.file_path(file.filename, file.url, file.hashes)
        if metadata:
            assert not cached.exists()
        elif ranges:  # a suffix probe, then at most one more range; never the whole file
            assert all(r.status == 206 and r.range for r in requests)
            assert requests[0].range == "bytes=-65536"
            assert not cached.exists()
        else:  # the probe got the whole file, which was kept and verified
            assert [r.status for r in requests] == [200]
            assert cached.read_bytes() == big_wheel.read_bytes()
        # Cached by hash: a second fetcher on the same cache asks nothing.
        index.clear()
        assert WheelMetadataFetcher(http, fetcher.cache).fetch(file) == meta
        assert index.requests == []


def test_no_range_server_is_remembered(tmp_path: Path) -> None:
    folder = tmp_path / "dists"
    for version in ("1.0", "2.0"):
        make_wheel(folder, "big", version, files={"big/blob.bin": BIG})
    with IndexServer(folder, metadata=False, ranges=False) as index:
        http = HttpClient(Credentials({}))
        files = _files(index, http, "big")
        index.clear()
        fetcher = WheelMetadataFetcher(http, Cache(tmp_path / "cache"))
        for file in files:
            fetcher.fetch(file)
        assert [r.range for r in index.requests] == ["bytes=-65536", None]


def test_hash_mismatch_of_downloaded_file(big_wheel: Path, tmp_path: Path) -> None:
    with IndexServer(big_wheel.parent, metadata=False, ranges=False) as index:
        http = HttpClient(Credentials({}))
        (file,) = _files(index, http, "big")
        bad = DistFile(**{**file.__dict__, "hashes": {"sha256": "0" * 64}})
        with pytest.raises(HashMismatch, match="does not match"):
            WheelMetadataFetcher(http, Cache(tmp_path / "cache")).fetch(bad)


def test_pep658_hash_mismatch(big_wheel: Path, tmp_path: Path) -> None:
    with IndexServer(big_wheel.parent, metadata=True) as index:
        http = HttpClient(Credentials({}))
        (file,) = _files(index, http, "big")
        bad = DistFile(**{**file.__dict__, "core_metadata": {"sha256": "0" * 64}})
        fetcher = WheelMetadataFetcher(http, Cache(tmp_path / "cache"))
        with pytest.raises(HashMismatch, match="PEP 658"):
            fetcher.fetch(bad)
        assert fetcher.cached(bad) is None  # nothing unverified was cached


def test_flaky_downloads_recover(big_wheel: Path, tmp_path: Path) -> None:
    with IndexServer(big_wheel.parent, metadata=False, ranges=False, flaky_failures=2) as index:
        http = HttpClient(Credentials({}), retries=3, backoff=0.01)
        (file,) = _files(index, http, "big")
        meta = WheelMetadataFetcher(http, Cache(tmp_path / "cache")).fetch(file)
        assert meta.name == "big"
        assert [r.status for r in index.requests_for("/files/")] == [0, 503, 200]


def test_offline_without_cache(big_wheel: Path, tmp_path: Path) -> None:
    with IndexServer(big_wheel.parent) as index:
        http = HttpClient(Credentials({}))
        (file,) = _files(index, http, "big")
        with pytest.raises(IndexError_, match="offline"):
            WheelMetadataFetcher(http, Cache(tmp_path / "c"), offline=True).fetch(file)
