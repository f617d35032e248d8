"""Hardware-variant extras written into pyproject.toml for PyTorch-style backends (tomlkit).

`pallet variants add torch torchvision --backends cpu,cu126,rocm6.2` gives each backend an extra
naming the packages, the ``[tool.pallet.variants]`` table that makes them variants, and one
explicit ``[[tool.pallet.index]]`` per backend from PyTorch's URL pattern
(``https://download.pytorch.org/whl/<backend>``). The edit keeps everything else in the file as
it was (comments, order, layout) and never replaces an extra, a variant table or an index that is
already there: it refuses with a one-line `ProjectError` naming the key instead.

The backend names are PyTorch's: ``cpu``, ``cuXYZ`` (CUDA X.Y; ``cu126`` -> ``cuda>=12.6``, as
PyTorch's CUDA wheels need a driver that supports that toolkit), ``rocmX.Y[.Z]``
(``rocm>=X.Y``) and ``xpu``. Preference order: CUDA newest first, then ROCm newest first, then
XPU, then CPU, so a machine gets the most specific build it can run.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..errors import ProjectError

__all__ = [
    "PYTORCH_INDEX_PATTERN",
    "Backend",
    "VariantsPlan",
    "add_variants",
    "make_plan",
    "parse_backend",
    "with_lower_bounds",
]

#: PyTorch's wheel indexes, one per backend (https://pytorch.org/get-started/locally/).
PYTORCH_INDEX_PATTERN = "https://download.pytorch.org/whl/{backend}"

_PYPROJECT = "pyproject.toml"
_CUDA = re.compile(r"cu(\d{2,3})")  # cu118, cu121, cu126, cu128, cu130
_ROCM = re.compile(r"rocm(\d+)\.(\d+)(?:\.(\d+))?")  # rocm6.2, rocm6.2.4
_KIND_RANK = {"cuda": 0, "rocm": 1, "xpu": 2, "cpu": 3}


@dataclass(frozen=True)
class Backend:
    """One PyTorch backend: its name, the extra named for it, what it requires of the machine."""

    name: str  # "rocm6.2": as PyTorch spells it (its index path)
    kind: str  # "cuda" | "rocm" | "xpu" | "cpu"
    version: tuple[int, ...]  # (12, 6); () for xpu/cpu
    requires: str | None  # "cuda>=12.6" in the requirement language of pallet.variants

    @property
    def extra(self) -> str:
        """The extra: the backend name normalized as PEP 685 normalizes extra names."""
        return canonicalize_name(self.name)

    @property
    def index_name(self) -> str:
        return f"pytorch-{self.extra}"


def parse_backend(name: str) -> Backend:
    """A backend from its PyTorch name; `ProjectError` for a name PyTorch does not use."""
    text = name.strip().lower()
    if text == "cpu":
        return Backend(text, "cpu", (), None)
    if text == "xpu":
        return Backend(text, "xpu", (), "xpu")
    cuda = _CUDA.fullmatch(text)
    if cuda:
        digits = cuda.group(1)  # PyTorch writes CUDA X.Y as cuXY with the minor last: cu118
        major, minor = int(digits[:-1]), int(digits[-1])
        return Backend(text, "cuda", (major, minor), f"cuda>={major}.{minor}")
    rocm = _ROCM.fullmatch(text)
    if rocm:
        version = tuple(int(g) for g in rocm.groups() if g is not None)
        return Backend(text, "rocm", version, f"rocm>={version[0]}.{version[1]}")
    raise ProjectError(
        f"--backends: {name!r} is not a PyTorch backend; use cpu, cuXYZ (cu126), "
        "rocmX.Y (rocm6.2) or xpu"
    )


@dataclass(frozen=True)
class VariantsPlan:
    """What `add_variants` writes: the backends in preference order, the default, the packages."""

    backends: tuple[Backend, ...]
    default: Backend
    packages: tuple[str, ...]
    index_pattern: str

    def index_url(self, backend: Backend) -> str:
        return self.index_pattern.replace("{backend}", backend.name)


def make_plan(
    packages: Sequence[str],
    backends: Sequence[str],
    default: str | None = None,
    index_pattern: str = PYTORCH_INDEX_PATTERN,
) -> VariantsPlan:
    """Check the command's arguments and order the backends by preference."""
    for text in packages:
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            raise ProjectError(f"package {text!r}: not a PEP 508 requirement: {exc}") from exc
    if not packages:
        raise ProjectError("name at least one package (torch torchvision ...)")
    parsed = [parse_backend(b) for b in backends if b.strip()]
    seen: dict[str, Backend] = {}
    for backend in parsed:
        if backend.extra in seen:
            raise ProjectError(f"--backends: {backend.name!r} is given twice")
        seen[backend.extra] = backend
    if len(seen) < 2:
        raise ProjectError("--backends: name at least two backends, e.g. cpu,cu126")
    if "{backend}" not in index_pattern:
        raise ProjectError(f"--index-url-pattern: {index_pattern!r} has no {{backend}} placeholder")
    ordered = tuple(sorted(seen.values(), key=lambda b: (_KIND_RANK[b.kind], _descending(b))))
    wanted = default if default is not None else ("cpu" if "cpu" in seen else None)
    if wanted is None:
        raise ProjectError("--default: name the backend installed where no other fits")
    chosen = seen.get(canonicalize_name(wanted))
    if chosen is None:
        raise ProjectError(f"--default: {wanted!r} is not one of the backends ({', '.join(seen)})")
    return VariantsPlan(ordered, chosen, tuple(packages), index_pattern)


