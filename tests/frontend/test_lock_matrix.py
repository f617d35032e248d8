"""The lock test matrix (`support.lock_matrix`): its own checks, and locks of today's pallet that
only the matrix checks for installability (flat indexes, an index without hashes).

The self-tests use a matrix of their own on locks written by hand outside ``tmp_path`` (the
session's matrix never sees them); the lock scenarios leave their locks in ``tmp_path`` for the
session's matrix, which is what they test.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from support import lock_matrix
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import run_pallet_lock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
needs_uv = pytest.mark.skipif(UV is None, reason="uv is not installed")
#: The checks that read a lock: packaging.pylock only where packaging has it (26.0 and later).
READERS = {"validator"} | ({"packaging"} if lock_matrix._pylock_module() else set())

# -- the matrix's own checks --------------------------------------------------------------------


@pytest.fixture
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside ``tmp_path``: the session's matrix does not look at locks there."""
    return tmp_path_factory.mktemp("matrix-scratch")


@pytest.fixture
def matrix() -> Iterator[lock_matrix.LockMatrix]:
    own = lock_matrix.LockMatrix(UV)
    yield own
    own.close()


@pytest.fixture
def served(scratch: Path, matrix: lock_matrix.LockMatrix) -> Iterator[IndexServer]:
    make_wheel(scratch / "dists", "foo", "1.0")
    make_wheel(scratch / "dists", "bar", "1.0")
    make_wheel(scratch / "dists", "linty", "1.0")
    make_wheel(scratch / "dists", "webby", "1.0")
    with IndexServer(scratch / "dists") as server:
        matrix.server_starting(server)
        yield server


def _wheel(server: IndexServer, scratch: Path, name: str) -> dict[str, Any]:
    filename = f"{name}-1.0-py3-none-any.whl"
    digest = hashlib.sha256((scratch / "dists" / filename).read_bytes()).hexdigest()
    return {"name": filename, "url": server.files_url + filename, "hashes": {"sha256": digest}}


def _lock(server: IndexServer, scratch: Path, **top: Any) -> dict[str, Any]:
    """foo always; bar only on emscripten; linty in group dev (the default); webby with [web]."""
    packages = [
        {"name": "foo", "version": "1.0"},
        {"name": "bar", "version": "1.0", "marker": 'sys_platform == "emscripten"'},
        {"name": "linty", "version": "1.0", "marker": '"dev" in dependency_groups'},
        {"name": "webby", "version": "1.0", "marker": '"web" in extras'},
    ]
    for package in packages:
        package["index"] = server.url
        package["wheels"] = [_wheel(server, scratch, package["name"])]
    data: dict[str, Any] = {
        "lock-version": "1.0",
        "requires-python": ">=3.9",
        "extras": ["web"],
        "dependency-groups": ["dev"],
        "default-groups": ["dev"],
        "created-by": "hand",
        "packages": packages,
    }
    data.update(top)
    return data


def _check(matrix: lock_matrix.LockMatrix, folder: Path, data: dict[str, Any]) -> Any:
    path = folder / "pylock.toml"
    path.write_text(tomlkit.dumps(data), encoding="utf-8")
    return matrix.check(path, path.read_bytes())


@needs_uv
def test_a_valid_lock_is_installed_for_each_selection(
    matrix: lock_matrix.LockMatrix, served: IndexServer, scratch: Path
) -> None:
    outcome = _check(matrix, scratch, _lock(served, scratch))
    assert (outcome.problems, outcome.note) == ([], "installed")
    assert matrix.stats["distinct"] == 1
    # the same lock served from another port is the same lock: not installed again
    moved = _lock(served, scratch)
    for package in moved["packages"]:
        for wheel in package["wheels"]:
            wheel["url"] = wheel["url"].replace(f":{served.port}/", ":1/")
    (scratch / "again").mkdir()
    assert _check(matrix, scratch / "again", moved).note == "installed"
    assert matrix.stats["distinct"] == 1


@needs_uv
def test_a_lock_uv_refuses_is_a_problem(
    matrix: lock_matrix.LockMatrix, served: IndexServer, scratch: Path
) -> None:
    data = _lock(served, scratch)
    data["packages"][0]["index"] = str(scratch / "dists")  # not a URL (issue 10, defect 1)
    outcome = _check(matrix, scratch, data)
    assert [check for check, _ in outcome.problems] == ["uv"]
    assert "uv pip install" in outcome.problems[0][1]


@needs_uv
def test_an_installed_set_unlike_the_selection_is_a_problem(
    matrix: lock_matrix.LockMatrix, served: IndexServer, scratch: Path
) -> None:
    # a wheel whose metadata says 2.0 behind a 1.0 file name: uv refuses it or installs 2.0
    make_wheel(scratch / "other", "foo", "2.0")
    (scratch / "other" / "foo-2.0-py3-none-any.whl").replace(
        scratch / "dists" / "foo-1.0-py3-none-any.whl"
    )
    outcome = _check(matrix, scratch, _lock(served, scratch))
    assert [check for check, _ in outcome.problems] == ["uv"]


