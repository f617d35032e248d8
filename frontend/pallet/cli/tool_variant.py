"""The PyTorch backend of a tool that needs torch: ``--variant auto|none|cpu|cuXYZ|rocmX.Y``.

A project declares its hardware variants (docs/gpu.md); a tool has no pyproject.toml to declare
them in, so pallet does it for every tool: the PyTorch packages (`TORCH_FAMILY`) are pinned to
PyTorch's index for one backend (an explicit ``[[tool.pallet.index]]`` and
``[tool.pallet.sources]`` in the synthetic project, as ``pallet variants add`` writes them),
whether the tool names them or pulls them in through its dependencies; everything else comes
from the tool's own index. An explicit index is asked only for the packages pinned to it, so a
tool without torch never asks PyTorch's index anything.

``auto`` picks the backend as ``pallet sync`` picks a variant (`variants.choose.choose` over the
machine's facts from `variants.detect.machine_facts`, same cache): the first of `AUTO_BACKENDS`
whose requirement the machine meets (``cuda>=12.6`` for ``cu126``, ``rocm>=6.2`` for
``rocm6.2``), else ``cpu``. ``none`` leaves torch to the tool's index (PyPI's build).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..envvars import PALLET_PYTORCH_INDEX
from ..errors import PalletError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from ..project.model import IndexConfig
    from ..project.variants_edit import Backend

__all__ = ["AUTO_BACKENDS", "TORCH_FAMILY", "ToolVariant", "pick_variant"]

#: The packages PyTorch's backend indexes serve in matching builds.
TORCH_FAMILY = frozenset({"torch", "torchvision", "torchaudio"})
#: The backends ``auto`` chooses from, in preference order (newest CUDA first, then ROCm, then
#: CPU), as https://download.pytorch.org/whl/ names them.
AUTO_BACKENDS = ("cu128", "cu126", "cu124", "cu121", "cu118", "rocm6.3", "rocm6.2", "cpu")


@dataclass(frozen=True)
class ToolVariant:
    """The backend chosen for a tool, and what it adds to the tool's synthetic project."""

    backend: str  # "cu126"
    how: str  # "requested" | "detected" | "default"
    index: IndexConfig
    sources: Mapping[str, str]


def pick_variant(requested: str | None, env: Mapping[str, str]) -> ToolVariant | None:
    """The backend a tool's PyTorch packages come from; None for ``--variant none``. An
    unknown backend name is an error naming ``--variant``."""
    if requested == "none":
        return None
    if requested is None or requested == "auto":
        backend, how = _detect(env)
    else:
        backend, how = _parse(requested).name, "requested"
    from ..project.model import IndexConfig
    from ..project.variants_edit import PYTORCH_INDEX_PATTERN, parse_backend

    pattern = env.get(PALLET_PYTORCH_INDEX, "").strip() or PYTORCH_INDEX_PATTERN
    spec = parse_backend(backend)
    index = IndexConfig(
        name=spec.index_name, url=pattern.replace("{backend}", spec.name), explicit=True
    )
    return ToolVariant(backend, how, index, {name: index.name for name in sorted(TORCH_FAMILY)})


def _parse(requested: str) -> Backend:
    from ..errors import ProjectError
    from ..project.variants_edit import parse_backend

    try:
        return parse_backend(requested)
    except ProjectError:
        raise PalletError(
            f"--variant {requested!r}: not a PyTorch backend; use auto, none, cpu, cuXYZ "
            "(cu126), rocmX.Y (rocm6.2) or xpu"
        ) from None


def _detect(env: Mapping[str, str]) -> tuple[str, str]:
    """``auto``: the first of `AUTO_BACKENDS` the machine meets, by pallet's own detection."""
    from ..index.cache import Cache
    from ..project.variants_edit import parse_backend
    from ..variants.choose import VariantDecl, choose
    from ..variants.detect import machine_facts

    facts = machine_facts(env, str(Cache.default(env).root))
    decls = [VariantDecl(name, parse_backend(name).requires) for name in AUTO_BACKENDS]
    choice = choose(decls, "cpu", facts)
    return choice.name, "detected" if choice.name != "cpu" else "default"
