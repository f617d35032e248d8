"""``pallet tool ...`` and ``pallet x``: test-built CLI packages from a loopback index, installed
into real environments, their scripts run from the bin folder by path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import tomllib
from packaging.markers import default_environment
from packaging.pylock import Pylock
from support.dists import make_wheel
from support.index_server import IndexServer
from support.sync_tools import pallet
from support.unprivileged import unprivileged_prefix
from support.wheels import build_wheel

MAIN = """\
import sys
VERSION = {version!r}
def main():
    print({name!r}, VERSION, *sys.argv[1:])
    return 7 if "fail" in sys.argv else 0
"""


def tool_wheel(
    folder: Path, name: str, version: str, scripts: dict[str, str], requires: tuple[str, ...] = ()
) -> Path:
    """A wheel whose package ``name`` has `scripts` (script name -> ``module:function``)."""
    files = {f"{name}/__init__.py": MAIN.format(name=name, version=version)}
    if scripts:
        lines = "".join(f"{script} = {target}\n" for script, target in scripts.items())
        files[f"{name}-{version}.dist-info/entry_points.txt"] = "[console_scripts]\n" + lines
    return make_wheel(folder, name, version, files=files, requires_dist=requires)


def greet_dists(folder: Path, version: str = "1.0") -> Path:
    tool_wheel(folder, "greet", version, {"greet-hello": "greet:main"}, ("colour",))
    make_wheel(folder, "colour", "2.0", files={"colour/__init__.py": "NAME = 'colour 2.0'\n"})
    return folder


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    dists = greet_dists(tmp_path_factory.mktemp("tool-dists"))
    tool_wheel(dists, "other", "1.0", {"other-cmd": "other:main"}, ("colour",))
    tool_wheel(dists, "clash", "1.0", {"greet-hello": "clash:main"})
    # needs a package the index does not have, on Windows only
    tool_wheel(
        dists, "plat", "1.0", {"plat-cmd": "plat:main"}, ('winonly; sys_platform == "win32"',)
    )
    # an executable shipped in the wheel's .data/scripts/ and no entry point, as ruff does
    script = "binly-1.0.data/scripts/binly"
    build_wheel(
        dists,
        "binly",
        "1.0",
        {"binly/__init__.py": "", script: '#!/bin/sh\necho binly "$@"\n'},
        modes={script: 0o100755},
    )
    with IndexServer(dists, format="json") as server:
        yield server


def tool_env(env: dict[str, str], tmp_path: Path, url: str) -> dict[str, str]:
    out = {k: v for k, v in env.items() if not k.startswith("XDG_")}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    out.update(HOME=str(home), PALLET_INDEX_URL=url, PALLET_HTTP_RETRIES="0")
    return out


@pytest.fixture
def tenv(env: dict[str, str], tmp_path: Path, index: IndexServer) -> dict[str, str]:
    index.clear()
    return tool_env(env, tmp_path, index.url)


def bin_of(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".local" / "bin"


def tools_of(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".local" / "share" / "pallet" / "tools"


def run_script(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A script by its path, with a PATH that holds no environment of pallet's."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(path.parent)}
    return subprocess.run(
        [str(path), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def test_install_links_the_script_and_it_runs_from_the_bin_folder(
    tmp_path: Path, tenv: dict[str, str], index: IndexServer
) -> None:
    proc = ok(pallet(tmp_path, tenv, "tool", "install", "greet"))
    script = bin_of(tenv) / "greet-hello"
    assert f"Installed greet 1.0: 1 script in {bin_of(tenv)}: greet-hello" in proc.stderr
    assert "is not on PATH; `pallet tool update-shell` adds it" in proc.stderr
    assert script.is_symlink()
    assert run_script(script, "a", "-v").stdout == "greet 1.0 a -v\n"
    assert run_script(script, "fail").returncode == 7
    # the environment is a complete venv that pip sees as holding exactly the tool
    env_python = tools_of(tenv) / "greet" / "current" / ".venv" / "bin" / "python"
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env_python), "list", "--format=json"],
        capture_output=True,
        text=True,
        env={**tenv, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        check=True,
    )
    assert {r["name"]: r["version"] for r in json.loads(listed.stdout)} == {
        "colour": "2.0",
        "greet": "1.0",
    }

    listing = ok(pallet(tmp_path, tenv, "tool", "list"))
    assert listing.stdout == "greet 1.0\n- greet-hello\n"
    paths = ok(pallet(tmp_path, tenv, "tool", "list", "--show-paths")).stdout.splitlines()
    env_folder = (tools_of(tenv) / "greet" / "current").resolve()
    assert paths == [f"greet 1.0 ({env_folder})", f"- greet-hello ({script})"]

    index.clear()
    again = ok(pallet(tmp_path, tenv, "tool", "install", "GREET"))  # same spec, other spelling
    assert "greet 1.0 is already installed" in again.stderr
    assert index.requests == []


def test_upgrade_picks_a_new_release_within_the_spec(tmp_path: Path, env: dict[str, str]) -> None:
    dists = greet_dists(tmp_path / "dists")
    # pages may be reused for 10 minutes (as PyPI's are): an upgrade must ask again anyway
    with IndexServer(dists, format="json", cache_control="max-age=600") as server:
        tenv = tool_env(env, tmp_path, server.url)
        ok(pallet(tmp_path, tenv, "tool", "install", "greet"))
        script = bin_of(tenv) / "greet-hello"
        same = ok(pallet(tmp_path, tenv, "tool", "upgrade", "greet"))
        assert "greet 1.0 is up to date" in same.stderr

        tool_wheel(dists, "greet", "2.0", {"greet-hello": "greet:main"}, ("colour",))
        up = ok(pallet(tmp_path, tenv, "tool", "upgrade", "greet"))
        assert "Upgraded greet 1.0 -> 2.0" in up.stderr
        assert run_script(script).stdout == "greet 2.0\n"
        folder = tools_of(tenv) / "greet"
        assert sorted(p.name for p in folder.iterdir() if p.name.startswith("env-")) == [
            os.readlink(folder / "current")
        ]  # the old environment is gone

        # a pinned tool stays within its requirement; another spec replaces it
        ok(pallet(tmp_path, tenv, "tool", "install", "greet==1.0"))
        assert run_script(script).stdout == "greet 1.0\n"
        pinned = ok(pallet(tmp_path, tenv, "tool", "upgrade", "--all"))
        assert "greet 1.0 is up to date" in pinned.stderr
        assert ok(pallet(tmp_path, tenv, "tool", "list")).stdout == "greet 1.0\n- greet-hello\n"
    # the index is down now: the upgrade fails in one line, the installed tool is untouched
    before = sorted(p.name for p in folder.iterdir())
    down = pallet(tmp_path, tenv, "tool", "upgrade", "greet")
    assert down.returncode == 3, down.stderr
    assert down.stderr.splitlines()[-1].startswith("error: ")
    assert "Traceback" not in down.stderr
    assert sorted(p.name for p in folder.iterdir()) == before
    assert run_script(script).stdout == "greet 1.0\n"


def test_a_replacement_keeps_the_old_tool_working_until_it_is_complete(
    tmp_path: Path, env: dict[str, str]
) -> None:
    dists = greet_dists(tmp_path / "dists")
    hold = threading.Event()
    hold.set()
    with IndexServer(dists, format="json", hold=hold) as server:
        tenv = tool_env(env, tmp_path, server.url)
        ok(pallet(tmp_path, tenv, "tool", "install", "greet"))
        script = bin_of(tenv) / "greet-hello"
        tool_wheel(dists, "greet", "2.0", {"greet-hello": "greet:main"}, ("colour",))
        hold.clear()  # the index answers nothing until set: the replacement waits mid-way
        proc = subprocess.Popen(
            [sys.executable, "-m", "pallet", "tool", "install", "greet>=2"],
            cwd=tmp_path,
            env=tenv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not server._inflight and time.monotonic() < deadline:
                time.sleep(0.02)
            assert server._inflight, "the replacement never asked the index"
            assert run_script(script).stdout == "greet 1.0\n"
            listing = ok(pallet(tmp_path, tenv, "tool", "list"))
            assert listing.stdout == "greet 1.0\n- greet-hello\n"
        finally:
            hold.set()
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Installed greet 2.0" in err
    assert run_script(script).stdout == "greet 2.0\n"


def test_a_replacement_that_cannot_link_leaves_the_old_version(
    tmp_path: Path, env: dict[str, str]
) -> None:
    dists = greet_dists(tmp_path / "dists")
    with IndexServer(dists, format="json") as server:
        tenv = tool_env(env, tmp_path, server.url)
        ok(pallet(tmp_path, tenv, "tool", "install", "greet"))
        scripts = {"greet-hello": "greet:main", "greet-new": "greet:main"}
        tool_wheel(dists, "greet", "2.0", scripts, ("colour",))
        bins, folder = bin_of(tenv), tools_of(tenv) / "greet"
        (bins / "greet-new").mkdir()  # a folder: --force cannot put a link in its place
        (bins / "greet-new" / "keep").write_text("", encoding="utf-8")
        before = sorted(p.name for p in folder.iterdir())
        proc = pallet(tmp_path, tenv, "tool", "install", "--force", "greet>=2")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith(
        f"error: {bins / 'greet-new'}: cannot link the script: "
    )
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == before  # the new environment is gone
    assert run_script(bins / "greet-hello").stdout == "greet 1.0\n"
    assert ok(pallet(tmp_path, tenv, "tool", "list")).stdout == "greet 1.0\n- greet-hello\n"


def test_uninstall_removes_its_scripts_and_environment_and_nothing_else(
    tmp_path: Path, tenv: dict[str, str]
) -> None:
    bins = bin_of(tenv)
    bins.mkdir(parents=True)
    (bins / "mine").write_text("#!/bin/sh\n", encoding="utf-8")
    ok(pallet(tmp_path, tenv, "tool", "install", "greet"))
    ok(pallet(tmp_path, tenv, "tool", "install", "other"))
    cache = sorted(p for p in Path(tenv["PALLET_CACHE_DIR"]).rglob("*"))
    proc = ok(pallet(tmp_path, tenv, "tool", "uninstall", "greet"))
    assert "Uninstalled greet 1.0 and its scripts (greet-hello)" in proc.stderr
    assert sorted(p.name for p in bins.iterdir()) == ["mine", "other-cmd"]
    assert sorted(p.name for p in tools_of(tenv).iterdir()) == ["other"]
    assert sorted(p for p in Path(tenv["PALLET_CACHE_DIR"]).rglob("*")) == cache
    assert run_script(bins / "other-cmd").stdout == "other 1.0\n"

    gone = pallet(tmp_path, tenv, "tool", "uninstall", "greet")
    assert gone.returncode == 2
    assert gone.stderr == (
        f"error: greet: no such tool is installed in {tools_of(tenv)} (`pallet tool list`)\n"
    )
    unknown = pallet(tmp_path, tenv, "tool", "upgrade", "nope")
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: nope: no such tool")

    # a tool whose environment was removed by hand: listed as incomplete, still uninstallable
    shutil.rmtree((tools_of(tenv) / "other" / "current").resolve())
    listing = ok(pallet(tmp_path, tenv, "tool", "list"))
    assert f"warning: {tools_of(tenv) / 'other'}: not a complete tool" in listing.stderr
    ok(pallet(tmp_path, tenv, "tool", "uninstall", "other"))
    assert sorted(p.name for p in bins.iterdir()) == ["mine"]
    # a tool folder removed by hand: its dangling links still go
    ok(pallet(tmp_path, tenv, "tool", "install", "greet"))
    shutil.rmtree(tools_of(tenv) / "greet")
    ok(pallet(tmp_path, tenv, "tool", "uninstall", "greet"))
    assert sorted(p.name for p in bins.iterdir()) == ["mine"]


def test_x_runs_a_tool_and_the_second_call_asks_no_index(
    tmp_path: Path, env: dict[str, str]
) -> None:
    server = IndexServer(greet_dists(tmp_path / "dists"), format="json").start()
    try:
        tenv = tool_env(env, tmp_path, server.url)
        first = pallet(tmp_path, tenv, "x", "--from", "greet", "greet-hello", "-q", "fail")
        assert first.returncode == 7, first.stderr  # the command's own status
        assert first.stdout == "greet 1.0 -q fail\n"
        assert server.requests
        pinned = ok(pallet(tmp_path, tenv, "x", "--from", "greet@1.0", "greet-hello"))  # uv's
        assert pinned.stdout == "greet 1.0\n"
    finally:
        server.stop()
    second = ok(pallet(tmp_path, tenv, "tool", "run", "--from", "greet", "greet-hello", "x"))
    assert second.stdout == "greet 1.0 x\n"
    assert "Creating" not in second.stderr
    assert not tools_of(tenv).exists()  # nothing installed

    wrong = pallet(tmp_path, tenv, "x", "greet")
    assert wrong.returncode == 2
    assert wrong.stderr.endswith(
        "error: greet: the package greet has no such command (its commands: greet-hello); "
        "`pallet x --from greet greet-hello`\n"
    )


def test_x_uses_an_installed_tool_unless_isolated(
    tmp_path: Path, tenv: dict[str, str], index: IndexServer
) -> None:
    ok(pallet(tmp_path, tenv, "tool", "install", "clash"))  # provides greet-hello
    index.clear()
    proc = ok(pallet(tmp_path, tenv, "x", "greet-hello", "y"))
    assert proc.stdout == "clash 1.0 y\n"
    assert index.requests == []
    # answered before argparse: options after NAME are the command's, and nothing heavy loads
    fast = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pallet", "x", "greet-hello", "-v", "--help"],
        cwd=tmp_path,
        env=tenv,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert fast.returncode == 0, fast.stderr
    assert fast.stdout == "clash 1.0 -v --help\n"
    imported = {line.rsplit("|", 1)[-1].strip() for line in fast.stderr.splitlines()}
    assert "pallet.cli.tool_fast" in imported  # the check could fail: importtime lists modules
    heavy = {"argparse", "packaging", "dataclasses", "pallet.cli.tool_run"} & imported
    assert heavy == set()
    isolated = ok(pallet(tmp_path, tenv, "x", "--isolated", "--from", "greet", "greet-hello"))
    assert isolated.stdout == "greet 1.0\n"


def test_tool_environments_hard_link_the_shared_store(tmp_path: Path, tenv: dict[str, str]) -> None:
    ok(pallet(tmp_path, tenv, "tool", "install", "greet"))
    ok(pallet(tmp_path, tenv, "tool", "install", "other"))
    ok(pallet(tmp_path, tenv, "x", "--from", "other", "other-cmd"))
    store = list((Path(tenv["PALLET_CACHE_DIR"]) / "unpacked-v1").rglob("colour/__init__.py"))
    assert len(store) == 1
    copies = [
        *tools_of(tenv).glob("*/current/.venv/lib/python*/site-packages/colour/__init__.py"),
        *Path(tenv["PALLET_CACHE_DIR"]).glob(
            "environments-v1/*/.venv/lib/python*/site-packages/colour/__init__.py"
        ),
    ]
    assert len(copies) == 3
    inode = store[0].stat().st_ino
    assert [c.stat().st_ino for c in copies] == [inode] * 3
    assert store[0].stat().st_nlink >= 4


def test_a_tool_environment_is_locked_for_its_interpreter_only(
    tmp_path: Path, tenv: dict[str, str], index: IndexServer
) -> None:
    """An environment serves one interpreter, so its lock holds on that platform alone (as
    uv's tool installs): what only another platform needs is neither resolved nor asked for."""
    ok(pallet(tmp_path, tenv, "tool", "install", "plat"))
    lock = tools_of(tenv) / "plat" / "current" / "pylock.toml"
    pylock = Pylock.from_dict(tomllib.loads(lock.read_text(encoding="utf-8")))
    assert pylock.environments is not None and len(pylock.environments) == 1
    assert pylock.environments[0].evaluate(cast("dict[str, str]", default_environment()))
    assert [p.name for p in pylock.packages] == ["plat"]
    assert index.requests_for("/simple/winonly/") == []
    assert run_script(bin_of(tenv) / "plat-cmd").stdout == "plat 1.0\n"


def test_tool_dir_follows_xdg_and_the_pallet_variables(
    tmp_path: Path, tenv: dict[str, str]
) -> None:
    home = Path(tenv["HOME"])

    def dirs(**extra: str) -> tuple[str, str]:
        e = {**tenv, **extra}
        return (
            ok(pallet(tmp_path, e, "tool", "dir")).stdout.strip(),
            ok(pallet(tmp_path, e, "tool", "dir", "--bin")).stdout.strip(),
        )

    assert dirs() == (f"{home}/.local/share/pallet/tools", f"{home}/.local/bin")
    data = tmp_path / "xdg" / "data"
    assert dirs(XDG_DATA_HOME=str(data)) == (f"{data}/pallet/tools", f"{tmp_path}/xdg/bin")
    assert dirs(XDG_DATA_HOME="relative", XDG_BIN_HOME=str(tmp_path / "b")) == (
        f"{home}/.local/share/pallet/tools",
        f"{tmp_path}/b",
    )
    moved = {"PALLET_TOOL_DIR": str(tmp_path / "t"), "PALLET_TOOL_BIN_DIR": str(tmp_path / "bb")}
    assert dirs(**moved, XDG_BIN_HOME=str(tmp_path / "b")) == (f"{tmp_path}/t", f"{tmp_path}/bb")

    ok(pallet(tmp_path, {**tenv, **moved}, "tool", "install", "greet"))
    assert run_script(tmp_path / "bb" / "greet-hello").stdout == "greet 1.0\n"
    assert (tmp_path / "t" / "greet" / "current" / "pallet-tool.json").is_file()
    assert not tools_of(tenv).exists() and not bin_of(tenv).exists()


def test_update_shell_adds_the_bin_folder_once(tmp_path: Path, tenv: dict[str, str]) -> None:
    home = Path(tenv["HOME"])
    (home / ".zshrc").write_text("setopt autocd", encoding="utf-8")  # no final newline
    e = {**tenv, "SHELL": "/bin/bash", "PATH": "/usr/bin:/bin"}
    first = ok(pallet(tmp_path, e, "tool", "update-shell"))
    bins = bin_of(tenv)
    assert f"Added {bins} to PATH in {home / '.bashrc'}" in first.stderr
    assert f"Added {bins} to PATH in {home / '.zshrc'}" in first.stderr
    assert not (home / ".config").exists()  # no fish here
    bashrc = (home / ".bashrc").read_bytes()
    zshrc = (home / ".zshrc").read_text(encoding="utf-8")
    assert zshrc.startswith("setopt autocd\nexport PATH=")

    second = ok(pallet(tmp_path, e, "tool", "update-shell"))
    assert "Added" not in second.stderr
    assert (home / ".bashrc").read_bytes() == bashrc
    assert (home / ".zshrc").read_text(encoding="utf-8") == zshrc

    shell = subprocess.run(
        ["bash", "-c", 'source "$HOME/.bashrc"; echo "$PATH"'],
        capture_output=True,
        text=True,
        env=e,
        check=True,
    )
    assert shell.stdout.split(":")[0] == str(bins)

    on_path = ok(pallet(tmp_path, {**e, "PATH": f"{bins}:/usr/bin"}, "tool", "update-shell"))
    assert on_path.stderr == f"{bins} is already on PATH; nothing changed\n"


def test_a_wheel_s_data_scripts_are_the_tool_s_scripts(
    tmp_path: Path, tenv: dict[str, str]
) -> None:
    proc = ok(pallet(tmp_path, tenv, "tool", "install", "binly"))
    assert f"Installed binly 1.0: 1 script in {bin_of(tenv)}: binly" in proc.stderr
    assert run_script(bin_of(tenv) / "binly", "a", "b").stdout == "binly a b\n"
    assert ok(pallet(tmp_path, tenv, "tool", "list")).stdout == "binly 1.0\n- binly\n"
    ok(pallet(tmp_path, tenv, "tool", "uninstall", "binly"))
    assert not (bin_of(tenv) / "binly").exists()


def test_a_package_without_console_scripts_leaves_nothing(
    tmp_path: Path, tenv: dict[str, str]
) -> None:
    proc = pallet(tmp_path, tenv, "tool", "install", "colour")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith(
        "error: colour 2.0: the package has no scripts (no [console_scripts]"
    )
    assert "Traceback" not in proc.stderr
    assert list(tools_of(tenv).iterdir()) == []
    assert list(bin_of(tenv).iterdir()) == []


def test_no_interpreter_for_python_leaves_nothing(tmp_path: Path, tenv: dict[str, str]) -> None:
    # only pallet's own Python to look at (discovery runs each one to say why it does not fit)
    only = {**tenv, "PATH": str(Path(sys.executable).parent), "PYENV_ROOT": str(tmp_path)}
    proc = pallet(tmp_path, only, "tool", "install", "greet", "--python", "2.7")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tools_of(tenv).iterdir()) == []


