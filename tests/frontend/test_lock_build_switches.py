"""``no-build`` / ``no-binary`` end to end: a loopback index, pallet as a subprocess, each lock
checked by pallet's validator (and installed by uv where it applies to this machine)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from pallet.lock.validate import validate_lock
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer
from support.lock_tools import run_pallet_lock, uv_install

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

UV = Path(sys.executable).parent / "uv"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("switches") / "dists"
    # wheelish: 1.0 has a wheel and an sdist, 2.0 only an sdist
    make_wheel(folder, "wheelish", "1.0")
    make_sdist(folder, "wheelish", "1.0")
    make_sdist(folder, "wheelish", "2.0")
    # sourcey 1.0: the wheel and the sdist's own build hook disagree on the dependencies, so a
    # lock shows which one its metadata came from
    make_wheel(folder, "sourcey", "1.0", requires_dist=["from-wheel"])
    make_sdist(folder, "sourcey", "1.0", requires_dist=["from-sdist"])
    make_wheel(folder, "from-wheel", "1.0")
    make_wheel(folder, "from-sdist", "1.0")
    make_sdist(folder, "onlysrc", "1.0")
    with IndexServer(folder) as index:
        yield index


def _project(tmp_path: Path, url: str, dependencies: list[str], resolution: str = "") -> Path:
    root = tmp_path / "project"
    root.mkdir(parents=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "1.0"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{deps}]\n"
        f"[tool.pallet.resolution]\n{resolution}\n"
        f'[[tool.pallet.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n',
        encoding="utf-8",
    )
    return root


def _entries(root: Path) -> dict[str, dict[str, Any]]:
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    assert validate_lock(root / "pylock.toml") == []
    return {p["name"]: p for p in data["packages"]}


def test_no_build_locks_wheels_only(tmp_path: Path, env: dict[str, str], server: Any) -> None:
    root = _project(tmp_path, server.url, ["wheelish"], 'no-build = ["Wheelish"]')
    proc = run_pallet_lock(root, env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    entry = _entries(root)["wheelish"]
    # 2.0 has only an sdist: not a candidate; 1.0's sdist is not kept, so nothing can build it
    assert entry["version"] == "1.0"
    assert "sdist" not in entry
    assert [w["name"] for w in entry["wheels"]] == ["wheelish-1.0-py3-none-any.whl"]
    installed = uv_install(UV, tmp_path, root / "pylock.toml", "--no-build", timeout=300)
    assert installed == {"wheelish": "1.0"}
    # Without the setting the newest version (sdist only) is locked again.
    root = _project(tmp_path / "plain", server.url, ["wheelish"])
    assert run_pallet_lock(root, env, timeout=300).returncode == 0
    assert _entries(root)["wheelish"]["version"] == "2.0"


def test_no_build_error_names_the_setting(tmp_path: Path, env: dict[str, str], server: Any) -> None:
    root = _project(tmp_path, server.url, ["onlysrc"], "no-build = true")
    proc = run_pallet_lock(root, env, timeout=300)
    assert proc.returncode == 1
    assert "`onlysrc` has no wheel and no-build is set for it (versions: 1.0)" in proc.stderr
    assert "Traceback" not in proc.stderr and not (root / "pylock.toml").exists()
    # A pin on a version that only has an sdist names the setting too.
    root = _project(tmp_path / "pin", server.url, ["wheelish==2.0"], "no-build = true")
    proc = run_pallet_lock(root, env, timeout=300)
    assert proc.returncode == 1
    assert (
        "`wheelish==2.0` matches only versions without a wheel (2.0), and no-build is set for "
        "`wheelish`"
    ) in proc.stderr
    # The --no-build flag does the same for one run.
    root = _project(tmp_path / "flag", server.url, ["onlysrc"])
    proc = run_pallet_lock(root, env, "--no-build", timeout=300)
    assert proc.returncode == 1 and "no-build is set for it" in proc.stderr


def test_no_binary_locks_the_sdist_and_its_own_metadata(
    tmp_path: Path, env: dict[str, str], server: Any
) -> None:
    root = _project(tmp_path, server.url, ["sourcey"], 'no-binary = ["sourcey"]')
    proc = run_pallet_lock(root, env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    entries = _entries(root)
    assert "wheels" not in entries["sourcey"]
    assert entries["sourcey"]["sdist"]["name"] == "sourcey-1.0.tar.gz"
    # The dependencies come from the sdist's build hook, not from the wheel.
    assert set(entries) == {"sourcey", "from-sdist"}
    assert "wheels" in entries["from-sdist"]  # other packages are not affected
    installed = uv_install(UV, tmp_path, root / "pylock.toml", timeout=300)
    assert installed == {"sourcey": "1.0", "from-sdist": "1.0"}
    # Without the setting the wheel's metadata and files are used.
    plain = _project(tmp_path / "plain", server.url, ["sourcey"])
    assert run_pallet_lock(plain, env, timeout=300).returncode == 0
    assert set(_entries(plain)) == {"sourcey", "from-wheel"}


def test_a_changed_switch_relocks(tmp_path: Path, env: dict[str, str], server: Any) -> None:
    root = _project(tmp_path, server.url, ["wheelish"])
    assert run_pallet_lock(root, env, timeout=300).returncode == 0
    assert run_pallet_lock(root, env, "--check", timeout=300).returncode == 0
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace("[tool.pallet.resolution]\n", "[tool.pallet.resolution]\nno-build = true\n"),
        encoding="utf-8",
    )
    check = run_pallet_lock(root, env, "--check", timeout=300)
    assert check.returncode == 1 and "[tool.pallet.resolution]" in check.stderr
    assert run_pallet_lock(root, env, timeout=300).returncode == 0
    assert _entries(root)["wheelish"]["version"] == "1.0"
    # The flag is an input like the key: with the key gone, the flag alone matches this lock.
    pyproject.write_text(text, encoding="utf-8")
    assert run_pallet_lock(root, env, "--no-build", "--check", timeout=300).returncode == 0
    assert run_pallet_lock(root, env, "--check", timeout=300).returncode == 1
