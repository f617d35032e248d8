"""The on-disk cache: Cache-Control, page round trip, atomic writes, revalidation."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from packaging.utils import canonicalize_name
from pallet.index.cache import Cache, CachedPage, CachePolicy, atomic_write, parse_cache_control
from pallet.index.client import IndexClient
from pallet.index.simple import parse_html_project
from support.index_server import IndexServer

ClientFactory = Callable[..., IndexClient]
FOO = canonicalize_name("foo")


def test_parse_cache_control() -> None:
    assert parse_cache_control(None) == CachePolicy()
    assert parse_cache_control("public, max-age=600") == CachePolicy(max_age=600.0)
    assert parse_cache_control("max-age=600", age="100") == CachePolicy(max_age=500.0)
    assert parse_cache_control("no-cache, max-age=60").no_cache
    assert parse_cache_control("No-Store").no_store


def test_freshness() -> None:
    page = CachedPage("u", [], fetched_at=100.0, policy=CachePolicy(max_age=10))
    assert page.is_fresh(now=105) and not page.is_fresh(now=111)
    assert not CachedPage("u", [], fetched_at=100.0).is_fresh(now=100)
    assert not CachedPage("u", [], policy=CachePolicy(max_age=10, no_cache=True)).is_fresh(now=0)
    assert CachedPage("u", [], etag='"x"', last_modified="d").validators() == {
        "If-None-Match": '"x"',
        "If-Modified-Since": "d",
    }


def test_page_round_trip(tmp_path: Path) -> None:
    html = (
        '<a href="foo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl#sha256=aa" '
        'data-requires-python="&gt;=3.9" data-yanked="why" data-core-metadata="true">x</a>'
        '<a href="foo-1.0.tar.gz">y</a>'
    )
    files = parse_html_project(html, "https://h.example/simple/foo/", index="i", project=FOO)
    cache = Cache(tmp_path)
    page = CachedPage("https://h.example/simple/foo/", files, '"e"', "lm", 5.0, CachePolicy(60))
    cache.store_page("https://h.example/simple", FOO, page)
    assert cache.load_page("https://h.example/simple", FOO, "i") == page
    assert cache.load_page("https://other.example/simple", FOO, "i") is None
    assert list(tmp_path.glob("simple-v1/*/foo.json"))
    cache.store_page(
        "https://h.example/simple", FOO, CachedPage("u", [], policy=CachePolicy(no_store=True))
    )
    assert cache.load_page("https://h.example/simple", FOO, "i") is None


def test_concurrent_atomic_writes(tmp_path: Path) -> None:
    target = tmp_path / "x" / "file"
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=atomic_write, args=(target, p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_bytes() in payloads
    assert [p.name for p in target.parent.iterdir()] == ["file"]  # no temp files left


def test_default_root_from_environment(tmp_path: Path) -> None:
    assert Cache.default({"PALLET_CACHE_DIR": str(tmp_path)}).root == tmp_path
    assert Cache.default({}).root.name == "pallet"


def test_revalidation_makes_conditional_requests_only(
    dists: Path, make_client: ClientFactory
) -> None:
    with IndexServer(dists) as index:
        first = make_client(index.url)
        first.prefetch([FOO, canonicalize_name("bar")])
        assert len(first.files(FOO)) == 2 and len(first.files(canonicalize_name("bar"))) == 1
        assert not any(r.is_conditional for r in index.requests)
        index.clear()
        second = make_client(index.url)  # same cache, no Cache-Control: revalidate each page
        second.prefetch([FOO, canonicalize_name("bar")])
        assert len(second.files(FOO)) == 2 and len(second.files(canonicalize_name("bar"))) == 1
        requests = index.requests
        assert len(requests) == 2
        assert all(r.is_conditional and r.status == 304 for r in requests)


def test_changed_page_is_refetched(dists: Path, make_client: ClientFactory) -> None:
    from support.dists import make_wheel

    with IndexServer(dists) as index:
        assert len(make_client(index.url).files(FOO)) == 2
        time.sleep(0.01)
        make_wheel(dists, "foo", "3.0")
        index.clear()
        files = make_client(index.url).files(FOO)
        assert [str(f.version) for f in files] == ["1.0", "2.0", "3.0"]
        assert [r.status for r in index.requests] == [200]


def test_max_age_means_no_request(dists: Path, make_client: ClientFactory) -> None:
    with IndexServer(dists, cache_control="max-age=600") as index:
        make_client(index.url).files(FOO)
        index.clear()
        assert len(make_client(index.url).files(FOO)) == 2
        assert index.requests == []


def test_no_cache_revalidates_and_no_store_refetches(
    dists: Path, make_client: ClientFactory
) -> None:
    with IndexServer(dists, cache_control="max-age=600, no-cache") as index:
        make_client(index.url).files(FOO)
        index.clear()
        make_client(index.url).files(FOO)
        assert [(r.is_conditional, r.status) for r in index.requests] == [(True, 304)]
    with IndexServer(dists, cache_control="no-store") as index:
        make_client(index.url).files(FOO)
        index.clear()
        make_client(index.url).files(FOO)
        assert [(r.is_conditional, r.status) for r in index.requests] == [(False, 200)]


def test_offline_reuses_the_cache(dists: Path, make_client: ClientFactory) -> None:
    with IndexServer(dists, metadata=False, ranges=False) as index:
        online = make_client(index.url)
        files = online.files(FOO)
        meta = online.metadata(files[-1])
        url = index.url
    offline = make_client(url, offline=True)
    assert offline.files(FOO) == files
    assert offline.metadata(files[-1]) == meta


def test_heuristic_lifetime_follows_rfc9111() -> None:
    """RFC 9111 §4.2.2: a fraction (10%) of Date - Last-Modified, only without an explicit
    expiration time; pallet caps it at 10 minutes and trusts nothing under 1 minute."""
    from email.utils import formatdate

    from pallet.index.cache import heuristic_lifetime

    date = formatdate(1_000_000.0, usegmt=True)

    def lm(seconds_before: float) -> str:
        return formatdate(1_000_000.0 - seconds_before, usegmt=True)

    assert heuristic_lifetime(lm(100 * 86400), date, 0.0) == 600.0
    assert heuristic_lifetime(lm(1200), date, 0.0) == 120.0
    assert heuristic_lifetime(lm(300), date, 0.0) is None  # changed 5 minutes ago
    assert heuristic_lifetime(lm(-3600), date, 0.0) is None  # modified in the future
    assert heuristic_lifetime(lm(100 * 86400), None, 1_000_000.0) == 600.0  # no Date: now
    assert heuristic_lifetime(lm(100 * 86400), date, 0.0, expires="0") is None
    assert heuristic_lifetime(lm(100 * 86400), date, 0.0, age="100") == 500.0  # §4.2.3
    assert heuristic_lifetime(lm(100 * 86400), date, 0.0, age="900") is None
    assert heuristic_lifetime(None, date, 0.0) is None
    assert heuristic_lifetime("yesterday", date, 0.0) is None
    page = CachedPage("u", [], fetched_at=100.0, policy=CachePolicy(heuristic=600.0))
    assert page.is_fresh(now=699) and not page.is_fresh(now=700)
    assert not page.is_fresh(now=50)  # the clock went back: not trusted
    assert not CachedPage("u", [], policy=CachePolicy(no_cache=True, heuristic=600)).is_fresh(1)


def _age(folder: Path, seconds: float) -> None:
    """Make every file of ``folder`` look ``seconds`` old (the server's Last-Modified)."""
    import os

    when = time.time() - seconds
    for path in folder.iterdir():
        os.utime(path, (when, when))


def test_old_page_is_reused_without_a_request(dists: Path, make_client: ClientFactory) -> None:
    """No Cache-Control, Last-Modified a day old: fresh for 10 minutes (no request), unless the
    client refreshes; a page changed since is then seen at once."""
    _age(dists, 86400)
    with IndexServer(dists) as index:
        make_client(index.url).files(FOO)
        index.clear()
        assert len(make_client(index.url).files(FOO)) == 2
        assert index.requests == []
        from support.dists import make_wheel

        make_wheel(dists, "foo", "3.0")
        assert len(make_client(index.url).files(FOO)) == 2  # still fresh: not asked
        assert index.requests == []
        files = make_client(index.url, refresh=True).files(FOO)
        assert [str(f.version) for f in files] == ["1.0", "2.0", "3.0"]
        assert [(r.is_conditional, r.status) for r in index.requests] == [(True, 200)]
        index.clear()
        # the new Last-Modified is seconds old: revalidated on every read from now on
        assert len(make_client(index.url).files(FOO)) == 3
        assert [(r.is_conditional, r.status) for r in index.requests] == [(True, 304)]


def test_heuristic_freshness_is_renewed_by_a_304(dists: Path, make_client: ClientFactory) -> None:
    _age(dists, 86400)
    with IndexServer(dists) as index:
        make_client(index.url).files(FOO)
        index.clear()
        make_client(index.url, refresh=True).files(FOO)
        assert [(r.is_conditional, r.status) for r in index.requests] == [(True, 304)]
        index.clear()
        make_client(index.url).files(FOO)
        assert index.requests == []


def test_parsed_metadata_is_cached_and_used(
    dists: Path, cache: Cache, make_client: ClientFactory
) -> None:
    """Metadata read once is stored twice: the METADATA bytes and their fields as parsed, and
    a later run builds its `DistMetadata` from the fields alone (no email parsing)."""
    import json
    import zipfile

    from packaging.metadata import parse_email

    with IndexServer(dists) as index:
        files = make_client(index.url).files(FOO)
        wheel = next(f for f in files if str(f.version) == "2.0")
        first = make_client(index.url).metadata(wheel)
        key = Cache.metadata_key(wheel.url, wheel.hashes)
        stored = cache.root / "metadata-v1" / key[:2]
        with zipfile.ZipFile(dists / wheel.filename) as zf:
            raw, _ = parse_email(zf.read("foo-2.0.dist-info/METADATA"))
        assert json.loads((stored / f"{key}.json").read_bytes()) == {
            "name": raw["name"],
            "version": raw["version"],
            "requires_dist": raw["requires_dist"],
            "requires_python": raw["requires_python"],
            "provides_extra": raw.get("provides_extra", []),
        }
        (stored / f"{key}.METADATA").unlink()  # only the parsed fields are left
        index.clear()
        assert make_client(index.url).metadata(wheel) == first
        assert index.requests_for("/files/") == [] and not (stored / f"{key}.METADATA").exists()
        (stored / f"{key}.json").write_text('{"name": 1}')  # junk: read the metadata again
        assert make_client(index.url).metadata(wheel) == first
        assert json.loads((stored / f"{key}.json").read_bytes())["name"] == raw["name"]
