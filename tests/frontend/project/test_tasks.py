"""pallet.project.tasks: [tool.pallet.scripts] and [tool.pallet] env-file validated; every
problem one line naming ``[tool.pallet.scripts] NAME``."""

from __future__ import annotations

import shlex
from typing import Any

import pytest
from pallet.errors import ProjectError
from pallet.project.tasks import RunConfig, parse_run_config


def _config(scripts: Any = None, **pallet: Any) -> RunConfig:
    table = dict(pallet)
    if scripts is not None:
        table["scripts"] = scripts
    return parse_run_config({"tool": {"pallet": table}}, file="pyproject.toml")


def test_no_table_no_tasks() -> None:
    assert parse_run_config({}, file="pyproject.toml").tasks == {}
    assert _config().env_files == ()


def test_the_forms() -> None:
    config = _config(
        {
            "test": "pytest -x 'tests dir'",
            "lint": ["ruff check .", "ruff format --check ."],
            "serve": {"cmd": "flask run", "env": {"FLASK_DEBUG": "1"}, "cwd": "web", "help": "h"},
            "clean": {"shell": "rm -rf build && echo done"},
            "check": {"composite": ["lint", "test -k fast"]},
        },
        **{"env-file": [".env", ".env.local"]},
    )
    tasks = config.tasks
    # the split is POSIX shell's, as shlex (the reference) does it
    assert tasks["test"].commands[0].argv == tuple(shlex.split("pytest -x 'tests dir'"))
    assert [c.argv for c in tasks["lint"].commands] == [
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
    ]
    serve = tasks["serve"]
    assert (serve.env, serve.cwd, serve.help) == ({"FLASK_DEBUG": "1"}, "web", "h")
    assert tasks["clean"].commands[0].shell
    assert tasks["check"].composite == (("lint", ()), ("test", ("-k", "fast")))
    assert config.env_files == (".env", ".env.local")
    assert _config(**{"env-file": ".env"}).env_files == (".env",)


@pytest.mark.parametrize(
    ("scripts", "problem"),
    [
        ({"a": 3}, r"\] a: must be a command line, an array of them or a table, not an integer"),
        ({"a": {"cmd": "x", "cwdd": "y"}}, r"\] a: key 'cwdd' is not allowed; did you mean 'cwd'"),
        ({"a": {"cmd": "x", "shell": "y"}}, r"\] a: needs exactly one of cmd, shell or composite"),
        ({"a": {"env": {}}}, r"\] a: needs exactly one of .* \(given: none\)"),
        ({"a": {"composite": ["b"]}}, r"\] a: composite: 'b' is not a task"),
        (
            {"a": {"composite": ["b"]}, "b": {"composite": ["a"]}},
            r"\] a: composite cycle: a -> b -> a$",
        ),
        ({"a": {"composite": ["a"]}}, r"\] a: composite cycle: a -> a$"),
        (
            {"x": {"composite": ["b"]}, "b": ["true"], "c": {"composite": ["d"]}, "d": "c"},
            None,  # "d" is a command line naming c, not a task reference: no cycle
        ),
        ({"a": {"cmd": "x", "cwd": "../elsewhere"}}, r"\] a: cwd: '../elsewhere' is outside"),
        ({"a": {"cmd": "x", "cwd": "web/../.."}}, r"\] a: cwd: 'web/../..' is outside"),
        ({"a": {"cmd": "x", "cwd": "/tmp"}}, r"\] a: cwd: '/tmp' is absolute"),
        ({"a": {"composite": ["b"], "cwd": "web"}, "b": "x"}, r"\] a: cwd: not allowed on a comp"),
        ({"a": {"cmd": "x", "env": {"K": 1}}}, r"\] a: env: 'K' must be a name .* not an integer"),
        ({"a": "echo 'open"}, r"\] a: \"echo 'open\" cannot be split into words: No closing"),
        ({"a": []}, r"\] a: must be a command line or a non-empty array"),
        ({"a": ["x", ""]}, r"\] a: step 2: the command is empty"),
        ({"-a": "x"}, r"\] -a: not a usable task name"),
        ({"a": {"cmd": "x", "help": 1}}, r"\] a: help: must be a string"),
    ],
)
def test_problems_name_the_task(scripts: dict[str, Any], problem: str | None) -> None:
    if problem is None:
        _config(scripts)
        return
    with pytest.raises(ProjectError, match=r"^pyproject\.toml: \[tool\.pallet\.scripts" + problem):
        _config(scripts)


def test_every_problem_at_once() -> None:
    with pytest.raises(ProjectError) as caught:
        _config({"a": 1, "b": {"cmd": "x", "nope": 1}}, **{"env-file": 3})
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("pyproject.toml: [tool.pallet] env-file: must be a file name")
    assert caught.value.key == "tool.pallet.scripts"


def test_scripts_must_be_a_table() -> None:
    with pytest.raises(ProjectError, match=r"\[tool\.pallet\.scripts\] must be a table"):
        _config(["x"])


def test_list_descriptions() -> None:
    tasks = _config(
        {
            "a": "pytest -x",
            "b": ["one", "two"],
            "c": {"shell": "x | y"},
            "d": {"composite": ["a", "b --fast"]},
            "e": {"cmd": "x", "help": "the help"},
        }
    ).tasks
    described = {name: task.describe() for name, task in tasks.items()}
    assert described == {
        "a": "pytest -x",
        "b": "one && two",
        "c": "sh: x | y",
        "d": "a -> b --fast",
        "e": "the help",
    }
