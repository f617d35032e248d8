"""Time ``pallet sync`` and ``pallet run`` against uv, pdm, poetry and pip on a local index.

The project and the index are those of ``lock.py``: 12 dependencies (37 packages in the
universal lock) against ``/opt/pypi`` served on 127.0.0.1 by ``lock.py``'s static server (no
Range, no PEP 658 files). Each tool first locks its own copy of the project with its own lock
command (untimed, a separate cache): ``pylock.toml``, ``uv.lock``, ``pdm.lock``,
``poetry.lock``; pip gets ``requirements.txt`` with hashes exported from uv's lock
(``uv export --format requirements-txt --no-emit-project``). Then, tools taking turns within each
phase of each repetition:

- **cold**: no ``.venv``, an empty cache; the tool's install-from-lock command creates the
  environment and installs the locked set (``pallet sync``, ``uv sync``, ``pdm install``,
  ``poetry install --no-root``; pip: ``python -m venv --without-pip .venv`` then
  ``pip --python .venv/bin/python install -r requirements.txt`` from the index, hashes checked).
- **warm**: the same with the cache the cold run left (the ``.venv`` removed first).
- **no-op**: the same command again right after, with nothing to do.
- **run**: ``<tool> run python -c pass`` in the synced project (pip: ``.venv/bin/python -c
  pass``, the floor every ``run`` pays).
- **version**: ``<tool> --version`` (pallet through a pip-style console script).

Floors, measured in the same run: the interpreter's start (``python -c pass`` and
``python -I -S -c pass``) and hard-linking the installed site-packages tree (``cp -al`` of
uv's, the least any linking installer has to do).

After each cold and warm sync the ``name==version`` set installed in ``.venv`` (its
``*.dist-info`` folders, pip/setuptools/wheel aside) must equal the first such set of that tool,
and is compared with uv's (a difference is a NOTE). The timed phase runs in a network namespace
with loopback only where ``unshare`` allows it (``--no-netns`` turns that off), with dead
proxies, ``PIP_CONFIG_FILE=/dev/null`` and every tool's HOME, XDG dirs and caches under
``bench/.work/sync``. Each tool runs from its venv under ``bench/.work/venvs/`` (the ones
``lock.py`` makes, plus ``tool-pip`` with the newest pip); pallet is copied from the work tree at
every run. When the tree has no ``pallet sync`` yet, pallet's rows are skipped with a message.

Prints medians and ratios to uv (above 1 = slower than uv) and writes every run to
``bench/.work/sync-results.json``; ``--json`` prints that instead of the table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import lock
from _common import (
    BENCH,
    add_choices,
    chosen,
    copy_from_tree,
    emit,
    ensure_venv,
    machine_info,
    median_or_none,
    ratio_cell,
    run,
)
from lock import CLOSURE, INDEX_ROOT, IndexHandler, IndexServer, Tool

WORK = BENCH / ".work" / "sync"
RESULTS = BENCH / ".work" / "sync-results.json"
TIMEOUT = 600.0
PHASES = ("cold", "warm", "noop", "run", "version")
SEEDED = frozenset({"pip", "setuptools", "wheel"})  # what a venv may carry besides the lock

PIP = Tool("pip", lambda: "pip", "requirements.txt", "", "PIP_CACHE_DIR")
TOOLS = {t.key: t for t in [*lock.TOOLS, PIP]}


def bin_of(tool: Tool, name: str | None = None) -> str:
    return str(tool.venv / "bin" / (name or tool.key))


def sync_command(tool: Tool, project: Path, url: str) -> list[str]:
    """The install-from-lock command a user types after a clone (run in ``project``)."""
    if tool.key == "pip":
        venv = project / ".venv"
        pip = [bin_of(tool, "python"), "-m", "pip", "--python", str(venv / "bin" / "python")]
        install = [*pip, "install", "-q", "-i", url, "-r", "requirements.txt"]
        create = f"[ -d .venv ] || {sys.executable} -m venv --without-pip .venv"
        return ["sh", "-c", f'{create} && exec "$@"', "sh", *install]
    return {
        "pallet": [bin_of(tool), "sync"],
        "uv": [bin_of(tool), "sync"],
        "pdm": [bin_of(tool), "install"],
        "poetry": [bin_of(tool), "install", "--no-root"],
    }[tool.key]


def run_command(tool: Tool, project: Path) -> list[str]:
    if tool.key == "pip":
        return [str(project / ".venv" / "bin" / "python"), "-c", "pass"]
    return [bin_of(tool), "run", "python", "-c", "pass"]


def version_command(tool: Tool) -> list[str]:
    return [bin_of(tool), "--version"]


def env_for(tool: Tool, cache: Path) -> dict[str, str]:
    env = lock.tool_env(tool, cache, work=WORK)
    env.update(
        POETRY_VIRTUALENVS_IN_PROJECT="true",
        POETRY_VIRTUALENVS_CREATE="true",
        PDM_VENV_IN_PROJECT="true",
        PIP_NO_INPUT="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    # pallet: no PALLET_PYTHON (with it, each sync runs the whole interpreter discovery); it
    # finds this Python first on PATH, in its own venv's bin (checked after each sync).
    # pdm: let it make its own in-project venv (PDM_PYTHON would make it install into that
    # interpreter itself); it finds the base interpreter on PATH after its own venv's bin
    env.pop("PDM_PYTHON", None)
    if tool.key == "pdm":
        env["PATH"] = os.pathsep.join([env["PATH"], str(Path(sys.executable).parent)])
    return env


# -- set-up ---------------------------------------------------------------------------------


def prepare_venv(tool: Tool, tree: Path | None) -> None:
    """The tool's venv (lock.py's, or pip's); pallet from ``tree`` (default: the work tree)
    with the console script pip would write."""
    if tool.key == "pip":
        ensure_venv(tool.venv, tool.requires())
        return
    lock.prepare_venv(tool)
    if tool.key == "pallet":
        if tree is not None:
            python = tool.venv / "bin" / "python"
            copy_from_tree(python, [tree / "frontend" / "pallet", tree / "backend" / "pallet_core"])
        script = tool.venv / "bin" / "pallet"
        script.write_text(
            f"#!{tool.venv / 'bin' / 'python'}\nimport sys\nfrom pallet.__main__ import main\n"
            "if __name__ == '__main__':\n    sys.exit(main())\n",
            encoding="utf-8",
        )
        script.chmod(0o755)


def pallet_can_sync() -> bool:
    tool = TOOLS["pallet"]
    proc = run([bin_of(tool), "sync", "--help"], 60, env=env_for(tool, WORK / "probe"))
    return proc.returncode == 0


def tool_version(tool: Tool) -> str:
    if tool.key == "pallet":
        return "tree"
    proc = run(version_command(tool), 60, env=env_for(tool, WORK / "probe"))
    found = re.search(r"\d+\.\d+[\w.]*", proc.stdout + proc.stderr)
    return found.group(0) if found else "?"


def installed_set(venv: Path) -> set[str]:
    """``name==version`` of every distribution in the venv's site-packages (pip & co. aside)."""
    found: set[str] = set()
    for site in venv.glob("lib/python3*/site-packages"):
        for dist_info in site.glob("*.dist-info"):
            name, _, version = dist_info.name[: -len(".dist-info")].rpartition("-")
            name = re.sub(r"[-_.]+", "-", name).lower()
            if name not in SEEDED and name != lock.PROJECT:
                found.add(f"{name}=={version}")
    return found


