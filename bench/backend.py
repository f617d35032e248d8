"""Time the PEP 517 hooks ``build_wheel`` and ``build_sdist`` of pallet-core and its peers.

What it does:

1. Generates, under ``bench/.work/backend/``, one src-layout project ``benchpkg``: ``--modules``
   ``.py`` files in all (the top ``__init__.py``, a few subpackages each with its ``__init__.py``,
   the rest plain modules spread over the subpackages) and ``--data-files`` package data files in
   ``src/benchpkg/data/``, plus README.md and LICENSE. Every backend gets a copy of the same files
   and the same ``[project]`` metadata; only ``[build-system]`` (and the one ``[tool.setuptools]``
   table setuptools needs to ship package data) differ.
2. Prepares one venv per backend under ``bench/.work/venvs/backend-<name>/`` (pip from PyPI,
   latest release; delete the folder to refresh it). pallet-core is not installed from PyPI: its
   runtime dependencies are, and ``backend/pallet_core`` is copied from the work tree into the
   venv's site-packages at every run. Every venv is byte-compiled once, so no backend pays for
   compiling itself (the hook processes run with ``-B``: they read .pyc files, never write any).
3. Times each hook call as its own process, the same way for every backend, from the project
   directory, as a frontend would call it::

       <venv>/bin/python -I -B -c "import importlib, sys; ...build_wheel(outdir)" <module> ...

   1 warm-up call, then ``--repeat`` timed calls of each hook; the backends take turns within
   each repetition, so a load change on the (shared) machine hits all of them alike. Files a
   backend leaves in the project (setuptools' ``build/`` and ``*.egg-info``) are removed between
   calls, so no call profits from an earlier one.
4. Checks every wheel and sdist: the wheel must hold exactly the files of ``src/`` (same sizes)
   plus its ``.dist-info``, the sdist at least ``PKG-INFO``, ``pyproject.toml`` and every file of
   ``src/``. A backend whose output is wrong is reported as failed, not timed.

``--work-dir`` puts the projects elsewhere, e.g. on a tmpfs to take the disk out of the figures.
Prints the median wall time of each hook and its ratio to pallet-core (above 1 = slower than
pallet-core), or JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from _common import (
    BENCH,
    REPO,
    VENVS,
    add_choices,
    chosen,
    copy_from_tree,
    emit,
    ensure_venv,
    machine_info,
    median_or_none,
    path_with,
    ratio_cell,
    run,
    tree_dependencies,
)

WORK = BENCH / ".work" / "backend"
NAME = "benchpkg"
VERSION = "1.0.0"
SUBPACKAGES = 4
HOOK_TIMEOUT = 300.0
HOOK_CODE = (
    "import importlib, sys; m = importlib.import_module(sys.argv[1]); "
    "print(getattr(m, sys.argv[2])(sys.argv[3]))"
)


@dataclass(frozen=True)
class Backend:
    key: str  # name on the command line and in the table
    module: str  # the PEP 517 hook module
    requires: str  # [build-system] requires, and what pip installs ("" = pallet-core from tree)
    dist: str  # distribution name, to report its version
    extra_toml: str = ""  # backend-specific tables (kept to the minimum)


BACKENDS = [
    Backend("pallet-core", "pallet_core.build", "", "pallet-core"),
    Backend("flit_core", "flit_core.buildapi", "flit_core>=3.12,<5", "flit_core"),
    Backend("hatchling", "hatchling.build", "hatchling>=1.27", "hatchling"),
    Backend(
        "setuptools",
        "setuptools.build_meta",
        "setuptools>=77",
        "setuptools",
        '[tool.setuptools.package-data]\nbenchpkg = ["data/*.txt"]\n',
    ),
    Backend("pdm-backend", "pdm.backend", "pdm-backend>=2.4", "pdm-backend"),
    Backend("uv_build", "uv_build", "uv_build>=0.9,<1", "uv_build"),
]

PROJECT_TOML = """\
[build-system]
requires = [{requires}]
build-backend = "{module}"

[project]
name = "benchpkg"
version = "1.0.0"
description = "A generated project for timing build backends"
readme = "README.md"
requires-python = ">=3.9"
license = "MIT"
license-files = ["LICENSE"]
authors = [{{ name = "Bench Author" }}]
keywords = ["benchmark", "generated"]
classifiers = [
    "Programming Language :: Python :: 3",
    "Operating System :: OS Independent",
]
dependencies = ["requests>=2.31", "rich>=13"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.scripts]
benchpkg = "benchpkg:main"

