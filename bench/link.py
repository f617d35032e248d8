"""Time pallet's wheel linking (`install_wheel`, hard links) against ``cp -al`` of the same trees.

The wheels of a folder (default: the lock benchmark's wheel cache, the 37-package project of
``bench/lock.py``, one version per project) are unpacked once into a store under
``bench/.work/link/``; then, taking turns within each repetition, pallet installs every unpacked
wheel into a fresh venv (staging, RECORD, INSTALLER, scripts included) and ``cp -al`` links the
same trees into a fresh folder, the floor for making that many links. Also timed: reading the
unpacked wheels back (`load_unpacked`) and scanning the venv (`installed`).

    python3 bench/link.py                      # 10 repetitions, medians and the ratio
    python3 bench/link.py --wheels DIR --repeat 20

Standard library only, plus pallet's own ``frontend/`` from the work tree.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "frontend"))
WORK = BENCH / ".work" / "link"
DEFAULT_WHEELS = BENCH / ".work" / "lock" / "cache" / "pallet" / "pallet" / "wheels-v1"


def main() -> int:
    from pallet.install.installed import installed
    from pallet.install.link import install_wheel
    from pallet.install.scheme import Scheme
    from pallet.install.wheelfile import load_unpacked, unpack_wheel
    from pallet.python.venv import VenvInterpreter, create_venv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, default=DEFAULT_WHEELS)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    wheels: dict[str, Path] = {}
    for wheel in sorted(args.wheels.rglob("*.whl")):
        wheels.setdefault(wheel.name.split("-")[0], wheel)  # one version per project
    if not wheels:
        print(f"no wheels under {args.wheels} (run bench/lock.py first, or pass --wheels)")
        return 1
    shutil.rmtree(WORK, ignore_errors=True)
    store = WORK / "store"
    start = time.perf_counter()
    trees = [unpack_wheel(w, store / w.name, filename=w.name).root for w in wheels.values()]
    unpacking = time.perf_counter() - start
    start = time.perf_counter()
    unpacked = [load_unpacked(tree) for tree in trees]
    loading = time.perf_counter() - start
    files = sum(len(u.files) for u in unpacked if u is not None)
    interpreter = VenvInterpreter.probe(sys.executable)

    pallet, floor, scans = [], [], []
    for turn in range(args.repeat):
        scheme = Scheme.for_venv(create_venv(WORK / f"venv{turn}", interpreter), interpreter)
        subprocess.run(["sync"], check=False)
        start = time.perf_counter()
        for wheel in unpacked:
            assert wheel is not None
            install_wheel(wheel, scheme)
        pallet.append(time.perf_counter() - start)
        start = time.perf_counter()
        installed(scheme)
        scans.append(time.perf_counter() - start)
        target = WORK / f"cp{turn}"
        target.mkdir()
        subprocess.run(["sync"], check=False)
        start = time.perf_counter()
        subprocess.run(["cp", "-al", *map(str, trees), str(target)], check=True)
        floor.append(time.perf_counter() - start)

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f} ms"

    print(f"{len(unpacked)} wheels, {files} files; unpacking them once: {unpacking:.2f} s")
    print(f"load_unpacked, all: {loading * 1000:.1f} ms")
    print(f"install_wheel, all (hard links): {ms(pallet)}")
    print(f"cp -al of the same trees:         {ms(floor)}")
    print(f"ratio: {statistics.median(pallet) / statistics.median(floor):.2f}x cp -al")
    print(f"installed() on the venv ({len(unpacked)} dists): {ms(scans)}")
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
