"""Time pallet's hardware variants (issue 12) against uv's PyTorch recipe on loopback indexes.

Two scenarios, each tool from its venv under ``bench/.work/venvs/`` (``lock.py``'s; pallet
copied from the work tree at every run), with its HOME, XDG dirs and caches under
``bench/.work/variants``, the dead proxies and loopback-only network namespace of ``lock.py``.

**fixture**: the PyTorch-like test index (``tests/support/torch_index.py``: small wheels of
``torch 2.5.1+cu126``/``+rocm6.2``/``+cpu``, torchvision, filelock) served in this process. One
project with three variants, ``cu126``, ``rocm6-2`` and ``cpu`` (torch, torchvision). pallet's
pyproject is ``TorchIndex.pyproject`` (``[tool.pallet.variants]``, one explicit index each);
uv's follows "Using uv with PyTorch" (docs.astral.sh/uv/guides/integration/pytorch/): the same
extras, ``[tool.uv] conflicts`` between them, ``[tool.uv.sources]`` torch/torchvision =
``[{ index = ..., extra = ... }]`` per extra, explicit ``[[tool.uv.index]]``. Phases:

- ``lock-cold`` (empty cache, no lock), ``lock-warm`` (cache kept, lock removed),
  ``lock-noop`` (lock present): ``pallet lock`` / ``uv lock``.
- ``sync-cold``: no ``.venv``, empty cache; pallet ``sync`` on the simulated ``driver-560``
  machine (``tests/support/machines.py``: CUDA 12.6, so detection picks cu126), uv
  ``sync --extra cu126``.
- ``switch``: to the CPU build: pallet ``sync --variant cpu``, uv ``sync --extra cpu``.
- ``sync-noop``: the same sync again: pallet ``sync`` (keeps the chosen cpu), uv
  ``sync --extra cpu`` (a bare ``uv sync`` would remove torch).
- ``run``: pallet ``run python -c pass``, uv ``run --extra cpu python -c pass``.

After each sync and run the venv must hold exactly one torch, of the expected build (its
``torch/version.py``: ``cuda = '12.6'`` or ``None``, ``__version__`` with ``+cu126``/``+cpu``).

**real**: the real 192 MB ``torch-2.13.0+cpu`` cp311 wheel from ``/opt/wheels`` as a one-file
PyTorch CPU index (a PEP 503 page generated under ``bench/.work/variants/real-index``), its
dependencies from ``/opt/pypi`` (``lock.py``'s server, which serves both), and the fixture's
cu126 index as a second variant so uv's recipe is the same. ``requires-python = "==3.11.*"``,
locked for Linux x86_64 only (``environments``: the wheel is for nothing else). Locked once,
untimed, then per repetition: ``sync-cold`` (empty cache, no ``.venv``: download 192 MB and
install; pallet on the ``no-gpu`` machine, so it picks cpu; uv ``sync --extra cpu``),
``sync-warm`` (cache kept, ``.venv`` removed), and after the warm sync the disk used by the
cache and the venv (``du`` over both at once, so a file hard-linked from the cache into the venv
counts once; also each alone).

Tools take turns within each phase of each of ``--reps`` repetitions, after one untimed
warm-up round. Python 3.11 (this script's interpreter, pyenv's) for both tools. Prints medians
and ratios to uv (above 1 = slower than uv) and writes every run to
``bench/.work/variants-results.json``; ``--json`` prints that instead of the table.
"""

from __future__ import annotations

import argparse
import hashlib
import html
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
import sync
from _common import (
    BENCH,
    REPO,
    add_choices,
    chosen,
    emit,
    machine_info,
    median_or_none,
    ratio_cell,
    run,
)
from lock import IndexHandler, IndexServer, Tool

sys.path.insert(0, str(REPO / "tests"))
from support.machines import machine_env
from support.torch_index import TorchIndex, build_torch_index, variant_pyproject

WORK = BENCH / ".work" / "variants"
RESULTS = BENCH / ".work" / "variants-results.json"
TIMEOUT = 600.0
REAL_WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
BACKENDS = ("cu126", "rocm6.2", "cpu")
FIXTURE_PHASES = ("lock-cold", "lock-warm", "lock-noop", "sync-cold", "switch", "sync-noop", "run")
REAL_PHASES = ("sync-cold", "sync-warm")
DISK = ("cache", "venv", "together")
TOOLS = {t.key: t for t in lock.TOOLS if t.key in ("pallet", "uv")}
LINUX_X86_64 = "sys_platform == 'linux' and platform_machine == 'x86_64'"


