# ruff: noqa: PTH100, PTH103, PTH105, PTH108, PTH118, PTH208
"""The detection cache: one small text file per inputs under ``<cache_dir>/variants-v1/``.

Valid for one boot (``/proc/sys/kernel/random/boot_id`` under the root) and only while every
file and tool detection touched has the same identity (inode, mtime, size, or still absent),
every folder it listed has the same names, and ``PATH``, the root, the system and the override
variables are the same: a changed machine, or a test's simulated one, is seen at once, while a
warm ``pallet sync`` re-reads a few stats instead of starting ``nvidia-smi``.

The file is tab-separated lines, not JSON: the warm path imports no ``json``, ``re`` or
``subprocess`` (`test_cache.py` measures it). A file that cannot be read or written is ignored
(detection runs again). Fields are escaped (``\\``, tab, newline) so any value round-trips.
"""

from __future__ import annotations

import os
import zlib

from .. import envvars
from .facts import Gpu, MachineFacts
from .probe import Probe, identity

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CACHE_KIND", "KEY_VARIABLES", "cached", "decode_facts", "encode_facts"]

CACHE_KIND = "variants-v1"
_MAGIC = "pallet-variants-cache 1"
#: Variables besides PATH whose values are part of the key.
KEY_VARIABLES = (
    *envvars.VARIANT_FACT_OVERRIDES,
    "CUDA_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",
    "ROCR_VISIBLE_DEVICES",
    "ROCM_PATH",
)
_BOOT_ID = "proc/sys/kernel/random/boot_id"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, chars = [], iter(text)
    for c in chars:
        if c == "\\":
            nxt = next(chars, "")
            out.append({"t": "\t", "n": "\n"}.get(nxt, nxt))
        else:
            out.append(c)
    return "".join(out)


def _value(value: object) -> str:
    """One typed value: ``~`` None, ``b1``/``b0``, ``n<int>``, ``v1.2.3`` int tuple, ``s<text>``."""
    if value is None:
        return "~"
    if isinstance(value, bool):
        return "b1" if value else "b0"
    if isinstance(value, int):
        return f"n{value}"
    if isinstance(value, tuple):
        return "v" + ".".join(str(int(p)) for p in value)
    return "s" + _escape(str(value))


def _parse_value(text: str) -> object:
    kind, body = text[:1], text[1:]
    if kind == "~":
        return None
    if kind == "b":
        return body == "1"
    if kind == "n":
        return int(body)
    if kind == "v":
        return tuple(int(p) for p in body.split(".")) if body else ()
    if kind == "s":
        return _unescape(body)
    raise ValueError(f"bad value {text[:20]!r}")


_SCALARS = (
    "system",
    "machine",
    "nvidia_driver",
    "cuda",
    "cuda_compat",
    "rocm",
    "xpu",
    "mps",
    "x86_64_level",
)


def encode_facts(facts: MachineFacts) -> list[str]:
    """The facts as cache lines: ``fact``, ``gpu``, ``note`` and ``override`` lines."""
    lines = [f"fact\t{name}\t{_value(getattr(facts, name))}" for name in _SCALARS]
    lines += ["gpu\t" + "\t".join(_value(v) for v in gpu._values()) for gpu in facts.gpus]
    lines += [f"note\t{_escape(note)}" for note in facts.notes]
    lines += [f"override\t{_escape(name)}" for name in facts.overridden]
    return lines


def decode_facts(lines: list[list[str]]) -> MachineFacts:
    """The inverse of `encode_facts` (lines split at tabs); ValueError/TypeError when bad."""
    scalars: dict[str, object] = {}
    gpus, notes, overridden = [], [], []
    for fields in lines:
        if fields[0] == "fact":
            scalars[fields[1]] = _parse_value(fields[2])
        elif fields[0] == "gpu":
            gpus.append(Gpu(*(_parse_value(f) for f in fields[1:])))  # type: ignore[arg-type]
        elif fields[0] == "note":
            notes.append(_unescape(fields[1]))
        elif fields[0] == "override":
            overridden.append(_unescape(fields[1]))
    if set(scalars) != set(_SCALARS):
        raise ValueError("missing facts")
    return MachineFacts(
        **scalars,  # type: ignore[arg-type]
        gpus=tuple(gpus),
        notes=tuple(notes),
        overridden=tuple(overridden),
    )


def _identity_text(ident: tuple[int, int, int] | None) -> str:
    return "-" if ident is None else f"{ident[0]}.{ident[1]}.{ident[2]}"


def _key(root: str, path: str | None, env: Mapping[str, str], system: str, machine: str) -> str:
    """Everything but the files: root, boot, PATH, system, machine, the key variables."""
    try:
        with open(os.path.join(root, _BOOT_ID), encoding="ascii") as file:
            boot = file.read().strip()
    except OSError:
        boot = ""
    parts = [os.path.abspath(root), boot, "~" if path is None else path, system, machine]
    parts += [f"{name}={env[name]}" for name in KEY_VARIABLES if name in env]
    return "\t".join(_escape(p) for p in parts)


def _load(file: str, key: str) -> MachineFacts | None:
    try:
        with open(file, encoding="utf-8") as handle:
            rows = handle.read().split("\n")
    except OSError:
        return None
    if len(rows) < 3 or rows[0] != _MAGIC or rows[1] != key:
        return None
    facts_rows = []
    try:
        for row in rows[2:]:
            if not row:
                continue
            fields = row.split("\t")
            if fields[0] == "seen":
                now = identity(_unescape(fields[1]))
                if _identity_text(now) != fields[2]:
                    return None
            elif fields[0] == "listed":
                try:
                    names = sorted(os.listdir(_unescape(fields[1])))
                except OSError:
                    names = []
                if [_escape(n) for n in names] != fields[2:]:
                    return None
            else:
                facts_rows.append(fields)
        return decode_facts(facts_rows)
    except (IndexError, ValueError, TypeError):
        return None


def _store(file: str, key: str, probe: Probe, facts: MachineFacts) -> None:
    lines = [_MAGIC, key]
    for real, ident in probe.seen.items():
        lines.append(f"seen\t{_escape(real)}\t{_identity_text(ident)}")
    for folder, names in probe.listed.items():
        lines.append("\t".join(["listed", _escape(folder), *(_escape(n) for n in names)]))
    lines += encode_facts(facts)
    # a temp name starts with "." (pallet.install.store's rule: `pallet cache` skips it)
    folder, name = os.path.split(file)
    temp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        os.makedirs(folder, exist_ok=True)
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(temp, file)
    except OSError:
        try:  # noqa: SIM105 (contextlib is not imported on this path)
            os.unlink(temp)
        except OSError:
            pass


def cached(
    cache_dir: str | None,
    *,
    root: str,
    path: str | None,
    env: Mapping[str, str],
    system: str,
    machine: str,
    tool_timeout: float,
) -> MachineFacts:
    """See `pallet.variants.detect.detect_cached`."""
    if cache_dir is None:
        from .sources import detect_probed

        return detect_probed(Probe(root, path, system, tool_timeout), env, system, machine)
    key = _key(root, path, env, system, machine)
    file = os.path.join(cache_dir, CACHE_KIND, f"{zlib.crc32(key.encode('utf-8')):08x}")
    facts = _load(file, key)
    if facts is not None:
        return facts
    from .sources import detect_probed

    probe = Probe(root, path, system, tool_timeout)
    facts = detect_probed(probe, env, system, machine)
    _store(file, key, probe, facts)
    return facts
