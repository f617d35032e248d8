"""Interpreter discovery on simulated machines (fake interpreters on a PATH and in a pyenv
folder), and on this machine's real pyenv Pythons."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from pallet.errors import InterpreterError, PalletError
from pallet.python.discovery import (
    Machine,
    discover,
    find_python,
    parse_request,
    rejection,
    requests,
)
from pallet.python.facts import FactsCache

from tests.support.interpreters import broken_python, fake_python

PYENV = Path("/root/.pyenv")


class World:
    """A simulated machine: two PATH folders, a pyenv root, a home and a project."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.bin1 = tmp / "usr" / "bin"
        self.bin2 = tmp / "opt" / "bin"
        self.home = tmp / "home"
        self.pyenv = self.home / ".pyenv"
        self.project = tmp / "work" / "project"
        self.project.mkdir(parents=True)
        self.bin1.mkdir(parents=True)
        self.bin2.mkdir(parents=True)
        self.log = tmp / "runs.log"
        self.cache = FactsCache(tmp / "cache")
        self.env: dict[str, str] = {}

    def machine(self) -> Machine:
        path = os.pathsep.join([str(self.bin1), str(self.bin2)])
        return Machine(path, self.env, self.home, self.project)

    def python(self, folder: Path, name: str, version: str, impl: str = "cpython") -> Path:
        return fake_python(folder / name, version, implementation=impl, log=self.log)

    def pyenv_version(self, name: str, version: str) -> Path:
        return self.python(self.pyenv / "versions" / name / "bin", "python3", version)

    def found(self, request: str | None = None) -> list[tuple[str, str, str]]:
        wanted = requests(request, self.machine(), self.project)
        return [
            (f.facts.version if f.facts else "-", f.candidate.source, f.candidate.path.name)
            for f in discover(wanted, self.machine(), self.cache)
        ]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_discovery_order_path_then_pyenv(world: World) -> None:
    world.python(world.bin1, "python3", "3.11.2")
    world.python(world.bin1, "python3.13", "3.13.1")
    world.python(world.bin1, "python3.9", "3.9.2")
    world.python(world.bin1, "python", "3.10.0")
    world.python(world.bin2, "python3.12", "3.12.3")
    world.python(world.bin2, "pypy3.10", "3.10.14", "pypy")
    (world.bin2 / "python3-config").write_text("not a python", encoding="utf-8")
    world.pyenv_version("3.8.18", "3.8.18")
    world.pyenv_version("3.10.13", "3.10.13")
    assert world.found() == [
        ("3.13.1", "PATH", "python3.13"),
        ("3.9.2", "PATH", "python3.9"),
        ("3.11.2", "PATH", "python3"),
        ("3.10.0", "PATH", "python"),
        ("3.12.3", "PATH", "python3.12"),
        ("3.10.14", "PATH", "pypy3.10"),
        ("3.10.13", "pyenv", "python3"),
        ("3.8.18", "pyenv", "python3"),
    ]


def test_pyenv_root_variable_is_honoured(world: World, tmp_path: Path) -> None:
    fake_python(tmp_path / "elsewhere" / "versions" / "3.12.0" / "bin" / "python3", "3.12.0")
    world.env["PYENV_ROOT"] = str(tmp_path / "elsewhere")
    assert world.found() == [("3.12.0", "pyenv", "python3")]


def test_same_file_counts_once(world: World) -> None:
    real = world.python(world.bin1, "python3.12", "3.12.3")
    (world.bin1 / "python3").symlink_to(real)
    (world.bin2 / "python").symlink_to(real)
    found = discover([], world.machine(), world.cache)
    assert len(found) == 1
    assert found[0].also == []  # all from PATH: the first source is enough
    assert found[0].path == real


def test_a_shim_counts_as_the_interpreter_it_runs_and_a_stale_one_is_rejected(
    world: World,
) -> None:
    real = world.pyenv_version("3.12.1", "3.12.1")
    shims = world.pyenv / "shims"
    shims.mkdir(parents=True)
    (shims / "python3").write_text(f'#!/bin/sh\nexec {real} "$@"\n', encoding="utf-8")
    (shims / "python3").chmod(0o755)
    broken_python(shims / "python3.6", "pyenv: python3.6: command not found", 127)
    machine = Machine(str(shims), {}, world.home, world.project)
    found = discover([], machine, world.cache)
    assert [(f.path, f.candidate.source, f.also) for f in found] == [
        (shims / "python3.6", "PATH", []),
        (real.resolve(), "PATH", ["pyenv"]),
    ]
    assert found[0].error == "exited with status 127: pyenv: python3.6: command not found"
    assert rejection(found[0], None, []) == found[0].error
    assert find_python(machine=machine, cache=world.cache).path == real.resolve()