def bin_of(tool: Tool) -> str:
    return str(tool.venv / "bin" / tool.key)


def env_for(tool: Tool, cache: Path, machine: str) -> dict[str, str]:
    """lock.py's isolated environment, as seen from a simulated machine (for both tools)."""
    env = lock.tool_env(tool, cache, work=WORK)
    env.pop("PDM_PYTHON", None)
    return machine_env(machine, env)


# -- the projects ---------------------------------------------------------------------------


def uv_pyproject(
    backend_urls: dict[str, str],
    default_url: str,
    packages: tuple[str, ...],
    requires_python: str,
    environments: str | None = None,
) -> str:
    """uv's documented PyTorch recipe: one extra per backend, conflicting, each taking its
    packages from its own explicit index; the local PyPI as the default index."""
    extras = {b: re.sub(r"[-_.]+", "-", b).lower() for b in backend_urls}  # PEP 685
    pkgs = ", ".join(f'"{p}"' for p in packages)
    lines = [
        "[project]",
        'name = "demo"',
        'version = "1.0"',
        f'requires-python = "{requires_python}"',
        "dependencies = []",
        "",
        "[project.optional-dependencies]",
        *(f"{e} = [{pkgs}]" for e in extras.values()),
        "",
        "[tool.uv]",
        "conflicts = [[" + ", ".join(f'{{ extra = "{e}" }}' for e in extras.values()) + "]]",
    ]
    if environments:
        lines.append(f'environments = ["{environments}"]')
    lines += ["", "[tool.uv.sources]"]
    for name in (re.split(r"[<>=!~ ;\[]", p, maxsplit=1)[0] for p in packages):
        items = ", ".join(f'{{ index = "pytorch-{e}", extra = "{e}" }}' for e in extras.values())
        lines.append(f"{name} = [{items}]")
    lines += ["", "[[tool.uv.index]]", 'name = "pypi-local"', f'url = "{default_url}"']
    lines += ["default = true", ""]
    for backend, url in backend_urls.items():
        lines += ["[[tool.uv.index]]", f'name = "pytorch-{extras[backend]}"', f'url = "{url}"']
        lines += ["explicit = true", ""]
    return "\n".join(lines)


def write_project(tool: Tool, scenario: str, text: str) -> Path:
    project = WORK / scenario / tool.key
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    return project


def fixture_projects(index: TorchIndex) -> dict[str, str]:
    urls = {b: index.url(b) for b in BACKENDS}
    return {
        "pallet": index.pyproject(list(BACKENDS)),
        "uv": uv_pyproject(urls, index.url("simple"), ("torch>=2.5", "torchvision"), ">=3.9"),
    }


def real_projects(cpu_url: str, pypi_url: str, cu126_url: str) -> dict[str, str]:
    urls = {"cu126": cu126_url, "cpu": cpu_url}
    # torch only: the real index has no torchvision; the fixture's cu126 torch is 2.5.1
    pallet = variant_pyproject(urls, pypi_url, packages=("torch",), dependencies=())
    pallet = pallet.replace('requires-python = ">=3.9"', 'requires-python = "==3.11.*"')
    pallet += f'\n[tool.pallet.resolution]\nenvironments = ["{LINUX_X86_64}"]\n'
    uv = uv_pyproject(urls, pypi_url, ("torch",), "==3.11.*", LINUX_X86_64)
    return {"pallet": pallet, "uv": uv}


# -- the real wheel's index ------------------------------------------------------------------


