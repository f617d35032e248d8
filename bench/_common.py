"""What ``backend.py`` and ``lock.py`` share: paths, processes, venvs and reporting helpers.

Not a script: each benchmark imports it as ``_common`` (``python3 bench/<script>.py`` puts
``bench/`` first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from subprocess import PIPE

import tomllib

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENVS = BENCH / ".work" / "venvs"
SETUP_TIMEOUT = 900.0


def run(
    cmd: list[str], timeout: float, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command; on timeout kill its whole process group, then re-raise."""
    with subprocess.Popen(
        cmd, stdout=PIPE, stderr=PIPE, text=True, cwd=cwd, env=env, start_new_session=True
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def run_ok(cmd: list[str]) -> None:
    """Run a set-up command; raise RuntimeError with its output if it fails."""
    proc = run(cmd, SETUP_TIMEOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")


# -- the venvs ------------------------------------------------------------------------------


def tree_dependencies(*pyprojects: Path) -> list[str]:
    """The runtime dependencies of these pyproject.toml files, without spaces, in order.

    Those only for Python < 3.11 are left out: the venvs run 3.11.
    """
    reqs: list[str] = []
    for pyproject in pyprojects:
        with open(pyproject, "rb") as f:
            reqs += tomllib.load(f)["project"].get("dependencies", [])
    reqs = [r.replace(" ", "") for r in reqs]
    return [r for r in reqs if "python_version<'3.11'" not in r]


def site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    return Path(run([str(python), "-c", code], 60).stdout.strip())


def ensure_venv(venv: Path, wanted: str) -> Path:
    """Create ``venv`` with ``wanted`` pip-installed (PyPI) and byte-compiled, unless it exists
    for exactly ``wanted`` already. Return its python."""
    python = venv / "bin" / "python"
    ready = venv / ".bench-ready"
    if not ready.exists() or ready.read_text(encoding="utf-8") != wanted:
        shutil.rmtree(venv, ignore_errors=True)
        print(f"setting up {venv} ...", file=sys.stderr)
        run_ok([sys.executable, "-m", "venv", str(venv)])
        run_ok([str(python), "-m", "pip", "install", "-q", "-U", *wanted.split()])
        run_ok([str(python), "-m", "compileall", "-q", "-j0", str(site_packages(python))])
        ready.write_text(wanted, encoding="utf-8")
    return python


def copy_from_tree(python: Path, packages: Iterable[Path]) -> None:
    """Replace these packages of the work tree in the venv's site-packages, byte-compiled."""
    site = site_packages(python)
    for src in packages:
        target = site / src.name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
        run([str(python), "-m", "compileall", "-q", str(target)], SETUP_TIMEOUT)


def timed_ok(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds ``cmd`` took in ``cwd``; a failure ends the benchmark, with the command's output."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} in {cwd} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


def path_with(bin_dir: Path) -> str:
    """PATH with ``bin_dir`` first, as a venv's activation (or a frontend's build env) has it."""
    return os.pathsep.join([str(bin_dir), os.environ.get("PATH", "/usr/bin:/bin")])


# -- the report -----------------------------------------------------------------------------


def median_or_none(times: list[float], failed: bool) -> float | None:
    """The median of ``times``; None if there are none or the run failed."""
    return statistics.median(times) if times and not failed else None


def machine_info() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def ratio_cell(value: object, width: int) -> str:
    """``1.23x`` right-aligned in ``width`` characters; ``-`` for no value."""
    return f"{value:{width - 1}.2f}x" if isinstance(value, float) else f"{'-':>{width}}"


def add_choices(parser: argparse.ArgumentParser, option: str, keys: list[str]) -> None:
    """A comma-separated option choosing among ``keys``, all of them by default."""
    parser.add_argument(
        option, default=",".join(keys), help="comma-separated, from: " + ", ".join(keys)
    )


def chosen(value: str) -> list[str]:
    """The names of a comma-separated option, blanks dropped."""
    return [k.strip() for k in value.split(",") if k.strip()]


def emit(
    data: dict[str, object], as_json: bool, table: Callable[[dict[str, object]], None]
) -> None:
    """Print the report as JSON or as a table."""
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        table(data)
