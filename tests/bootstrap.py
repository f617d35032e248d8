"""Prepare this Python environment to run the test suite (the set-up half of README's command).

1. Installs pallet-core and pallet from this tree as editable installs (through pallet-core's own
   PEP 660 hooks) and the test tools of tests/requirements.txt.
2. Downloads the pure-Python wheels of tests/wheelhouse.txt into tests/.wheelhouse, for Python 3.9
   and later, so that the tests can give isolated builds everything offline.

Both steps use pip with the machine's own configuration; the tests that follow never reach a
network (they run pip with PIP_CONFIG_FILE=/dev/null and their own loopback or file indexes).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, cwd=REPO)


def main() -> int:
    pip("install", "-q", "-e", "./backend", "-e", ".", "-r", "tests/requirements.txt")
    pip(
        "download",
        "-q",
        "--only-binary=:all:",
        "--no-deps",
        "--python-version",
        "3.9",
        "--implementation",
        "py",
        "--abi",
        "none",
        "--platform",
        "any",
        "--dest",
        str(TESTS / ".wheelhouse"),
        "-r",
        str(TESTS / "wheelhouse.txt"),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