def test_an_invalid_lock_is_not_installed(
    matrix: lock_matrix.LockMatrix, served: IndexServer, scratch: Path
) -> None:
    data = _lock(served, scratch)
    data["packages"][0]["wheels"][0]["hashes"] = {}  # PEP 751: at least one hash
    outcome = _check(matrix, scratch, data)
    assert outcome.note == "invalid"
    assert {check for check, _ in outcome.problems} == READERS
    assert not matrix.stats["installed"]


def test_a_lock_for_other_machines_is_not_installed(
    matrix: lock_matrix.LockMatrix, served: IndexServer, scratch: Path
) -> None:
    data = _lock(served, scratch, environments=['sys_platform == "emscripten"'])
    outcome = _check(matrix, scratch, data)
    assert (outcome.problems, outcome.note) == (
        [],
        "uv skipped: no environment of the lock is this one",
    )


def test_hand_edited_files_are_skipped_but_what_pallet_wrote_is_not(
    matrix: lock_matrix.LockMatrix, scratch: Path
) -> None:
    project = scratch / "project"
    project.mkdir()
    lock = project / "pylock.toml"
    matrix.begin("t1", scratch, {"project/pylock.toml": "broken on purpose"})
    lock.write_text("<<<<<<< HEAD\n", encoding="utf-8")
    assert matrix.finish() == []
    matrix.begin("t2", scratch, {})
    assert [str(p) for p in matrix.finish()] == [
        "project/pylock.toml: [toml] not a TOML file: Invalid statement (at line 1, column 1)"
    ]
    # a lock "pallet" wrote is checked even where the test later edits the file by hand
    matrix.begin("t3", scratch, {"project/pylock.toml": "broken on purpose"})
    before = lock_matrix.lock_files(project)
    lock.write_text("lock-version = 1\n", encoding="utf-8")
    matrix.pallet_wrote(project, before)
    lock.write_text("<<<<<<< HEAD\n", encoding="utf-8")
    assert {p.check for p in matrix.finish()} == READERS


@needs_uv
def test_a_lock_is_checked_before_its_server_stops(
    matrix: lock_matrix.LockMatrix, scratch: Path
) -> None:
    undo = lock_matrix.watch_servers(IndexServer, matrix)
    try:
        matrix.begin("t", scratch, {})
        make_wheel(scratch / "dists", "foo", "1.0")
        with IndexServer(scratch / "dists") as server:
            digest = hashlib.sha256(
                (scratch / "dists" / "foo-1.0-py3-none-any.whl").read_bytes()
            ).hexdigest()
            (scratch / "pylock.toml").write_text(
                'lock-version = "1.0"\ncreated-by = "hand"\n[[packages]]\nname = "foo"\n'
                'version = "1.0"\n[[packages.wheels]]\n'
                f'url = "{server.files_url}foo-1.0-py3-none-any.whl"\n'
                f'hashes = {{ sha256 = "{digest}" }}\n',
                encoding="utf-8",
            )
        assert matrix.stats["installed"] == 1  # while the server ran
        assert matrix.finish() == []
        assert matrix.stats["locks"] == 1  # not again
    finally:
        undo()


@needs_uv
def test_a_moved_lock_installs_from_its_new_place(
    matrix: lock_matrix.LockMatrix, scratch: Path
) -> None:
    tree = scratch / "checkout"
    wheel = make_wheel(tree / "wheels", "foo", "1.0")
    (tree / "project").mkdir()
    lock = tree / "project" / "pylock.toml"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    entry = {"name": "foo", "version": "1.0"}
    data = {"lock-version": "1.0", "created-by": "hand", "packages": [entry]}
    entry["wheels"] = [{"path": f"../wheels/{wheel.name}", "hashes": {"sha256": digest}}]
    lock.write_text(tomlkit.dumps(data), encoding="utf-8")
    assert matrix.check_moved(lock, lock.read_bytes(), tree) == []
    entry["wheels"] = [{"url": wheel.as_uri(), "hashes": {"sha256": digest}}]
    lock.write_text(tomlkit.dumps(data), encoding="utf-8")
    assert matrix.check_moved(lock, lock.read_bytes(), tree) == [
        f"foo: {wheel.as_uri()!r} names a file in the moved folder absolutely"
    ]


@needs_uv
def test_a_directory_entry_is_built_with_the_wheelhouse(scratch: Path, wheelhouse: Path) -> None:
    """A PEP 751 directory entry: uv builds the project, its backend from the wheelhouse."""
    matrix = lock_matrix.LockMatrix(UV, wheelhouse=lambda dest: wheelhouse)
    try:
        source = scratch / "localpkg"
        (source / "localpkg").mkdir(parents=True)
        (source / "localpkg" / "__init__.py").write_text("", encoding="utf-8")
        (source / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["pallet-core"]\nbuild-backend = "pallet_core.build"\n\n'
            '[project]\nname = "localpkg"\nversion = "1.0"\n',
            encoding="utf-8",
        )
        data = {
            "lock-version": "1.0",
            "created-by": "hand",
            "packages": [{"name": "localpkg", "directory": {"path": "localpkg"}}],
        }
        outcome = _check(matrix, scratch, data)
        assert (outcome.problems, outcome.note) == ([], "installed")
    finally:
        matrix.close()