def test_a_file_in_the_bin_folder_is_kept_unless_force(
    tmp_path: Path, tenv: dict[str, str]
) -> None:
    ok(pallet(tmp_path, tenv, "tool", "install", "greet"))
    clash = pallet(tmp_path, tenv, "tool", "install", "clash")
    assert clash.returncode == 2
    assert clash.stderr.splitlines()[-1] == (
        f"error: clash: will not replace {bin_of(tenv) / 'greet-hello'} "
        "(tool 'greet''s script); --force replaces it"
    )
    assert sorted(p.name for p in tools_of(tenv).iterdir()) == ["greet"]
    assert run_script(bin_of(tenv) / "greet-hello").stdout == "greet 1.0\n"
    ok(pallet(tmp_path, tenv, "tool", "install", "--force", "clash"))
    assert run_script(bin_of(tenv) / "greet-hello").stdout == "clash 1.0\n"
    # greet's uninstall leaves clash's link alone
    ok(pallet(tmp_path, tenv, "tool", "uninstall", "greet"))
    assert run_script(bin_of(tenv) / "greet-hello").stdout == "clash 1.0\n"

    (bin_of(tenv) / "other-cmd").write_text("#!/bin/sh\necho mine\n", encoding="utf-8")
    user = pallet(tmp_path, tenv, "tool", "install", "other")
    assert user.returncode == 2
    assert "(a file pallet did not make); --force replaces it" in user.stderr


