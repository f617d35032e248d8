"""``pallet lock`` with direct references: archives over HTTP (``name @ https://…``), local paths
and ``[tool.pallet.sources]`` path tables, git repositories (``git+file://`` and sources
tables). Each lock is checked by pallet's validator and ``packaging.pylock``, and installed by
uv where uv installs such entries.

Expected values come from elsewhere than pallet: hashes and sizes from the files themselves,
commit ids from ``git rev-parse``, installed versions from uv.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer
from support.lock_tools import run_pallet_lock, uv_env, uv_install

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

UV = Path(sys.executable).parent / "uv"

#: A PEP 517 backend with no requirements: metadata, wheel and editable (PEP 660, a .pth file),
#: so that pallet and uv can build the tree offline.
BACKEND = """\
import base64, hashlib, os, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME, VERSION, REQUIRES = {name!r}, {version!r}, {requires!r}
DIST_INFO = NAME + "-" + VERSION + ".dist-info"
WHEEL = "Wheel-Version: 1.0\\nGenerator: tree\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"


def _metadata():
    lines = ["Metadata-Version: 2.1", "Name: " + NAME, "Version: " + VERSION]
    lines += ["Requires-Dist: " + r for r in REQUIRES]
    return "\\n".join(lines) + "\\n\\n"


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel


def prepare_metadata_for_build_wheel(directory, config_settings=None):
    os.makedirs(os.path.join(directory, DIST_INFO))
    with open(os.path.join(directory, DIST_INFO, "METADATA"), "w") as f:
        f.write(_metadata())
    return DIST_INFO


def _wheel(directory, members):
    members[DIST_INFO + "/METADATA"] = _metadata().encode()
    members[DIST_INFO + "/WHEEL"] = WHEEL.encode()
    record = []
    for path, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
    members[DIST_INFO + "/RECORD"] = ("\\n".join(record + [DIST_INFO + "/RECORD,,"])).encode()
    filename = NAME + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as zf:
        for path, data in members.items():
            zf.writestr(path, data)
    return filename


def build_wheel(directory, config_settings=None, metadata_directory=None):
    with open(os.path.join(ROOT, NAME, "__init__.py"), "rb") as f:
        return _wheel(directory, {{NAME + "/__init__.py": f.read()}})


def build_editable(directory, config_settings=None, metadata_directory=None):
    return _wheel(directory, {{NAME + ".pth": (ROOT + "\\n").encode()}})
"""


def make_tree(root: Path, name: str, version: str, requires: list[str] | None = None) -> Path:
    """A source tree of project ``name`` (a plain module name) at ``root``."""
    (root / "_backend").mkdir(parents=True)
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(f"VERSION = {version!r}\n", encoding="utf-8")
    (root / "_backend" / "tree_backend.py").write_text(
        BACKEND.format(name=name, version=version, requires=requires or []), encoding="utf-8"
    )
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "tree_backend"\n'
        'backend-path = ["_backend"]\n',
        encoding="utf-8",
    )
    return root


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    )
    return proc.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def index(tmp_path: Path) -> Iterator[IndexServer]:
    folder = tmp_path / "dists"
    make_wheel(folder, "bar", "1.0")
    make_wheel(folder, "foo", "1.0", requires_dist=["wheelpkg>=1"])
    make_wheel(folder, "needy", "1.0", requires_dist=["elsewhere @ https://127.0.0.1:9/e.whl"])
    with IndexServer(folder) as server:
        yield server


@pytest.fixture
def archives(tmp_path: Path) -> Iterator[IndexServer]:
    """A second loopback server: archives that no index lists."""
    folder = tmp_path / "archives"
    make_wheel(folder, "wheelpkg", "1.0", requires_dist=["bar"])
    make_sdist(folder, "sdistpkg", "2.0")
    make_wheel(folder, "liar", "1.0")
    with IndexServer(folder) as server:
        yield server


def write_project(root: Path, index: IndexServer, dependencies: list[str], extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    deps = "".join(f"    {d!r},\n" for d in dependencies)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [project]
            name = "app"
            version = "1.0"
            requires-python = ">=3.9"
            dependencies = [
            {deps}]

            [[tool.pallet.index]]
            name = "local"
            url = "{url}"
            default = true
            """
        ).format(deps=deps, url=index.url)
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return root


