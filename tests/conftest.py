"""Fixtures shared by every test: the offline wheelhouse and an environment for real tools.

The set-up command in README.md downloads pallet-core's runtime dependencies into
``tests/.wheelhouse`` (see ``tests/wheelhouse.txt``); tests build pallet-core itself from the tree
and add it there, so isolated builds (pypa/build, pip) install everything from loopback/disk and
never reach a network. Every tool a test runs gets `tool_env`: pip reads no machine-wide
configuration (``PIP_CONFIG_FILE=/dev/null``) and no index but the wheelhouse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WHEELHOUSE = REPO / "tests" / ".wheelhouse"
FIXTURES = REPO / "fixtures"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of wheels: pallet-core's dependencies plus pallet-core built from the tree."""
    if not any(WHEELHOUSE.glob("packaging-*.whl")):
        pytest.fail(
            f"{WHEELHOUSE} is empty: run the test set-up command from README.md "
            "(it downloads the wheels listed in tests/wheelhouse.txt)"
        )
    house = tmp_path_factory.mktemp("wheelhouse")
    for wheel in WHEELHOUSE.glob("*.whl"):
        shutil.copy2(wheel, house / wheel.name)
    # Build pallet-core with its own hooks, in a subprocess as a frontend would.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import pallet_core.build as b; print(b.build_wheel(sys.argv[2]))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(REPO / "backend"), str(house)],
        check=True,
        cwd=REPO / "backend",
        capture_output=True,
    )
    return house


@pytest.fixture(scope="session")
def tool_env(wheelhouse: Path) -> dict[str, str]:
    """Environment for pip, build, uv and twine: offline, no machine-wide pip configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        UV_NO_CONFIG="1",
        UV_OFFLINE="1",
        UV_FIND_LINKS=str(wheelhouse),
        UV_NO_INDEX="1",
    )
    env.pop("SOURCE_DATE_EPOCH", None)
    return env