def with_lower_bounds(plan: VariantsPlan, locked: Mapping[str, Sequence[str]]) -> VariantsPlan:
    """``plan`` with each bare requirement (no version specifier, no URL) given the lowest public
    version the lock chose for it as a lower bound: ``torch`` -> ``torch>=2.5.1`` when the lock
    holds ``2.5.1+cpu`` and ``2.5.1+cu126`` (PEP 440: the local label is not part of a
    specifier's version). Names the lock does not hold are left as they are."""
    from .deps_edit import bounded_requirements

    return dataclasses.replace(plan, packages=bounded_requirements(plan.packages, locked))


def _descending(backend: Backend) -> tuple[int, ...]:
    return tuple(-part for part in backend.version)


def add_variants(text: str, plan: VariantsPlan) -> str:
    """pyproject.toml ``text`` with ``plan`` added; everything else kept as it was."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import AoT, InlineTable

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ProjectError(f"{_PYPROJECT}: invalid TOML: {exc}", path=_PYPROJECT) from exc
    project = doc.get("project")
    if not isinstance(project, dict):
        raise _refuse("[project]", "the table is missing; variants are extras of a project")
    dynamic = project.get("dynamic", [])
    if isinstance(dynamic, list) and "optional-dependencies" in dynamic:
        raise _refuse(
            "[project] 'dynamic'", "lists optional-dependencies; pallet cannot add extras to it"
        )
    extras = project.get("optional-dependencies")
    existing = {canonicalize_name(str(k)) for k in extras} if isinstance(extras, dict) else set()
    for backend in plan.backends:
        if backend.extra in existing:
            raise _refuse(
                f"[project.optional-dependencies] '{backend.extra}'",
                "already exists; pallet variants add does not replace it",
            )
    tool = doc.get("tool")
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    if isinstance(pallet, dict) and "variants" in pallet:
        raise _refuse(
            "[tool.pallet.variants]", "already exists; pallet variants add does not replace it"
        )
    indexes = pallet.get("index", []) if isinstance(pallet, dict) else []
    known = {str(i.get("name")): str(i.get("url")) for i in indexes if isinstance(i, dict)}
    for backend in plan.backends:
        url = known.get(backend.index_name)
        if url is not None and url.rstrip("/") != plan.index_url(backend).rstrip("/"):
            raise _refuse(
                f"[[tool.pallet.index]] '{backend.index_name}'",
                f"already exists with url {url!r}; pallet variants add does not replace it",
            )

    if isinstance(extras, dict):
        for backend in plan.backends:  # tomlkit puts new keys before the table's trailing blank
            extras[backend.extra] = list(plan.packages)
    else:
        extras = tomlkit.table()
        for backend in plan.backends:
            extras[backend.extra] = list(plan.packages)
        _blank_line_after(extras)
        project["optional-dependencies"] = extras

    for key, table in (("[tool]", tool), ("[tool.pallet]", pallet)):
        if isinstance(table, InlineTable):
            raise _refuse(key, "is an inline table; pallet variants add adds tables below it")
    if not isinstance(tool, dict):
        tool = tomlkit.table(is_super_table=True)
        doc["tool"] = tool
    if not isinstance(pallet, dict):
        pallet = tomlkit.table(is_super_table=True)
        tool["pallet"] = pallet
    pallet["variants"] = _variants_table(plan)
    added = [b for b in plan.backends if b.index_name not in known]
    index = pallet.get("index")
    if index is None:
        index = tomlkit.aot()
        pallet["index"] = index
    if not isinstance(index, AoT):
        raise _refuse(
            "[tool.pallet] 'index'",
            "is an inline array; pallet variants add appends [[tool.pallet.index]] tables",
        )
    if added and len(index) and not index[-1].as_string().endswith("\n\n"):
        _blank_line_after(index[-1])  # the new entries start after a blank line
    for backend in added:
        index.append(_index_table(plan, backend))
    out = tomlkit.dumps(doc)
    if "\n\n\n" not in text:  # tomlkit's own separators beside ours: one blank line, as before
        out = re.sub(r"\n{3,}", "\n\n", out)
    if text.endswith("\n"):  # the blank line kept after our last table is not the file's
        out = out.rstrip("\n") + "\n"
    _check_edit(text, out, plan, added)
    return out


def _check_edit(before: str, after: str, plan: VariantsPlan, added: list[Backend]) -> None:
    """The text written must read (by tomllib, not by tomlkit, which wrote it) as the old file
    plus exactly the new keys and tables: a layout tomlkit mishandles is refused, not written."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    expected = tomllib.loads(before)
    extras = expected["project"].setdefault("optional-dependencies", {})
    extras.update({b.extra: list(plan.packages) for b in plan.backends})
    pallet = expected.setdefault("tool", {}).setdefault("pallet", {})
    pallet["variants"] = {
        "extras": [b.extra for b in plan.backends],
        "default": plan.default.extra,
        **{b.extra: _variant_entry(b) for b in plan.backends},
    }
    pallet["index"] = [*pallet.get("index", []), *(_index_entry(plan, b) for b in added)]
    try:
        ok = tomllib.loads(after) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise ProjectError(
            f"{_PYPROJECT}: its layout defeats an exact edit; nothing was written: add the "
            "variant tables by hand (docs/gpu.md)",
            path=_PYPROJECT,
        )