[project.urls]
Homepage = "https://example.invalid/benchpkg"
{extra}"""

MODULE_TEMPLATE = '''\
"""Generated module {name}: part of the build-backend benchmark."""

from __future__ import annotations

import dataclasses

LIMIT_{n} = {n}


@dataclasses.dataclass
class Record{n}:
    """A small record type."""

    key: str
    value: int = {n}

    def scaled(self, factor: int) -> int:
        """Return the value times ``factor``."""
        return self.value * factor

    def describe(self) -> str:
        return f"{{self.key}}={{self.value}}"


def compute_{n}(items: list[int]) -> int:
    """Sum the items below the limit."""
    total = 0
    for item in items:
        if item < LIMIT_{n}:
            total += item
    return total
'''


@dataclass
class Result:
    backend: Backend
    version: str = "?"
    times: dict[str, list[float]] = field(default_factory=lambda: {"wheel": [], "sdist": []})
    wheel_bytes: int = 0
    error: str = ""


# -- the project ----------------------------------------------------------------------------


def generate_project(dest: Path, modules: int, data_files: int) -> dict[str, int]:
    """Write the shared files of the project; return {path relative to src/: size}."""
    if modules < 1 + SUBPACKAGES:
        raise SystemExit(f"--modules must be at least {1 + SUBPACKAGES}")
    shutil.rmtree(dest, ignore_errors=True)
    pkg = dest / "src" / NAME
    files: dict[str, str] = {
        f"{NAME}/__init__.py": f'"""benchpkg."""\n\n__version__ = "{VERSION}"\n\n\n'
        "def main() -> None:\n    print(__version__)\n"
    }
    for s in range(SUBPACKAGES):
        files[f"{NAME}/sub{s}/__init__.py"] = f'"""Subpackage {s}."""\n'
    for n in range(modules - 1 - SUBPACKAGES):
        files[f"{NAME}/sub{n % SUBPACKAGES}/mod_{n:05d}.py"] = MODULE_TEMPLATE.format(
            name=f"mod_{n:05d}", n=n
        )
    for n in range(data_files):
        files[f"{NAME}/data/table_{n:03d}.txt"] = "".join(
            f"row {r} of table {n}: {r * n}\n" for r in range(40)
        )
    for rel, text in files.items():
        path = pkg.parent / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (dest / "README.md").write_text("# benchpkg\n\nA generated project.\n", encoding="utf-8")
    (dest / "LICENSE").write_text(
        "MIT License\n\nCopyright (c) 2026 Bench Author\n\nPermission is hereby granted...\n",
        encoding="utf-8",
    )
    return {rel: len(text.encode()) for rel, text in files.items()}


def project_for(backend: Backend, template: Path) -> Path:
    dest = template.parent / f"project-{backend.key}"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(template, dest)
    requires = f'"{backend.requires or "pallet-core"}"'
    text = PROJECT_TOML.format(
        requires=requires, module=backend.module, extra="\n" + backend.extra_toml
    )
    (dest / "pyproject.toml").write_text(text, encoding="utf-8")
    return dest


def clean_project(project: Path, pristine: set[str]) -> None:
    """Remove what a backend left in the project (setuptools' build/ and *.egg-info)."""
    for base in (project, project / "src"):
        for entry in base.iterdir():
            rel = entry.relative_to(project).as_posix()
            if rel not in pristine:
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()


# -- the venvs ------------------------------------------------------------------------------


def venv_python(backend: Backend) -> Path:
    return VENVS / f"backend-{backend.key}" / "bin" / "python"


def prepare_venv(backend: Backend) -> str:
    """Create the venv once (pip from PyPI); refresh pallet-core from the tree. Return a version."""
    wanted = backend.requires or " ".join(tree_dependencies(REPO / "backend" / "pyproject.toml"))
    python = ensure_venv(VENVS / f"backend-{backend.key}", wanted)
    if not backend.requires:
        copy_from_tree(python, [REPO / "backend" / "pallet_core"])
        return "tree"
    code = f"import importlib.metadata as m; print(m.version({backend.dist!r}))"
    return run([str(python), "-c", code], 60).stdout.strip() or "?"


# -- one hook call --------------------------------------------------------------------------


def hook_env(python: Path) -> dict[str, str]:
    """A small environment with the venv's bin/ first on PATH, as a frontend's build env has."""
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PATH"] = path_with(python.parent)
    return env


def call_hook(backend: Backend, project: Path, hook: str, outdir: Path) -> tuple[float, Path]:
    """Run one hook in a fresh process; return (seconds, path of the built file)."""
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    python = venv_python(backend)
    cmd = [str(python), "-I", "-B", "-c", HOOK_CODE, backend.module, hook, str(outdir)]
    env = hook_env(python)
    os.sync()  # no call pays for writing back what an earlier one wrote
    start = time.perf_counter()
    proc = run(cmd, HOOK_TIMEOUT, cwd=project, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise RuntimeError(f"{hook} exited {proc.returncode}:\n  " + "\n  ".join(tail))
    lines = proc.stdout.strip().splitlines()
    built = outdir / (lines[-1].strip() if lines else "")
    if not lines or not built.is_file():
        raise RuntimeError(f"{hook} returned {lines[-1:]!r}, not a file in {outdir}")
    return elapsed, built


def check_wheel(path: Path, expected: dict[str, int]) -> None:
    want = f"{NAME}-{VERSION}-py3-none-any.whl"
    if path.name != want:
        raise RuntimeError(f"wheel is named {path.name}, expected {want}")
    with zipfile.ZipFile(path) as zf:
        infos = {i.filename: i.file_size for i in zf.infolist() if not i.is_dir()}
        dist_info = f"{NAME}-{VERSION}.dist-info/"
        meta = zf.read(dist_info + "METADATA").decode() if dist_info + "METADATA" in infos else ""
    shipped = {k: v for k, v in infos.items() if not k.startswith(dist_info)}
    missing = sorted(set(expected) - set(shipped))
    extra = sorted(set(shipped) - set(expected))
    wrong = sorted(k for k in set(expected) & set(shipped) if shipped[k] != expected[k])
    if missing or extra or wrong:
        raise RuntimeError(
            f"wheel content differs: {len(missing)} missing {missing[:3]}, "
            f"{len(extra)} extra {extra[:3]}, {len(wrong)} wrong size {wrong[:3]}"
        )
    if f"Name: {NAME}" not in meta or f"Version: {VERSION}" not in meta:
        raise RuntimeError("wheel METADATA lacks Name/Version")
    if dist_info + "RECORD" not in infos or dist_info + "WHEEL" not in infos:
        raise RuntimeError("wheel lacks RECORD or WHEEL")


def check_sdist(path: Path, expected: dict[str, int]) -> None:
    want = f"{NAME}-{VERSION}.tar.gz"
    if path.name != want:
        raise RuntimeError(f"sdist is named {path.name}, expected {want}")
    top = f"{NAME}-{VERSION}/"
    with tarfile.open(path) as tf:
        sizes = {m.name: m.size for m in tf.getmembers() if m.isfile()}
    needed: dict[str, int | None] = {top + "PKG-INFO": None, top + "pyproject.toml": None}
    needed.update({f"{top}src/{rel}": size for rel, size in expected.items()})
    missing = sorted(k for k in needed if k not in sizes)
    wrong = sorted(k for k, v in needed.items() if v is not None and k in sizes and sizes[k] != v)
    if missing or wrong:
        raise RuntimeError(
            f"sdist content differs: {len(missing)} missing {missing[:3]}, "
            f"{len(wrong)} wrong size {wrong[:3]}"
        )


# -- the run --------------------------------------------------------------------------------


def measure(
    results: list[Result], projects: dict[str, Path], expected: dict[str, int], repeat: int
) -> None:
    work = next(iter(projects.values())).parent
    pristine = {
        p.relative_to(projects[r.backend.key]).as_posix()
        for r in results
        for base in (projects[r.backend.key], projects[r.backend.key] / "src")
        for p in base.iterdir()
    }
    for rep in range(repeat + 1):  # repetition 0 is the warm-up
        for res in results:
            if res.error:
                continue
            project = projects[res.backend.key]
            for hook, check in (("wheel", check_wheel), ("sdist", check_sdist)):
                outdir = work / "out" / res.backend.key
                try:
                    elapsed, built = call_hook(res.backend, project, f"build_{hook}", outdir)
                    check(built, expected)
                except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
                    res.error = f"{hook}: {exc}"
                    break
                finally:
                    clean_project(project, pristine)
                if rep > 0:
                    res.times[hook].append(elapsed)
                if hook == "wheel":
                    res.wheel_bytes = built.stat().st_size
        print(f"  repetition {rep}/{repeat} done", file=sys.stderr)
    shutil.rmtree(work / "out", ignore_errors=True)


def startup_time(python: Path, repeat: int) -> float:
    """Median time of ``python -I -B -c pass``: the floor under every hook call."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run([str(python), "-I", "-B", "-c", "pass"], 60, env=hook_env(python))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(results: list[Result], startup: float, args: argparse.Namespace) -> dict[str, object]:
    def median(res: Result, hook: str) -> float | None:
        return median_or_none(res.times[hook], bool(res.error))

    base = next((r for r in results if r.backend.key == "pallet-core"), None)
    rows = []
    for res in results:
        row: dict[str, object] = {"backend": res.backend.key, "version": res.version}
        for hook in ("wheel", "sdist"):
            med = median(res, hook)
            ref = median(base, hook) if base else None
            row[hook] = {
                "median_s": med,
                "min_s": min(res.times[hook]) if med is not None else None,
                "runs_s": res.times[hook],
                "ratio_to_pallet_core": med / ref if med is not None and ref else None,
            }
        row["wheel_bytes"] = res.wheel_bytes or None
        row["error"] = res.error or None
        rows.append(row)
    return {
        "benchmark": "build backends: build_wheel and build_sdist, one process per hook call",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "modules": args.modules,
        "data_files": args.data_files,
        "repeat": args.repeat,
        "work_dir": str(Path(args.work_dir).resolve()),
        "interpreter_startup_s": startup,
        "results": rows,
    }


def print_table(data: dict[str, object]) -> None:
    def ms(value: object) -> str:
        return f"{value * 1000:9.0f}" if isinstance(value, float) else f"{'-':>9}"

    print(
        f"build_wheel / build_sdist of a src-layout project: {data['modules']} modules, "
        f"{data['data_files']} data files; median of {data['repeat']} calls, one process each"
    )
    head = ("backend", "version", "wheel ms", "vs core", "sdist ms", "vs core")
    print(f"{head[0]:<12} {head[1]:<8} " + " ".join(f"{h:>9}" for h in head[2:]))
    results = data["results"]
    assert isinstance(results, list)
    for row in results:
        wheel, sdist = row["wheel"], row["sdist"]
        print(
            f"{row['backend']:<12} {row['version']:<8} {ms(wheel['median_s'])} "
            f"{ratio_cell(wheel['ratio_to_pallet_core'], 9)} {ms(sdist['median_s'])} "
            f"{ratio_cell(sdist['ratio_to_pallet_core'], 9)}"
        )
    machine = data["machine"]
    assert isinstance(machine, dict)
    print(
        f"(projects in {data['work_dir']}; "
        f"python -I -B -c pass alone: {ms(data['interpreter_startup_s']).strip()} ms; "
        f"{machine['cpus']} CPUs, load average at the end {machine['loadavg_at_end'][0]:.2f})"
    )
    for row in results:
        if row["error"]:
            print(f"FAILED {row['backend']}: {row['error']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--modules", type=int, default=2000, help=".py files in the project")
    parser.add_argument("--data-files", type=int, default=50, help="package data files")
    parser.add_argument("--repeat", type=int, default=11, help="timed calls per hook")
    add_choices(parser, "--backends", [b.key for b in BACKENDS])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--work-dir",
        default=str(WORK),
        help="where the projects and outputs go (e.g. a tmpfs, to take the disk out)",
    )
    args = parser.parse_args()
    known = {b.key: b for b in BACKENDS}
    wanted = chosen(args.backends)
    unknown = [k for k in wanted if k not in known]
    if unknown or not wanted or args.repeat < 1:
        parser.error(f"unknown backend(s) {unknown}" if unknown else "nothing to run")

    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    expected = generate_project(work / "template", args.modules, args.data_files)
    results = [Result(known[k]) for k in wanted]
    projects = {}
    for res in results:
        try:
            res.version = prepare_venv(res.backend)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            res.error = f"setup: {exc}"
        projects[res.backend.key] = project_for(res.backend, work / "template")
    measure(results, projects, expected, args.repeat)
    startup = startup_time(venv_python(results[0].backend), args.repeat)
    data = report(results, startup, args)
    emit(data, args.json, print_table)
    return 0 if all(not r.error for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
