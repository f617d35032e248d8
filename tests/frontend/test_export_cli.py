"""``pallet export`` end to end: a project locked on a loopback index, its selections exported,
and pip (hash-checking mode), packaging.pylock and uv as the judges of what the files say."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.pylock import Pylock
from pallet.lock.validate import validate_lock
from pallet.python.venv import VenvInterpreter, create_venv
from support.dists import make_wheel
from support.index_server import IndexServer
from support.lock_tools import pylock_selection, uv_install
from support.sync_tools import (
    PYPROJECT,
    UV,
    copy_project,
    make_dists,
    make_project,
    pallet,
    pip,
    pip_list,
)
from support.sync_variant_index import variant_indexes, variant_pyproject

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

#: sync_tools' project, with an environment marker on one extra's dependency
EXPORT_PYPROJECT = PYPROJECT.replace(
    'cli = ["clicky"]', 'cli = ["clicky", "six; sys_platform == \'win32\'"]'
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    with IndexServer(make_dists(tmp_path_factory.mktemp("dists"))) as server:
        yield server


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def env(env: dict[str, str], shared_cache: Path) -> dict[str, str]:
    return dict(env, PALLET_CACHE_DIR=str(shared_cache))


def _module_env(shared_cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PALLET_"))}
    env.update(PALLET_CACHE_DIR=str(shared_cache), PIP_CONFIG_FILE=os.devnull, NO_COLOR="1")
    return env


@pytest.fixture(scope="module")
def template(
    tmp_path_factory: pytest.TempPathFactory, index: IndexServer, shared_cache: Path
) -> Path:
    root = make_project(tmp_path_factory.mktemp("template") / "demo", index.url, EXPORT_PYPROJECT)
    proc = pallet(root, _module_env(shared_cache), "lock")
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    return copy_project(template, tmp_path / "demo")


def export(project: Path, env: dict[str, str], *args: str) -> str:
    proc = pallet(project, env, "export", *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def lock_data(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((project / "pylock.toml").read_text(encoding="utf-8"))
    return data


def fresh_venv(path: Path) -> Path:
    return create_venv(path, VenvInterpreter.probe(sys.executable))


def pip_install(venv: Path, requirements: Path, *flags: str) -> None:
    proc = pip(venv, "install", "--no-deps", *flags, "-r", str(requirements))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def requirement_names(text: str) -> dict[str, str]:
    """``name==version`` of each requirement line (options and hash lines left out)."""
    out = {}
    for line in text.splitlines():
        if "==" in line and not line.startswith(("#", "-", " ")):
            name, _, rest = line.partition("==")
            out[name] = rest.split()[0]
    return out


@pytest.mark.parametrize(
    ("flags", "extras", "groups"),
    [
        ((), [], ["dev"]),
        (("--extra", "cli", "--group", "test"), ["cli"], ["dev", "test"]),
        (("--no-dev",), [], []),
        (("--all-extras", "--only-group", "test"), ["cli"], ["test"]),
    ],
)
def test_pip_in_hash_checking_mode_installs_what_pep_751_selects(
    project: Path,
    env: dict[str, str],
    tmp_path: Path,
    flags: tuple[str, ...],
    extras: list[str],
    groups: list[str],
) -> None:
    out = tmp_path / "requirements.txt"
    export(project, env, "--no-emit-project", "-o", str(out), *flags)
    text = out.read_text(encoding="utf-8")
    assert "-e " not in text
    venv = fresh_venv(tmp_path / "venv")
    # --no-deps: every package must be in the file itself, each with its hash
    pip_install(venv, out, "--require-hashes")
    installed = {k: v for k, v in pip_list(venv).items() if k != "pip"}
    assert installed == pylock_selection(lock_data(project), extras, groups)


def test_hashes_markers_and_index_lines(project: Path, env: dict[str, str]) -> None:
    text = export(project, env, "--extra", "cli")
    data = lock_data(project)
    digests = {
        p["name"]: sorted(
            f["hashes"]["sha256"] for f in [*p.get("wheels", []), p.get("sdist")] if f
        )
        for p in data["packages"]
    }
    lines = text.splitlines()
    index_url = data["packages"][0]["index"]
    assert f"--index-url {index_url}" in lines
    assert "-e ." in lines  # the project itself, editable, as pallet sync installs it
    # the extra's marker decided, the environment part kept (PEP 508), with its hash
    six = lines.index('six==1.16.0 ; sys_platform == "win32" \\')
    assert lines[six + 1] == f"    --hash=sha256:{digests['six'][0]}"
    assert lines[lines.index("baz==1.0 \\") + 1] == f"    --hash=sha256:{digests['baz'][0]}"
    assert requirement_names(text) == {
        "bar": "2.0",
        "baz": "1.0",
        "clicky": "1.0",
        "foo": "1.0",
        "linty": "0.5",
        "six": "1.16.0",
    }
    # without the extra, its packages are left out: their markers cannot be satisfied
    assert {"clicky", "six"}.isdisjoint(requirement_names(export(project, env)))


def test_no_hashes_and_the_project_relative_to_the_output(
    project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    text = export(project, env, "--no-hashes")
    assert "--hash" not in text
    assert [line for line in text.splitlines() if "==" in line] == [
        "bar==2.0",
        "baz==1.0",
        "foo==1.0",
        "linty==0.5",
    ]
    (project / "out").mkdir()
    proc = pallet(project, env, "export", "-o", "out/requirements.txt")
    assert proc.returncode == 0, proc.stderr
    assert "-e .." in (project / "out" / "requirements.txt").read_text().splitlines()


def test_pylock_format_holds_only_the_selection(
    project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    out = project / "pylock.cli.toml"
    export(project, env, "--format", "pylock", "--extra", "cli", "--no-dev", "-o", str(out))
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    assert validate_lock(data) == []
    exported = Pylock.from_dict(data)
    assert not exported.extras and not exported.dependency_groups
    assert "tool" not in data
    selected = {str(p.name): str(p.version) for p, _ in exported.select()}
    assert selected == pylock_selection(lock_data(project), ["cli"], [])
    names = [p["name"] for p in data["packages"]]
    assert "linty" not in names and "testy" not in names
    six = next(p for p in data["packages"] if p["name"] == "six")
    assert six["marker"] == 'sys_platform == "win32"'
    by_uv = uv_install(UV, tmp_path / "uv", out, timeout=120)
    assert by_uv == selected


def test_a_stale_lock_is_locked_first_and_locked_refuses(
    project: Path, env: dict[str, str]
) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"foo", "baz"', '"foo"'))
    proc = pallet(project, env, "export", "--locked")
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: --locked:") and len(proc.stderr.splitlines()) == 1
    frozen = export(project, env, "--frozen")
    assert "baz==1.0 \\" in frozen.splitlines()  # as the lock still says
    assert "baz" not in requirement_names(export(project, env))  # locked again first
    assert "baz" not in {p["name"] for p in lock_data(project)["packages"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--extra", "nope"), "the lock declares no extra 'nope' (it has: cli)"),
        (("--group", "nope"), "the lock declares no dependency group 'nope'"),
        (("--variant", "cu126"), "--variant cu126: pylock.toml has no hardware variants"),
        (("-o", "pylock.toml"), "pylock.toml: is the project's pylock.toml"),
        (("--format", "pylock", "-o", "out.toml"), "out.toml: PEP 751 names lock files"),
        (("-o", "missing/dir/r.txt"), "cannot be written: No such file or directory"),
        (("--only-group", "test", "--no-dev"), "--only-group cannot be combined"),
    ],
)
def test_bad_input_is_one_line(
    project: Path, env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    before = (project / "pylock.toml").read_bytes()
    proc = pallet(project, env, "export", *args)
    assert proc.returncode != 0
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert (project / "pylock.toml").read_bytes() == before


def test_a_read_only_folder_is_one_line_and_leaves_nothing(
    project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    from support.unprivileged import unprivileged_prefix

    prefix = unprivileged_prefix()
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "pallet", "export", "--frozen", "-o", str(out / "r.txt")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "cannot be written" in proc.stderr
    assert list(out.iterdir()) == []


# -- direct references ----------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "HOME": str(repo)}
    env.update(
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid", PATH="/usr/bin:/bin"
    )
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def sub_project(root: Path, name: str, version: str) -> Path:
    """A pallet-core project with one package, ``src/<name>``."""
    (root / "src" / name).mkdir(parents=True)
    (root / "src" / name / "__init__.py").write_text("", encoding="utf-8")
    text = (
        '[build-system]\nrequires = ["pallet-core"]\nbuild-backend = "pallet_core.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
    )
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


DIRECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["lib", "wheelpkg @ {wheel}", "tool @ git+{repo}@v1"]

[tool.pallet.sources]
lib = {{ path = "lib", editable = true }}

[[tool.pallet.index]]
name = "local"
url = "{url}"
default = true
"""