# -- the run --------------------------------------------------------------------------------


@dataclass
class Result:
    tool: Tool
    version: str = "?"
    times: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PHASES})
    installed: set[str] = field(default_factory=set)
    error: str = ""  # the tool could not lock or sync: nothing more runs for it
    failed: dict[str, str] = field(default_factory=dict)  # run/version failures, by phase
    skipped: str = ""


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str | None]:
    """Run ``cmd``; its wall time and None, or an error text (exit status and output tail)."""
    start = time.perf_counter()
    try:
        proc = run(cmd, TIMEOUT, cwd=cwd, env=env)
    except subprocess.TimeoutExpired:
        return 0.0, f"timed out after {TIMEOUT:.0f} s: {' '.join(cmd)}"
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr + proc.stdout).strip().splitlines()[-12:]
        return elapsed, f"{' '.join(cmd[:3])} ...: exit {proc.returncode}:\n  " + "\n  ".join(tail)
    return elapsed, None


def lock_project(res: Result, url: str, uv_project: Path | None) -> Path:
    """Write the tool's project and lock it (untimed, its own lock-time cache)."""
    tool = res.tool
    project = lock.write_project(tool, url, work=WORK)
    if tool.key == "pip":
        if uv_project is None:
            res.error = "pip's requirements are exported from uv's lock: run with uv"
            return project
        uv = TOOLS["uv"]
        cmd = [bin_of(uv), "export", "--format", "requirements-txt", "--no-emit-project"]
        cmd += ["--no-header", "--frozen", "-o", str(project / "requirements.txt")]
        _, error = timed(cmd, uv_project, env_for(uv, WORK / "lockcache" / "uv"))
    else:
        _, error = timed(
            [bin_of(tool), "lock"], project, env_for(tool, WORK / "lockcache" / tool.key)
        )
    if error:
        res.error = f"lock: {error}"
    return project


