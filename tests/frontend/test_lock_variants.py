"""Hardware variants in the lock, end to end (issue 12 item 2): ``pallet lock`` of a project with
cpu/cu126/rocm extras over four loopback indexes (`support.variant_index`). What installs is
computed by `packaging.pylock` (PEP 751 selection) and by uv, never by pallet; the expected
values follow from the contract's rule: the first selected variant, in preference order, whose
packages have a file for the platform, else the default (cpu).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import default_environment
from packaging.tags import Tag
from support.lock_tools import pallet_env, run_pallet_lock, uv_env
from support.variant_index import LINUX, LINUX_ARM, MAC_ARM, MAC_X86, WIN, WIN_ARM, VariantIndexes

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pylock = pytest.importorskip("packaging.pylock")

TIMEOUT = 120
UV = shutil.which("uv", path=str(Path(sys.executable).parent))

#: marker values and wheel platform tag of each platform of the default universe
PLATFORMS = {
    "linux": ({"sys_platform": "linux", "platform_machine": "x86_64"}, LINUX),
    "linux-arm": ({"sys_platform": "linux", "platform_machine": "aarch64"}, LINUX_ARM),
    "mac": ({"sys_platform": "darwin", "platform_machine": "arm64"}, MAC_ARM),
    "mac-x86": ({"sys_platform": "darwin", "platform_machine": "x86_64"}, MAC_X86),
    "win": ({"sys_platform": "win32", "platform_machine": "AMD64"}, WIN),
    "win-arm": ({"sys_platform": "win32", "platform_machine": "ARM64"}, WIN_ARM),
}
#: where each variant's index has builds (support.variant_index)
HAS = {"cu126": {"linux", "win"}, "rocm": {"linux"}, "cpu": set(PLATFORMS)}
ORDER = ("cu126", "rocm", "cpu")


def _expected(platform: str, extras: tuple[str, ...]) -> str:
    """The contract's rule, from the index layout: the torch build that must install."""
    chosen = next((v for v in ORDER if v in extras and platform in HAS[v]), "cpu")
    if chosen == "cpu":
        return "2.5.1" if platform.startswith("mac") else "2.5.1+cpu"
    return {"cu126": "2.5.1+cu126", "rocm": "2.5.1+rocm6.2"}[chosen]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VariantIndexes]:
    with VariantIndexes(tmp_path_factory.mktemp("variant-indexes")) as served:
        yield served


