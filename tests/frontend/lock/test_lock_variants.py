"""pallet.lock.variants: the variants in the lock's [tool.pallet] tail, written and read back."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from pallet.errors import LockError
from pallet.lock.variants import LockedVariant, LockVariants, read_lock_variants, variants_tail

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

VARIANTS = LockVariants(
    order=(
        LockedVariant(
            "cu126",
            "cuda>=12.6",
            "https://download.pytorch.org/whl/cu126",
            'sys_platform == "darwin"',
        ),
        LockedVariant("rocm", "rocm>=6.2", "https://download.pytorch.org/whl/rocm6.2"),
        LockedVariant("cpu"),
    ),
    default="cpu",
    cuda_minor_compat=True,
)


def _table(lines: list[str]) -> dict[str, Any]:
    return tomllib.loads("\n".join(["[tool.pallet]", *lines]))["tool"]["pallet"]


def test_round_trip_through_toml() -> None:
    table = _table(variants_tail(VARIANTS))
    assert table["variants"][0]["unavailable"] == 'sys_platform == "darwin"'
    assert table["variants"][2] == {"name": "cpu", "default": True}
    assert table["cuda-minor-compat"] is True
    assert read_lock_variants(table) == VARIANTS


def test_absent_and_compat_off() -> None:
    assert read_lock_variants({"fingerprint": "sha256:0"}) is None
    plain = LockVariants(VARIANTS.order, "cpu")
    assert "cuda-minor-compat" not in _table(variants_tail(plain))


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ("variants = 1", "key 'variants': must be an array of at least two variant tables"),
        ('variants = [{ name = "a", default = true }, { nom = "b" }]', "entry 2: key 'nom'"),
        ('variants = [{ name = "a" }, { name = "b" }]', "exactly one variant must be marked"),
        ('variants = [{ name = "a", default = true }, { name = "b", requires = 1 }]', "'requires'"),
    ],
)
def test_malformed_names_the_key(variants: str, message: str) -> None:
    table = tomllib.loads(f"[tool.pallet]\n{variants}\n")["tool"]["pallet"]
    with pytest.raises(LockError, match=f"^pylock.toml: \\[tool.pallet\\] .*{message}"):
        read_lock_variants(table)