def real_index() -> Path:
    """``real-index/cpu/torch/index.html`` linking the real wheel (hard-linked beside it)."""
    root = WORK / "real-index"
    files = root / "cpu-files"
    files.mkdir(parents=True, exist_ok=True)
    wheel = files / REAL_WHEEL.name
    if not wheel.exists():
        try:
            os.link(REAL_WHEEL, wheel)
        except OSError:
            shutil.copyfile(REAL_WHEEL, wheel)
    stamp = root / "sha256"
    key = f"{REAL_WHEEL.stat().st_size}-{REAL_WHEEL.stat().st_mtime_ns}"
    if not stamp.exists() or not stamp.read_text().startswith(key):
        with open(REAL_WHEEL, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        stamp.write_text(f"{key} {digest}", encoding="utf-8")
    digest = stamp.read_text().split()[1]
    page = root / "cpu" / "torch" / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    href = html.escape(f"../../cpu-files/{REAL_WHEEL.name}#sha256={digest}")  # PEP 503
    page.write_text(
        "<!DOCTYPE html>\n<html><body>\n"
        f'<a href="{href}" data-requires-python="&gt;=3.10">{html.escape(REAL_WHEEL.name)}</a>\n'
        "</body></html>\n",
        encoding="utf-8",
    )
    (root / "cpu" / "index.html").write_text(
        '<!DOCTYPE html>\n<html><body><a href="torch/">torch</a></body></html>\n',
        encoding="utf-8",
    )
    return root


class RealHandler(IndexHandler):
    """``/simple/...`` and ``/files/...`` from /opt/pypi, ``/cpu/...`` and ``/cpu-files/...``
    from the generated real-index folder."""

    real_root = WORK / "real-index"

    def target(self, parts: list[str]) -> Path:
        if parts and parts[0] in ("cpu", "cpu-files") and ".." not in parts:
            return self.real_root.joinpath(*parts)
        return super().target(parts)


# -- running and checking --------------------------------------------------------------------


@dataclass
class Result:
    tool: Tool
    version: str = "?"
    times: dict[str, list[float]] = field(default_factory=dict)
    disk: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in DISK})
    error: str = ""


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str | None]:
    start = time.perf_counter()
    try:
        proc = run(cmd, TIMEOUT, cwd=cwd, env=env)
    except subprocess.TimeoutExpired:
        return 0.0, f"timed out after {TIMEOUT:.0f} s: {' '.join(cmd)}"
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr + proc.stdout).strip().splitlines()[-12:]
        return elapsed, f"{' '.join(cmd[1:])}: exit {proc.returncode}:\n  " + "\n  ".join(tail)
    return elapsed, None


def torch_build(venv: Path) -> str:
    """``torch <version> cuda=<cuda>`` of the one torch in the venv; raise if not exactly one."""
    infos = [
        d
        for d in venv.glob("lib/python3*/site-packages/*.dist-info")
        if d.name.startswith("torch-")
    ]
    if len(infos) != 1:
        raise ValueError(f"{len(infos)} torch distributions in {venv}: {[d.name for d in infos]}")
    version_py = next(venv.glob("lib/python3*/site-packages/torch/version.py"))
    text = version_py.read_text(encoding="utf-8")
    version = re.search(r"__version__\s*=\s*'([^']*)'|__version__\s*=\s*\"([^\"]*)\"", text)
    cuda = re.search(r"^cuda(?::[^=]*)?\s*=\s*(\S+)", text, re.M)
    found = next((g for g in version.groups() if g), "?") if version else "?"
    dist_version = infos[0].name[len("torch-") : -len(".dist-info")]
    if dist_version != found:
        raise ValueError(f"torch dist-info says {dist_version}, torch/version.py {found}")
    return f"{found} cuda={cuda.group(1) if cuda else '?'}"


def step(
    res: Result, phase: str | None, cmd: list[str], project: Path, env: dict[str, str], want: str
) -> None:
    """Run one command; time it under ``phase`` (None: untimed); check the torch build."""
    if res.error:
        return
    elapsed, error = timed(cmd, project, env)
    if error:
        res.error = f"{phase or 'warm-up'}: {error}"
        return
    if want:
        try:
            build = torch_build(project / ".venv")
        except (ValueError, StopIteration, OSError) as exc:
            res.error = f"{phase or 'warm-up'}: {exc}"
            return
        if want not in build:
            res.error = f"{phase or 'warm-up'}: expected torch {want}, found {build}"
            return
    if phase is not None:
        res.times.setdefault(phase, []).append(elapsed)


def du_bytes(*paths: Path) -> int:
    """Bytes used by these paths together, each hard-linked file once (``du -s -B1 -c``)."""
    proc = run(["du", "-s", "-B1", "-c", *map(str, paths)], 120)
    return int(proc.stdout.strip().splitlines()[-1].split()[0])


def cmds(tool: Tool, kind: str) -> list[str]:
    b = bin_of(tool)
    pallet = {
        "lock": [b, "lock"],
        "sync-cu126": [b, "sync"],
        "sync-auto": [b, "sync"],
        "switch": [b, "sync", "--variant", "cpu"],
        "noop": [b, "sync"],
        "run": [b, "run", "python", "-c", "pass"],
    }
    uv = {
        "lock": [b, "lock"],
        "sync-cu126": [b, "sync", "--extra", "cu126"],
        "sync-auto": [b, "sync", "--extra", "cpu"],
        "switch": [b, "sync", "--extra", "cpu"],
        "noop": [b, "sync", "--extra", "cpu"],
        "run": [b, "run", "--extra", "cpu", "python", "-c", "pass"],
    }
    return (pallet if tool.key == "pallet" else uv)[kind]


