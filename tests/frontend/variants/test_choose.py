"""`choose`: auto, requested, forced, unmet and unknown (contract section 2)."""

from __future__ import annotations

import pytest
from pallet.errors import VariantError
from pallet.variants.choose import VariantDecl, choose
from pallet.variants.facts import Gpu, MachineFacts
from pallet.variants.report import report_lines

DECLS = (
    VariantDecl("cu126", "cuda>=12.6, sm>=7.5"),
    VariantDecl("cu121", "cuda>=12.1"),
    VariantDecl("rocm", "rocm>=6.2"),
    VariantDecl("cpu"),
)


def machine(driver: str | None, cuda: tuple[int, int] | None, *sm: tuple[int, int]) -> MachineFacts:
    return MachineFacts(
        system="Linux",
        machine="x86_64",
        nvidia_driver=driver,
        cuda=cuda,
        cuda_compat=(cuda[0], 99) if cuda else None,
        gpus=tuple(Gpu("nvidia", i, f"GPU {i}", cc) for i, cc in enumerate(sm)),
        rocm=None,
        xpu=False,
        mps=False,
        x86_64_level=3,
    )


NO_GPU = machine(None, None)
DRIVER_560 = machine("560.35.03", (12, 6), (8, 6))
DRIVER_530 = machine("530.30.02", (12, 1), (8, 6))
GTX1080TI = machine("560.35.03", (12, 6), (6, 1))


@pytest.mark.parametrize(
    ("facts", "chosen"),
    [(NO_GPU, "cpu"), (DRIVER_560, "cu126"), (DRIVER_530, "cu121"), (GTX1080TI, "cu121")],
)
def test_auto_takes_the_first_that_fits(facts: MachineFacts, chosen: str) -> None:
    choice = choose(DECLS, "cpu", facts)
    assert (choice.name, choice.mode) == (chosen, "auto")
    assert [name for name, _ in choice.verdicts] == ["cu126", "cu121", "rocm", "cpu"]


def test_auto_without_cu121_listed_falls_back_to_the_default() -> None:
    decls = (VariantDecl("cu126", "cuda>=12.6"), VariantDecl("cpu"))
    assert choose(decls, "cpu", DRIVER_530).name == "cpu"


def test_a_default_listed_first_wins_when_it_fits() -> None:
    decls = (VariantDecl("cpu"), VariantDecl("cu126", "cuda>=12.6"))
    assert choose(decls, "cpu", DRIVER_560).name == "cpu"


def test_the_default_when_nothing_fits_even_itself() -> None:
    decls = (VariantDecl("cu126", "cuda>=12.6"), VariantDecl("avx", "x86-64-v4"))
    assert choose(decls, "avx", NO_GPU).name == "avx"


def test_requested() -> None:
    choice = choose(DECLS, "cpu", DRIVER_560, requested="cpu")
    assert (choice.name, choice.mode) == ("cpu", "requested")
    assert choose(DECLS, "cpu", DRIVER_560, requested="auto").mode == "auto"


def test_requested_but_unknown() -> None:
    with pytest.raises(
        VariantError,
        match="unknown variant 'cu999'; the project's variants: cu126, cu121, rocm, cpu",
    ):
        choose(DECLS, "cpu", DRIVER_560, requested="cu999")


def test_requested_but_unmet() -> None:
    with pytest.raises(VariantError) as caught:
        choose(DECLS, "cpu", GTX1080TI, requested="cu126")
    assert caught.value.message == (
        "variant 'cu126' does not fit this machine: needs sm>=7.5; GPU 0 GPU 0 is sm_61; "
        "--force-variant installs it anyway"
    )
    assert caught.value.exit_code == 1


def test_forced() -> None:
    choice = choose(DECLS, "cpu", NO_GPU, requested="cu126", force=True)
    assert (choice.name, choice.mode) == ("cu126", "forced")
    # forcing one that fits is just a request
    assert choose(DECLS, "cpu", DRIVER_560, requested="cu126", force=True).mode == "requested"


def test_minor_compat_passes_through() -> None:
    decls = (VariantDecl("cu128", "cuda>=12.8"), VariantDecl("cpu"))
    assert choose(decls, "cpu", DRIVER_530).name == "cpu"
    assert choose(decls, "cpu", DRIVER_530, cuda_minor_compat=True).name == "cu128"


def test_a_bad_requirement_in_a_lock_names_the_variant() -> None:
    with pytest.raises(VariantError, match="variant 'gpu': requirement 'cuda>>12'"):
        choose((VariantDecl("gpu", "cuda>>12"), VariantDecl("cpu")), "cpu", NO_GPU)


def test_report_lines() -> None:
    choice = choose(DECLS, "cpu", GTX1080TI)
    lines = report_lines(GTX1080TI, choice, "cpu")
    assert "NVIDIA driver: 560.35.03" in lines
    assert "CUDA: 12.6 (with minor-version compatibility: 12.x)" in lines
    assert "  GPU 0: GPU 0 (sm_61)" in lines
    assert "CPU level: x86-64-v3" in lines
    assert "  cu126: does not fit: needs sm>=7.5; GPU 0 GPU 0 is sm_61" in lines
    assert "  cu121: fits  [chosen, auto]" in lines
    assert "  cpu: fits  [installed]" in lines
    assert report_lines(NO_GPU, None, None)[-1] == "installed: no variant"
