"""The requirement language of ``[tool.pallet.variants.<name>] requires``: parse and check.

``"cuda>=12.6, sm>=7.5"``: clauses joined by commas, all of which must hold. A clause is a name,
optionally an operator (``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=``) and a version:

- ``cuda[OP X.Y]``: the highest CUDA toolkit the NVIDIA driver runs (NVIDIA's table, `cuda.py`;
  with minor-version compatibility, any X.* from that major's floor);
- ``sm[OP X.Y]``: the compute capability of *every* visible NVIDIA GPU (one old GPU among new
  ones fails it: the wheel has no kernels for it);
- ``rocm[OP X.Y]``: the installed ROCm version;
- ``gfx[OP gfxNNN]``: every visible AMD GPU's LLVM target, ordered by (major, minor, stepping)
  as LLVM's AMDGPU target names spell them (``gfx90a`` = 9.0.10, ``gfx1030`` = 10.3.0);
- ``xpu`` (an Intel discrete GPU), ``mps`` (Apple silicon), ``x86-64-v2|v3|v4`` (the CPU's
  x86-64 psABI level): bare names only.

A bare name means "present". Parsed by hand, without ``re`` or ``packaging``: ``pallet sync``
judges the variants on every run, and their import would cost more than the judging.
"""

from __future__ import annotations

from ._frozen import Frozen
from .facts import Gpu, MachineFacts

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Requirement", "Verdict", "parse_gfx", "parse_requirement"]

_OPS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_VERSIONED = ("cuda", "sm", "rocm", "gfx")
_BARE = ("xpu", "mps", "x86-64-v2", "x86-64-v3", "x86-64-v4")
_NAMES = ", ".join((*_VERSIONED, *_BARE))
_OP_CHARS = "<>=!~"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_HEX = "0123456789abcdef"


class Verdict(Frozen):
    """Whether the facts meet a requirement; `reason` says why not (empty when ok)."""

    __slots__ = ("ok", "reason")
    ok: bool
    reason: str

    def __init__(self, ok: bool, reason: str) -> None:
        super().__init__(ok, reason)


class _Clause(Frozen):
    __slots__ = ("name", "op", "version", "raw")  # noqa: RUF023 (field order)
    name: str
    op: str | None
    version: tuple[int, ...] | None
    raw: str  # the version as written ("12.6", "gfx90a")

    def __init__(
        self, name: str, op: str | None, version: tuple[int, ...] | None, raw: str
    ) -> None:
        super().__init__(name, op, version, raw)

    def __str__(self) -> str:
        return self.name if self.op is None else f"{self.name}{self.op}{self.raw}"


def _is_version(text: str) -> bool:
    """``12``, ``12.6`` or ``6.2.1``: one to three dot-separated whole numbers."""
    parts = text.split(".")
    return len(parts) <= 3 and all(p.isdigit() and p.isascii() for p in parts)


def parse_gfx(text: str) -> tuple[int, int, int]:
    """``gfx90a`` (or ``90a``) -> (9, 0, 10): LLVM AMDGPU processor names are ``gfx`` + major
    (decimal) + minor + stepping (one hex digit each). ValueError on anything else."""
    body = text.strip().lower()
    body = body[3:] if body.startswith("gfx") else body
    major, minor, stepping = body[:-2], body[-2:-1], body[-1:]
    if not (1 <= len(major) <= 2 and major.isdigit() and major.isascii()) or not (
        minor and stepping and minor in _HEX and stepping in _HEX
    ):
        raise ValueError(f"{text!r} is not a gfx target (like gfx90a or gfx1100)")
    return int(major), int(minor, 16), int(stepping, 16)


def _split_clause(text: str) -> tuple[str, str | None, str | None] | None:
    """``cuda >= 12.6`` -> ("cuda", ">=", "12.6"); ``xpu`` -> ("xpu", None, None); None when
    it is not a name, optionally followed by an operator and one word."""
    body = text.strip()
    at = next((i for i, c in enumerate(body) if c in _OP_CHARS or c.isspace()), len(body))
    name, rest = body[:at], body[at:].strip()
    if not name or not name[0].isalpha() or not set(name.lower()) <= _NAME_CHARS:
        return None
    if not rest:
        return name, None, None
    op = rest[:2] if rest[:2] in _OPS else rest[:1] if rest[:1] in _OPS else None
    version = rest[len(op) :].strip() if op else ""
    if op is None or not version or any(c.isspace() or c in _OP_CHARS for c in version):
        return None
    return name, op, version