def fixture_round(results: list[Result], projects: dict[str, Path], timed_round: bool) -> None:
    def each(phase: str, kind: str, want: str, machine: str, reset: tuple[str, ...]) -> None:
        for res in results:
            project = projects[res.tool.key]
            cache = WORK / "fixture-cache" / res.tool.key
            if "cache" in reset:
                shutil.rmtree(cache, ignore_errors=True)
            if "lock" in reset:
                (project / res.tool.lock_file).unlink(missing_ok=True)
            if "venv" in reset:
                shutil.rmtree(project / ".venv", ignore_errors=True)
            env = env_for(res.tool, cache, machine)
            step(res, phase if timed_round else None, cmds(res.tool, kind), project, env, want)

    each("lock-cold", "lock", "", "driver-560", ("cache", "lock", "venv"))
    each("lock-warm", "lock", "", "driver-560", ("lock",))
    each("lock-noop", "lock", "", "driver-560", ())
    each("sync-cold", "sync-cu126", "+cu126 cuda='12.6'", "driver-560", ("cache", "venv"))
    each("switch", "switch", "+cpu cuda=None", "driver-560", ())
    each("sync-noop", "noop", "+cpu cuda=None", "driver-560", ())
    each("run", "run", "+cpu cuda=None", "driver-560", ())


def real_round(results: list[Result], projects: dict[str, Path], timed_round: bool) -> None:
    want = "2.13.0+cpu cuda=None"
    for phase in REAL_PHASES:
        for res in results:
            project = projects[res.tool.key]
            cache = WORK / "real-cache" / res.tool.key
            if phase == "sync-cold":
                shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(project / ".venv", ignore_errors=True)
            env = env_for(res.tool, cache, "no-gpu")
            step(
                res, phase if timed_round else None, cmds(res.tool, "sync-auto"), project, env, want
            )
            if phase == "sync-warm" and timed_round and not res.error:
                venv = project / ".venv"
                res.disk["cache"].append(du_bytes(cache))
                res.disk["venv"].append(du_bytes(venv))
                res.disk["together"].append(du_bytes(cache, venv))


def lock_real(results: list[Result], projects: dict[str, Path]) -> None:
    for res in results:
        cache = WORK / "real-lockcache" / res.tool.key
        project = projects[res.tool.key]
        step(res, None, cmds(res.tool, "lock"), project, env_for(res.tool, cache, "no-gpu"), "")
        if res.error:
            res.error = f"lock (untimed): {res.error}"


# -- the report -----------------------------------------------------------------------------


def rows(results: list[Result], phases: tuple[str, ...]) -> list[dict[str, object]]:
    base = next((r for r in results if r.tool.key == "uv" and not r.error), None)
    out = []
    for res in results:
        row: dict[str, object] = {"tool": res.tool.key, "tool_version": res.version}
        for phase in phases:
            value = median_or_none(res.times.get(phase, []), bool(res.error))
            ref = median_or_none(base.times.get(phase, []), False) if base else None
            row[phase] = {
                "median_s": value,
                "runs_s": res.times.get(phase, []),
                "ratio_to_uv": value / ref if value is not None and ref else None,
            }
        if any(res.disk.values()):
            row["disk_bytes"] = {k: max(v) if v else None for k, v in res.disk.items()}
        row["error"] = res.error or None
        out.append(row)
    return out


