"""``pallet cache dir|size|clean|prune`` on a cache filled by the real index client and fetch."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pallet.index.cache import Cache
from pallet.index.client import IndexClient
from pallet.install.fetch import Artifact, fetch
from pallet.install.store import Store
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer
from support.unprivileged import unprivileged_prefix

DAY = 86400


def pallet_cache(
    root: Path, *args: str, prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PALLET_CACHE_DIR": str(root)}
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "pallet", "cache", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Filled:
    root: Path
    dists: Path
    hashes: dict[str, str]  # file name -> sha256


def unpack_stand_in(store: Store, archive: Path, h: str) -> Path:
    """What the wheel helper's unpack_wheel leaves (a tree and its marker), made with zipfile."""
    dest = store.unpacked(h)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(dest)
    (dest / ".pallet-unpacked.json").write_text("{}")
    return dest


def fill(root: Path, dists: Path) -> Filled:
    """pallet lock's part (pages, metadata, files) through IndexClient; sync's part (archives,
    unpacked, built) through fetch and the store."""
    names = ["alpha-1.0-py3-none-any.whl", "beta-1.0-py3-none-any.whl", "gamma-2.0.tar.gz"]
    hashes = {n: sha256_of(dists / n) for n in names}
    store = Store(root)
    with IndexServer(dists) as index:
        client = IndexClient([index.index_config()], {}, Cache(root), env={})
        try:
            for project in ("alpha", "beta"):
                (file,) = client.files(project)  # type: ignore[arg-type]
                client.metadata(file)
            client.download(client.files("alpha")[0])  # type: ignore[arg-type]
        finally:
            client.close()
        artifacts = [
            Artifact(
                n.split("-")[0],
                n.split("-")[1].removesuffix(".tar.gz"),
                n,
                h,
                index.files_url + n,
                None,
                None,
            )
            for n, h in hashes.items()
        ]
        got = fetch(artifacts, store, env={})
    for n in names[:2]:
        unpack_stand_in(store, got[hashes[n]], hashes[n])
    built = make_wheel(root.parent / "built-out", "gamma", "2.0")
    store.store_built(hashes["gamma-2.0.tar.gz"], built)
    return Filled(root, dists, hashes)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dists")
    make_wheel(root, "alpha", "1.0", files={"alpha/data.bin": os.urandom(20_000)})
    make_wheel(root, "beta", "1.0")
    make_sdist(root, "gamma", "2.0")
    return root


@pytest.fixture
def filled(tmp_path: Path, dists: Path) -> Filled:
    return fill(tmp_path / "cache", dists)


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def test_dir_prints_the_root(tmp_path: Path) -> None:
    proc = pallet_cache(tmp_path / "c", "dir")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"{tmp_path / 'c'}\n", "")


def test_size_counts_each_kind_and_hard_links_once(filled: Filled) -> None:
    proc = pallet_cache(filled.root, "size", "--json")
    assert proc.returncode == 0, proc.stderr
    sizes = json.loads(proc.stdout)
    d = filled.dists
    wheel_a, wheel_b = d / "alpha-1.0-py3-none-any.whl", d / "beta-1.0-py3-none-any.whl"
    sdist = d / "gamma-2.0.tar.gz"
    # alpha's archive is the lock-time download, hard-linked: counted under files only
    assert sizes["files"] == wheel_a.stat().st_size
    assert sizes["archives"] == wheel_b.stat().st_size + sdist.stat().st_size
    unpacked = filled.root / "unpacked-v1"
    assert sizes["unpacked"] == sum(p.stat().st_size for p in unpacked.rglob("*") if p.is_file())
    again = make_wheel(filled.root.parent / "again", "gamma", "2.0")  # reproducible bytes
    assert sizes["built"] == again.stat().st_size
    assert sizes["pages"] > 0 and sizes["metadata"] > 0
    inodes = {
        (p.stat().st_dev, p.stat().st_ino): p.stat().st_size
        for p in filled.root.rglob("*")
        if p.is_file()
    }
    assert sizes["total"] == sum(inodes.values())
    text = pallet_cache(filled.root, "size").stdout
    assert text.splitlines()[-1].split()[0] == "total"
    assert "archives" in text and "KiB" in text