def test_direct_references(
    tmp_path: Path, env: dict[str, str], index: IndexServer, tool_env: dict[str, str]
) -> None:
    project = tmp_path / "project"
    sub_project(project / "lib", "lib", "0.1")
    repo = sub_project(tmp_path / "repo", "tool", "1.2")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "tag", "v1")
    commit = git(repo, "rev-parse", "HEAD")
    wheel = make_wheel(tmp_path / "wheels", "wheelpkg", "1.0", files={"wheelpkg.py": ""})
    text = DIRECT.format(wheel=wheel.as_uri(), repo=repo.as_uri(), url=index.url)
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    (project / "out").mkdir()
    proc = pallet(project, env, "export", "-o", "out/hashed.txt")
    assert proc.returncode == 0, proc.stderr
    # pip would refuse this file (hash-checking mode has no hash for a directory or a checkout)
    assert (
        "warning: pip's hash-checking mode (on when any line has a --hash) refuses lib, tool"
        in (proc.stderr)
    )
    import hashlib

    lines = (project / "out" / "hashed.txt").read_text().splitlines()
    assert "-e ../lib" in lines  # relative to the output's folder
    assert f"tool @ git+{repo.as_uri()}@{commit}" in lines
    at = lines.index(f"wheelpkg @ {wheel.as_uri()} \\")
    assert lines[at + 1] == f"    --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}"
    assert not any(line.startswith("-e .") and line != "-e ../lib" for line in lines)  # virtual
    proc = pallet(project, env, "export", "--no-hashes", "-o", "out/requirements.txt")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    # pip installs the whole file from the output's folder (builds through the wheelhouse)
    venv = fresh_venv(tmp_path / "venv")
    pip_env = dict(tool_env, PIP_INDEX_URL=index.url)
    pip_env.pop("PIP_NO_INDEX")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "-r",
            "requirements.txt",
        ],
        cwd=project / "out",
        env=pip_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {k: v for k, v in pip_list(venv).items() if k != "pip"} == {
        "lib": "0.1",
        "tool": "1.2",
        "wheelpkg": "1.0",
    }
    # a PEP 751 export in another folder: a relative path is relative to the file's folder (PEP
    # 751), read back by packaging.pylock (uv would need pallet-core from an index to build lib)
    proc = pallet(project, env, "export", "--format", "pylock", "-o", "out/pylock.direct.toml")
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads((project / "out" / "pylock.direct.toml").read_text(encoding="utf-8"))
    lib = next(p for p in Pylock.from_dict(data).packages if p.name == "lib")
    assert lib.directory is not None and lib.directory.editable
    assert (project / "out" / lib.directory.path).resolve() == (project / "lib").resolve()