def _parse_clause(text: str, whole: str) -> _Clause:
    parts = _split_clause(text)
    if parts is None:
        raise ValueError(
            f"requirement {whole!r}: cannot read {text.strip()!r}; write a name, "
            "an operator and a version, like cuda>=12.6"
        )
    written, op, raw = parts
    name = written.lower()
    if name not in _VERSIONED and name not in _BARE:
        raise ValueError(f"requirement {whole!r}: unknown name {written!r}; use one of {_NAMES}")
    if op is None or raw is None:
        return _Clause(name, None, None, "")
    if name in _BARE:
        raise ValueError(f"requirement {whole!r}: {name} takes no version")
    if name == "gfx":
        try:
            return _Clause(name, op, parse_gfx(raw), raw)
        except ValueError as exc:
            raise ValueError(f"requirement {whole!r}: {exc}") from None
    if not _is_version(raw):
        raise ValueError(
            f"requirement {whole!r}: {name} version {raw!r} is not a version like 12.6"
        )
    return _Clause(name, op, tuple(int(p) for p in raw.split(".")), raw)


def _fmt(version: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in version)


def _compare(found: tuple[int, ...], op: str, wanted: tuple[int, ...]) -> bool:
    width = max(len(found), len(wanted))
    return _OPS[op](found + (0,) * (width - len(found)), wanted + (0,) * (width - len(wanted)))


def _sm(gpu: Gpu) -> str:
    cc = gpu.compute_capability
    return f"sm_{cc[0]}{cc[1]}" if cc else "of unknown compute capability"


class Requirement:
    """A parsed requirement (`parse_requirement`); `check` judges one machine's facts."""

    def __init__(self, text: str, clauses: tuple[_Clause, ...]) -> None:
        self.text = text
        self._clauses = clauses

    def __repr__(self) -> str:
        return f"Requirement({self.text!r})"

    def check(self, facts: MachineFacts, *, cuda_minor_compat: bool = False) -> Verdict:
        """Every clause must hold; the first that does not is the reason."""
        for clause in self._clauses:
            reason = _check(clause, facts, cuda_minor_compat)
            if reason:
                return Verdict(False, f"needs {clause}; {reason}")
        return Verdict(True, "")


def parse_requirement(text: str) -> Requirement:
    """Parse ``"cuda>=12.6, sm>=7.5"``; ValueError with a one-line message on bad text."""
    if not text.strip():
        raise ValueError("requirement '': empty; write e.g. cuda>=12.6")
    clauses = tuple(_parse_clause(part, text) for part in text.split(","))
    return Requirement(text, clauses)


def _cuda_found(facts: MachineFacts, compat: bool) -> str:
    driver = f" (driver {facts.nvidia_driver})" if facts.nvidia_driver else ""
    if compat and facts.cuda_compat:
        return f"found CUDA {facts.cuda_compat[0]}.x by minor-version compatibility{driver}"
    if facts.cuda:
        return f"found CUDA {_fmt(facts.cuda)}{driver}"
    if facts.nvidia_driver:
        return f"found driver {facts.nvidia_driver}, too old for CUDA 11.0"
    return "found no NVIDIA driver"


def _check(clause: _Clause, facts: MachineFacts, compat: bool) -> str:
    """'' when the clause holds, else what was found."""
    name, op, wanted = clause.name, clause.op, clause.version
    if name == "cuda":
        found = facts.cuda_compat if compat and facts.cuda_compat else facts.cuda
        if found is None or (op and wanted and not _compare(found, op, wanted)):
            return _cuda_found(facts, compat)
        return ""
    if name == "rocm":
        if facts.rocm is None:
            return "found no ROCm"
        if op and wanted and not _compare(facts.rocm, op, wanted):
            return f"found ROCm {_fmt(facts.rocm)}"
        return ""
    if name == "sm":
        gpus = facts.nvidia_gpus()
        if not gpus:
            return "found no NVIDIA GPU"
        for gpu in gpus:
            cc = gpu.compute_capability
            if cc is None or (op and wanted and not _compare(cc, op, wanted)):
                return f"GPU {gpu.index} {gpu.name} is {_sm(gpu)}"
        return ""
    if name == "gfx":
        gpus = facts.amd_gpus()
        if not gpus:
            return "found no AMD GPU"
        for gpu in gpus:
            target = _gfx_or_none(gpu.gfx)
            if target is None or (op and wanted and not _compare(target, op, wanted)):
                return f"GPU {gpu.index} {gpu.name} is {gpu.gfx or 'of unknown gfx target'}"
        return ""
    if name == "xpu":
        return "" if facts.xpu else "found no Intel discrete GPU"
    if name == "mps":
        return "" if facts.mps else f"found no Apple silicon ({facts.system} {facts.machine})"
    level = int(name[-1])  # x86-64-vN
    if facts.x86_64_level is None:
        return f"found no x86-64 CPU level ({facts.machine})"
    if facts.x86_64_level < level:
        return f"found an x86-64-v{facts.x86_64_level} CPU"
    return ""


def _gfx_or_none(text: str | None) -> tuple[int, int, int] | None:
    if text is None:
        return None
    try:
        return parse_gfx(text)
    except ValueError:
        return None
