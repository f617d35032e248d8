"""The environment a lock is installed for: the marker values and wheel tags of its interpreter.

PEP 751 selection evaluates each package's marker against the *target* interpreter's environment
(PEP 508 ``default_environment()``) and picks wheels by its tags (``packaging.tags.sys_tags()``,
best first, PEP 425). Those values belong to the venv's interpreter, which may not be the one
pallet runs on, so `target_for` runs that interpreter once with ``-I -S`` and pallet's own
``packaging`` importable (appended to ``sys.path``, after the standard library), and caches the
answer under ``<cache root>/interpreters-v1/`` keyed by the path as given, its resolved file's
mtime and size, and the ``packaging`` version (as `python.facts` caches interpreter facts).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import packaging
from packaging.tags import Tag

from ..errors import InterpreterError

__all__ = ["SCRIPT", "Target", "target_for"]

#: Seconds the interpreter may take to answer.
TIMEOUT = 30.0

#: Runs on the target interpreter; argv[1] is the folder holding pallet's ``packaging``.
SCRIPT = """\
import json, sys
sys.path.append(sys.argv[1])
from packaging.markers import default_environment
from packaging.tags import sys_tags
print(json.dumps({"markers": default_environment(), "tags": [str(t) for t in sys_tags()]}))
"""


@dataclass(frozen=True)
class Target:
    """PEP 508 marker values and the supported wheel tags (best first) of one interpreter."""

    markers: Mapping[str, str]
    tags: tuple[Tag, ...]


def _parse(data: object) -> Target | None:
    if not isinstance(data, dict):
        return None
    markers, tags = data.get("markers"), data.get("tags")
    if not isinstance(markers, dict) or not isinstance(tags, list):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in markers.items()):
        return None
    parsed = []
    for text in tags:
        parts = text.split("-") if isinstance(text, str) else []
        if len(parts) != 3:
            return None
        parsed.append(Tag(*parts))
    return Target(markers=dict(markers), tags=tuple(parsed))


def _stamp(executable: Path) -> dict[str, object] | None:
    try:
        real = executable.resolve()
        st = real.stat()
    except (OSError, RuntimeError):
        return None
    return {
        "path": str(executable),
        "real": str(real),
        "mtime_ns": st.st_mtime_ns,
        "size": st.st_size,
        "packaging": packaging.__version__,
    }


def _cache_file(cache_root: Path, executable: Path) -> Path:
    digest = hashlib.sha256(str(executable).encode()).hexdigest()[:32]
    return cache_root / "interpreters-v1" / f"target-{digest}.json"


def _run(executable: Path) -> Target:
    where = str(Path(packaging.__file__).resolve().parent.parent)
    try:
        proc = subprocess.run(
            [str(executable), "-I", "-S", "-c", SCRIPT, where],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
            errors="replace",
        )
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"{executable}: gave no answer within {TIMEOUT:g} s") from None
    except OSError as exc:
        raise InterpreterError(f"{executable}: cannot be run: {exc.strerror or exc}") from None
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode != 0:
        raise InterpreterError(
            f"{executable}: cannot tell its markers and wheel tags: "
            f"{lines[-1] if lines else f'exit status {proc.returncode}'}"
        )
    try:
        target = _parse(json.loads(proc.stdout))
    except ValueError:
        target = None
    if target is None:
        raise InterpreterError(f"{executable}: printed no markers and wheel tags")
    return target


def target_for(executable: Path, cache_root: Path) -> Target:
    """The markers and tags of the interpreter at `executable` (cached while its file and
    pallet's ``packaging`` are unchanged)."""
    stamp = _stamp(executable)
    cached = _cache_file(cache_root, executable)
    if stamp is not None:
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict) and data.get("stamp") == stamp:
            hit = _parse(data.get("target"))
            if hit is not None:
                return hit
    target = _run(executable)
    if stamp is not None:
        text = json.dumps(
            {
                "stamp": stamp,
                "target": {"markers": dict(target.markers), "tags": [str(t) for t in target.tags]},
            }
        )
        try:  # best effort: a cache that cannot be written costs only a later subprocess
            cached.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=".target.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(text)
            Path(tmp).replace(cached)
        except OSError:
            pass
    return target
