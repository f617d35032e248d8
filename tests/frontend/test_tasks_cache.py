"""pallet.cli.tasks_cache: the parsed tasks kept in the environment, keyed by pyproject.toml's
bytes; what comes back is what `project.tasks` parsed (the reference), field for field. And the
step lines pallet run shows, quoted as shlex quotes them without importing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pallet.cli.tasks_cache import CACHE_FILE, load_cached, store
from pallet.project.tasks import RunConfig, parse_run_config

RAW: dict[str, Any] = {
    "tool": {
        "pallet": {
            "env-file": [".env", "odd\tname\\.env"],
            "scripts": {
                "plain": "pytest -x 'a b' \"c\\\\d\"",
                "steps": ["one", "two --x=\\t"],
                "table": {
                    "cmd": "flask run",
                    "env": {"K": "line\nbreak\ttab\\back\rcr", "EMPTY": ""},
                    "cwd": "web/site",
                    "help": "",
                },
                "sh": {"shell": "echo $A | tr a b", "help": "a shell\\t task"},
                "all": {"composite": ["plain -k 'x y'", "steps"], "env": {"B": "1"}},
            },
        }
    }
}
PYPROJECT = b"[tool.pallet.scripts]\n# the bytes the digest is taken of\n"


def _facts(config: RunConfig | None) -> object:
    assert config is not None
    return (
        config.env_files,
        {
            name: (
                [(c.text, c.shell, c.argv) for c in task.commands],
                task.composite,
                task.env,
                task.cwd,
                task.help,
            )
            for name, task in config.tasks.items()
        },
    )


def test_round_trip(tmp_path: Path) -> None:
    parsed = parse_run_config(RAW, file="pyproject.toml")
    store(str(tmp_path), PYPROJECT, parsed)
    assert _facts(load_cached(str(tmp_path), PYPROJECT)) == _facts(parsed)


def test_other_bytes_miss(tmp_path: Path) -> None:
    store(str(tmp_path), PYPROJECT, parse_run_config(RAW, file="pyproject.toml"))
    assert load_cached(str(tmp_path), PYPROJECT + b" ") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[:-1],  # truncated: no final newline
        lambda text: text.replace("\nT\t", "\nX\t", 1),
        lambda text: text.split("\n", 1)[0] + "\nC\t0\tx\tx\n",  # a command before any task
        lambda text: "",
    ],
)
def test_a_damaged_file_is_ignored(tmp_path: Path, damage: Any) -> None:
    store(str(tmp_path), PYPROJECT, parse_run_config(RAW, file="pyproject.toml"))
    path = tmp_path / CACHE_FILE
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert load_cached(str(tmp_path), PYPROJECT) is None


def test_no_environment_no_file(tmp_path: Path) -> None:
    store(str(tmp_path / "missing"), PYPROJECT, parse_run_config(RAW, file="pyproject.toml"))
    assert not (tmp_path / "missing").exists()
    assert load_cached(str(tmp_path / "missing"), PYPROJECT) is None


@pytest.mark.parametrize(
    "words", [["a", "b c"], ["it's", ""], ["x'\"y", "é", "-k=1,2", "$A", "a*b", "~/x"]]
)
def test_step_lines_are_quoted_as_shlex_quotes_them(words: list[str]) -> None:
    import shlex

    from pallet.cli.tasks import _join

    assert _join(words) == shlex.join(words)
