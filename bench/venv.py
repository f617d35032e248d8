"""Time pallet's `create_venv` against ``python -m venv`` (with and without pip) and ``uv venv``.

Every tool makes a fresh environment for the same base interpreter (``--python``, default: the
one running this script, or the base of the venv it runs in) in a fresh folder under
``bench/.work/venv/``; tools take turns within each repetition. pallet is timed twice: the
``create_venv`` call inside a running process (what ``pallet sync`` pays) and a whole process
that imports pallet's venv module and calls it (``python -I -c``, so interpreter start-up is
counted as it is for the others; ``python -I -c pass`` shows that start-up alone). uv comes
from ``PATH`` (skipped if absent), with its cache and config kept out (``UV_NO_CONFIG``, a
private ``UV_CACHE_DIR``, ``UV_PYTHON_DOWNLOADS=never``).

    python3 bench/venv.py                  # 10 repetitions, medians and ratios to pallet
    python3 bench/venv.py --repeat 20 --python /usr/bin/python3.12 --json

Standard library only, plus pallet's own ``frontend/`` from the work tree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work" / "venv"
sys.path.insert(0, str(REPO / "frontend"))

from pallet.python.venv import VenvInterpreter, create_venv  # noqa: E402


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--json", action="store_true", help="print the medians as JSON")
    args = parser.parse_args()

    interp = VenvInterpreter.probe(args.python)
    base = interp.base_executable
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(WORK / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
    )
    in_process = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from pallet.python.venv import VenvInterpreter, create_venv; "
        "create_venv(sys.argv[2], VenvInterpreter(**__import__('json').loads(sys.argv[3])))"
    )
    facts = json.dumps({**interp.__dict__, "version_info": list(interp.version_info)})
    uv = shutil.which("uv")

    tools: dict[str, object] = {
        "pallet create_venv (in process)": None,
        "pallet create_venv (process)": lambda p: [
            base, "-I", "-c", in_process, str(REPO / "frontend"), p, facts
        ],
        "python -I -c pass (start-up only)": lambda p: [base, "-I", "-c", "pass"],
        "python -m venv --without-pip": lambda p: [base, "-m", "venv", "--without-pip", p],
        "python -m venv (with pip)": lambda p: [base, "-m", "venv", p],
    }  # fmt: skip
    if uv:
        tools["uv venv"] = lambda p: [uv, "venv", "-q", "--no-project", "--python", base, p]
    times: dict[str, list[float]] = {name: [] for name in tools}
    for rep in range(args.repeat):
        for i, (name, make) in enumerate(tools.items()):
            path = str(WORK / f"{rep}-{i}")
            if make is None:
                start = time.perf_counter()
                create_venv(path, interp)
                times[name].append(time.perf_counter() - start)
            else:
                times[name].append(_timed(make(path), env))  # type: ignore[operator]
            shutil.rmtree(path, ignore_errors=True)  # start-up only makes nothing
    medians = {name: statistics.median(t) for name, t in times.items()}
    if args.json:
        print(json.dumps({"python": base, "repeat": args.repeat, "median_s": medians}, indent=2))
        return 0
    ref = medians["pallet create_venv (process)"]
    print(f"{interp.implementation} {interp.version} ({base}), {args.repeat} repetitions")
    print(f"{'tool':34} {'median':>10} {'/ pallet (process)':>19}")
    for name, value in medians.items():
        print(f"{name:34} {value * 1000:8.1f}ms {value / ref:18.3g}x")
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
