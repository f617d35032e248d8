"""The requirement language (contract section 2): grammar, messages, and checks against facts."""

from __future__ import annotations

import pytest
from pallet.variants.facts import Gpu, MachineFacts
from pallet.variants.requirement import parse_gfx, parse_requirement


def facts(**changes: object) -> MachineFacts:
    base: dict[str, object] = dict(
        system="Linux",
        machine="x86_64",
        nvidia_driver=None,
        cuda=None,
        cuda_compat=None,
        gpus=(),
        rocm=None,
        xpu=False,
        mps=False,
        x86_64_level=3,
    )
    base.update(changes)
    return MachineFacts(**base)  # type: ignore[arg-type]


GTX1080TI = Gpu("nvidia", 0, "NVIDIA GeForce GTX 1080 Ti", (6, 1))
RTX3090 = Gpu("nvidia", 1, "NVIDIA GeForce RTX 3090", (8, 6))
CUDA_560 = dict(nvidia_driver="560.35.03", cuda=(12, 6), cuda_compat=(12, 99))
CUDA_530 = dict(nvidia_driver="530.30.02", cuda=(12, 1), cuda_compat=(12, 99))


@pytest.mark.parametrize(
    "text",
    [
        "cuda>=12.6",
        "cuda >= 12.6 , sm >= 7.5",
        "CUDA>=12",
        "cuda",
        "sm",
        "rocm>=6.2",
        "gfx>=gfx90a",
        "gfx>=90a",
        "gfx==gfx1100",
        "xpu",
        "mps",
        "x86-64-v3",
        "cuda<13, cuda!=12.0",
    ],
)
def test_good_text(text: str) -> None:
    assert parse_requirement(text).text == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("cudaa>=12", "unknown name 'cudaa'; use one of cuda, sm, rocm, gfx, xpu, mps"),
        ("cuda>=twelve", "cuda version 'twelve' is not a version like 12.6"),
        ("cuda=>12.6", "cannot read 'cuda=>12.6'"),
        ("cuda>=12.6,", "cannot read ''"),
        ("xpu>=1", "xpu takes no version"),
        ("x86-64-v3>=1", "x86-64-v3 takes no version"),
        ("gfx>=rdna3", "'rdna3' is not a gfx target"),
        ("cuda>=12.6 sm>=7.5", "cannot read"),
        ("cuda~=12.6", "cannot read"),
    ],
)
def test_bad_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")) as caught:
        parse_requirement(text)
    assert "\n" not in str(caught.value)
    assert f"requirement {text!r}" in str(caught.value)


def test_gfx_order() -> None:
    assert parse_gfx("gfx90a") == (9, 0, 10)
    assert parse_gfx("gfx1030") == (10, 3, 0)
    assert parse_gfx("gfx942") > parse_gfx("gfx90a") > parse_gfx("gfx908")


def test_cuda() -> None:
    req = parse_requirement("cuda>=12.6")
    assert req.check(facts(**CUDA_560)).ok
    verdict = req.check(facts(**CUDA_530))
    assert verdict.reason == "needs cuda>=12.6; found CUDA 12.1 (driver 530.30.02)"
    assert req.check(facts()).reason == "needs cuda>=12.6; found no NVIDIA driver"
    assert parse_requirement("cuda<12.6").check(facts(**CUDA_530)).ok
    assert parse_requirement("cuda").check(facts(**CUDA_530)).ok


def test_cuda_minor_version_compatibility_is_opt_in() -> None:
    req = parse_requirement("cuda>=12.8")
    assert not req.check(facts(**CUDA_530)).ok
    assert req.check(facts(**CUDA_530), cuda_minor_compat=True).ok
    too_new = parse_requirement("cuda>=13.0").check(facts(**CUDA_530), cuda_minor_compat=True)
    assert too_new.reason == (
        "needs cuda>=13.0; found CUDA 12.x by minor-version compatibility (driver 530.30.02)"
    )


def test_sm_needs_every_gpu() -> None:
    req = parse_requirement("sm>=7.5")
    assert req.check(facts(gpus=(RTX3090,))).ok
    verdict = req.check(facts(gpus=(GTX1080TI, RTX3090)))
    assert verdict.reason == "needs sm>=7.5; GPU 0 NVIDIA GeForce GTX 1080 Ti is sm_61"
    assert req.check(facts()).reason == "needs sm>=7.5; found no NVIDIA GPU"
    unknown = Gpu("nvidia", 0, "NVIDIA GeForce GTX 1080 Ti")
    assert req.check(facts(gpus=(unknown,))).reason.endswith("of unknown compute capability")


def test_the_first_failing_clause_is_the_reason() -> None:
    req = parse_requirement("cuda>=12.6, sm>=7.5")
    assert req.check(facts(**CUDA_560, gpus=(RTX3090,))).ok
    assert req.check(facts(**CUDA_560, gpus=(GTX1080TI,))).reason.startswith("needs sm>=7.5")
    assert req.check(facts(**CUDA_530, gpus=(GTX1080TI,))).reason.startswith("needs cuda>=12.6")


def test_rocm_and_gfx() -> None:
    mi210 = Gpu("amd", 0, "AMD GPU gfx90a", gfx="gfx90a")
    rx6800 = Gpu("amd", 1, "AMD GPU gfx1030", gfx="gfx1030")
    assert parse_requirement("rocm>=6.2").check(facts(rocm=(6, 2, 0))).ok
    assert parse_requirement("rocm>=6.2").check(facts(rocm=(6, 1, 3))).reason == (
        "needs rocm>=6.2; found ROCm 6.1.3"
    )
    assert parse_requirement("rocm").check(facts()).reason == "needs rocm; found no ROCm"
    assert parse_requirement("gfx>=gfx90a").check(facts(gpus=(mi210, rx6800))).ok
    assert parse_requirement("gfx<gfx1000").check(facts(gpus=(mi210, rx6800))).reason == (
        "needs gfx<gfx1000; GPU 1 AMD GPU gfx1030 is gfx1030"
    )


def test_bare_names() -> None:
    assert parse_requirement("xpu").check(facts(xpu=True)).ok
    assert not parse_requirement("xpu").check(facts()).ok
    mac = facts(system="Darwin", machine="arm64", mps=True, x86_64_level=None)
    assert parse_requirement("mps").check(mac).ok
    assert parse_requirement("mps").check(facts()).reason == (
        "needs mps; found no Apple silicon (Linux x86_64)"
    )
    assert parse_requirement("x86-64-v3").check(facts(x86_64_level=3)).ok
    assert parse_requirement("x86-64-v4").check(facts(x86_64_level=3)).reason == (
        "needs x86-64-v4; found an x86-64-v3 CPU"
    )
    assert not parse_requirement("x86-64-v2").check(mac).ok
