"""Workspaces (issue 14 item 1): three members on the loopback index, one lock, one .venv.

The workspace: ``packages/lib`` (a library needing ``bar``), ``packages/app`` (needs ``lib``
through ``{ workspace = true }`` and ``foo``), ``packages/plugin`` (an extra ``fancy`` needing
``clicky``); the root is virtual (no ``[project]``). The lock is read back by packaging.pylock
and installed by ``uv pip install -r pylock.toml`` (the independent check); each member's wheel
is built by ``pallet build`` and installed on its own by pip from the loopback index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.pylock import Pylock
from support.index_server import IndexServer
from support.lock_tools import pallet_env
from support.sync_tools import UV, pallet, pip_list
from support.wheels import build_wheel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

UV_INSTALL = (str(UV), "pip", "install", "-q")
PIP = (sys.executable, "-m", "pip")
BUILD = """\
[build-system]
requires = ["pallet-core"]
build-backend = "pallet_core.build"
"""

ROOT = """\
[tool.pallet.workspace]
members = ["packages/*"]
exclude = ["packages/scratch"]

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
"""

MEMBERS = {
    "lib": """\
[project]
name = "lib"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["bar>=1"]
""",
    "app": """\
[project]
name = "app"
version = "1.0.0"
requires-python = ">=3.10"
dependencies = ["lib", "foo"]

[tool.pallet.sources]
lib = { workspace = true }
""",
    "plugin": """\
[project]
name = "plugin"
version = "0.3.0"
dependencies = ["lib>=0.1"]

[project.optional-dependencies]
fancy = ["clicky"]

