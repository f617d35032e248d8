"""Tool installs and one-off runs: ``pallet tool install --force`` vs ``uv tool install --force``,
``pallet x`` vs ``uvx`` (both run the installed tool) and ``--isolated`` (a cached environment),
against lock.py's loopback copy of /opt/pypi. The tool's own ``--version`` is in every run
figure: the table's last row is the installed script alone (the floor).

pallet and uv run from the interpreter this script runs on (the work tree's venv: pallet
editable, uv installed there); caches, tool folders and HOME under ``bench/.work/tools``. One
untimed round first (fills both caches), then ``--reps`` rounds, the tools taking turns.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import timed_ok
from lock import IndexHandler, IndexServer, sandbox_env

WORK = Path(__file__).resolve().parent / ".work" / "tools"
BIN = Path(sys.executable).parent


def environment(url: str) -> dict[str, str]:
    env = sandbox_env(BIN, WORK, WORK)
    env.update(
        PALLET_CACHE_DIR=str(WORK / "cache-pallet"),
        PALLET_TOOL_DIR=str(WORK / "tools-pallet"),
        PALLET_TOOL_BIN_DIR=str(WORK / "bin-pallet"),
        PALLET_INDEX_URL=url,
        UV_CACHE_DIR=str(WORK / "cache-uv"),
        UV_TOOL_DIR=str(WORK / "tools-uv"),
        UV_TOOL_BIN_DIR=str(WORK / "bin-uv"),
        UV_DEFAULT_INDEX=url,
    )
    return env


def commands(tool: str, tree: Path | None) -> dict[str, dict[str, list[str]]]:
    pallet = [sys.executable, "-m", "pallet"] if tree else [str(BIN / "pallet")]
    uv = [str(BIN / "uv")]
    return {
        "install --force": {
            "pallet": [*pallet, "tool", "install", "--force", tool],
            "uv": [*uv, "tool", "install", "--force", tool],
        },
        "x (installed tool)": {
            "pallet": [*pallet, "x", tool, "--version"],
            "uv": [*uv, "tool", "run", tool, "--version"],
        },
        "x --isolated (cached env)": {
            "pallet": [*pallet, "x", "--isolated", tool, "--version"],
            "uv": [*uv, "tool", "run", "--isolated", tool, "--version"],
        },
    }


def timed(cmd: list[str], env: dict[str, str]) -> float:
    return timed_ok(cmd, WORK, env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--tree",
        type=Path,
        help="run pallet from this checkout's frontend/ (python -m pallet; default: the venv's)",
    )
    parser.add_argument("--tool", default="black", help="what to install (in /opt/pypi)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    server = IndexServer(("127.0.0.1", 0), IndexHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = environment(f"http://127.0.0.1:{server.server_address[1]}/simple/")
    phases = commands(args.tool, args.tree)
    if args.tree:
        env["PYTHONPATH"] = str(args.tree.resolve() / "frontend")
    times: dict[str, dict[str, list[float]]] = {p: {"pallet": [], "uv": []} for p in phases}
    try:
        for rep in range(args.reps + 1):
            for phase, per_tool in phases.items():
                for tool, cmd in per_tool.items():
                    if phase != "install --force":  # the new environment's first run compiles
                        timed(cmd, env)  # its bytecode: untimed, for both tools
                    elapsed = timed(cmd, env)
                    if rep:
                        times[phase][tool].append(elapsed)
    finally:
        server.shutdown()
        server.server_close()
    script = WORK / "bin-pallet" / args.tool
    floor = statistics.median(timed([str(script), "--version"], env) for _ in range(args.reps))
    medians = {p: {t: statistics.median(v) for t, v in d.items()} for p, d in times.items()}
    if args.json:
        print(json.dumps({"tool": args.tool, "times": times, "medians": medians}, indent=2))
    print(f"{args.tool}, median of {args.reps}, load {os.getloadavg()[0]:.1f}")
    print("| phase | pallet | uv | pallet/uv |\n| --- | ---: | ---: | ---: |")
    for phase, m in medians.items():
        print(
            f"| {phase} | {m['pallet'] * 1000:.0f} ms | {m['uv'] * 1000:.0f} ms "
            f"| {m['pallet'] / m['uv']:.1f}x |"
        )
    print(f"| `{args.tool} --version` alone (floor) | {floor * 1000:.0f} ms | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