@pytest.mark.parametrize(
    ("text", "implementation", "version"),
    [
        ("3.12", None, (3, 12)),
        ("3", None, (3,)),
        ("3.12.4", None, (3, 12, 4)),
        ("pypy3.10", "pypy", (3, 10)),
        ("cpython3.11", "cpython", (3, 11)),
        ("cp311", None, None),
        ("python3.13", None, (3, 13)),
        ("pypy", "pypy", ()),
    ],
)
def test_parse_request(
    text: str, implementation: str | None, version: tuple[int, ...] | None, tmp_path: Path
) -> None:
    if version is None:
        with pytest.raises(PalletError, match=f"--python: '{text}' is not a Python request"):
            parse_request(text, "--python", tmp_path)
        return
    request = parse_request(text, "--python", tmp_path)
    assert (request.path, request.implementation, request.version) == (
        None,
        implementation,
        version,
    )


def test_parse_request_paths(tmp_path: Path) -> None:
    assert parse_request("./bin/python", "x", tmp_path).path == tmp_path / "bin" / "python"
    assert parse_request("/usr/bin/python3", "x", tmp_path).path == Path("/usr/bin/python3")
    (tmp_path / "mypython").touch()
    assert parse_request("mypython", "x", tmp_path).path == tmp_path / "mypython"
    with pytest.raises(PalletError, match="PALLET_PYTHON: 'banana' is not a Python request"):
        parse_request("banana", "PALLET_PYTHON", tmp_path)


def test_version_request_is_looked_up_by_name_first(world: World) -> None:
    world.python(world.bin1, "python3", "3.11.2")
    world.python(world.bin2, "python3.12", "3.12.3")
    chosen = find_python(
        request="3.12", machine=world.machine(), project=world.project, cache=world.cache
    )
    assert chosen.facts is not None and chosen.facts.version == "3.12.3"
    assert world.found("3.12")[0] == ("3.12.3", "PATH", "python3.12")


def test_implementation_request(world: World) -> None:
    world.python(world.bin1, "python3.10", "3.10.12")
    world.python(world.bin2, "pypy3.10", "3.10.14", "pypy")
    chosen = find_python(request="pypy3.10", machine=world.machine(), cache=world.cache)
    assert chosen.facts is not None and chosen.facts.implementation_name == "pypy"
    chosen = find_python(request="cpython3.10", machine=world.machine(), cache=world.cache)
    assert chosen.facts is not None and chosen.facts.implementation_name == "cpython"


def test_path_request(world: World, tmp_path: Path) -> None:
    world.python(world.bin1, "python3", "3.11.2")
    own = fake_python(tmp_path / "custom" / "bin" / "python", "3.12.8")
    chosen = find_python(request=str(own), machine=world.machine(), cache=world.cache)
    assert chosen.candidate.source == "--python"
    assert chosen.path == own


def test_python_version_file_from_the_project_upwards_with_several_lines(world: World) -> None:
    world.python(world.bin1, "python3", "3.13.0")
    world.pyenv_version("3.11.7", "3.11.7")
    world.pyenv_version("3.10.13", "3.10.13")
    version_file = world.project.parent / ".python-version"
    version_file.write_text("# comment\n3.9\n3.10.13\n3.11.7\n", encoding="utf-8")
    chosen = find_python(machine=world.machine(), project=world.project, cache=world.cache)
    # 3.9 is nowhere; the file's next line names an installed pyenv version, found first
    assert chosen.facts is not None and chosen.facts.version == "3.10.13"
    assert chosen.candidate.source == str(version_file)
    found = discover(requests(None, world.machine(), world.project), world.machine(), world.cache)
    reasons = {
        f.facts.version: rejection(f, None, requests(None, world.machine(), world.project))
        for f in found
        if f.facts
    }
    assert (
        reasons["3.13.0"] == f"not the requested Python (3.9, 3.10.13, 3.11.7, from {version_file})"
    )
    assert reasons["3.11.7"] is None


