"""Fixtures shared by every test: the offline wheelhouse and an environment for real tools.

The set-up command in README.md downloads pallet-core's runtime dependencies into
``tests/.wheelhouse`` (see ``tests/wheelhouse.txt``); tests build pallet-core itself from the tree
and add it there, so isolated builds (pypa/build, pip) install everything from loopback/disk and
never reach a network. Every tool a test runs gets `tool_env`: pip reads no machine-wide
configuration (``PIP_CONFIG_FILE=/dev/null``) and no index but the wheelhouse.

The lock test matrix (`support.lock_matrix`) runs here for every test: each pylock.toml a test
leaves is read by packaging.pylock, checked by pallet's validator and, where it applies to this
machine, installed with uv (markers ``hand_edited_lock`` and ``lock_defect`` opt out, narrowly).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path

import pytest
from support import lock_matrix
from support.index_server import IndexServer

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
    return fill_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


def fill_wheelhouse(house: Path) -> Path:
    """Copy the downloaded wheels into ``house`` and build pallet-core there."""
    house.mkdir(parents=True, exist_ok=True)
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


# -- the lock test matrix ------------------------------------------------------------------------

_UNDO_WATCH = pytest.StashKey[object]()


def pytest_configure(config: pytest.Config) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    # a directory or VCS entry is built by uv: its build requirements (pallet-core, say) come
    # from the wheelhouse, made once for the matrix when a lock first needs it
    house = fill_wheelhouse if any(WHEELHOUSE.glob("packaging-*.whl")) else None
    matrix = lock_matrix.LockMatrix(uv, wheelhouse=house)
    lock_matrix.ACTIVE = matrix
    config.stash[_UNDO_WATCH] = lock_matrix.watch_servers(IndexServer, matrix)


def pytest_unconfigure(config: pytest.Config) -> None:
    undo = config.stash.get(_UNDO_WATCH, None)
    if callable(undo):
        undo()
    if lock_matrix.ACTIVE is not None:
        lock_matrix.ACTIVE.close()
        lock_matrix.ACTIVE = None


def _hand_edited(item: pytest.Item) -> dict[str, str]:
    found: dict[str, str] = {}
    for mark in item.iter_markers("hand_edited_lock"):
        reason = mark.kwargs.get("reason")
        if not mark.args or not reason:
            pytest.fail(
                f"{item.nodeid}: hand_edited_lock needs the lock's path (relative to tmp_path) "
                "and reason=...",
                pytrace=False,
            )
        found.update(dict.fromkeys(mark.args, str(reason)))
    return found


def _elsewhere(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("lock_for_elsewhere")
    if mark is None:
        return None
    if not mark.args:
        pytest.fail(f"{item.nodeid}: lock_for_elsewhere needs a reason", pytrace=False)
    return str(mark.args[0])


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """Run the matrix on the test's locks after its body, before its fixtures are torn down."""
    matrix = lock_matrix.ACTIVE
    if matrix is None:
        return (yield)
    tmp = pyfuncitem.funcargs.get("tmp_path")
    moves = pyfuncitem.get_closest_marker("lock_moves")
    matrix.begin(
        pyfuncitem.nodeid,
        tmp if isinstance(tmp, Path) else None,
        _hand_edited(pyfuncitem),
        str(moves.args[0]) if moves is not None and moves.args else None,
        _elsewhere(pyfuncitem),
    )
    try:
        result = yield
    except BaseException:
        matrix.abandon()  # the test's own failure comes first
        raise
    problems = matrix.finish()
    defect = pyfuncitem.get_closest_marker("lock_defect")
    expected: list[lock_matrix.Problem] = []
    if defect is not None:
        checks = defect.kwargs.get("checks")
        if not defect.args or not checks or set(checks) - set(lock_matrix.CHECKS):
            pytest.fail(
                f"{pyfuncitem.nodeid}: lock_defect needs the defect ('issue 10 #N: ...') and "
                f"checks=(...) from {lock_matrix.CHECKS}",
                pytrace=False,
            )
        expected = [p for p in problems if p.check in checks]
        problems = [p for p in problems if p.check not in checks]
    if problems:
        pytest.fail(
            "lock matrix: a lock this test wrote fails an independent check\n"
            + "\n".join(f"  {p}" for p in problems)
            + "\n(a lock the test breaks on purpose: @pytest.mark.hand_edited_lock(path, "
            "reason=...); a known pallet defect: @pytest.mark.lock_defect(...); see "
            "tests/support/lock_matrix.py)",
            pytrace=False,
        )
    if defect is not None:
        if expected:
            failed = ", ".join(sorted({p.check for p in expected}))
            pytest.xfail(f"{defect.args[0]} [{failed}: {str(expected[0]).splitlines()[0]}]")
        lock_matrix.stale_defect_warning(pyfuncitem.nodeid, str(defect.args[0]))
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if lock_matrix.ACTIVE is not None and lock_matrix.ACTIVE.stats["locks"]:
        terminalreporter.write_line(lock_matrix.ACTIVE.summary())
