"""`cli.tool_fast`: the script ``pallet x NAME`` runs without argparse is the one the full
command (`cli.tool_run`) picks, for receipts written by `cli.tool_receipt`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pallet.cli.tool_fast import installed_script, is_plain_name
from pallet.cli.tool_receipt import CURRENT, Receipt, write_receipt
from pallet.cli.tool_run import _installed_script


def tool(root: Path, name: str, scripts: tuple[str, ...], *, made: bool = True) -> None:
    env = root / name / "env-1"
    (env / ".venv" / "bin").mkdir(parents=True)
    (root / name / CURRENT).symlink_to("env-1")
    write_receipt(env, Receipt(name=name, requirement=name, version="1", scripts=scripts))
    for script in scripts if made else ():
        (env / ".venv" / "bin" / script).write_text("#!/bin/sh\n")


@pytest.mark.parametrize(
    "name", ["greet-hello", "Greet_Hello", "other", "zz-cmd", "gone", "nothing", "a.b"]
)
def test_the_same_script_as_the_full_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    root = tmp_path / "tools"
    tool(root, "clash", ("greet-hello", "zz-cmd"))
    tool(root, "greet-hello", ("greet-hello",))  # named like the script: it wins
    tool(root, "other", ("other", "zz-cmd"))
    tool(root, "gone", ("gone",), made=False)  # listed, but the file is missing
    (root / ".hidden").mkdir()
    (root / "broken" / CURRENT).mkdir(parents=True)  # no receipt
    monkeypatch.setenv("PALLET_TOOL_DIR", str(root))
    full = _installed_script(name.lower().replace("_", "-"), name)
    fast = installed_script(str(root), name.lower().replace("_", "-"), name)
    assert fast == (str(full) if full is not None else None)


def test_plain_names_are_pep_508_names() -> None:
    assert all(map(is_plain_name, ["a", "A1", "ruff", "black.d", "x_y-z"]))
    bad = ["", "-a", "a-", "a[b]", "a==1", "a@1", "a b", "é", "--from", "a;b"]
    assert not any(map(is_plain_name, bad))