@pytest.fixture(scope="module")
def locked(
    indexes: VariantIndexes, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any], list[str]]:
    """The project locked once (cold cache); the metadata requests that lock made."""
    root = tmp_path_factory.mktemp("variant-project")
    (root / "pyproject.toml").write_text(indexes.pyproject(), encoding="utf-8")
    for server in indexes.servers.values():
        server.clear()
    proc = run_pallet_lock(root, pallet_env(root), timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert "will fail" not in proc.stderr  # no warning: CUDA on macOS is not a gap
    requests = indexes.metadata_requests()
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return root, data, requests


def _select(data: dict[str, Any], platform: str, extras: tuple[str, ...]) -> dict[str, Any]:
    values, tag = PLATFORMS[platform]
    environment = dict(default_environment())
    environment.update(values, implementation_name="cpython", python_version="3.12")
    environment["python_full_version"] = "3.12.4"
    tags = [Tag("py3", "none", tag), Tag("py3", "none", "any")]
    lock = pylock.Pylock.from_dict(dict(data))
    return {
        str(p.name): (str(p.version), p.index)
        for p, _ in lock.select(environment=environment, tags=tags, extras=extras)
    }


SELECTIONS = [(), ("cpu",), ("cu126",), ("rocm",), ("docs", "rocm"), ("cpu", "cu126", "rocm")]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("extras", SELECTIONS, ids="+".join)
def test_each_selection_installs_one_torch(
    locked: tuple[Path, dict[str, Any], list[str]],
    indexes: VariantIndexes,
    platform: str,
    extras: tuple[str, ...],
) -> None:
    _, data, _ = locked
    found = _select(data, platform, extras)
    torch = _expected(platform, extras)
    source = indexes.url({"2.5.1+cu126": "cu126", "2.5.1+rocm6.2": "rocm"}.get(torch, "cpu"))
    assert found["torch"] == (torch, source)
    # torchvision from the same index, its build matching torch's (0.20.1+cu126 with +cu126)
    assert found["torchvision"] == ("0.20.1" + torch[len("2.5.1") :], source)
    assert found["filelock"] == ("3.16.1", indexes.url("pypi"))  # not on the variant indexes
    assert ("docsy" in found) == ("docs" in extras)
    assert len(found) == 3 + ("docs" in extras)


def test_lock_records_the_variants(
    locked: tuple[Path, dict[str, Any], list[str]], indexes: VariantIndexes
) -> None:
    _, data, _ = locked
    assert data["extras"] == ["cpu", "cu126", "docs", "rocm"]
    variants = data["tool"]["pallet"]["variants"]
    assert [v["name"] for v in variants] == list(ORDER)
    assert variants[0]["requires"] == "cuda>=12.6"
    assert variants[0]["index"] == indexes.url("cu126")
    assert variants[2] == {"name": "cpu", "index": indexes.url("cpu"), "default": True}
    assert "cuda-minor-compat" not in data["tool"]["pallet"]
    # where a variant cannot install: judged by packaging over the lock's platforms
    from packaging.markers import Marker

    for variant in variants[:2]:
        unavailable = Marker(variant["unavailable"])
        for name, (values, _) in PLATFORMS.items():
            environment = dict(default_environment())
            environment.update(values, implementation_name="cpython")
            assert unavailable.evaluate(environment) == (name not in HAS[variant["name"]])


def test_each_file_metadata_read_once(locked: tuple[Path, dict[str, Any], list[str]]) -> None:
    _, _, requests = locked
    assert requests, "the indexes serve PEP 658 metadata; the lock must have read some"
    assert len(requests) == len(set(requests)), sorted(requests)
    # the three variants' torch builds were all read (each from its own index)
    assert {r.split(":")[0] for r in requests} >= {"pypi", "cpu", "cu126", "rocm"}


def _uv_dry_run(tmp_path: Path, lock: Path, target: str, *flags: str) -> list[str]:
    """``uv pip install -r pylock.toml --dry-run --python-platform target``: the would-be
    installed ``name==version`` lines."""
    assert UV is not None
    env = uv_env(tmp_path)
    venv = tmp_path / "venv"
    if not venv.exists():
        subprocess.run(
            [UV, "venv", str(venv), "--python", sys.executable],
            env=env,
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )
    command = [UV, "pip", "install", "--python", str(venv), "--dry-run"]
    proc = subprocess.run(
        [*command, "--python-platform", target, "-r", str(lock), *flags],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return sorted(re.findall(r"^ \+ (\S+)$", proc.stderr + proc.stdout, re.MULTILINE))


@pytest.mark.skipif(UV is None, reason="uv is not installed next to this Python")
@pytest.mark.parametrize(
    ("target", "flags", "torch"),
    [
        ("x86_64-manylinux_2_17", (), "2.5.1+cpu"),
        ("x86_64-manylinux_2_17", ("--extra", "cu126"), "2.5.1+cu126"),
        ("x86_64-manylinux_2_17", ("--extra", "rocm"), "2.5.1+rocm6.2"),
        ("aarch64-apple-darwin", ("--extra", "cu126"), "2.5.1"),
        ("aarch64-apple-darwin", (), "2.5.1"),
        ("x86_64-pc-windows-msvc", ("--extra", "rocm"), "2.5.1+cpu"),
    ],
)
def test_uv_installs_one_torch(
    locked: tuple[Path, dict[str, Any], list[str]],
    tmp_path: Path,
    target: str,
    flags: tuple[str, ...],
    torch: str,
) -> None:
    root, _, _ = locked
    lines = _uv_dry_run(tmp_path, root / "pylock.toml", target, *flags)
    assert [line for line in lines if line.startswith("torch==")] == [f"torch=={torch}"]
    local = torch[len("2.5.1") :]
    assert f"torchvision==0.20.1{local}" in lines
    assert "filelock==3.16.1" in lines


def test_relock_is_stable_and_variants_are_an_input(
    indexes: VariantIndexes, tmp_path: Path, env: dict[str, str]
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(indexes.pyproject(), encoding="utf-8")
    assert run_pallet_lock(root, env, timeout=TIMEOUT).returncode == 0
    first = (root / "pylock.toml").read_text(encoding="utf-8")
    again = run_pallet_lock(root, env, "--check", timeout=TIMEOUT)
    assert again.returncode == 0, again.stderr
    # the preference order is an input: rocm first changes which selection gets what
    text = indexes.pyproject().replace('["cu126", "rocm", "cpu"]', '["rocm", "cu126", "cpu"]')
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    stale = run_pallet_lock(root, env, "--check", timeout=TIMEOUT)
    assert stale.returncode != 0
    assert "[tool.pallet.variants]" in stale.stderr
    assert run_pallet_lock(root, env, timeout=TIMEOUT).returncode == 0
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    assert [v["name"] for v in data["tool"]["pallet"]["variants"]] == ["rocm", "cu126", "cpu"]
    assert _select(data, "linux", ("cu126", "rocm"))["torch"][0] == "2.5.1+rocm6.2"
    assert (root / "pylock.toml").read_text(encoding="utf-8") != first


def test_lock_reads_back_byte_for_byte(locked: tuple[Path, dict[str, Any], list[str]]) -> None:
    from dataclasses import replace

    from packaging.utils import NormalizedName
    from packaging.version import Version
    from pallet.lock.pylock import dumps_lock, loads_lock
    from pallet.resolve.packages import Dependency

    root, _, _ = locked
    text = (root / "pylock.toml").read_text(encoding="utf-8")
    lock = loads_lock(text)
    assert lock.variants is not None and lock.variants.names == ORDER
    assert lock.variants.default == "cpu"
    assert dumps_lock(lock) == text
    # a dependency on one of two entries of the same name and version names its index
    dep = Dependency(NormalizedName("torch"), Version("2.5.1"), "http://127.0.0.1:9/simple")
    changed = replace(
        lock,
        packages=tuple(
            replace(p, dependencies=(dep,)) if p.name == "torchvision" else p for p in lock.packages
        ),
    )
    again = loads_lock(dumps_lock(changed))
    assert {p.dependencies for p in again.packages if p.name == "torchvision"} == {(dep,)}


def test_same_version_from_two_indexes_is_two_entries(
    indexes: VariantIndexes, tmp_path: Path, env: dict[str, str]
) -> None:
    """An ``mps`` variant without an index takes plain torch 2.5.1 from the default index; the
    cpu variant takes plain 2.5.1 for macOS from its own: two entries, told apart by index, and
    torchvision's dependency names the index of its torch."""
    root = tmp_path / "project"
    root.mkdir()
    variants = (
        '[tool.pallet.variants]\nextras = ["cu126", "mps", "cpu"]\ndefault = "cpu"\n'
        '[tool.pallet.variants.cu126]\nindex = "cu126"\n'
        '[tool.pallet.variants.cpu]\nindex = "cpu"\n'
    )
    text = indexes.pyproject(variants, extras='mps = ["torch>=2.5", "torchvision"]')
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    proc = run_pallet_lock(root, env, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    plain = [p for p in data["packages"] if p["name"] == "torch" and p["version"] == "2.5.1"]
    assert sorted(p["index"] for p in plain) == sorted([indexes.url("pypi"), indexes.url("cpu")])
    for platform in ("mac", "linux"):
        mps = _select(data, platform, ("mps",))
        assert mps["torch"] == ("2.5.1", indexes.url("pypi"))
        assert mps["torchvision"] == ("0.20.1", indexes.url("pypi"))
    assert _select(data, "mac", ())["torch"] == ("2.5.1", indexes.url("cpu"))
    vision = {
        p["index"]: p["dependencies"]
        for p in data["packages"]
        if p["name"] == "torchvision" and p["version"] == "0.20.1"
    }
    assert vision == {
        source: [{"name": "torch", "version": "2.5.1", "index": source}]
        for source in (indexes.url("pypi"), indexes.url("cpu"))
    }


def test_every_variants_pages_are_read_at_once(tmp_path: Path) -> None:
    """The variant packages' pages on each variant's index are requested together, before any
    is answered (a lock of three variants waits for one round trip, not three)."""
    import threading
    import time

    from support.torch_index import build_torch_index

    hold = threading.Event()
    with build_torch_index(tmp_path / "index", hold=hold) as index:
        root = tmp_path / "proj"
        root.mkdir()
        (root / "pyproject.toml").write_text(index.pyproject(), encoding="utf-8")
        assert index.server is not None
        server = index.server
        wanted = {
            f"/{b}/{p}/" for b in ("cu126", "rocm6.2", "cpu") for p in ("torch", "torchvision")
        }
        lock = subprocess.Popen(
            [sys.executable, "-m", "pallet", "lock", "--project", str(root)],
            env=pallet_env(root),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 15
            while server.peak < len(wanted) and time.monotonic() < deadline:
                time.sleep(0.02)
            waiting = server.peak  # every answer is held: these were all asked at once
        finally:
            hold.set()
            _, err = lock.communicate(timeout=TIMEOUT)
        assert lock.returncode == 0, err
        assert waiting >= len(wanted)
        assert wanted <= {r.path for r in server.requests}
