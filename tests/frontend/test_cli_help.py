"""Every command's ``--help`` ends with examples that parse, and -v/-q go before or after it."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pallet.cli.launch import split_run_argv
from pallet.cli.main import EXIT_CODES, make_parser
from support.cli_args import parse_like_pallet as _parse


def _paths(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _paths(sub, (*path, name))


PATHS = [p for p in _paths(make_parser()) if p]

#: the smallest valid arguments of each command path that needs some
ARGS = {
    ("completion",): ["bash"],
    ("variants", "add"): ["torch", "--backends", "cpu"],
    ("run",): ["python"],
    ("remove",): ["six"],
    ("tool", "install"): ["ruff"],
    ("tool", "uninstall"): ["ruff"],
}
#: command paths that need one of their sub-commands
GROUPS = {("cache",), ("python",), ("self",), ("tool",)}


def _help(path: tuple[str, ...]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exc:
        make_parser().parse_args([*path, "--help"])
    assert exc.value.code == 0
    return out.getvalue()


def test_every_command_path_is_walked() -> None:
    assert {("sync",), ("cache", "prune"), ("variants", "add"), ("self", "version")} <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_help_ends_with_examples_that_parse(path: tuple[str, ...]) -> None:
    text = _help(path)
    assert "\nexamples:\n" in text, text
    section = text.split("\nexamples:\n", 1)[1]
    lines = section.rstrip("\n").split("\n")
    assert all(line.startswith("  ") for line in lines), (
        f"examples are not the last section: {lines}"
    )
    # an example's command ends at two spaces (what it prints follows) or a shell redirection
    examples = [re.split(r"\s{2,}|\s(?:>>?|\|)\s", line.strip())[0] for line in lines]
    ours = [e for e in examples if e.startswith("pallet ")]
    assert ours, examples
    for example in ours:
        argv = shlex.split(example)[1:]
        assert tuple(argv[: len(path)]) == path, example  # an example of this very command
        if "$(" in example:
            continue
        try:
            _parse(argv)
        except SystemExit:
            pytest.fail(f"example does not parse: {example}")


def test_top_level_help_has_examples_then_exit_codes() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        make_parser().parse_args(["--help"])
    text = out.getvalue()
    assert text.index("\nexamples:\n") < text.index("\nexit codes:\n")
    for line in text.split("\nexamples:\n")[1].split("\n\n")[0].splitlines():
        _parse(shlex.split(line)[1:])


@pytest.mark.parametrize("path", [p for p in PATHS if p not in GROUPS], ids=" ".join)
@pytest.mark.parametrize("flag", ["-v", "--verbose", "-q", "--quiet"])
def test_verbosity_before_or_after_every_command(path: tuple[str, ...], flag: str) -> None:
    dest = "verbose" if flag in ("-v", "--verbose") else "quiet"
    other = "quiet" if dest == "verbose" else "verbose"
    args = ARGS.get(path, [])
    for argv in ([flag, *path, *args], [*path, flag, *args], [*path, *args]):
        ns = _parse(argv)
        assert getattr(ns, dest) is (flag in argv), argv
        assert getattr(ns, other) is False, argv
    if path == ("run",):  # after COMMAND, the flag is COMMAND's
        argv, command = split_run_argv(["run", "python", flag])
        assert command == ["python", flag]
        assert getattr(make_parser().parse_args(argv), dest) is False


@pytest.mark.parametrize(
    "argv",
    [
        ["cache", "dir", "-q"],
        ["-q", "cache", "dir"],
        ["python", "list", "--json", "-v"],
        ["self", "version", "-v"],
        ["-v", "self", "version"],
        ["completion", "fish", "-q"],
    ],
)
def test_verbosity_after_nested_sub_commands_runs(argv: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pallet", *argv], capture_output=True, text=True, check=False
    )
    assert proc.returncode in (0, 1), proc.stderr  # python list: 1 when none fits
    assert "unrecognized arguments" not in proc.stderr
    assert proc.stdout


def test_docs_show_the_exit_codes_of_help() -> None:
    doc = Path(__file__).parents[2] / "docs" / "cli.md"
    assert f"```\n{EXIT_CODES}\n```" in doc.read_text()
