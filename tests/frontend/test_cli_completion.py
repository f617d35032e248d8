"""`pallet completion SHELL` and `pallet self version`: bash really completes; every shell's
script names every command and option; the version command reports what is installed."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pallet.cli.main import make_parser

SHELLS = ("bash", "zsh", "fish", "powershell")


def pallet_cmd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pallet", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("completion")
    out = {}
    for shell in SHELLS:
        proc = pallet_cmd("completion", shell)
        assert proc.returncode == 0, proc.stderr
        out[shell] = folder / f"pallet.{shell}"
        out[shell].write_text(proc.stdout)
    return out


def complete(script: Path, line: str, cwd: Path | None = None) -> list[str]:
    """What bash offers for `line` (the cursor at its end), as a user pressing TAB gets it."""
    words = line.split(" ")
    code = (
        'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); '
        'COMP_LINE="${COMP_WORDS[*]}"; _pallet; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    proc = subprocess.run(
        ["bash", "-c", code, str(script), *words],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    return [w for w in proc.stdout.splitlines() if w]


def _parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def _parser(*path: str) -> argparse.ArgumentParser:
    return dict(_parsers(make_parser()))[path]


def _flags(*path: str) -> set[str]:
    return {
        f for a in _parser(*path)._actions for f in a.option_strings if a.help != argparse.SUPPRESS
    }


def test_bash_completes_commands(scripts: dict[str, Path]) -> None:
    assert complete(scripts["bash"], "pallet sy") == ["sync"]
    assert complete(scripts["bash"], "pallet ca") == ["cache"]
    assert set(complete(scripts["bash"], "pallet ")) == set(
        _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    )
    assert complete(scripts["bash"], "pallet cache ") == ["dir", "size", "clean", "prune"]
    assert complete(scripts["bash"], "pallet -v cache cl") == ["clean"]
    assert complete(scripts["bash"], "pallet self ") == ["version"]
    assert complete(scripts["bash"], "pallet variants a") == ["add"]
    assert complete(scripts["bash"], "pallet completion ") == list(SHELLS)


def test_bash_completes_options_of_the_command_typed(scripts: dict[str, Path]) -> None:
    assert set(complete(scripts["bash"], "pallet sync -")) == _flags("sync")
    assert complete(scripts["bash"], "pallet sync --no-d") == ["--no-dev"]
    assert set(complete(scripts["bash"], "pallet variants add --")) == {
        f for f in _flags("variants", "add") if f.startswith("--")
    }
    # an option's value is skipped: "3.12" is no sub-command
    assert set(complete(scripts["bash"], "pallet sync --python 3.12 --fro")) == {"--frozen"}
    assert set(complete(scripts["bash"], "pallet --")) == {
        "--help",
        "--version",
        "--verbose",
        "--quiet",
    }


def test_bash_completes_option_values(scripts: dict[str, Path], tmp_path: Path) -> None:
    bump = next(a for a in _parser("version")._actions if "--bump" in a.option_strings)
    assert complete(scripts["bash"], "pallet version --bump ") == list(bump.choices or ())
    assert complete(scripts["bash"], "pallet export --format py") == ["pylock"]
    (tmp_path / "proj").mkdir()
    (tmp_path / "team.lock.toml").write_text("")
    # folders only for a folder option; files for a file option
    assert complete(scripts["bash"], "pallet sync --project ", cwd=tmp_path) == ["proj"]
    assert complete(scripts["bash"], "pallet build -o ", cwd=tmp_path) == ["proj"]
    assert complete(scripts["bash"], "pallet sync --lock te", cwd=tmp_path) == ["team.lock.toml"]


def _every_word() -> Iterator[str]:
    for path, parser in _parsers(make_parser()):
        yield from path
        for action in parser._actions:
            if action.help != argparse.SUPPRESS:
                yield from action.option_strings


@pytest.mark.parametrize("shell", SHELLS)
def test_every_command_and_option_is_in_the_script(scripts: dict[str, Path], shell: str) -> None:
    text = scripts[shell].read_text()
    missing = sorted({w for w in _every_word() if w.lstrip("-") not in text})
    assert not missing


CHECKERS = {
    "bash": ["bash", "-n"],
    "zsh": ["zsh", "-n"],
    "fish": ["fish", "--no-execute"],
    "powershell": [
        "pwsh",
        "-NoProfile",
        "-Command",
        "$e=$null; [System.Management.Automation.Language.Parser]::ParseFile($args[0], "
        "[ref]$null, [ref]$e) > $null; if ($e) { $e; exit 1 }",
    ],
}


@pytest.mark.parametrize("shell", SHELLS)
def test_script_syntax(scripts: dict[str, Path], shell: str) -> None:
    checker = CHECKERS[shell]
    if shutil.which(checker[0]) is None:
        pytest.skip(f"{checker[0]} is not installed")
    proc = subprocess.run(
        [*checker, str(scripts[shell])], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_completion_needs_a_known_shell() -> None:
    proc = pallet_cmd("completion", "tcsh")
    assert proc.returncode == 2
    assert "invalid choice: 'tcsh'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_self_version() -> None:
    pallet_version = importlib.metadata.version("pallet")
    core_version = importlib.metadata.version("pallet-core")
    proc = pallet_cmd("self", "version")
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"pallet {pallet_version} (pallet-core {core_version};")
    assert platform.python_version() in proc.stdout
    short = pallet_cmd("self", "version", "--short")
    assert short.stdout == f"{pallet_version}\n"
    data = json.loads(pallet_cmd("self", "version", "--output-format", "json").stdout)
    assert data["pallet"] == pallet_version
    assert data["pallet-core"] == core_version
    assert data["python"]["version"] == platform.python_version()
    assert Path(data["python"]["executable"]).resolve() == Path(sys.executable).resolve()
