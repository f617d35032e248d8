"""The CLI skeleton: version, help, exit codes, and that the hot paths import little."""

from __future__ import annotations

import json
import subprocess
import sys

import pallet

HEAVY = ("urllib3", "resolvelib", "build", "pyproject_hooks", "pallet.index.client", "tomlkit")


def pallet_cmd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pallet", *args], capture_output=True, text=True, check=False
    )


def test_version() -> None:
    proc = pallet_cmd("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"pallet {pallet.__version__}"


def test_no_command_prints_help_and_fails() -> None:
    proc = pallet_cmd()
    assert proc.returncode == 2
    assert "COMMAND" in proc.stderr


def test_unknown_command_is_an_argparse_error() -> None:
    proc = pallet_cmd("frobnicate")
    assert proc.returncode == 2
    assert "invalid choice: 'frobnicate'" in proc.stderr
    assert "Traceback" not in proc.stderr


def _modules_after(argv: list[str]) -> set[str]:
    code = (
        "import sys, json, contextlib, io\n"
        "from pallet.__main__ import main\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


def test_version_and_help_import_nothing_heavy() -> None:
    for argv in (["--version"], ["--help"], ["build", "--help"], ["lock", "--help"]):
        loaded = _modules_after(argv)
        assert not [m for m in HEAVY if m in loaded], (argv, [m for m in HEAVY if m in loaded])


def test_library_warnings_are_routed_through_ui() -> None:
    code = (
        "import logging, sys\n"
        "from pallet.cli import main as m\n"
        "m.route_logging(False)\n"
        "logging.getLogger('pallet.resolve.candidates').warning('x 1.0 lacks extra %r', 'y')\n"
        "logging.getLogger('pallet.index').info('not shown without -v')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr == "warning: x 1.0 lacks extra 'y'\n"