[tool.pallet.sources]
lib = { workspace = true }
""",
}


def write_member(root: Path, name: str, text: str, code: str | None = None) -> Path:
    folder = root / "packages" / name
    (folder / "src" / name).mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(BUILD + "\n" + text, encoding="utf-8")
    source = code if code is not None else f"NAME = {name!r}\n"
    (folder / "src" / name / "__init__.py").write_text(source, encoding="utf-8")
    return folder


def make_workspace(root: Path, url: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(ROOT.format(url=url), encoding="utf-8")
    for name, text in MEMBERS.items():
        write_member(root, name, text)
    (root / "packages" / "lib" / "src" / "lib" / "__init__.py").write_text(
        "def greet():\n    return 'hello'\n", encoding="utf-8"
    )
    (root / "packages" / "app" / "src" / "app" / "__init__.py").write_text(
        "import lib\n\ndef main():\n    return 'app says ' + lib.greet()\n", encoding="utf-8"
    )
    (root / "packages" / "scratch").mkdir(parents=True)  # excluded: no pyproject.toml needed
    return root


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    folder = tmp_path_factory.mktemp("workspace-dists")
    build_wheel(folder, "bar", "1.0", {"bar/__init__.py": "V = 1\n"})
    build_wheel(folder, "bar", "2.0", {"bar/__init__.py": "V = 2\n"})
    build_wheel(folder, "foo", "1.0", {"foo/__init__.py": ""}, requires_dist=("bar",))
    build_wheel(folder, "clicky", "1.0", {"clicky.py": ""})
    build_wheel(folder, "six", "1.16.0", {"six.py": ""})
    with IndexServer(folder) as server:
        yield server


@pytest.fixture(scope="module")
def synced(
    tmp_path_factory: pytest.TempPathFactory, index: IndexServer
) -> tuple[Path, dict[str, str]]:
    """A workspace locked and synced once (`pallet sync` in a member's subfolder), with a
    cache shared by the module's tests."""
    base = tmp_path_factory.mktemp("workspace")
    env = pallet_env(base)
    root = make_workspace(base / "ws", index.url)
    deeper = root / "packages" / "app" / "src"
    proc = pallet(deeper, env, "sync", "--extra", "fancy")
    assert proc.returncode == 0, proc.stderr
    return root, env


def copy_workspace(synced: tuple[Path, dict[str, str]], dest: Path) -> Path:
    shutil.copytree(synced[0], dest, ignore=shutil.ignore_patterns(".venv"))
    return dest


def test_one_lock_one_environment(
    synced: tuple[Path, dict[str, str]], tmp_path: Path, wheelhouse: Path
) -> None:
    root, env = synced
    # one lock, at the root; no member has its own, and no member has a .venv
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("pylock.toml")) == [
        "pylock.toml"
    ]
    assert [p.parent.name for p in root.rglob("pyvenv.cfg")] == [".venv"]
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    lock = Pylock.from_dict(data)  # valid PEP 751, by packaging's reader
    by_name = {str(p.name): p for p in lock.packages}
    assert set(by_name) == {"app", "lib", "plugin", "bar", "foo", "clicky"}
    for member in ("app", "lib", "plugin"):
        directory = by_name[member].directory
        assert directory is not None and directory.editable is True
        assert directory.path == f"packages/{member}"
    assert str(by_name["bar"].version) == "2.0"
    # requires-python: the intersection of the members' (lib >=3.9, app >=3.10)
    assert str(lock.requires_python) == ">=3.10"
    assert lock.extras == ["fancy"]
    # every member installed editable in the one .venv
    installed = pip_list(root / ".venv")
    assert installed == {
        "app": "1.0.0",
        "lib": "0.1.0",
        "plugin": "0.3.0",
        "bar": "2.0",
        "foo": "1.0",
        "clicky": "1.0",
    }
    # the independent check: uv installs the same lock into a fresh venv
    fresh = tmp_path / "fresh"
    uv_env = {**env, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_CONFIG": "1"}
    made = subprocess.run([UV, "venv", "-q", str(fresh)], env=uv_env, capture_output=True)
    assert made.returncode == 0, made.stderr
    python = str(fresh / "bin" / "python")
    command = [*UV_INSTALL, "--python", python, "-r", str(root / "pylock.toml"), "--extra", "fancy"]
    command += ["--find-links", str(wheelhouse)]  # pallet-core, to build the members
    proc = subprocess.run(
        command,
        env=uv_env,
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr
    assert pip_list(fresh) == installed


def test_library_edit_seen_by_app_without_reinstall(
    synced: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, env = synced
    code = "import app; print(app.main())"
    before = pallet(root / "packages" / "app", env, "run", "python", "-c", code)
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() == "app says hello"
    lib = root / "packages" / "lib" / "src" / "lib" / "__init__.py"
    original = lib.read_text(encoding="utf-8")
    try:
        lib.write_text("def greet():\n    return 'bonjour'\n", encoding="utf-8")
        after = pallet(root / "packages" / "lib", env, "run", "python", "-c", code)
        assert after.returncode == 0, after.stderr
        assert after.stdout.strip() == "app says bonjour"
        assert "Installed" not in after.stderr and "Updated" not in after.stderr
    finally:
        lib.write_text(original, encoding="utf-8")


def test_lock_up_to_date_from_a_member_and_stale_after_member_edit(
    synced: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root = copy_workspace(synced, tmp_path / "ws")
    env = synced[1]
    proc = pallet(root / "packages" / "plugin", env, "lock")
    assert proc.returncode == 0, proc.stderr
    assert "Lock is up to date" in proc.stderr
    assert not (root / "packages" / "plugin" / "pylock.toml").exists()
    # a member's requirement is an input of the workspace's lock
    plugin = root / "packages" / "plugin" / "pyproject.toml"
    plugin.write_text(plugin.read_text().replace('"lib>=0.1"', '"lib>=0.1", "six"'))
    check = pallet(root, env, "lock", "--check")
    assert check.returncode != 0
    assert "workspace member" in check.stderr
    proc = pallet(root / "packages" / "plugin", env, "lock")
    assert proc.returncode == 0, proc.stderr
    assert "Added six 1.16.0" in proc.stderr


def test_no_op_from_a_member_parses_no_toml_and_a_member_edit_still_syncs(
    synced: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root = copy_workspace(synced, tmp_path / "ws")
    env = synced[1]
    app = root / "packages" / "app"
    assert pallet(app, env, "sync").returncode == 0

    def no_op_imports() -> set[str]:
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "pallet", "sync"],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert "Audited 5 packages" in proc.stderr  # the fast path answered
        return {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}

    no_op_imports()  # parses the root's table once, and remembers it in .venv
    imported = no_op_imports()
    assert "pallet.project.locate" in imported  # the check could fail: importtime lists modules
    assert "tomllib" not in imported and "tomli" not in imported
    # a member's requirement is still an input: the next sync from the member installs it
    plugin = root / "packages" / "plugin" / "pyproject.toml"
    plugin.write_text(plugin.read_text().replace('"lib>=0.1"', '"lib>=0.1", "six"'))
    proc = pallet(app, env, "sync")
    assert proc.returncode == 0, proc.stderr
    assert "Audited" not in proc.stderr
    assert pip_list(root / ".venv")["six"] == "1.16.0"


def test_member_built_alone_installs_with_pip(
    synced: tuple[Path, dict[str, str]], index: IndexServer, tmp_path: Path
) -> None:
    root = copy_workspace(synced, tmp_path / "ws")
    env = synced[1]
    out = tmp_path / "dist"
    for member in ("lib", "app"):
        proc = pallet(root, env, "build", f"packages/{member}", "--wheel", "-o", str(out))
        assert proc.returncode == 0, proc.stderr
    wheels = sorted(p.name for p in out.glob("*.whl"))
    assert wheels == ["app-1.0.0-py3-none-any.whl", "lib-0.1.0-py3-none-any.whl"]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    pip_env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    command = [*PIP, "--python", str(venv / "bin" / "python"), "install", "-q"]
    command += ["--index-url", index.url, "--find-links", str(out), "app"]
    proc = subprocess.run(
        command,
        env=pip_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    # app's wheel names lib as a plain requirement (the workspace source is pallet's alone)
    assert pip_list(venv) == {"app": "1.0.0", "lib": "0.1.0", "bar": "2.0", "foo": "1.0"}
    run = subprocess.run(
        [venv / "bin" / "python", "-c", "import app; print(app.main())"],
        capture_output=True,
        text=True,
    )
    assert run.stdout.strip() == "app says hello", run.stderr


def test_package_selects_one_member_for_sync_and_run(
    synced: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root = copy_workspace(synced, tmp_path / "ws")
    env = synced[1]
    # --package lib: lib and what it needs; app, plugin and their requirements are not there
    proc = pallet(root / "packages" / "app", env, "sync", "--package", "lib")
    assert proc.returncode == 0, proc.stderr
    assert pip_list(root / ".venv") == {"lib": "0.1.0", "bar": "2.0"}
    # the same selection again: answered by the no-op fast path (the stamp records --package)
    proc = pallet(root, env, "sync", "--package", "lib")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("Audited 2 packages"), proc.stderr
    # run --package app: app's closure (lib through its workspace source), plugin still absent
    code = "import app, importlib.util as u; print(app.main(), u.find_spec('plugin') is None)"
    proc = pallet(root, env, "run", "--package", "app", "python", "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["app", "says", "hello", "True"]
    assert pip_list(root / ".venv") == {"app": "1.0.0", "lib": "0.1.0", "bar": "2.0", "foo": "1.0"}
    again = pallet(root, env, "run", "--package", "app", "python", "-c", code)
    assert again.returncode == 0 and again.stderr == "", again.stderr  # the fast path: silent
    # no --package (or --all-packages): the whole workspace again
    proc = pallet(root, env, "sync", "--all-packages")
    assert proc.returncode == 0, proc.stderr
    assert set(pip_list(root / ".venv")) == {"app", "lib", "plugin", "bar", "foo"}
    # an unknown member: the error lists the members
    proc = pallet(root, env, "sync", "--package", "nope")
    assert proc.returncode != 0
    assert "'nope' is not a member of this workspace; members: app, lib, plugin" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_package_for_add_remove_and_version(
    synced: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root = copy_workspace(synced, tmp_path / "ws")
    env = synced[1]
    plugin = root / "packages" / "plugin" / "pyproject.toml"
    before = plugin.read_bytes()
    root_before = (root / "pyproject.toml").read_bytes()
    proc = pallet(root, env, "add", "--package", "plugin", "six")
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads(plugin.read_text(encoding="utf-8"))
    assert data["project"]["dependencies"] == ["lib>=0.1", "six>=1.16.0"]
    assert (root / "pyproject.toml").read_bytes() == root_before
    lock = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    assert "six" in {p["name"] for p in lock["packages"]}
    assert "six" in pip_list(root / ".venv")
    # in the member's folder, no --package needed; remove puts the file back byte for byte
    proc = pallet(root / "packages" / "plugin" / "src", env, "remove", "six")
    assert proc.returncode == 0, proc.stderr
    assert plugin.read_bytes() == before
    assert "six" not in pip_list(root / ".venv")
    # version: shown and bumped per member
    proc = pallet(root, env, "version", "--package", "app", "--short")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1.0.0"
    proc = pallet(root / "packages" / "lib", env, "version", "--bump", "minor")
    assert proc.returncode == 0, proc.stderr
    lib = tomllib.loads((root / "packages" / "lib" / "pyproject.toml").read_text())
    assert lib["project"]["version"] == "0.2.0"
    app = tomllib.loads((root / "packages" / "app" / "pyproject.toml").read_text())
    assert app["project"]["version"] == "1.0.0"
    # the lock records the member's version: it is stale until locked again
    check = pallet(root, env, "lock", "--check")
    assert check.returncode != 0
    proc = pallet(root, env, "sync")
    assert proc.returncode == 0, proc.stderr
    assert pip_list(root / ".venv")["lib"] == "0.2.0"


def test_add_of_a_member_writes_a_workspace_source(
    synced: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """As ``uv add`` does in a workspace: naming another member adds ``{ workspace = true }``;
    remove takes both out again."""
    root = copy_workspace(synced, tmp_path / "ws")
    env = synced[1]
    app = root / "packages" / "app" / "pyproject.toml"
    before = app.read_bytes()
    proc = pallet(root / "packages" / "app", env, "add", "plugin")
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads(app.read_text(encoding="utf-8"))
    assert "plugin" in data["project"]["dependencies"]
    assert data["tool"]["pallet"]["sources"]["plugin"] == {"workspace": True}
    assert data["tool"]["pallet"]["sources"]["lib"] == {"workspace": True}  # kept
    proc = pallet(root / "packages" / "app", env, "remove", "plugin")
    assert proc.returncode == 0, proc.stderr
    assert app.read_bytes() == before


def small_workspace(root: Path, url: str, members: dict[str, str]) -> Path:
    """A virtual root on the loopback index and `members` (name -> the [project] body after
    name and version)."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(ROOT.format(url=url), encoding="utf-8")
    for name, body in members.items():
        write_member(root, name, f'[project]\nname = "{name}"\nversion = "1.0"\n{body}')
    return root


def test_conflict_between_members_names_both(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    root = small_workspace(
        tmp_path / "ws",
        index.url,
        {
            "app": 'requires-python = ">=3.9"\ndependencies = ["foo"]\n',  # foo needs bar (any)
            "plugin": 'dependencies = ["bar<2"]\n',
            "tool": 'dependencies = ["bar>=2"]\n',
        },
    )
    proc = pallet(root, env, "lock")
    assert proc.returncode == 1, proc.stderr
    first = proc.stderr.splitlines()[0]
    # both members named, each with its requirement (in the order the resolver met them)
    said = {"plugin requires `bar<2`", "tool requires `bar>=2`"}
    assert first in {
        f"error: Workspace members {a.split()[0]} and {b.split()[0]} conflict: {a} and {b}; "
        "no version of `bar` satisfies both:"
        for a, b in (sorted(said), sorted(said, reverse=True))
    }
    assert "  the workspace has member plugin" in proc.stderr
    assert "  plugin 1.0 depends on bar<2" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (root / "pylock.toml").exists()


def test_requires_python_intersection_and_errors(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    root = small_workspace(
        tmp_path / "ws",
        index.url,
        {
            "old": 'requires-python = ">=3.8,<3.20"\n',
            "new": 'requires-python = ">=3.10"\ndependencies = ["six"]\n',
        },
    )
    proc = pallet(root, env, "lock")
    assert proc.returncode == 0, proc.stderr
    lock = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    assert lock["requires-python"] in (">=3.10,<3.20", "<3.20,>=3.10")
    # members that share no Python: named both
    new = root / "packages" / "new" / "pyproject.toml"
    new.write_text(new.read_text().replace('">=3.10"', '">=3.21"'))
    proc = pallet(root, env, "lock")
    assert proc.returncode != 0
    assert proc.stderr.strip() == (
        "error: workspace requires-python is empty: packages/new/pyproject.toml requires-python "
        "'>=3.21' and packages/old/pyproject.toml requires-python '<3.20,>=3.8' share no "
        "Python version"
    )
    new.write_text(new.read_text().replace('">=3.21"', '">=3.10"'))
    # a member glob matching a folder without pyproject.toml
    (root / "packages" / "notes").mkdir()
    proc = pallet(root, env, "lock")
    assert proc.returncode != 0
    assert "packages/notes matches a member glob but has no pyproject.toml" in proc.stderr
    (root / "packages" / "notes").rmdir()
    # { workspace = true } naming a package that is not a member
    new.write_text(new.read_text() + "\n[tool.pallet.sources]\nsix = { workspace = true }\n")
    proc = pallet(root, env, "lock")
    assert proc.returncode != 0
    assert (
        "packages/new/pyproject.toml: [tool.pallet.sources] package 'six': "
        "{ workspace = true } but 'six' is not a member; members: new, old"
    ) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_variants_at_the_root_apply_to_members(env: dict[str, str], tmp_path: Path) -> None:
    from support.machines import machine_env
    from support.sync_variant_index import variant_indexes, variant_pyproject

    with variant_indexes(tmp_path / "indexes") as indexes:
        root = tmp_path / "ws"
        root.mkdir()
        # the root: a virtual project declaring the variants (cu126 first, cpu the default)
        text = variant_pyproject(indexes, ("cu126", "cpu"))
        text += '\n[tool.pallet.workspace]\nmembers = ["packages/*"]\n'
        (root / "pyproject.toml").write_text(text, encoding="utf-8")
        # a member that needs torchvision (and so torch) with no index of its own
        write_member(
            root,
            "trainer",
            '[project]\nname = "trainer"\nversion = "0.1"\ndependencies = ["torchvision"]\n',
        )
        gpu = machine_env("driver-560", env)
        proc = pallet(root / "packages" / "trainer", gpu, "sync")
        assert proc.returncode == 0, proc.stderr
        installed = pip_list(root / ".venv")
        assert installed["torch"] == "2.5.1+cu126"
        assert installed["torchvision"] == "0.20.1+cu126"
        assert installed["trainer"] == "0.1"
        # the same lock on a machine without a GPU: the cpu build, for the member too
        proc = pallet(root, machine_env("no-gpu", env), "sync", "--variant", "auto")
        assert proc.returncode == 0, proc.stderr
        installed = pip_list(root / ".venv")
        assert installed["torch"] == "2.5.1+cpu"
        assert installed["torchvision"] == "0.20.1+cpu"
        # a member may not declare variants of its own
        member = root / "packages" / "trainer" / "pyproject.toml"
        member.write_text(
            member.read_text() + '\n[project.optional-dependencies]\ncpu = ["torch"]\n'
            '\n[tool.pallet.variants]\nextras = ["cpu"]\ndefault = "cpu"\n'
        )
        proc = pallet(root, env, "lock")
        assert proc.returncode != 0
        assert (
            "packages/trainer/pyproject.toml: [tool.pallet.variants] belongs in the workspace "
            "root's pyproject.toml"
        ) in proc.stderr


def test_root_project_with_members_and_project_option(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    root = tmp_path / "suite"
    (root / "src" / "suite").mkdir(parents=True)
    (root / "src" / "suite" / "__init__.py").write_text("import lib\n", encoding="utf-8")
    root_text = BUILD + (
        '\n[project]\nname = "suite"\nversion = "2.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["lib"]\n\n[tool.pallet.sources]\nlib = { workspace = true }\n\n'
    )
    (root / "pyproject.toml").write_text(root_text + ROOT.format(url=index.url), "utf-8")
    write_member(root, "lib", MEMBERS["lib"])
    # --project names a member: the workspace's root lock, written once
    proc = pallet(tmp_path, env, "lock", "--project", str(root / "packages" / "lib"))
    assert proc.returncode == 0, proc.stderr
    assert (root / "pylock.toml").is_file()
    assert not (root / "packages" / "lib" / "pylock.toml").exists()
    proc = pallet(root / "packages" / "lib", env, "sync")
    assert proc.returncode == 0, proc.stderr
    # the root project (it has a [build-system]) and the member, both editable
    assert pip_list(root / ".venv") == {"suite": "2.0", "lib": "0.1.0", "bar": "2.0"}
    run = subprocess.run(
        [root / ".venv" / "bin" / "python", "-c", "import suite, lib; print(lib.NAME)"],
        capture_output=True,
        text=True,
    )
    assert run.stdout.strip() == "lib", run.stderr
    # outside a workspace, --package is an error that says why
    plain = tmp_path / "plain"
    write_member(plain, "solo", '[project]\nname = "solo"\nversion = "1.0"\n')
    proc = pallet(plain / "packages" / "solo", env, "sync", "--package", "solo")
    assert proc.returncode == 2, proc.stderr
    assert "declares no workspace ([tool.pallet.workspace])" in proc.stderr


def test_init_inside_a_workspace_joins_it(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", index.url, {"lib": 'dependencies = ["bar"]\n'})
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text("# the workspace\n" + text, encoding="utf-8")
    # a folder the globs already match: nothing to edit
    proc = pallet(root, env, "init", "--lib", "--no-git", "packages/newlib")
    assert proc.returncode == 0, proc.stderr
    assert "`newlib` is a member of the workspace" in proc.stderr
    before = (root / "pyproject.toml").read_text(encoding="utf-8")
    # one outside them: added to members, the rest of the file as it was
    proc = pallet(root, env, "init", "--lib", "--no-git", "tools/helper")
    assert proc.returncode == 0, proc.stderr
    after = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert after == before.replace(
        'members = ["packages/*"]', 'members = ["packages/*", "tools/helper"]'
    )
    assert "Added tools/helper to the workspace's members" in proc.stderr
    # an excluded one is left out
    proc = pallet(root, env, "init", "--lib", "--no-git", "packages/scratch")
    assert proc.returncode == 0, proc.stderr
    assert "excluded from the workspace" in proc.stderr
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == after
    # the lock now holds both new members
    proc = pallet(root / "tools" / "helper", env, "lock")
    assert proc.returncode == 0, proc.stderr
    lock = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    members = {p["name"]: p["directory"]["path"] for p in lock["packages"] if "directory" in p}
    assert members == {"helper": "tools/helper", "lib": "packages/lib", "newlib": "packages/newlib"}


def test_virtual_member_installs_its_requirements(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", index.url, {"lib": 'dependencies = ["bar<2"]\n'})
    # no [build-system]: a virtual member (uv's rule), like a folder of scripts
    virtual_member(root / "packages" / "scripts", 'dependencies = ["six", "lib"]\n')
    proc = pallet(root, env, "sync")
    assert proc.returncode == 0, proc.stderr
    assert pip_list(root / ".venv") == {"lib": "1.0", "bar": "1.0", "six": "1.16.0"}
    lock = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    assert "scripts" not in {p["name"] for p in lock["packages"]}
    proc = pallet(root, env, "sync", "--package", "scripts")
    assert proc.returncode == 0, proc.stderr
    assert pip_list(root / ".venv") == {"lib": "1.0", "bar": "1.0", "six": "1.16.0"}
    proc = pallet(root, env, "sync", "--package", "lib")
    assert proc.returncode == 0, proc.stderr
    assert pip_list(root / ".venv") == {"lib": "1.0", "bar": "1.0"}


def virtual_member(folder: Path, body: str) -> None:
    """A member without [build-system], named after its folder."""
    folder.mkdir(parents=True)
    text = f'[project]\nname = "{folder.name}"\nversion = "0.1"\n{body}'
    (folder / "pyproject.toml").write_text(text, encoding="utf-8")


def exported_names(text: str, folder: Path) -> set[str]:
    """The projects a requirements file names: PEP 508 lines, and ``-e DIR`` lines by the
    ``[project] name`` of DIR's pyproject.toml (relative to `folder`, as pip reads them)."""
    from packaging.requirements import Requirement

    names = set()
    for line in text.splitlines():
        if line.startswith("-e "):
            data = tomllib.loads((folder / line[3:] / "pyproject.toml").read_text())
            names.add(data["project"]["name"])
        elif line and not line.startswith(("#", "-")):
            names.add(Requirement(line.split(" \\")[0]).name)
    return names


def test_export_package_is_what_sync_package_installs(
    synced: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root = copy_workspace(synced, tmp_path / "ws")
    env = synced[1]
    lib = root / "packages" / "lib"  # the export runs from a member folder
    # app's closure (as sync --package app installs it): app, lib through its workspace
    # source, foo and bar; not plugin nor its extra's clicky
    proc = pallet(lib, env, "export", "--package", "app", "--all-extras", "--no-hashes")
    assert proc.returncode == 0, proc.stderr
    assert exported_names(proc.stdout, lib) == {"app", "lib", "foo", "bar"}
    proc = pallet(lib, env, "export", "--all-extras", "--no-hashes")  # the whole workspace
    assert proc.returncode == 0, proc.stderr
    assert exported_names(proc.stdout, lib) == {"app", "lib", "plugin", "foo", "bar", "clicky"}
    # a PEP 751 export of two members: packaging validates it and finds the same closure
    # (beside the lock: the export keeps directory paths relative to the project's lock)
    out = root / "pylock.two.toml"
    both = ("--package", "lib", "--package", "plugin", "--all-extras")
    proc = pallet(root, env, "export", *both, "--format", "pylock", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    lock = Pylock.from_dict(tomllib.loads(out.read_text()))
    assert {str(p.name) for p in lock.packages} == {"lib", "plugin", "bar", "clicky"}
    proc = pallet(root, env, "export", "--package", "nope")
    assert proc.returncode == 2
    assert "'nope' is not a member of this workspace; members: app, lib, plugin" in proc.stderr