def test_request_precedence(world: World) -> None:
    world.python(world.bin1, "python3.11", "3.11.2")
    world.python(world.bin1, "python3.12", "3.12.3")
    world.python(world.bin1, "python3.13", "3.13.1")
    (world.project / ".python-version").write_text("3.11\n", encoding="utf-8")

    def chosen(request: str | None = None) -> str:
        found = find_python(
            request=request, machine=world.machine(), project=world.project, cache=world.cache
        )
        assert found.facts is not None
        return found.facts.version

    assert chosen() == "3.11.2"
    world.env["PALLET_PYTHON"] = "3.12"
    assert chosen() == "3.12.3"
    assert chosen("3.13") == "3.13.1"


def test_requires_python_picks_the_first_that_fits(world: World) -> None:
    world.python(world.bin1, "python3", "3.8.18")
    world.python(world.bin2, "python3", "3.12.1")
    chosen = find_python(SpecifierSet(">=3.9"), machine=world.machine(), cache=world.cache)
    assert chosen.facts is not None and chosen.facts.version == "3.12.1"


def test_nothing_fits_lists_each_interpreter_and_why(world: World) -> None:
    old = world.python(world.bin1, "python3", "3.8.18")
    broken = broken_python(world.bin2 / "python3.14", "Segmentation fault", 139)
    with pytest.raises(InterpreterError) as info:
        find_python(SpecifierSet(">=3.9"), machine=world.machine(), cache=world.cache)
    assert str(info.value) == (
        "no Python interpreter satisfies requires-python >=3.9; found:\n"
        f"  3.8.18 (cpython) at {old}: outside requires-python >=3.9\n"
        f"  {broken}: exited with status 139: Segmentation fault"
    )
    assert info.value.exit_code == 1


def test_nothing_at_all(world: World) -> None:
    with pytest.raises(InterpreterError, match="no interpreter found on PATH or in pyenv"):
        find_python(machine=world.machine(), cache=world.cache)


def test_second_discovery_runs_no_interpreter(world: World) -> None:
    world.python(world.bin1, "python3", "3.12.1")
    world.pyenv_version("3.11.7", "3.11.7")
    first = world.found()
    runs = world.log.read_text(encoding="utf-8").splitlines()
    assert len(runs) == 2
    assert world.found() == first
    assert world.log.read_text(encoding="utf-8").splitlines() == runs


def test_py_launcher_absent_is_skipped(world: World) -> None:
    world.python(world.bin1, "python3", "3.12.1")
    assert [source for _, source, _ in world.found()] == ["PATH"]


@pytest.mark.skipif(not (PYENV / "versions" / "3.13.0").is_dir(), reason="no pyenv Pythons")
def test_real_pyenv_pythons(tmp_path: Path) -> None:
    machine = Machine("", {}, Path("/root"), tmp_path)
    cache = FactsCache(tmp_path / "cache")
    found = discover([], machine, cache)
    versions = {f.facts.version[:4] for f in found if f.facts}
    assert {"3.9.", "3.10", "3.11", "3.12", "3.13"} <= versions
    chosen = find_python(SpecifierSet(">=3.10,<3.12"), machine=machine, cache=cache)
    assert chosen.facts is not None and chosen.facts.version.startswith("3.11.")
    nine = next(f for f in found if f.facts and f.facts.version.startswith("3.9."))
    assert rejection(nine, SpecifierSet(">=3.10"), []) == "outside requires-python >=3.10"
    with pytest.raises(InterpreterError) as info:
        find_python(SpecifierSet(">=3.9"), request="3.8", machine=machine, cache=cache)
    message = str(info.value)
    assert message.startswith("no Python interpreter satisfies requires-python >=3.9 and 3.8")
    assert f"3.8.18 (cpython) at {PYENV}/versions/3.8.18/bin/python3.8: outside" in message


def test_a_virtual_environment_is_not_its_base(tmp_path: Path) -> None:
    """A venv's python links to its base interpreter but has its own prefix: both are listed,
    each with its own path and prefix (a real venv, made by the standard library)."""
    import subprocess
    import sys

    base = Path(sys.executable).resolve()
    venv = tmp_path / "venv"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True)
    machine = Machine(
        os.pathsep.join([str(venv / "bin"), str(base.parent)]), {}, tmp_path, tmp_path
    )
    found = [f for f in discover([], machine, FactsCache(tmp_path / "cache")) if f.facts]
    in_venv = [f for f in found if f.facts and f.facts.prefix == str(venv)]
    at_base = [f for f in found if f.facts and f.path == base]
    assert len(in_venv) == 1 and len(at_base) == 1
    assert in_venv[0].path.parent == venv / "bin"
    assert in_venv[0].facts is not None and in_venv[0].facts.base_prefix == sys.base_prefix
