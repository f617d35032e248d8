"""A 3-member workspace: ``pallet lock`` (cold), no-op ``pallet sync`` and ``pallet run python -c
pass`` from a member, against uv's same commands on the same workspace (``[tool.uv.workspace]``),
on lock.py's loopback copy of /opt/pypi.

pallet and uv run from the interpreter this script runs on (the work tree's venv); everything
goes to ``bench/.work/workspace``. Phases take turns per repetition; medians of ``--reps``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import timed_ok
from lock import IndexHandler, IndexServer, sandbox_env

WORK = Path(__file__).resolve().parent / ".work" / "workspace"
BIN = Path(sys.executable).parent
MEMBERS = {"alpha": ["click"], "beta": ["rich"], "gamma": ["httpx"]}


def write_workspace(tool: str, url: str) -> Path:
    root = WORK / tool
    key = "pallet" if tool == "pallet" else "uv"
    index = (
        f'[[tool.pallet.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n'
        if key == "pallet"
        else f'[[tool.uv.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n'
    )
    (root / "packages").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "wsroot"\nversion = "0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["attrs"]\n\n'
        f'[tool.{key}.workspace]\nmembers = ["packages/*"]\n\n{index}',
        encoding="utf-8",
    )
    for name, deps in MEMBERS.items():
        folder = root / "packages" / name
        folder.mkdir()
        listed = ", ".join(f'"{d}"' for d in deps)
        (folder / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "0"\nrequires-python = ">=3.11"\n'
            f"dependencies = [{listed}]\n",
            encoding="utf-8",
        )
    return root


def environment() -> dict[str, str]:
    return sandbox_env(BIN, WORK, WORK)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--tree",
        type=Path,
        help="run pallet from this checkout's frontend/ (python -m pallet; default: the venv's)",
    )
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    server = IndexServer(("127.0.0.1", 0), IndexHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    env = environment()
    tools = {"pallet": [str(BIN / "pallet")], "uv": [str(BIN / "uv")]}
    if args.tree:
        tools["pallet"] = [sys.executable, "-m", "pallet"]
        env["PYTHONPATH"] = str(args.tree.resolve() / "frontend")
    roots = {t: write_workspace(t, url) for t in tools}
    lock_names = {"pallet": "pylock.toml", "uv": "uv.lock"}
    phases = ("lock (cold)", "sync (no-op)", "run (member)")
    times: dict[str, dict[str, list[float]]] = {p: {t: [] for t in tools} for p in phases}
    try:
        for tool, exe in tools.items():  # untimed: the first lock and sync
            timed_ok(
                [*exe, "sync"],
                roots[tool],
                {**env, f"{tool.upper()}_CACHE_DIR": str(WORK / f"c-{tool}")},
            )
        for _ in range(args.reps):
            for tool, exe in tools.items():
                root = roots[tool]
                cold = {**env, f"{tool.upper()}_CACHE_DIR": str(WORK / f"cold-{tool}")}
                shutil.rmtree(WORK / f"cold-{tool}", ignore_errors=True)
                (root / lock_names[tool]).unlink()
                times["lock (cold)"][tool].append(timed_ok([*exe, "lock"], root, cold))
                warm = {**env, f"{tool.upper()}_CACHE_DIR": str(WORK / f"c-{tool}")}
                timed_ok([*exe, "sync"], root, warm)  # the new lock's stamp, untimed
                times["sync (no-op)"][tool].append(timed_ok([*exe, "sync"], root, warm))
                member = root / "packages" / "beta"
                run = [*exe, "run", "python", "-c", "pass"]
                times["run (member)"][tool].append(timed_ok(run, member, warm))
    finally:
        server.shutdown()
        server.server_close()
    print(f"3-member workspace, median of {args.reps}, load {os.getloadavg()[0]:.1f}")
    print("| phase | pallet | uv | pallet/uv |\n| --- | ---: | ---: | ---: |")
    for phase in phases:
        p, u = (statistics.median(times[phase][t]) for t in tools)
        print(f"| {phase} | {p * 1000:.0f} ms | {u * 1000:.0f} ms | {p / u:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
