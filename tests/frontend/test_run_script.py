"""``pallet run script.py`` (PEP 723) and ``--with``: cached environments resolved from a
loopback index, built with pallet's own venv and installer, reused without asking the index."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dists import make_wheel
from support.index_server import IndexServer
from support.sync_tools import pallet

ENTRY_POINTS = "[console_scripts]\ngreet-hello = greet:main\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    dists = tmp_path_factory.mktemp("run-dists")
    make_wheel(
        dists,
        "greet",
        "1.0",
        files={
            "greet/__init__.py": "def main():\n    print('hello from greet 1.0')\n",
            "greet-1.0.dist-info/entry_points.txt": ENTRY_POINTS,
        },
    )
    make_wheel(dists, "colour", "2.0", files={"colour/__init__.py": "NAME = 'colour 2.0'\n"})
    with IndexServer(dists, format="json") as server:
        yield server


@pytest.fixture
def script_env(env: dict[str, str], index: IndexServer) -> dict[str, str]:
    index.clear()
    return {**env, "PALLET_INDEX_URL": index.url}


SCRIPT = """\
# /// script
# requires-python = ">=3.9"
# dependencies = ["greet"]
# ///
import sys
import greet
greet.main()
print("prefix", sys.prefix)
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""


def test_a_script_runs_in_its_environment_and_reuses_it(
    tmp_path: Path, script_env: dict[str, str], index: IndexServer
) -> None:
    (tmp_path / "demo.py").write_text(SCRIPT, encoding="utf-8")
    first = pallet(tmp_path, script_env, "run", "demo.py", "5")
    assert first.returncode == 5, first.stderr
    assert first.stdout.splitlines()[0] == "hello from greet 1.0"
    prefix = Path(first.stdout.splitlines()[1].split(" ", 1)[1])
    assert prefix.name == ".venv"
    assert prefix.parent.parent == Path(script_env["PALLET_CACHE_DIR"]) / "environments-v1"
    assert (prefix.parent / "pylock.toml").is_file()
    assert index.requests, "the first run resolves from the index"

    index.clear()
    second = pallet(tmp_path, script_env, "run", "demo.py")
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == first.stdout.splitlines()
    assert index.requests == []  # reused: nothing resolved, nothing fetched
    assert "Creating" not in second.stderr


def test_requirement_spelling_and_order_share_one_environment(
    tmp_path: Path, script_env: dict[str, str]
) -> None:
    a = SCRIPT.replace('["greet"]', '["greet", "colour"]')
    b = SCRIPT.replace('["greet"]', '["Colour", "GREET"]')
    (tmp_path / "a.py").write_text(a, encoding="utf-8")
    (tmp_path / "b.py").write_text(b, encoding="utf-8")
    one = pallet(tmp_path, script_env, "run", "a.py")
    two = pallet(tmp_path, script_env, "run", "b.py")
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert one.stdout.splitlines()[1] == two.stdout.splitlines()[1]  # the same prefix


def test_a_bad_block_is_one_line_naming_the_script(
    tmp_path: Path, script_env: dict[str, str]
) -> None:
    (tmp_path / "bad.py").write_text(
        '# /// script\n# dependencies = ["greet"\n# ///\n', encoding="utf-8"
    )
    proc = pallet(tmp_path, script_env, "run", "bad.py")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: bad.py:2: [script] invalid TOML: ")
    assert proc.stderr.count("\n") == 1


def test_no_interpreter_fits_requires_python(tmp_path: Path, script_env: dict[str, str]) -> None:
    (tmp_path / "old.py").write_text(
        '# /// script\n# requires-python = "<3.0"\n# ///\n', encoding="utf-8"
    )
    # only pallet's own Python to look at (discovery runs each one to say why it does not fit)
    only = {**script_env, "PATH": str(Path(sys.executable).parent), "PYENV_ROOT": str(tmp_path)}
    proc = pallet(tmp_path, only, "run", "old.py")
    assert proc.returncode == 1
    assert "no Python interpreter satisfies requires-python <3.0" in proc.stderr


def test_with_adds_a_package_for_one_run(tmp_path: Path, script_env: dict[str, str]) -> None:
    code = "import colour, greet; print(colour.NAME)"
    script = tmp_path / "both.py"
    script.write_text(SCRIPT.replace("import greet", f"{code}\nimport greet"), encoding="utf-8")
    proc = pallet(tmp_path, script_env, "run", "--with", "colour", "both.py")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "colour 2.0"
    without = pallet(tmp_path, script_env, "run", "both.py")
    assert without.returncode == 1
    assert "No module named 'colour'" in without.stderr


def test_with_outside_a_project_and_a_console_script(
    tmp_path: Path, script_env: dict[str, str]
) -> None:
    proc = pallet(tmp_path, script_env, "run", "--with", "greet,colour", "greet-hello")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello from greet 1.0\n"


def test_a_failed_resolution_leaves_no_environment(
    tmp_path: Path, script_env: dict[str, str]
) -> None:
    (tmp_path / "nope.py").write_text(
        '# /// script\n# dependencies = ["no-such-package"]\n# ///\n', encoding="utf-8"
    )
    proc = pallet(tmp_path, script_env, "run", "nope.py")
    assert proc.returncode == 1
    assert "no-such-package" in proc.stderr
    assert "Traceback" not in proc.stderr
    environments = Path(script_env["PALLET_CACHE_DIR"]) / "environments-v1"
    assert [p for p in environments.iterdir() if p.is_dir()] == []


def test_two_runs_at_once_build_one_environment(tmp_path: Path, script_env: dict[str, str]) -> None:
    (tmp_path / "demo.py").write_text(SCRIPT, encoding="utf-8")
    command = [sys.executable, "-m", "pallet", "run", "demo.py"]
    runs = [
        subprocess.Popen(
            command,
            cwd=tmp_path,
            env=script_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert sum(err.count("Creating an environment") for _, err in results) == 1
    environments = Path(script_env["PALLET_CACHE_DIR"]) / "environments-v1"
    assert len([p for p in environments.iterdir() if p.is_dir()]) == 1


def test_a_script_without_dependencies_asks_no_index(
    tmp_path: Path, script_env: dict[str, str], index: IndexServer
) -> None:
    (tmp_path / "plain.py").write_text(
        "# /// script\n# dependencies = []\n# ///\n"
        "import sys\nprint(sys.prefix != sys.base_prefix)\n",
        encoding="utf-8",
    )
    proc = pallet(tmp_path, script_env, "run", "plain.py")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "True\n"
    assert index.requests == []


def test_script_forces_the_scripts_environment_in_a_project(
    tmp_path: Path, script_env: dict[str, str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    (tmp_path / "demo.py").write_text(SCRIPT, encoding="utf-8")
    proc = pallet(tmp_path, script_env, "run", "--script", "demo.py")
    assert proc.returncode == 0, proc.stderr
    prefix = Path(proc.stdout.splitlines()[1].split(" ", 1)[1])
    assert prefix.parent.parent == Path(script_env["PALLET_CACHE_DIR"]) / "environments-v1"
    assert not (tmp_path / ".venv").exists()  # the project's environment was not made


def test_outside_a_project_a_plain_command_needs_one(
    tmp_path: Path, script_env: dict[str, str]
) -> None:
    proc = pallet(tmp_path, script_env, "run", "python", "-c", "pass")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no pyproject.toml found in ")
    assert proc.stderr.count("\n") == 1
