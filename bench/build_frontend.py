"""Time ``pallet build`` against ``python -m build`` and ``uv build`` (build frontends).

One generated src-layout project (``--modules`` small modules) whose backend is hatchling,
resolved by every tool from this machine's local simple index (``--index``, default
``file:///opt/pypi/simple``: hatchling, packaging, pathspec, pluggy, trove-classifiers), with no
other configuration: pip gets ``PIP_CONFIG_FILE=/dev/null`` and ``PIP_INDEX_URL``, uv
``UV_NO_CONFIG`` and ``UV_INDEX_URL``, pallet ``PALLET_INDEX_URL``. Each tool builds the sdist,
then the wheel from it (each tool's default), into a fresh output folder.

- **cold**: an empty cache for the tool (its own folder under ``bench/.work/build-frontend/``):
  resolution, downloads (from the file index), unpacking, both environments;
- **warm**: the same cache again (pallet: the cached build lock and the store; uv: its cache;
  pip: its wheel cache): what a developer's second ``build`` costs.

The tools take turns within each repetition; medians and ratios to ``uv build`` are printed
(above 1 = slower than uv). Every run's outputs are checked: the two files, with the same
names for every tool. Runs from the work tree's venv (``.venv``: pallet editable, build, uv).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from _common import BENCH, REPO, machine_info, run

WORK = BENCH / ".work" / "build-frontend"
VENV_BIN = REPO / ".venv" / "bin"
TOOLS = ("pallet", "build", "uv")


def make_project(root: Path, modules: int) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    package = root / "src" / "benchpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""benchpkg."""\n', encoding="utf-8")
    for i in range(modules):
        (package / f"mod{i}.py").write_text(f"VALUE = {i}\n", encoding="utf-8")
    (root / "README.md").write_text("# benchpkg\n", encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "benchpkg"\nversion = "1.0"\nreadme = "README.md"\n'
        'requires-python = ">=3.11"\ndependencies = ["packaging"]\n',
        encoding="utf-8",
    )
    return root


def command(tool: str, project: Path, out: Path) -> list[str]:
    python = str(VENV_BIN / "python")
    if tool == "pallet":
        return [python, "-m", "pallet", "build", str(project), "-o", str(out)]
    if tool == "build":
        return [python, "-m", "build", str(project), "-o", str(out)]
    return [str(VENV_BIN / "uv"), "build", str(project), "-o", str(out)]


def environment(tool: str, cache: Path, index: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PALLET_"))}
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "/usr/bin:/bin")])
    if tool == "pallet":
        env.update(PALLET_INDEX_URL=index, PALLET_CACHE_DIR=str(cache), PALLET_NO_PROGRESS="1")
    elif tool == "build":
        env.update(
            PIP_CONFIG_FILE=os.devnull,
            PIP_INDEX_URL=index,
            PIP_CACHE_DIR=str(cache),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
    else:
        env.update(UV_NO_CONFIG="1", UV_INDEX_URL=index, UV_CACHE_DIR=str(cache))
    return env


def one(tool: str, project: Path, cache: Path, index: str, rep: str) -> float:
    out = WORK / "out" / f"{tool}-{rep}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = command(tool, project, out)
    started = time.perf_counter()
    proc = run(cmd, 600, cwd=project, env=environment(tool, cache, index))
    elapsed = time.perf_counter() - started
    names = sorted(p.name for p in out.glob("benchpkg*")) if out.is_dir() else []
    expected = ["benchpkg-1.0-py3-none-any.whl", "benchpkg-1.0.tar.gz"]
    if proc.returncode != 0 or names != expected:
        raise RuntimeError(f"{tool}: {' '.join(cmd)} -> {proc.returncode} {names}\n{proc.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--modules", type=int, default=50)
    parser.add_argument("--index", default="file:///opt/pypi/simple")
    parser.add_argument("--tools", default=",".join(TOOLS))
    args = parser.parse_args()
    tools = [t for t in args.tools.split(",") if t]
    project = make_project(WORK / "project", args.modules)
    times: dict[tuple[str, str], list[float]] = {}
    for _rep in range(args.reps):
        for tool in tools:
            cache = WORK / "cache" / tool
            shutil.rmtree(cache, ignore_errors=True)
            times.setdefault((tool, "cold"), []).append(one(tool, project, cache, args.index, "c"))
            times.setdefault((tool, "warm"), []).append(one(tool, project, cache, args.index, "w"))
    print(f"{'tool':<8} {'cold s':>8} {'vs uv':>7} {'warm s':>8} {'vs uv':>7}   ({args.reps} reps)")
    for tool in tools:
        cells = []
        for phase in ("cold", "warm"):
            median = statistics.median(times[(tool, phase)])
            base = times.get(("uv", phase))
            ratio = f"{median / statistics.median(base):6.2f}x" if base else "      -"
            cells.append(f"{median:8.3f} {ratio}")
        print(f"{tool:<8} {'  '.join(cells)}")
    print(machine_info(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