def lock_of(project: Path) -> dict[str, Any]:
    """The written lock, after pallet's validator and packaging.pylock accepted it."""
    from packaging.pylock import Pylock
    from pallet.lock.validate import validate_lock

    path = project / "pylock.toml"
    assert validate_lock(path) == []
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    Pylock.from_dict(data)
    return data


def entries(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in data["packages"]}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_pallet_lock(project, env, *args, timeout=300)


def test_archives_over_http(
    tmp_path: Path, env: dict[str, str], index: IndexServer, archives: IndexServer
) -> None:
    wheel = tmp_path / "archives" / "wheelpkg-1.0-py3-none-any.whl"
    sdist = tmp_path / "archives" / "sdistpkg-2.0.tar.gz"
    wheel_url = f"{archives.files_url}{wheel.name}"
    project = write_project(
        tmp_path / "app",
        index,
        [
            f"wheelpkg @ {wheel_url}#sha256={sha256(wheel)}",
            f"sdistpkg @ {archives.files_url}{sdist.name}",
            "foo",  # an index package whose `wheelpkg>=1` the direct wheel satisfies
        ],
    )
    proc = lock(project, env)
    assert proc.returncode == 0, proc.stderr
    packages = entries(lock_of(project))
    assert sorted(packages) == ["bar", "foo", "sdistpkg", "wheelpkg"]
    assert packages["wheelpkg"]["version"] == "1.0"
    assert packages["wheelpkg"]["archive"] == {
        "url": wheel_url,
        "size": wheel.stat().st_size,
        "hashes": {"sha256": sha256(wheel)},
    }
    assert "index" not in packages["wheelpkg"] and "wheels" not in packages["wheelpkg"]
    assert packages["wheelpkg"]["dependencies"] == [{"name": "bar"}]
    assert packages["sdistpkg"]["version"] == "2.0"
    assert packages["sdistpkg"]["archive"]["hashes"] == {"sha256": sha256(sdist)}
    assert packages["sdistpkg"]["archive"]["size"] == sdist.stat().st_size
    assert len(archives.requests_for(f"/files/{wheel.name}")) == 1
    assert not index.requests_for("/simple/wheelpkg/")  # never looked up on the index

    # cached by URL: a relock from scratch downloads nothing again, and writes the same bytes
    first = (project / "pylock.toml").read_bytes()
    archives.clear()
    (project / "pylock.toml").unlink()
    assert lock(project, env).returncode == 0
    assert archives.requests == []
    assert lock(project, env, "--upgrade").returncode == 0
    assert (project / "pylock.toml").read_bytes() == first
    # an upgrade downloads an archive again, unless its URL pins the content with a hash
    archives.clear()
    assert lock(project, env, "--upgrade-package", "sdistpkg", "-P", "wheelpkg").returncode == 0
    assert [r.path for r in archives.requests] == [f"/files/{sdist.name}"]

    installed = uv_install(UV, tmp_path, project / "pylock.toml", timeout=300)
    assert installed == {"bar": "1.0", "foo": "1.0", "sdistpkg": "2.0", "wheelpkg": "1.0"}


def test_archive_hash_fragment_is_checked(
    tmp_path: Path, env: dict[str, str], index: IndexServer, archives: IndexServer
) -> None:
    url = f"{archives.files_url}wheelpkg-1.0-py3-none-any.whl#sha256={'0' * 64}"
    project = write_project(tmp_path / "app", index, [f"wheelpkg @ {url}"])
    proc = lock(project, env)
    assert proc.returncode == 3
    assert "wheelpkg @ " in proc.stderr and "does not match the hash its URL names" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "pylock.toml").exists()


