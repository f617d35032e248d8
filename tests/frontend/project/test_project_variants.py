"""pallet.project.variants: [tool.pallet.variants] read from pyproject.toml (contract section 1)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pallet.errors import ProjectError
from pallet.project.pyproject import read_project
from pallet.project.variants import VariantsConfig, VariantSpec

HEAD = """\
[project]
name = "demo"
version = "1"
[project.optional-dependencies]
CPU = ["torch>=2.5"]
cu126 = ["torch>=2.5", "torchvision"]
rocm = ["torch>=2.5"]
docs = ["sphinx"]

[[tool.pallet.index]]
name = "pytorch-cu126"
url = "https://download.pytorch.org/whl/cu126"
explicit = true
"""

GOOD = """
[tool.pallet.variants]
extras = ["cu126", "rocm", "cpu"]
default = "Cpu"
cuda-minor-compat = true

[tool.pallet.variants.cu126]
requires = "cuda>=12.6"
index = "pytorch-cu126"
packages = ["TorchAudio"]
"""


def _read(tmp_path: Path, text: str) -> VariantsConfig | None:
    (tmp_path / "pyproject.toml").write_text(HEAD + text)
    return read_project(tmp_path).variants


def test_variants_parsed_in_order_and_normalized(tmp_path: Path) -> None:
    assert _read(tmp_path, GOOD) == VariantsConfig(
        order=(
            VariantSpec("cu126", "cuda>=12.6", "pytorch-cu126", ("torchaudio",)),
            VariantSpec("rocm"),
            VariantSpec("cpu"),  # PEP 685: "CPU" and "Cpu" are the extra "cpu"
        ),
        default="cpu",
        cuda_minor_compat=True,
    )


def test_no_variants_table(tmp_path: Path) -> None:
    assert _read(tmp_path, "") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[tool.pallet.variants]\nextras = ["cu126", "cpu"]\ndefault = "cpu"\nflavour = 1\n',
            "[tool.pallet.variants] 'flavour': key is not allowed",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126", "gpu"]\ndefault = "cu126"\n',
            "[tool.pallet.variants] 'extras': 'gpu' is not an extra in "
            "[project.optional-dependencies]",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126", "rocm"]\ndefault = "cpu"\n',
            "[tool.pallet.variants] 'default': 'cpu' is not one of 'extras' (cu126, rocm)",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126"]\ndefault = "cu126"\n',
            "[tool.pallet.variants] 'extras': needs at least two variant extras, found 1",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126", "cpu"]\ndefault = "cpu"\n'
            '[tool.pallet.variants.rocm]\nrequires = "rocm>=6.2"\n',
            "[tool.pallet.variants] 'rocm': a variant table for an extra not listed in 'extras'",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126", "cpu"]\ndefault = "cpu"\n'
            '[tool.pallet.variants.cu126]\nindex = "pytorch"\n',
            "[tool.pallet.variants.cu126] 'index': 'pytorch' is not a [[tool.pallet.index]] name",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126", "cpu", "cu126"]\ndefault = "cpu"\n',
            "[tool.pallet.variants] 'extras': 'cu126' is listed twice",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126", "cpu"]\n',
            "[tool.pallet.variants] 'default': missing",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126", "cpu"]\ndefault = "cpu"\n'
            "cuda-minor-compat = 1\n",
            "[tool.pallet.variants] 'cuda-minor-compat': must be true or false, not an integer",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126", "cpu"]\ndefault = "cpu"\n'
            '[tool.pallet.variants.cu126]\npackages = ["torchaudio"]\n',
            "[tool.pallet.variants.cu126] 'packages': names packages taken from the variant's "
            "index, but 'index' is not set",
        ),
        (
            '[tool.pallet.variants]\nextras = ["cu126", "cpu"]\ndefault = "cpu"\n'
            '[tool.pallet.variants.cu126]\nrequire = "cuda>=12.6"\n',
            "[tool.pallet.variants.cu126] 'require': key is not allowed; did you mean 'requires'?",
        ),
    ],
)
def test_variant_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProjectError) as info:
        _read(tmp_path, text)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(f"pyproject.toml: {message}")


def _has_requirement_parser() -> bool:
    try:
        return importlib.util.find_spec("pallet.variants.requirement") is not None
    except ImportError:
        return False


@pytest.mark.skipif(
    not _has_requirement_parser(),
    reason="the detection layer (pallet.variants) is not merged yet",
)
def test_bad_requirement_text_has_the_parsers_message(tmp_path: Path) -> None:
    from pallet.variants.requirement import parse_requirement  # type: ignore[import-not-found,unused-ignore]

    bad = "cuda>>12.6"
    with pytest.raises(ValueError) as parser:
        parse_requirement(bad)
    with pytest.raises(ProjectError) as info:
        _read(
            tmp_path,
            '[tool.pallet.variants]\nextras = ["cu126", "cpu"]\ndefault = "cpu"\n'
            f'[tool.pallet.variants.cu126]\nrequires = "{bad}"\n',
        )
    assert str(info.value) == (
        "pyproject.toml: [tool.pallet.variants.cu126] 'requires': "
        + str(parser.value).splitlines()[0]
    )
