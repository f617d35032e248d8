"""The store's layout (issue 11's contract), its first-writer-wins placement and usage records."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from pallet.install.store import Store, place_file, temp_file

H = hashlib.sha256(b"x").hexdigest()


def test_layout_is_the_contracts(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.archive(H, "a-1.0.tar.gz") == tmp_path / "archives-v1" / H[:2] / H / "a-1.0.tar.gz"
    assert store.unpacked(H.upper()) == tmp_path / "unpacked-v1" / H[:2] / H
    assert store.environments() == tmp_path / "environments-v1"
    assert store.has_archive(H, "a-1.0.tar.gz") is None
    assert store.built(H) is None


@pytest.mark.parametrize("bad", ["abc", "g" * 64, "../" + "a" * 61])
def test_a_hash_that_is_not_a_sha256_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="not a sha256"):
        Store(tmp_path).archive(bad, "a-1.0.tar.gz")


@pytest.mark.parametrize("bad", ["", ".hidden.whl", "../a.whl", "sub/a.whl"])
def test_a_file_name_with_a_path_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="not a plain file name"):
        Store(tmp_path).archive(H, bad)


def test_default_follows_the_cache_variable(tmp_path: Path) -> None:
    assert Store.default({"PALLET_CACHE_DIR": str(tmp_path)}).root == tmp_path


def test_the_first_writer_wins_and_keeps_its_inode(tmp_path: Path) -> None:
    dest = tmp_path / "f.whl"
    for content in (b"first", b"second"):
        fd, tmp = temp_file(tmp_path, dest.name)
        with open(fd, "wb") as f:
            f.write(content)
        place_file(tmp, dest)
        assert not tmp.exists()
    assert dest.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["f.whl"]


def test_store_built_moves_the_wheel_in_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    wheel = tmp_path / "a-1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel")
    stored = store.store_built(H, wheel)
    assert stored == tmp_path / "cache" / "built-v1" / H[:2] / H / wheel.name
    assert not wheel.exists() and stored.read_bytes() == b"wheel"
    assert store.built(H) == stored
    again = tmp_path / "a-1.0-py3-none-any.whl"
    again.write_bytes(b"other build")
    assert store.store_built(H, again) == stored
    assert stored.read_bytes() == b"wheel" and not again.exists()


def test_record_use_writes_the_lock_and_its_hashes(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    lock = tmp_path / "proj" / "pylock.toml"
    before = time.time()
    store.record_use(lock, [H.upper(), H, "b" * 64])
    key = hashlib.sha256(str(lock).encode()).hexdigest()
    record = json.loads((tmp_path / "cache" / "projects-v1" / f"{key}.json").read_text())
    assert record["lock"] == str(lock)
    assert record["hashes"] == sorted({H, "b" * 64})
    assert before <= record["used"] <= time.time()
    assert [p.name for p in (tmp_path / "cache" / "projects-v1").iterdir()] == [f"{key}.json"]
