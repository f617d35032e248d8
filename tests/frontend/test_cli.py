"""The CLI skeleton: version, help, exit codes, and that the hot paths import little."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

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
    for argv in (
        ["--version"],
        ["--help"],
        ["build", "--help"],
        ["lock", "--help"],
        ["python", "list", "--help"],
    ):
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


def test_help_lists_exactly_the_commands_that_exist() -> None:
    from pallet.cli.main import COMMANDS

    proc = pallet_cmd("--help")
    assert proc.returncode == 0
    listed = re.findall(r"^    (\w+) ", proc.stdout, re.MULTILINE)
    assert listed == sorted(COMMANDS)
    for name in COMMANDS:  # and each of them runs
        assert pallet_cmd(name, "--help").returncode == 0
    assert "exit codes:" in proc.stdout


def test_verbosity_options_before_or_after_the_sub_command(tmp_path: Path) -> None:
    # no pyproject.toml: an error either way, which -q does not hide
    for argv in (["-q", "lock"], ["lock", "-q"], ["lock", "--quiet"], ["build", "-v", "x"]):
        proc = subprocess.run(
            [sys.executable, "-m", "pallet", *argv],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert proc.returncode == 2, (argv, proc.stderr)
        assert proc.stderr.startswith("error: "), (argv, proc.stderr)
        assert "unrecognized arguments" not in proc.stderr
    proc = pallet_cmd("lock", "-q", "-v")
    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr
    proc = pallet_cmd("-q", "lock", "-v")
    assert proc.returncode == 2
    assert "cannot be combined" in proc.stderr


def test_quiet_hides_warnings_not_errors() -> None:
    code = (
        "from pallet import ui\n"
        "ui.set_verbosity(-1)\n"
        "ui.warn('w'); ui.info('i'); ui.verbose('v'); ui.error('e')\n"
        "ui.set_verbosity(0)\n"
        "ui.warn('w2'); ui.verbose('v2')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr == "error: e\nwarning: w2\n"
