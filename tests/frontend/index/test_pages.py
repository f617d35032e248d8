"""Page reading: file:// index trees, flat find-links folders and pages, local hashes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Callable

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from pallet.errors import IndexError_
from pallet.index.cache import Cache
from pallet.index.client import IndexClient
from pallet.index.http import Credentials, HttpClient
from pallet.index.pages import PageReader, local_path, with_local_hashes
from pallet.index.simple import dist_file
from pallet.project.model import IndexConfig
from support.index_server import IndexServer

ClientFactory = Callable[..., IndexClient]
FOO = canonicalize_name("foo")
BAR = canonicalize_name("bar")


def test_local_path() -> None:
    assert local_path("file:///srv/wheels%20dir") == Path("/srv/wheels dir")
    assert local_path("/srv/wheels") == Path("/srv/wheels")
    assert local_path("https://h.example/simple") is None


def test_local_hashes_only_for_local_files_without_one(dists: Path) -> None:
    wheel = dists / "bar-1.0-py3-none-any.whl"
    local = dist_file(filename=wheel.name, url=wheel.as_uri(), index="i", project=None)
    remote = dist_file(
        filename=wheel.name, url="https://h.example/" + wheel.name, index="i", project=None
    )
    assert local is not None and remote is not None
    hashed, untouched = with_local_hashes([local, remote])
    assert hashed.hashes == {"sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}
    assert untouched is remote


def test_offline_page_not_cached(tmp_path: Path) -> None:
    reader = PageReader(
        HttpClient(Credentials({})),
        Cache(tmp_path),
        {"i": "https://h.example/simple"},
        offline=True,
    )
    with pytest.raises(IndexError_, match="not in the cache and pallet is offline"):
        reader.project_files(IndexConfig("i", "https://h.example/simple"), FOO)


def test_invalid_page_is_an_index_error(tmp_path: Path) -> None:
    (tmp_path / "simple" / "foo").mkdir(parents=True)
    (tmp_path / "simple" / "foo" / "index.json").write_text("{oops")
    url = (tmp_path / "simple").as_uri()
    reader = PageReader(HttpClient(Credentials({})), Cache(tmp_path / "c"), {"i": url})
    with pytest.raises(IndexError_, match=r"index 'i': .*invalid JSON"):
        reader.project_files(IndexConfig("i", url), FOO)


def test_flat_directory_and_flat_page(dists: Path, make_client: ClientFactory) -> None:
    client = make_client([IndexConfig("links", str(dists), default=True, format="flat")])
    files = client.files(FOO)
    assert [f.url for f in files] == [(dists / f.filename).resolve().as_uri() for f in files]
    for file in files:  # hashed from disk, as a lock needs them
        data = (dists / file.filename).read_bytes()
        assert file.hashes == {"sha256": hashlib.sha256(data).hexdigest()}
        assert file.size == len(data) and client.download(file) == dists / file.filename
    assert client.metadata(files[-1]).requires_dist  # read from the local file
    with IndexServer(dists) as index:
        flat = IndexConfig("links", index.files_url, default=True, format="flat")
        client = make_client([flat])
        client.prefetch([FOO, BAR])
        assert [f.filename for f in client.files(FOO)] == [f.filename for f in files]
        assert len(client.files(BAR)) == 1
        assert index.count("/files/") == 1  # one page serves every project


def test_file_index_tree(dists: Path, tmp_path: Path, make_client: ClientFactory) -> None:
    root = tmp_path / "tree" / "simple"
    (root / "foo").mkdir(parents=True)
    (root / "bar").mkdir()
    shutil.copytree(dists, tmp_path / "tree" / "files")
    (root / "foo" / "index.html").write_text(
        '<a href="../../files/foo-2.0-py3-none-any.whl" data-requires-python="&gt;=3.8">x</a>'
    )
    (root / "bar" / "index.json").write_text(
        '{"meta": {"api-version": "1.0"}, "files": [{"filename": "bar-1.0-py3-none-any.whl",'
        ' "url": "../../files/bar-1.0-py3-none-any.whl", "hashes": {}}]}'
    )
    client = make_client(root.as_uri())
    (foo,) = client.files(FOO)
    assert foo.requires_python == SpecifierSet(">=3.8")
    assert [str(r) for r in client.metadata(foo).requires_dist] == ["bar>=1"]
    assert [f.filename for f in client.files(BAR)] == ["bar-1.0-py3-none-any.whl"]
    assert client.files(canonicalize_name("missing")) == []