def sync_once(res: Result, project: Path, url: str, kind: str) -> None:
    """One sync; kind is "warm-up" (untimed, cold), "cold", "warm" or "noop"."""
    tool = res.tool
    cache = WORK / "cache" / tool.key
    if kind in ("warm-up", "cold"):
        shutil.rmtree(cache, ignore_errors=True)
    if kind != "noop":  # as a fresh clone has it: no venv, no record of one (pdm's)
        shutil.rmtree(project / ".venv", ignore_errors=True)
        (project / ".pdm-python").unlink(missing_ok=True)
    elapsed, error = timed(sync_command(tool, project, url), project, env_for(tool, cache))
    if error:
        res.error = f"{kind} sync: {error}"
        return
    if kind != "noop":
        found = installed_set(project / ".venv")
        if res.installed and found != res.installed:
            res.error = f"{kind} sync installed another set: {sorted(found ^ res.installed)}"
            return
        res.installed = found
    if kind != "warm-up":
        res.times[kind].append(elapsed)


def fast_once(res: Result, project: Path, kind: str) -> None:
    tool = res.tool
    cmd = run_command(tool, project) if kind == "run" else version_command(tool)
    elapsed, error = timed(cmd, project, env_for(tool, WORK / "cache" / tool.key))
    if error:
        res.failed[kind] = error
    else:
        res.times[kind].append(elapsed)


def measure_floors(floors: dict[str, list[float]], site: Path | None, fast: int) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for _ in range(fast):
        for key, cmd in (("python -c pass", [sys.executable, "-c", "pass"]),):
            elapsed, _ = timed(cmd, WORK, env)
            floors[key].append(elapsed)
        elapsed, _ = timed([sys.executable, "-I", "-S", "-c", "pass"], WORK, env)
        floors["python -I -S -c pass"].append(elapsed)
    if site is not None and site.is_dir():
        target = WORK / "link-floor"
        shutil.rmtree(target, ignore_errors=True)
        elapsed, error = timed(["cp", "-al", str(site), str(target)], WORK, env)
        if error is None:
            floors["cp -al site-packages"].append(elapsed)
        shutil.rmtree(target, ignore_errors=True)


def measure(results: list[Result], url: str, reps: int, fast: int) -> dict[str, object]:
    floors: dict[str, list[float]] = {
        "python -c pass": [],
        "python -I -S -c pass": [],
        "cp -al site-packages": [],
    }
    projects: dict[str, Path] = {}
    uv_project = None
    for res in sorted(results, key=lambda r: r.tool.key != "uv"):  # uv first: pip needs it
        if res.skipped:
            continue
        projects[res.tool.key] = lock_project(res, url, uv_project)
        if res.tool.key == "uv" and not res.error:
            uv_project = projects["uv"]
    print("  locked", file=sys.stderr)
    live = [r for r in results if not r.skipped]
    for n in range(reps + 1):
        for kind in ("warm-up",) if n == 0 else ("cold", "warm", "noop"):
            for res in live:
                if not res.error:
                    sync_once(res, projects[res.tool.key], url, kind)
        if n == 0:
            print("  warm-up done", file=sys.stderr)
            continue
        for kind in ("run", "version"):
            for _ in range(fast):
                for res in live:
                    if not res.error and kind not in res.failed:
                        fast_once(res, projects[res.tool.key], kind)
        uv_venv = projects.get("uv", WORK) / ".venv"
        measure_floors(floors, next(uv_venv.glob("lib/python3*/site-packages"), None), fast)
        print(f"  repetition {n}/{reps} done", file=sys.stderr)
    files = 0
    if uv_project is not None:
        files = sum(1 for p in (uv_project / ".venv").rglob("*") if not p.is_dir())
    return {"floors": floors, "uv_venv_files": files}


def report(
    results: list[Result], args: argparse.Namespace, isolated: bool, extra: dict[str, object]
) -> dict[str, object]:
    base = next((r for r in results if r.tool.key == "uv" and not r.error), None)
    rows = []
    for res in results:
        row: dict[str, object] = {"tool": res.tool.key, "tool_version": res.version}
        for kind in PHASES:
            value = median_or_none(
                res.times[kind], bool(res.error or res.skipped or kind in res.failed)
            )
            ref = median_or_none(base.times[kind], False) if base else None
            row[kind] = {
                "median_s": value,
                "runs_s": res.times[kind],
                "ratio_to_uv": value / ref if value is not None and ref else None,
            }
        row["packages"] = len(res.installed)
        row["installed"] = sorted(res.installed)
        row["differs_from_uv"] = (
            sorted(res.installed ^ base.installed)
            if base is not None and res.installed and not res.error
            else None
        )
        row["error"] = res.error or None
        row["failed"] = res.failed or None
        row["skipped"] = res.skipped or None
        rows.append(row)
    floors = extra["floors"]
    assert isinstance(floors, dict)
    return {
        "benchmark": "install a 37-package lock into a fresh .venv from a loopback static index",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "repetitions": args.reps,
        "fast_per_repetition": args.fast,
        "network_namespace": isolated,
        "floors": {
            k: {"median_s": median_or_none(v, False), "runs_s": v} for k, v in floors.items()
        },
        "uv_venv_files": extra["uv_venv_files"],
        "results": rows,
    }


