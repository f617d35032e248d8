"""pallet.cli.lock without an index: argument parsing, pins, change lines, check messages."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version
from pallet.cli import lock as cli
from pallet.cli.lock_inputs import preferences_of
from pallet.errors import LockError, PalletError
from pallet.lock.model import Lock


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pallet")
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["lock", *argv])


def test_parser() -> None:
    args = _parse("--check", "--offline", "--project", "x")
    assert (args.check, args.upgrade, args.upgrade_package, args.offline, args.project) == (
        True,
        False,
        [],
        True,
        Path("x"),
    )
    args = _parse("-P", "a", "--upgrade-package", "B_c", "-U")
    assert args.upgrade_package == ["a", "B_c"]
    assert args.upgrade is True


def test_check_with_upgrade_is_refused() -> None:
    with pytest.raises(PalletError, match="--check cannot be combined"):
        cli.run(_parse("--check", "-U"))


def test_preferences_keep_every_locked_entry(sample_lock: Lock) -> None:
    prefs = preferences_of(sample_lock)
    numpy = sorted((str(p.version), str(p.marker)) for p in prefs[canonicalize_name("numpy")])
    assert numpy == [
        ("1.26.4", 'python_version < "3.10"'),
        ("2.0.0", 'python_version >= "3.10"'),
    ]
    (colorama,) = prefs[canonicalize_name("colorama")]
    assert (colorama.extras, colorama.groups) == ({"cli"}, {"dev", "test"})
    assert [p.version for p in prefs[canonicalize_name("idna")]] == [Version("3.7")]
    assert preferences_of(None) == {}


def test_change_lines(sample_lock: Lock) -> None:
    idna = sample_lock.packages[2]
    newer = dataclasses.replace(idna, version=Version("3.8"))
    after = dataclasses.replace(
        sample_lock,
        packages=(*sample_lock.packages[:2], newer, *sample_lock.packages[3:6]),
    )
    assert cli._changes(sample_lock, after) == ["Updated idna 3.7 -> 3.8", "Removed sniffio 1.3.1"]
    assert cli._changes(None, after)[0] == "Added anyio 4.4.0"


def test_check_missing_lock(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(LockError, match=r"^pylock\.toml does not exist in ") as caught:
        cli.run(_parse("--check", "--project", str(tmp_path)))
    assert caught.value.hint == "run `pallet lock`"