def test_clean_one_project_leaves_the_others(filled: Filled) -> None:
    h_a, h_b = (
        filled.hashes["alpha-1.0-py3-none-any.whl"],
        filled.hashes["beta-1.0-py3-none-any.whl"],
    )
    proc = pallet_cache(filled.root, "clean", "Alpha")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("removed ")
    left = files_under(filled.root)
    assert not [f for f in left if "alpha" in f or h_a in f]
    key_a = hashlib.sha256(f"sha256={h_a}".encode()).hexdigest()
    assert not [f for f in left if key_a in f]  # its metadata too
    assert f"archives-v1/{h_b[:2]}/{h_b}/beta-1.0-py3-none-any.whl" in left
    assert any(f.startswith(f"unpacked-v1/{h_b[:2]}/{h_b}/") for f in left)
    assert any(f.endswith("/beta.json") for f in left)
    assert any(f.startswith("built-v1/") for f in left)


def test_clean_all_skips_files_being_written(filled: Filled) -> None:
    h = filled.hashes["beta-1.0-py3-none-any.whl"]
    writing = filled.root / "archives-v1" / h[:2] / h / ".beta-1.0-py3-none-any.whl.x.part"
    writing.write_bytes(b"half")
    proc = pallet_cache(filled.root, "clean")
    assert proc.returncode == 0, proc.stderr
    assert files_under(filled.root) == [str(writing.relative_to(filled.root))]
    assert pallet_cache(filled.root, "size", "--json").returncode == 0


def test_removing_an_unpacked_wheel_keeps_environments_linked_to_it(filled: Filled) -> None:
    h = filled.hashes["alpha-1.0-py3-none-any.whl"]
    source = Store(filled.root).unpacked(h) / "alpha" / "data.bin"
    venv_file = filled.root.parent / "venv" / "site-packages" / "alpha" / "data.bin"
    venv_file.parent.mkdir(parents=True)
    os.link(source, venv_file)
    inode, content = venv_file.stat().st_ino, venv_file.read_bytes()
    assert pallet_cache(filled.root, "clean", "alpha").returncode == 0
    assert not source.exists()
    assert venv_file.stat().st_ino == inode and venv_file.read_bytes() == content


def test_prune_keeps_what_existing_locks_need_and_recent_entries(filled: Filled) -> None:
    store = Store(filled.root)
    h_a = filled.hashes["alpha-1.0-py3-none-any.whl"]
    h_b = filled.hashes["beta-1.0-py3-none-any.whl"]
    h_g = filled.hashes["gamma-2.0.tar.gz"]
    lock = filled.root.parent / "proj" / "stand-in.lock"
    lock.parent.mkdir()
    lock.write_text("# stand-in: prune only asks whether the file exists\n")
    store.record_use(lock, [h_a])
    gone = filled.root.parent / "gone" / "stand-in.lock"
    store.record_use(gone, [h_b])
    old = time.time() - 40 * DAY
    for path in (
        filled.root / "archives-v1",
        filled.root / "unpacked-v1",
        filled.root / "built-v1",
    ):
        for p in [path, *path.rglob("*")]:
            os.utime(p, (old, old), follow_symlinks=False)
    stale = filled.root / "archives-v1" / ".crashed.part"
    stale.write_bytes(b"x")
    os.utime(stale, (old, old))
    proc = pallet_cache(filled.root, "prune")
    assert proc.returncode == 0, proc.stderr
    left = files_under(filled.root)
    # alpha: needed by a lock that exists; beta: named by a gone lock's record used just now
    assert f"archives-v1/{h_a[:2]}/{h_a}/alpha-1.0-py3-none-any.whl" in left
    assert f"archives-v1/{h_b[:2]}/{h_b}/beta-1.0-py3-none-any.whl" in left
    # gamma: needed by nothing and untouched for 40 days: its archive and built wheel go
    assert not [f for f in left if h_g in f and not f.startswith(("metadata", "wheels"))]
    assert ".crashed.part" not in " ".join(left)
    records = [json.loads(p.read_text())["lock"] for p in (filled.root / "projects-v1").iterdir()]
    assert records == [str(lock)]
    assert "1 record(s)" in proc.stderr and "freed" in proc.stderr
    # with no use left within the window, only the existing lock's needs stay
    proc = pallet_cache(filled.root, "prune", "--days", "0")
    left = files_under(filled.root)
    assert f"archives-v1/{h_a[:2]}/{h_a}/alpha-1.0-py3-none-any.whl" in left
    assert not [f for f in left if f.startswith(("archives-v1", "unpacked-v1")) and h_b in f]