# -- locks only the matrix checks -----------------------------------------------------------------


def _flat_project(tmp_path: Path, url: str) -> Path:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "foo", "1.0", requires_dist=["bar"])
    make_wheel(wheels, "bar", "1.0")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\nrequires-python = ">=3.9"\n'
        'dependencies = ["foo"]\n\n[[tool.pallet.index]]\nname = "wheels"\n'
        f'url = "{url}"\nformat = "flat"\ndefault = true\n',
        encoding="utf-8",
    )
    return project


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("url", id="file-url"),
        pytest.param("absolute", id="absolute-path"),
        pytest.param(
            "relative",
            id="relative-path",
            marks=pytest.mark.lock_moves("."),  # the project and its wheels move together
        ),
    ],
)
def test_flat_index_lock(tmp_path: Path, env: dict[str, str], where: str) -> None:
    url = {
        "url": (tmp_path / "wheels").as_uri(),
        "absolute": str(tmp_path / "wheels"),
        "relative": "../wheels",
    }[where]
    project = _flat_project(tmp_path, url)
    proc = run_pallet_lock(project, env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (project / "pylock.toml").is_file()  # the session's matrix installs it


@pytest.fixture
def hashless_index(tmp_path: Path) -> Iterator[str]:
    """A static simple index on loopback whose links carry no ``#sha256=`` (PEP 503 allows it)."""
    root = tmp_path / "static"
    wheel = make_wheel(root / "files", "foo", "1.0")
    page = root / "simple" / "foo"
    page.mkdir(parents=True)
    (page / "index.html").write_text(
        f'<!DOCTYPE html><html><body><a href="../../files/{wheel.name}">{wheel.name}</a>'
        "</body></html>\n",
        encoding="utf-8",
    )
    handler = functools.partial(_QuietHandler, directory=os.fspath(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_index_without_hashes_lock(
    tmp_path: Path, env: dict[str, str], hashless_index: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\nrequires-python = ">=3.9"\n'
        'dependencies = ["foo"]\n\n[[tool.pallet.index]]\nname = "static"\n'
        f'url = "{hashless_index}"\ndefault = true\n',
        encoding="utf-8",
    )
    proc = run_pallet_lock(project, env, timeout=120)
    assert proc.returncode == 0, proc.stderr


def _project(tmp_path: Path, url: str, dependencies: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\nrequires-python = ">=3.9"\n'
        f'dependencies = {dependencies}\n\n[[tool.pallet.index]]\nname = "local"\n'
        f'url = "{url}"\ndefault = true\n',
        encoding="utf-8",
    )
    return project


@pytest.mark.parametrize(
    "dependencies",
    [
        pytest.param("[]", id="no-dependencies"),
        pytest.param(
            "[\"emdep; sys_platform == 'emscripten'\", "
            "\"pypydep; platform_python_implementation == 'PyPy'\"]",
            id="only-outside-the-universe",
        ),
    ],
)
def test_lock_with_nothing_to_install_here(
    tmp_path: Path, env: dict[str, str], dependencies: str
) -> None:
    make_wheel(tmp_path / "dists", "emdep", "1.0")
    make_wheel(tmp_path / "dists", "pypydep", "1.0")
    with IndexServer(tmp_path / "dists") as index:
        project = _project(tmp_path, index.url, dependencies)
        proc = run_pallet_lock(project, env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lock = tomllib.loads((project / "pylock.toml").read_text("utf-8"))
    assert lock["packages"] == []  # PEP 751: required, empty when nothing is locked


def test_binary_only_newest_release(tmp_path: Path, env: dict[str, str]) -> None:
    dists = tmp_path / "dists"
    make_wheel(dists, "fastlib", "1.0")
    for tag in (
        "cp312-cp312-manylinux_2_17_x86_64",
        "cp312-cp312-win_amd64",
        "cp312-cp312-macosx_11_0_arm64",
        "cp313-cp313-manylinux_2_17_x86_64",
    ):
        make_wheel(dists, "fastlib", "2.0", tag=tag)
    with IndexServer(dists) as index:
        project = _project(tmp_path, index.url, '["fastlib"]')
        proc = run_pallet_lock(project, env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # 2.0 has no wheel for some platforms of every Python it supports; 1.0 installs everywhere,
    # so it is preferred (issue 10: versions that have a file for every environment first)
    lock = tomllib.loads((project / "pylock.toml").read_text("utf-8"))
    assert {p["version"] for p in lock["packages"] if p["name"] == "fastlib"} == {"1.0"}