def _variant_entry(backend: Backend) -> dict[str, str]:
    entry = {"requires": backend.requires} if backend.requires else {}
    entry["index"] = backend.index_name
    return entry


def _index_entry(plan: VariantsPlan, backend: Backend) -> dict[str, Any]:
    return {"name": backend.index_name, "url": plan.index_url(backend), "explicit": True}


def _variants_table(plan: VariantsPlan) -> Any:
    import tomlkit

    table = tomlkit.table()
    table.add(tomlkit.comment("mutually exclusive extras chosen by hardware, most preferred first"))
    table["extras"] = [b.extra for b in plan.backends]
    table["default"] = plan.default.extra
    _blank_line_after(table)
    for backend in plan.backends:
        sub = tomlkit.table()
        sub.update(_variant_entry(backend))
        _blank_line_after(sub)
        table[backend.extra] = sub
    return table


def _index_table(plan: VariantsPlan, backend: Backend) -> Any:
    import tomlkit

    table = tomlkit.table()
    table.update(_index_entry(plan, backend))
    _blank_line_after(table)
    return table


def _blank_line_after(table: Any) -> None:
    import tomlkit

    table.add(tomlkit.nl())


def _refuse(key: str, problem: str) -> ProjectError:
    return ProjectError(f"{_PYPROJECT}: {key}: {problem}", path=_PYPROJECT, key=key)
