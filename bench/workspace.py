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
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lock import DEAD_PROXY, IndexHandler, IndexServer

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
    home = WORK / "home"
    env = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TERM", "TMPDIR")}
    env.update(
        PATH=f"{BIN}:/usr/bin:/bin",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(WORK / "xdg"),
        PIP_CONFIG_FILE="/dev/null",
        NO_COLOR="1",
        HTTP_PROXY=DEAD_PROXY,
        HTTPS_PROXY=DEAD_PROXY,
        ALL_PROXY=DEAD_PROXY,
        NO_PROXY="127.0.0.1,localhost",
        PALLET_NO_PROGRESS="1",
        UV_PYTHON=sys.executable,
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
    )
    return env


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} in {cwd} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


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
            timed(
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
                times["lock (cold)"][tool].append(timed([*exe, "lock"], root, cold))
                warm = {**env, f"{tool.upper()}_CACHE_DIR": str(WORK / f"c-{tool}")}
                timed([*exe, "sync"], root, warm)  # the new lock's stamp, untimed
                times["sync (no-op)"][tool].append(timed([*exe, "sync"], root, warm))
                member = root / "packages" / "beta"
                run = [*exe, "run", "python", "-c", "pass"]
                times["run (member)"][tool].append(timed(run, member, warm))
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