def print_table(data: dict[str, object]) -> None:
    def sec(value: object) -> str:
        return f"{value:7.3f}" if isinstance(value, float) else f"{'-':>7}"

    reps, fast = data["repetitions"], data["fast_per_repetition"]
    assert isinstance(reps, int) and isinstance(fast, int)
    print(
        f"install {lock.PROJECT}'s lock (37 packages) into a fresh .venv from a loopback index; "
        f"median of {reps} cold/warm/no-op syncs, {reps * fast} run/--version (seconds)"
    )
    head = f"{'tool':<7} {'version':<8}"
    for kind in PHASES:
        head += f" {kind + ' s':>7} {'vs uv':>7}"
    print(head + f" {'pkgs':>5}")
    results = data["results"]
    assert isinstance(results, list)
    for row in results:
        line = f"{row['tool']:<7} {row['tool_version']:<8}"
        for kind in PHASES:
            line += f" {sec(row[kind]['median_s'])} {ratio_cell(row[kind]['ratio_to_uv'], 7)}"
        print(line + f" {row['packages']:>5}")
    floors = data["floors"]
    assert isinstance(floors, dict)
    print(
        "floors: "
        + ", ".join(f"{k} {sec(v['median_s']).strip()} s" for k, v in floors.items())
        + f" ({data['uv_venv_files']} files in uv's .venv)"
    )
    machine = data["machine"]
    assert isinstance(machine, dict)
    print(
        f"(network namespace with loopback only: {'yes' if data['network_namespace'] else 'no'}; "
        f"{machine['cpus']} CPUs, load average at the end {machine['loadavg_at_end'][0]:.2f})"
    )
    for row in results:
        if row["differs_from_uv"]:
            print(f"NOTE {row['tool']} installs a different set than uv: {row['differs_from_uv']}")
        if row["skipped"]:
            print(f"SKIPPED {row['tool']}: {row['skipped']}")
        if row["error"]:
            print(f"FAILED {row['tool']}: {row['error']}")
        for kind, error in (row["failed"] or {}).items():
            print(f"FAILED {row['tool']} {kind}: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=3, help="cold/warm/no-op syncs per tool")
    parser.add_argument(
        "--fast", type=int, default=3, help="run and --version calls per tool and repetition"
    )
    add_choices(parser, "--tools", list(TOOLS))
    parser.add_argument(
        "--tree",
        type=Path,
        default=None,
        help="take pallet from this checkout (frontend/, backend/) instead of the work tree",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-netns", action="store_true", help="do not use a network namespace")
    parser.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    wanted = chosen(args.tools)
    if any(k not in TOOLS for k in wanted) or not wanted or args.reps < 1 or args.fast < 1:
        parser.error("unknown tool, no tool, or --reps/--fast below 1")
    missing = [d for d in CLOSURE if not (INDEX_ROOT / "simple" / d / "index.html").is_file()]
    if missing:
        raise SystemExit(f"{INDEX_ROOT} lacks {missing}")
    if "pip" in wanted and "uv" not in wanted:
        parser.error("pip's requirements.txt is exported from uv's lock: add uv to --tools")

    results = [Result(TOOLS[k]) for k in wanted]
    if not args.in_netns:  # setup needs PyPI: outside the namespace
        WORK.mkdir(parents=True, exist_ok=True)
        for res in results:
            try:
                prepare_venv(res.tool, args.tree)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                raise SystemExit(f"setting up {res.tool.key}'s venv failed: {exc}") from exc
        if not args.no_netns:
            code = lock.isolate([*sys.argv[1:], "--in-netns"], script=__file__)
            if code is not None:
                return code

    for res in results:
        if res.tool.key == "pallet" and not pallet_can_sync():
            res.skipped = "this tree has no `pallet sync` yet (pallet sync --help failed)"
        res.version = tool_version(res.tool)
    server = IndexServer(("127.0.0.1", 0), IndexHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    try:
        extra = measure(results, url, args.reps, args.fast)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    data = report(results, args, args.in_netns, extra)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    emit(data, args.json, print_table)
    return 0 if all(not r.error and not r.failed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
