"""`cli.variant_stamp`: the variant a command line asks for, and the fast paths' verdict on the
recorded one (without detection: the machine-dependent cases go to the full command)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pallet.cli.variant_stamp import (
    fast_variant_extras,
    read_record,
    requested_variants,
    write_record,
)

VARIANTS = ("cu126", "rocm", "cpu")


def write_stamp(venv: Path, variant: str, mode: str, *, variants: str = "cu126,rocm,cpu") -> None:
    venv.mkdir(exist_ok=True)
    data = {"variant": variant, "variant-mode": mode, "variants": variants, "machine": ""}
    (venv / ".pallet-sync.json").write_text(json.dumps(data, indent=0), encoding="utf-8")


@pytest.mark.parametrize(
    ("flag", "extras", "env", "asked", "auto"),
    [
        (None, [], {}, [], False),
        ("CU126", [], {}, [("cu126", "--variant")], False),
        (None, ["plot", "Rocm"], {}, [("rocm", "--extra")], False),
        (None, [], {"PALLET_VARIANT": "cpu"}, [("cpu", "PALLET_VARIANT")], False),
        ("rocm", [], {"PALLET_VARIANT": "cpu"}, [("rocm", "--variant")], False),  # flag wins
        ("auto", [], {"PALLET_VARIANT": "cpu"}, [], True),
        (None, [], {"PALLET_VARIANT": "auto"}, [], False),
        ("rocm", ["cu126"], {}, [("rocm", "--variant"), ("cu126", "--extra")], False),
    ],
)
def test_requested_variants(
    flag: str | None,
    extras: list[str],
    env: dict[str, str],
    asked: list[tuple[str, str]],
    auto: bool,
) -> None:
    assert requested_variants(VARIANTS, flag, extras, env) == (asked, auto)


def test_record_round_trip(tmp_path: Path) -> None:
    assert read_record(str(tmp_path)) is None
    write_record(str(tmp_path), "cu126", "requested")
    assert read_record(str(tmp_path)) == ("cu126", "requested")
    assert json.loads((tmp_path / ".pallet-variant.json").read_text()) == {
        "variant": "cu126",
        "variant-mode": "requested",
    }


def test_no_stamp_is_not_certain(tmp_path: Path) -> None:
    assert fast_variant_extras(str(tmp_path), [], None, False, {}, detect=True) is None


def test_a_lock_without_variants(tmp_path: Path) -> None:
    write_stamp(tmp_path, "", "", variants="")
    assert fast_variant_extras(str(tmp_path), ["plot"], None, False, {}, detect=True) == ["plot"]
    env = {"PALLET_VARIANT": "cpu"}  # ignored: nothing to choose
    assert fast_variant_extras(str(tmp_path), [], None, False, env, detect=True) == []
    assert fast_variant_extras(str(tmp_path), [], "cpu", False, {}, detect=True) is None
    assert fast_variant_extras(str(tmp_path), [], "auto", False, {}, detect=True) == []
    assert fast_variant_extras(str(tmp_path), [], None, True, {}, detect=True) is None


@pytest.mark.parametrize("detect", [True, False])
def test_a_recorded_request_is_kept_without_detection(tmp_path: Path, detect: bool) -> None:
    write_stamp(tmp_path, "rocm", "requested")
    extras = ["plot"]
    assert fast_variant_extras(str(tmp_path), extras, None, False, {}, detect=detect) == ["plot"]
    # asked again (--extra rocm): a request is checked against the machine, and the stamp has
    # no digest of the one it was made on
    again = ["plot", "rocm"]
    assert fast_variant_extras(str(tmp_path), again, None, False, {}, detect=detect) is None


def test_an_auto_choice_run_keeps_and_sync_checks(tmp_path: Path) -> None:
    write_stamp(tmp_path, "cu126", "auto")
    assert fast_variant_extras(str(tmp_path), [], None, False, {}, detect=False) == []
    # no machine digest recorded: sync cannot be certain the machine is the same
    assert fast_variant_extras(str(tmp_path), [], None, False, {}, detect=True) is None


@pytest.mark.parametrize(
    ("flag", "extras", "force", "env"),
    [
        ("rocm", [], False, {}),  # another variant
        ("cu126", [], False, {}),  # the same one, but now requested: recorded differently
        (None, ["cu126", "cpu"], False, {}),  # two variants: the full command's error
        ("auto", ["cpu"], False, {}),
        (None, [], True, {}),  # --force-variant alone: the full command's error
        (None, [], False, {"PALLET_VARIANT": "cpu"}),
    ],
)
def test_anything_else_takes_the_full_path(
    tmp_path: Path, flag: str | None, extras: list[str], force: bool, env: dict[str, str]
) -> None:
    write_stamp(tmp_path, "cu126", "auto")
    assert fast_variant_extras(str(tmp_path), extras, flag, force, env, detect=False) is None


def test_a_forced_variant(tmp_path: Path) -> None:
    write_stamp(tmp_path, "cu126", "forced")
    venv = str(tmp_path)
    assert fast_variant_extras(venv, [], "cu126", True, {}, detect=True) == []
    assert fast_variant_extras(venv, [], None, False, {}, detect=True) == []
    # asked again without --force-variant: the full command checks the machine
    assert fast_variant_extras(venv, [], "cu126", False, {}, detect=True) is None
    assert fast_variant_extras(venv, [], "auto", False, {}, detect=True) is None