# -- hardware variants ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def variant_project(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Iterator[Path]:
    with variant_indexes(tmp_path_factory.mktemp("variant-indexes")) as served:
        root = tmp_path_factory.mktemp("gpuapp") / "gpuapp"
        root.mkdir()
        (root / "pyproject.toml").write_text(variant_pyproject(served, ("cu126", "cu124", "cpu")))
        proc = pallet(root, _module_env(shared_cache), "lock")
        assert proc.returncode == 0, proc.stderr
        yield root


@pytest.mark.parametrize(
    ("flags", "variant", "here"),
    [
        ((), "cpu", "cpu"),
        (("--variant", "cu126"), "cu126", "cu126"),
        # cu124 has Windows wheels only: elsewhere the lock installs the default's build
        (("--variant", "cu124"), "cu124", "cpu"),
    ],
)
def test_variants_export_the_chosen_builds(
    variant_project: Path,
    env: dict[str, str],
    tmp_path: Path,
    flags: tuple[str, ...],
    variant: str,
    here: str,
) -> None:
    out = tmp_path / "requirements.txt"
    proc = pallet(variant_project, env, "export", "--no-emit-project", "-o", str(out), *flags)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert f"variant: {variant}" in text
    torch = [line for line in text.splitlines() if line.startswith("torch==")]
    if variant == "cu124":  # each build with the environment marker of where it installs
        assert torch == [
            'torch==2.5.1+cpu ; sys_platform != "win32" or platform_machine != "AMD64" \\',
            'torch==2.5.1+cu124 ; sys_platform == "win32" and platform_machine == "AMD64" \\',
        ]
    else:  # the chosen build everywhere: no marker left
        assert torch == [f"torch==2.5.1+{variant} \\"]
    venv = fresh_venv(tmp_path / "venv")
    pip_install(venv, out, "--require-hashes")
    installed = {k: v for k, v in pip_list(venv).items() if k != "pip"}
    assert installed == pylock_selection(lock_data(variant_project), [variant], None)
    assert installed["torch"] == f"2.5.1+{here}"
    # the same selection as a PEP 751 file: packaging selects the same set from it
    sel = tmp_path / "pylock.sel.toml"
    proc = pallet(variant_project, env, "export", "--format", "pylock", "-o", str(sel), *flags)
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads(sel.read_text(encoding="utf-8"))
    assert validate_lock(data) == []
    assert {str(p.name): str(p.version) for p, _ in Pylock.from_dict(data).select()} == installed


def test_an_unknown_variant_names_the_lock_s(variant_project: Path, env: dict[str, str]) -> None:
    proc = pallet(variant_project, env, "export", "--variant", "rocm")
    assert proc.returncode == 1
    assert proc.stderr == (
        "error: --variant rocm: not a variant of pylock.toml (it has: cu126, cu124, cpu)\n"
    )


def test_a_reader_that_stops_early_is_no_error(project: Path, env: dict[str, str]) -> None:
    # `true` exits without reading: pallet writes into a closed pipe (EPIPE)
    command = f"set -o pipefail; {sys.executable} -m pallet export --frozen | true"
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
