"""`MachineFacts` as JSON (the cache's form) and back."""

from __future__ import annotations

import json

import pytest
from pallet.variants.facts import Gpu, MachineFacts

FACTS = MachineFacts(
    system="Linux",
    machine="x86_64",
    nvidia_driver="560.35.03",
    cuda=(12, 6),
    cuda_compat=(12, 99),
    gpus=(
        Gpu("nvidia", 0, "NVIDIA GeForce GTX 1080 Ti", (6, 1), uuid="GPU-1"),
        Gpu("amd", 0, "AMD GPU gfx90a", gfx="gfx90a"),
        Gpu("intel", 0, "Intel GPU 0x9a49 (integrated)", discrete=False),
    ),
    rocm=(6, 2, 0),
    xpu=False,
    mps=False,
    x86_64_level=4,
    notes=("NVIDIA driver 560.35.03 from /sys/module/nvidia/version",),
    overridden=("PALLET_ROCM",),
)


def test_round_trip_through_json_text() -> None:
    assert MachineFacts.from_json(json.loads(json.dumps(FACTS.to_json()))) == FACTS


@pytest.mark.parametrize(
    "change",
    [{"gpus": "x"}, {"cuda": [12]}, {"x86_64_level": "4"}, {"rocm": "6"}],
)
def test_bad_shapes_raise(change: dict[str, object]) -> None:
    data = {**FACTS.to_json(), **change}
    with pytest.raises((TypeError, ValueError, KeyError)):
        MachineFacts.from_json(data)
