"""IndexClient over real loopback indexes: formats, one index per package, concurrency."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from pallet.errors import IndexError_
from pallet.index.client import IndexClient
from pallet.project.model import IndexConfig
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer

ClientFactory = Callable[..., IndexClient]
FOO = canonicalize_name("foo")
BAR = canonicalize_name("bar")


@pytest.mark.parametrize("fmt", ["html", "json", "both"])
def test_formats_give_the_same_files(dists: Path, make_client: ClientFactory, fmt: str) -> None:
    whl = "foo-2.0-py3-none-any.whl"
    options = {"yanked": {whl: "bad build"}, "requires_python": {whl: ">=3.8,<4"}}
    with IndexServer(dists, format=fmt, **options) as index:  # type: ignore[arg-type]
        files = make_client(index.url).files(canonicalize_name("Foo"))
        assert [f.filename for f in files] == ["foo-1.0-py3-none-any.whl", whl]
        new = files[1]
        assert new.yanked == "bad build" and new.requires_python == SpecifierSet(">=3.8,<4")
        assert new.url == f"{index.files_url}{whl}" and new.index == "local"
        assert new.core_metadata and "sha256" in new.hashes
        assert (new.size is not None) is (fmt != "html")
        accept = index.requests[0].headers["accept"]
        assert accept.startswith("application/vnd.pypi.simple.v1+json")


def test_unknown_project_is_empty(dists: Path, make_client: ClientFactory) -> None:
    with IndexServer(dists) as index:
        assert make_client(index.url).files(canonicalize_name("nothing")) == []


def test_dependency_confusion(tmp_path: Path, make_client: ClientFactory) -> None:
    internal, public = tmp_path / "internal", tmp_path / "public"
    make_wheel(internal, "corp-lib", "1.0")
    make_wheel(internal, "requests", "0.1")  # an internal index never serves unpinned names
    make_wheel(public, "corp-lib", "99.0")  # the attack: a higher version on the public index
    make_wheel(public, "requests", "2.0")
    with IndexServer(internal) as a, IndexServer(public) as b:
        indexes = [
            a.index_config("internal", default=False, explicit=True),
            IndexConfig("public", b.url, default=True),
        ]
        client = make_client(indexes, {"corp-lib": "internal"})
        client.prefetch([canonicalize_name("corp-lib"), canonicalize_name("requests")])
        corp = client.files(canonicalize_name("Corp_Lib"))
        assert [(f.filename, f.index) for f in corp] == [
            ("corp_lib-1.0-py3-none-any.whl", "internal")
        ]
        assert [f.index for f in client.files(canonicalize_name("requests"))] == ["public"]
        assert b.requests_for("/simple/corp-lib/") == []
        assert a.requests_for("/simple/requests/") == []
        assert client.index_for("corp-lib").name == "internal"


def test_sources_must_name_an_index(make_client: ClientFactory) -> None:
    with pytest.raises(IndexError_, match="no index named 'nope'"):
        make_client("http://127.0.0.1:9/simple", {"foo": "nope"})


def test_prefetch_runs_concurrently(tmp_path: Path, make_client: ClientFactory) -> None:
    names = [canonicalize_name(f"pkg{i}") for i in range(12)]
    for name in names:
        make_wheel(tmp_path / "d", name, "1.0")
    with IndexServer(tmp_path / "d", delay=0.2) as index:
        client = make_client(index.url, concurrency=12)
        start = time.monotonic()
        client.prefetch(names)
        assert all(len(client.files(n)) == 1 for n in names)
        assert time.monotonic() - start < 1.2  # sequential would take 2.4 s


def test_metadata_from_the_smallest_wheel_of_the_version(
    tmp_path: Path, make_client: ClientFactory
) -> None:
    folder = tmp_path / "d"
    big = make_wheel(
        folder,
        "np",
        "1.0",
        requires_dist=["x"],
        tag="cp311-cp311-manylinux_2_17_x86_64",
        files={"np/blob": bytes(range(256)) * 4000},
    )
    small = make_wheel(folder, "np", "1.0", requires_dist=["x"], tag="cp311-cp311-win_amd64")
    make_sdist(folder, "np", "1.0", requires_dist=["x"], backend="failing")
    with IndexServer(folder, format="json", metadata=False, ranges=False) as index:
        client = make_client(index.url)
        files = {f.filename: f for f in client.files(NormalizedName("np"))}
        index.clear()
        meta = client.metadata(files[big.name])
        assert [str(r) for r in meta.requires_dist] == ["x"]
        assert [r.path for r in index.requests] == [f"/files/{small.name}"]
        index.clear()
        # Every file of that version now answers from memory or cache, the sdist included.
        assert client.metadata(files["np-1.0.tar.gz"]) == meta
        assert client.metadata(files[small.name]) == meta
        assert index.requests == []


def test_speculative_metadata_of_the_newest_version(
    dists: Path, make_client: ClientFactory
) -> None:
    with IndexServer(dists, metadata=True) as index:
        client = make_client(index.url, speculate=True)
        client.prefetch([FOO])
        files = client.files(FOO)
        deadline = time.monotonic() + 5
        while not index.requests_for("/files/") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [r.path for r in index.requests_for("/files/")] == [
            f"/files/{files[-1].filename}.metadata"
        ]
        # Its dependencies' pages and newest metadata follow, before anyone asks.
        while len(index.requests_for("/files/bar")) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert index.requests_for("/simple/bar/")
        index.clear()
        assert [str(r) for r in client.metadata(files[-1]).requires_dist] == ["bar>=1"]
        (bar,) = client.files(BAR)
        assert client.metadata(bar).name == "bar"
        assert index.requests == []


def test_page_errors_name_the_index(dists: Path, make_client: ClientFactory) -> None:
    with IndexServer(dists, flaky_failures=100) as index:
        client = make_client(index.url, env={"NETRC": "/nonexistent", "PALLET_HTTP_RETRIES": "1"})
        with pytest.raises(
            IndexError_, match=r"index 'local': GET http://127\.0\.0\.1:\d+/simple/foo/"
        ):
            client.files(FOO)
        assert index.count("/simple/foo/") == 2


def test_speculation_prefetches_only_what_the_filter_admits(
    tmp_path: Path, make_client: ClientFactory
) -> None:
    """The client evaluates no markers: the caller's predicate decides what to prefetch."""
    folder = tmp_path / "dists"
    make_wheel(folder, "foo", "1.0", requires_dist=["wanted", 'unwanted; python_version < "3"'])
    make_wheel(folder, "wanted", "1.0")
    make_wheel(folder, "unwanted", "1.0")
    asked: list[str] = []

    def admit(requirement: Requirement) -> bool:
        asked.append(str(requirement))
        return requirement.name == "wanted"

    with IndexServer(folder, metadata=True) as index:
        client = make_client(index.url, speculate=True, prefetch_filter=admit)
        client.files(canonicalize_name("foo"))
        deadline = time.monotonic() + 5
        while not index.requests_for("/simple/wanted/") and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # room for any (wrong) prefetch to be sent
        assert index.requests_for("/simple/wanted/")
        assert not index.requests_for("/simple/unwanted/")
        assert sorted(asked) == ['unwanted; python_version < "3"', "wanted"]