def test_an_index_that_is_down_is_exit_3_and_leaves_nothing(
    tmp_path: Path, tenv: dict[str, str]
) -> None:
    down = IndexServer(tmp_path / "empty").start()
    url = down.url
    down.stop()
    proc = pallet(tmp_path, tenv, "tool", "install", "greet", "--index-url", url)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("error: ")
    assert "Traceback" not in proc.stderr
    assert list(tools_of(tenv).iterdir()) == []
    x = pallet(tmp_path, tenv, "x", "--index-url", url, "greet")
    assert x.returncode == 3 and "Traceback" not in x.stderr


def test_a_read_only_bin_folder_is_one_line(tmp_path: Path, tenv: dict[str, str]) -> None:
    prefix = unprivileged_prefix()
    tools, bins = tools_of(tenv), bin_of(tenv)
    tools.mkdir(parents=True)
    tools.chmod(0o777)
    bins.mkdir(parents=True)
    bins.chmod(0o555)
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "pallet", "tool", "install", "greet"],
            capture_output=True,
            text=True,
            env=tenv,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
    finally:
        bins.chmod(0o755)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"error: {bins}: the bin folder cannot be written (PALLET_TOOL_BIN_DIR moves it): "
        "Permission denied\n"
    )
    assert list(tools.iterdir()) == []


def test_help_lists_tool_and_x(tmp_path: Path, tenv: dict[str, str]) -> None:
    assert "pallet tool install ruff" in ok(pallet(tmp_path, tenv, "tool", "--help")).stdout
    assert "pallet x --from httpie http" in ok(pallet(tmp_path, tenv, "x", "--help")).stdout
    empty = pallet(tmp_path, tenv, "x")
    assert empty.returncode == 2 and empty.stderr.startswith("error: pallet x: no command given")
