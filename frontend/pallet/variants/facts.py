"""`MachineFacts`: what detection found (driver, CUDA, GPUs, ROCm, XPU, MPS, CPU level), as data.

Immutable value classes (`Frozen`: like frozen dataclasses, cheaper to import) with a JSON form
(`to_json`, `from_json`).
"""

from __future__ import annotations

from ._frozen import Frozen

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Gpu", "MachineFacts"]


class Gpu(Frozen):
    """One visible GPU."""

    __slots__ = (  # noqa: RUF023 (field order)
        "vendor",
        "index",
        "name",
        "compute_capability",
        "gfx",
        "discrete",
        "uuid",
    )
    vendor: str  # "nvidia" | "amd" | "intel" | "apple"
    index: int
    name: str
    compute_capability: tuple[int, int] | None  # NVIDIA: (8, 6)
    gfx: str | None  # AMD: "gfx90a"
    discrete: bool
    uuid: str | None

    def __init__(
        self,
        vendor: str,
        index: int,
        name: str,
        compute_capability: tuple[int, int] | None = None,
        gfx: str | None = None,
        discrete: bool = True,
        uuid: str | None = None,
    ) -> None:
        super().__init__(vendor, index, name, compute_capability, gfx, discrete, uuid)

    def to_json(self) -> dict[str, object]:
        return {
            "vendor": self.vendor,
            "index": self.index,
            "name": self.name,
            "compute_capability": list(self.compute_capability)
            if self.compute_capability
            else None,
            "gfx": self.gfx,
            "discrete": self.discrete,
            "uuid": self.uuid,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Gpu:
        cc = data.get("compute_capability")
        return cls(
            vendor=str(data["vendor"]),
            index=_int(data["index"]),
            name=str(data["name"]),
            compute_capability=_pair(cc) if cc is not None else None,
            gfx=_opt_str(data.get("gfx")),
            discrete=bool(data.get("discrete", True)),
            uuid=_opt_str(data.get("uuid")),
        )


class MachineFacts(Frozen):
    """Everything detection found on one machine (or was told by override variables)."""

    __slots__ = (  # noqa: RUF023 (field order)
        "system",
        "machine",
        "nvidia_driver",
        "cuda",
        "cuda_compat",
        "gpus",
        "rocm",
        "xpu",
        "mps",
        "x86_64_level",
        "notes",
        "overridden",
    )
    system: str  # platform.system(): "Linux" | "Darwin" | "Windows"
    machine: str  # platform.machine()
    nvidia_driver: str | None  # "560.35.03"
    cuda: tuple[int, int] | None  # highest CUDA toolkit the driver supports, strict table
    cuda_compat: tuple[int, int] | None  # with minor-version compatibility ((12, 99): "12.x")
    gpus: tuple[Gpu, ...]  # those visible (CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES honoured)
    rocm: tuple[int, ...] | None  # (6, 2, 0)
    xpu: bool  # an Intel discrete GPU (integrated graphics never count)
    mps: bool  # Apple silicon
    x86_64_level: int | None  # 1..4 on x86-64, None elsewhere/unknown
    notes: tuple[str, ...]  # what was read and what failed, one short line each
    overridden: tuple[str, ...]  # override variables that were applied

    def __init__(
        self,
        system: str,
        machine: str,
        nvidia_driver: str | None,
        cuda: tuple[int, int] | None,
        cuda_compat: tuple[int, int] | None,
        gpus: tuple[Gpu, ...],
        rocm: tuple[int, ...] | None,
        xpu: bool,
        mps: bool,
        x86_64_level: int | None,
        notes: tuple[str, ...] = (),
        overridden: tuple[str, ...] = (),
    ) -> None:
        super().__init__(
            system,
            machine,
            nvidia_driver,
            cuda,
            cuda_compat,
            gpus,
            rocm,
            xpu,
            mps,
            x86_64_level,
            notes,
            overridden,
        )

    def nvidia_gpus(self) -> tuple[Gpu, ...]:
        return tuple(g for g in self.gpus if g.vendor == "nvidia")

    def amd_gpus(self) -> tuple[Gpu, ...]:
        return tuple(g for g in self.gpus if g.vendor == "amd")

    def to_json(self) -> dict[str, object]:
        return {
            "system": self.system,
            "machine": self.machine,
            "nvidia_driver": self.nvidia_driver,
            "cuda": list(self.cuda) if self.cuda else None,
            "cuda_compat": list(self.cuda_compat) if self.cuda_compat else None,
            "gpus": [g.to_json() for g in self.gpus],
            "rocm": list(self.rocm) if self.rocm is not None else None,
            "xpu": self.xpu,
            "mps": self.mps,
            "x86_64_level": self.x86_64_level,
            "notes": list(self.notes),
            "overridden": list(self.overridden),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> MachineFacts:
        """The inverse of `to_json`; ``KeyError``/``TypeError``/``ValueError`` on a bad shape."""
        gpus = data.get("gpus") or []
        rocm = data.get("rocm")
        level = data.get("x86_64_level")
        if not isinstance(gpus, list):
            raise TypeError("gpus")
        return cls(
            system=str(data["system"]),
            machine=str(data["machine"]),
            nvidia_driver=_opt_str(data.get("nvidia_driver")),
            cuda=_opt_pair(data.get("cuda")),
            cuda_compat=_opt_pair(data.get("cuda_compat")),
            gpus=tuple(Gpu.from_json(_mapping(g)) for g in gpus),
            rocm=tuple(_int(p) for p in _list(rocm)) if rocm is not None else None,
            xpu=bool(data.get("xpu", False)),
            mps=bool(data.get("mps", False)),
            x86_64_level=_int(level) if level is not None else None,
            notes=tuple(str(n) for n in _list(data.get("notes") or [])),
            overridden=tuple(str(n) for n in _list(data.get("overridden") or [])),
        )


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError(f"not a list: {value!r}")
    return value


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise TypeError(f"not a table: {value!r}")
    return value


def _pair(value: object) -> tuple[int, int]:
    items = _list(value)
    if len(items) != 2:
        raise ValueError(f"not a pair: {value!r}")
    return _int(items[0]), _int(items[1])


def _opt_pair(value: object) -> tuple[int, int] | None:
    return None if value is None else _pair(value)


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