def test_metadata_must_name_the_package(
    tmp_path: Path, env: dict[str, str], index: IndexServer, archives: IndexServer
) -> None:
    url = f"{archives.files_url}liar-1.0-py3-none-any.whl"
    project = write_project(tmp_path / "app", index, [f"other @ {url}"])
    proc = lock(project, env)
    assert proc.returncode == 3
    assert "its metadata is of liar 1.0, not other" in proc.stderr


def test_index_package_may_not_bring_a_url(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    project = write_project(tmp_path / "app", index, ["needy"])
    proc = lock(project, env)
    assert proc.returncode == 1
    assert "needy 1.0 depends on `elsewhere @ https://127.0.0.1:9/e.whl`" in proc.stderr
    assert "only from the project" in proc.stderr


def test_unsupported_urls_are_project_errors(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    project = write_project(
        tmp_path / "app",
        index,
        ["a @ ftp://example.com/a-1.0.tar.gz", "b @ hg+https://example.com/b", "c @ https://x/c"],
    )
    proc = lock(project, env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: pyproject.toml: [project] dependencies: `a @ ftp:")
    assert "unsupported URL scheme 'ftp'" in lines[0]
    assert "hg URLs are not supported" in lines[1]
    assert "does not end in a wheel or sdist file name" in lines[2]


def test_local_paths_editable_and_a_moved_project(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    base = tmp_path / "work"
    make_tree(base / "lib", "lib", "0.3", requires=["bar"])
    wheel = make_wheel(base / "wheels", "localwheel", "1.0")
    sdist = make_sdist(tmp_path / "outside", "tarpkg", "0.1")
    project = write_project(
        base / "app",
        index,
        ["lib", "localwheel", f"tarpkg @ {sdist.as_uri()}"],
        """
        [tool.pallet.sources]
        lib = { path = "../lib", editable = true }
        localwheel = { path = "../wheels/localwheel-1.0-py3-none-any.whl" }
        """,
    )
    proc = lock(project, env)
    assert proc.returncode == 0, proc.stderr
    packages = entries(lock_of(project))
    assert packages["lib"]["directory"] == {"path": "../lib", "editable": True}
    assert "version" not in packages["lib"]  # PEP 751: not for a source tree
    assert packages["lib"]["dependencies"] == [{"name": "bar"}]
    assert packages["localwheel"]["archive"] == {
        "path": "../wheels/localwheel-1.0-py3-none-any.whl",  # relative, as written
        "size": wheel.stat().st_size,
        "hashes": {"sha256": sha256(wheel)},
    }
    assert packages["tarpkg"]["archive"] == {
        "path": sdist.as_posix(),  # a file:// URL is absolute
        "size": sdist.stat().st_size,
        "hashes": {"sha256": sha256(sdist)},
    }
    assert lock(project, env).stderr == "Lock is up to date\n"

    # The tree's content may change without a relock; its path may not.
    (base / "lib" / "README").write_text("x", encoding="utf-8")
    assert lock(project, env).stderr == "Lock is up to date\n"

    installed = uv_install(UV, tmp_path / "first", project / "pylock.toml", timeout=300)
    assert installed == {"bar": "1.0", "lib": "0.3", "localwheel": "1.0", "tarpkg": "0.1"}

    # New dependencies declared by the tree are read when its pyproject.toml changes.
    make_wheel(tmp_path / "dists", "newdep", "1.0")
    shutil.rmtree(base / "lib")
    make_tree(base / "lib", "lib", "0.3", requires=["bar", "newdep"])
    with (base / "lib" / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write("# now needs newdep\n")
    assert lock(project, env, "--upgrade-package", "lib").returncode == 0
    assert entries(lock_of(project))["lib"]["dependencies"] == [
        {"name": "bar"},
        {"name": "newdep"},
    ]

    # Move the project with its path dependency: the relative path still holds.
    moved = tmp_path / "elsewhere" / "deeper"
    moved.parent.mkdir()
    for folder in ("app", "lib", "wheels"):
        shutil.copytree(base / folder, moved / folder)
    shutil.rmtree(base)
    installed = uv_install(UV, tmp_path / "second", moved / "app" / "pylock.toml", timeout=300)
    assert installed == {
        "bar": "1.0",
        "lib": "0.3",
        "localwheel": "1.0",
        "newdep": "1.0",
        "tarpkg": "0.1",
    }
    python = tmp_path / "second" / "venv" / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", "import lib; print(lib.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env=uv_env(tmp_path),
    ).stdout.strip()
    assert Path(where) == moved / "lib" / "lib" / "__init__.py"  # editable: the moved tree
    assert lock(moved / "app", env).stderr == "Lock is up to date\n"

    # A changed path relocks.
    edit = moved / "app" / "pyproject.toml"
    edit.write_text(
        edit.read_text(encoding="utf-8").replace('path = "../lib"', 'path = "./../lib"'),
        encoding="utf-8",
    )
    proc = lock(moved / "app", env, "--check")
    assert proc.returncode == 1 and "[tool.pallet.sources]" in proc.stderr


def test_missing_path_is_a_clear_error(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    project = write_project(
        tmp_path / "app", index, ["lib"], '[tool.pallet.sources]\nlib = { path = "../nowhere" }\n'
    )
    proc = lock(project, env)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith(f"{tmp_path / 'nowhere'} is not a directory")
    assert "[tool.pallet.sources] lib" in proc.stderr and "Traceback" not in proc.stderr


def test_git_references_lock_a_commit(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    repo = tmp_path / "repo"
    make_tree(repo / "sub", "gitpkg", "1.0", requires=["bar"])
    make_tree(repo / "tagged", "tagged", "0.9")  # a second project in the same repository
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    first = commit_all(repo, "one")
    git(repo, "tag", "v1.0")
    url = repo.as_uri()
    project = write_project(
        tmp_path / "app",
        index,
        ["gitpkg", f"tagged @ git+{url}@v1.0#subdirectory=tagged"],
        f"""
        [tool.pallet.sources]
        gitpkg = {{ git = "{url}", branch = "main", subdirectory = "sub" }}
        """,
    )
    proc = lock(project, env)
    assert proc.returncode == 0, proc.stderr
    packages = entries(lock_of(project))
    assert packages["gitpkg"]["vcs"] == {
        "type": "git",
        "url": url,
        "requested-revision": "main",
        "commit-id": first,
        "subdirectory": "sub",
    }
    assert packages["gitpkg"]["version"] == "1.0"
    assert packages["tagged"]["vcs"]["commit-id"] == git(repo, "rev-parse", "v1.0^{commit}")
    assert packages["tagged"]["vcs"]["requested-revision"] == "v1.0"

    installed = uv_install(UV, tmp_path / "uv1", project / "pylock.toml", timeout=300)
    assert installed == {"bar": "1.0", "gitpkg": "1.0", "tagged": "0.9"}

    # A new commit on main: a relock without --upgrade keeps the locked one.
    (repo / "sub" / "gitpkg" / "__init__.py").write_text("VERSION = '1.1'\n", encoding="utf-8")
    second = commit_all(repo, "three")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('    "gitpkg",', '    "gitpkg",\n    "bar",'),
        encoding="utf-8",
    )
    assert lock(project, env).returncode == 0
    assert entries(lock_of(project))["gitpkg"]["vcs"]["commit-id"] == first
    proc = lock(project, env, "--upgrade-package", "gitpkg")
    assert proc.returncode == 0, proc.stderr
    packages = entries(lock_of(project))
    assert packages["gitpkg"]["vcs"]["commit-id"] == second
    assert packages["tagged"]["vcs"]["commit-id"] == git(repo, "rev-parse", "v1.0^{commit}")


def test_git_unknown_revision(tmp_path: Path, env: dict[str, str], index: IndexServer) -> None:
    repo = tmp_path / "repo"
    make_tree(repo, "gitpkg", "1.0")
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    commit_all(repo, "one")
    project = write_project(tmp_path / "app", index, [f"gitpkg @ git+{repo.as_uri()}@nope"])
    proc = lock(project, env)
    assert proc.returncode == 3
    assert f"{repo.as_uri()} has no revision 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.lock_for_elsewhere("a win_amd64 wheel by URL: the warning is the point")
def test_platform_wheel_by_url_warns(
    tmp_path: Path, env: dict[str, str], index: IndexServer, archives: IndexServer
) -> None:
    wheel = make_wheel(tmp_path / "archives", "winonly", "1.0", tag="py3-none-win_amd64")
    project = write_project(
        tmp_path / "app", index, [f"winonly @ {archives.files_url}{wheel.name}"]
    )
    proc = lock(project, env)
    assert proc.returncode == 0, proc.stderr
    assert "winonly 1.0 (winonly-1.0-py3-none-win_amd64.whl) is a wheel that does not " in (
        proc.stderr
    )
    assert "linux" in proc.stderr
    quiet = write_project(
        tmp_path / "quiet",
        index,
        [
            f"winonly @ {archives.files_url}{wheel.name} ; "
            "sys_platform == 'win32' and platform_machine == 'AMD64'"
        ],
    )
    proc = lock(quiet, env)
    assert proc.returncode == 0 and "does not install" not in proc.stderr


def test_dependency_url_matching_the_project_is_followed(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    lib = make_tree(tmp_path / "lib", "lib", "0.3")
    make_wheel(tmp_path / "dists", "needslib", "1.0", requires_dist=[f"lib @ {lib.as_uri()}"])
    project = write_project(
        tmp_path / "app", index, ["needslib"], '[tool.pallet.sources]\nlib = { path = "../lib" }\n'
    )
    proc = lock(project, env)
    assert proc.returncode == 0, proc.stderr
    packages = entries(lock_of(project))
    assert packages["lib"]["directory"] == {"path": "../lib"}
    assert packages["needslib"]["dependencies"] == [{"name": "lib"}]

    other = tmp_path / "other"
    shutil.copytree(lib, other)
    edit = project / "pyproject.toml"
    edit.write_text(
        edit.read_text(encoding="utf-8").replace("../lib", "../other"), encoding="utf-8"
    )
    proc = lock(project, env)
    assert proc.returncode == 1
    assert f"needslib 1.0 depends on `lib @ {lib.as_uri()}`" in proc.stderr
    assert "but the project takes lib from [tool.pallet.sources] lib" in proc.stderr


def test_direct_packages_may_name_further_references(
    tmp_path: Path, env: dict[str, str], index: IndexServer
) -> None:
    inner = make_tree(tmp_path / "inner", "inner", "2.0", requires=["bar"])
    make_tree(tmp_path / "lib", "lib", "0.3", requires=[f"inner @ {inner.as_uri()}"])
    project = write_project(
        tmp_path / "app", index, ["lib"], '[tool.pallet.sources]\nlib = { path = "../lib" }\n'
    )
    proc = lock(project, env)
    assert proc.returncode == 0, proc.stderr
    packages = entries(lock_of(project))
    assert sorted(packages) == ["bar", "inner", "lib"]
    assert packages["inner"]["directory"] == {"path": inner.as_posix()}
    assert not index.requests_for("/simple/inner/") and not index.requests_for("/simple/lib/")
    installed = uv_install(UV, tmp_path, project / "pylock.toml", timeout=300)
    assert installed == {"bar": "1.0", "inner": "2.0", "lib": "0.3"}


def test_archive_download_failure(
    tmp_path: Path, env: dict[str, str], index: IndexServer, archives: IndexServer
) -> None:
    url = f"{archives.files_url}gone-1.0-py3-none-any.whl"
    project = write_project(tmp_path / "app", index, [f"gone @ {url}"])
    proc = lock(project, env)
    assert proc.returncode == 3
    assert proc.stderr == f"error: `gone @ {url}`: download failed: HTTP 404\n"