def test_a_root_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    root.write_text("")
    for action in (["size"], ["clean"], ["prune"]):
        proc = pallet_cache(root, *action)
        assert proc.returncode == 2
        assert proc.stderr == f"error: cache folder '{root}' (PALLET_CACHE_DIR) is not a folder\n"


def test_an_unwritable_root_is_one_line(filled: Filled) -> None:
    prefix = unprivileged_prefix()
    filled.root.chmod(0o555)
    try:
        proc = pallet_cache(filled.root, "clean", prefix=prefix)
    finally:
        filled.root.chmod(0o755)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        f"error: cache folder '{filled.root}' (PALLET_CACHE_DIR) cannot be written"
    )
    assert "Traceback" not in proc.stderr


def test_bad_days_is_an_argparse_error(tmp_path: Path) -> None:
    proc = pallet_cache(tmp_path, "prune", "--days", "soon")
    assert proc.returncode == 2 and "'soon' is not a number of days" in proc.stderr


FETCH_ONE = """
import sys
from pathlib import Path
from pallet.install.fetch import Artifact, fetch
from pallet.install.store import Store

root, url, name, sha = sys.argv[1:]
a = Artifact("beta", "1.0", name, sha, url, None, None)
print(fetch([a], Store(Path(root)), env={})[sha])
"""


def test_clean_while_a_download_is_under_way(tmp_path: Path, dists: Path) -> None:
    root = tmp_path / "cache"
    name = "beta-1.0-py3-none-any.whl"
    sha = sha256_of(dists / name)
    folder = Store(root).archive(sha, name).parent
    hold = threading.Event()
    with IndexServer(dists, hold=hold) as index:
        writer = subprocess.Popen(
            [sys.executable, "-c", FETCH_ONE, str(root), index.files_url + name, name, sha],
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not (folder.is_dir() and any(folder.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [p.name[0] for p in folder.iterdir()] == ["."]  # the temp file, being written
        proc = pallet_cache(root, "clean")
        hold.set()
        out = writer.communicate(timeout=60)[0]
    assert proc.returncode == 0, proc.stderr
    assert writer.returncode == 0
    assert Path(out.strip()).read_bytes() == (dists / name).read_bytes()


def test_cache_dir_and_help_import_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "import sys, json, contextlib, io\n"
        "from pallet.cli.main import run\n"
        "for argv in (['cache', 'dir'], ['cache', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            run(argv)\n"
        "        except SystemExit:\n"
        "            pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PALLET_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    loaded = set(json.loads(out))
    heavy = {"urllib3", "packaging", "pallet.index.cache", "pallet.install.fetch", "build"}
    assert not heavy & loaded


def test_prune_keeps_the_unpacked_folder_of_a_needed_built_wheel(filled: Filled) -> None:
    store = Store(filled.root)
    h_sdist = filled.hashes["gamma-2.0.tar.gz"]
    built = store.built(h_sdist)
    assert built is not None
    h_wheel = sha256_of(built)
    unpacked = unpack_stand_in(store, built, h_wheel)
    lock = filled.root.parent / "proj" / "stand-in.lock"
    lock.parent.mkdir()
    lock.write_text("")
    store.record_use(lock, [h_sdist])  # a lock names the sdist; the wheel's hash is pallet's
    proc = pallet_cache(filled.root, "prune", "--days", "0")
    assert proc.returncode == 0, proc.stderr
    assert store.built(h_sdist) == built and (unpacked / ".pallet-unpacked.json").is_file()
    assert not store.unpacked(filled.hashes["beta-1.0-py3-none-any.whl"]).exists()