def print_table(data: dict[str, object]) -> None:
    def sec(value: object) -> str:
        return f"{value:7.3f}" if isinstance(value, float) else f"{'-':>7}"

    scenarios = data["scenarios"]
    assert isinstance(scenarios, dict)
    for name, scenario in scenarios.items():
        phases = FIXTURE_PHASES if name == "fixture" else REAL_PHASES
        print(f"{name}: median of {data['repetitions']} (seconds)")
        head = f"{'tool':<7} {'version':<8}" + "".join(f" {p:>9} {'vs uv':>6}" for p in phases)
        if name == "real":
            head += f" {'cache MB':>9} {'venv MB':>8} {'both MB':>8}"
        print(head)
        for row in scenario:
            line = f"{row['tool']:<7} {row['tool_version']:<8}"
            for p in phases:
                line += f" {sec(row[p]['median_s']):>9} {ratio_cell(row[p]['ratio_to_uv'], 6)}"
            disk = row.get("disk_bytes")
            if isinstance(disk, dict):
                line += "".join(
                    f" {(disk[k] or 0) / 1e6:{w}.0f}" for k, w in zip(DISK, (9, 8, 8), strict=True)
                )
            print(line)
        for row in scenario:
            if row["error"]:
                print(f"FAILED {row['tool']}: {row['error']}")
        print()
    machine = data["machine"]
    assert isinstance(machine, dict)
    print(
        f"(network namespace with loopback only: {'yes' if data['network_namespace'] else 'no'}; "
        f"{machine['cpus']} CPUs, load average at the end {machine['loadavg_at_end'][0]:.2f})"
    )


def tool_version(tool: Tool) -> str:
    if tool.key == "pallet":
        return "tree"
    proc = run([bin_of(tool), "--version"], 60, env=env_for(tool, WORK / "probe", "no-gpu"))
    found = re.search(r"\d+\.\d+[\w.]*", proc.stdout + proc.stderr)
    return found.group(0) if found else "?"


def serve(server: IndexServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=3, help="timed repetitions per phase")
    add_choices(parser, "--tools", list(TOOLS))
    add_choices(parser, "--scenarios", ["fixture", "real"])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-netns", action="store_true", help="do not use a network namespace")
    parser.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    tools, scenarios = chosen(args.tools), chosen(args.scenarios)
    if not tools or any(t not in TOOLS for t in tools) or args.reps < 1:
        parser.error("unknown tool, no tool, or --reps below 1")
    if any(s not in ("fixture", "real") for s in scenarios):
        parser.error("unknown scenario")
    if sys.version_info[:2] != (3, 11):
        parser.error("run with Python 3.11 (the real wheel is cp311): pyenv's python3")
    if "real" in scenarios and not REAL_WHEEL.is_file():
        raise SystemExit(f"{REAL_WHEEL} is missing")
    if not args.in_netns:
        WORK.mkdir(parents=True, exist_ok=True)
        for key in tools:
            sync.prepare_venv(TOOLS[key], None)  # pallet with a pip-style console script
        if "real" in scenarios:
            real_index()
        if not args.no_netns:
            code = lock.isolate([*sys.argv[1:], "--in-netns"], script=__file__)
            if code is not None:
                return code

    data: dict[str, object] = {
        "benchmark": "hardware variants: pallet vs uv's PyTorch recipe, loopback indexes",
        "repetitions": args.reps,
        "network_namespace": args.in_netns,
        "scenarios": {},
    }
    found: dict[str, list[dict[str, object]]] = {}
    failed = False
    with build_torch_index(WORK / "torch-index") as index:
        if "fixture" in scenarios:
            results = [Result(TOOLS[k]) for k in tools]
            for res in results:
                res.version = tool_version(res.tool)
            texts = fixture_projects(index)
            projects = {k: write_project(TOOLS[k], "fixture", texts[k]) for k in tools}
            for n in range(args.reps + 1):
                fixture_round(results, projects, timed_round=n > 0)
                print(f"  fixture: round {n}/{args.reps} done", file=sys.stderr)
            found["fixture"] = rows(results, FIXTURE_PHASES)
            failed |= any(r.error for r in results)
        if "real" in scenarios:
            server = IndexServer(("127.0.0.1", 0), RealHandler)
            thread = serve(server)
            base = f"http://127.0.0.1:{server.server_address[1]}"
            try:
                results = [Result(TOOLS[k]) for k in tools]
                for res in results:
                    res.version = tool_version(res.tool)
                texts = real_projects(f"{base}/cpu/", f"{base}/simple/", index.url("cu126"))
                projects = {k: write_project(TOOLS[k], "real", texts[k]) for k in tools}
                lock_real(results, projects)
                for n in range(args.reps + 1):
                    real_round(results, projects, timed_round=n > 0)
                    print(f"  real: round {n}/{args.reps} done", file=sys.stderr)
            finally:
                server.shutdown()
                server.server_close()
                thread.join(timeout=10)
            found["real"] = rows(results, REAL_PHASES)
            failed |= any(r.error for r in results)
    data["scenarios"] = found
    data["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    data["machine"] = machine_info()
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    emit(data, args.json, print_table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
