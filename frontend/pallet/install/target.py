"""The environment a lock is installed for: the marker values and wheel tags of its interpreter.

PEP 751 selection evaluates each package's marker against the *target* interpreter's environment
(PEP 508 ``default_environment()``) and picks wheels by its tags (``packaging.tags.sys_tags()``,
best first, PEP 425). Those values belong to the venv's interpreter, which may not be the one
pallet runs on, so `target_for` runs that interpreter once with ``-I -S`` (a standard-library
script: pallet's ``packaging`` does not import on every Python pallet installs into), has
``packaging.tags`` compute its tags from what it printed, and caches the answer under
``<cache root>/interpreters-v1/`` keyed by the path as given, its resolved file's
mtime and size, and the ``packaging`` version (as `python.facts` caches interpreter facts).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import packaging
from packaging.tags import Tag, compatible_tags, cpython_tags, generic_tags, platform_tags

from ..errors import InterpreterError
from ..python.facts import FactsCache
from ..python.venv import VenvInterpreter

__all__ = ["SCRIPT", "Target", "target_for", "venv_interpreter_for"]

#: Seconds the interpreter may take to answer.
TIMEOUT = 30.0

#: Runs on the target interpreter (standard library only: pallet's ``packaging`` may not import
#: on an older Python). The markers are PEP 508's definitions; the rest is what
#: ``packaging.tags.sys_tags`` reads of the running interpreter, so `_tags` can ask
#: ``packaging.tags`` for the same list in pallet's own process.
SCRIPT = """\
import importlib.machinery, json, os, platform, struct, sys, sysconfig
impl = sys.implementation
v = impl.version
iv = "%d.%d.%d" % (v.major, v.minor, v.micro)
if v.releaselevel != "final":
    iv += v.releaselevel[0] + str(v.serial)
markers = {
    "implementation_name": impl.name,
    "implementation_version": iv,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
var = sysconfig.get_config_var
print(json.dumps({"markers": markers, "tags": {
    "name": impl.name,
    "version": list(sys.version_info[:2]),
    "nodot": var("py_version_nodot") or "%d%d" % sys.version_info[:2],
    "py_debug": var("Py_DEBUG"),
    "gil_disabled": bool(var("Py_GIL_DISABLED")),
    "refcount": hasattr(sys, "gettotalrefcount"),
    "ext_suffixes": list(importlib.machinery.EXTENSION_SUFFIXES),
    "ext_suffix": var("EXT_SUFFIX") or "",
    "platform": sysconfig.get_platform(),
    "bits": struct.calcsize("P") * 8,
}}))
"""

_SHORT = {"cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}


def _normalize(text: str) -> str:
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def _cpython_abis(info: Mapping[str, Any]) -> list[str]:
    """packaging.tags' CPython ABIs (3.8+): cpXY, with t (free-threaded) and d (debug)."""
    nodot = "{}{}".format(*info["version"])
    debug = info["py_debug"] or (
        info["py_debug"] is None and (info["refcount"] or "_d.pyd" in info["ext_suffixes"])
    )
    threading = "t" if tuple(info["version"]) >= (3, 13) and info["gil_disabled"] else ""
    abis = [f"cp{nodot}{threading}{'d' if debug else ''}"]
    if debug:
        abis.append(f"cp{nodot}{threading}")
    return abis


def _generic_abi(info: Mapping[str, Any]) -> list[str]:
    """packaging.tags' ABI of another implementation, from its EXT_SUFFIX."""
    parts = str(info["ext_suffix"]).split(".")
    if len(parts) < 3:
        return _cpython_abis(info) if info["name"] == "cpython" else []
    soabi = parts[1]
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    else:
        abi = soabi
    return [_normalize(abi)] if abi else []


def _platforms(info: Mapping[str, Any]) -> list[str]:
    """This machine's platform tags when the target's platform is pallet's own (the usual case:
    manylinux/musllinux and macOS versions are the machine's); else its own platform only."""
    import struct
    import sysconfig

    if info["platform"] == sysconfig.get_platform() and info["bits"] == struct.calcsize("P") * 8:
        return list(platform_tags())
    return [_normalize(str(info["platform"]))]


def _tags(info: Mapping[str, Any]) -> tuple[Tag, ...]:
    """``packaging.tags.sys_tags()`` as the target interpreter would compute it."""
    version = (int(info["version"][0]), int(info["version"][1]))
    short = _SHORT.get(str(info["name"]), str(info["name"]))
    platforms = _platforms(info)
    if short == "cp":
        tags = list(cpython_tags(version, _cpython_abis(info), platforms))
        interpreter: str | None = "cp" + str(info["nodot"])
    else:
        tags = list(generic_tags(f"{short}{info['nodot']}", _generic_abi(info), platforms))
        interpreter = "pp3" if short == "pp" else None
    tags += compatible_tags(version, interpreter, platforms)
    return tuple(tags)


@dataclass(frozen=True)
class Target:
    """PEP 508 marker values and the supported wheel tags (best first) of one interpreter."""

    markers: Mapping[str, str]
    tags: tuple[Tag, ...]

    @cached_property
    def tag_set(self) -> frozenset[Tag]:
        """`tags` as a set, made once: each wheel of a sync is checked against it."""
        return frozenset(self.tags)


def _parse(data: object) -> Target | None:
    if not isinstance(data, dict):
        return None
    markers, tags = data.get("markers"), data.get("tags")
    if not isinstance(markers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in markers.items()
    ):
        return None
    if isinstance(tags, dict):  # the interpreter's answer
        try:
            return Target(markers=dict(markers), tags=_tags(tags))
        except (KeyError, TypeError, ValueError, IndexError):
            return None
    if not isinstance(tags, list):
        return None
    parsed = []
    for text in tags:
        parts = text.split("-") if isinstance(text, str) else []
        if len(parts) != 3:
            return None
        parsed.append(Tag(*parts))
    return Target(markers=dict(markers), tags=tuple(parsed))


#: the answers depend on pallet's ``packaging`` too (it computes the tags)
_EXTRA = {"packaging": packaging.__version__}


def _run(executable: Path) -> Target:
    try:
        proc = subprocess.run(
            [str(executable), "-I", "-S", "-c", SCRIPT],
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
    pallet's ``packaging`` are unchanged). A venv's ``python`` link and the interpreter it
    points to give the same markers and tags, so both share one answer (the link resolved):
    choosing a variant before the venv exists and installing into it probe once."""
    executable = Path(os.path.realpath(executable))
    cache = FactsCache(cache_root)
    hit = _parse(cache.load(executable, kind="target-", key="target", extra=_EXTRA))
    if hit is not None:
        return hit
    target = _run(executable)
    answer = {"markers": dict(target.markers), "tags": [str(t) for t in target.tags]}
    cache.store(executable, answer, kind="target-", key="target", extra=_EXTRA)
    return target


def venv_interpreter_for(executable: Path, cache_root: Path) -> VenvInterpreter:
    """`VenvInterpreter.probe` of `executable`, cached beside the target (same key): creating
    a venv for an interpreter already seen starts no process."""
    cache = FactsCache(cache_root)
    data = cache.load(executable, kind="venv-target-", extra=_EXTRA)
    if isinstance(data, dict):
        try:
            facts = dict(data)
            facts["version_info"] = tuple(facts["version_info"])
            return VenvInterpreter(**facts)
        except (KeyError, TypeError, ValueError):
            pass
    found = VenvInterpreter.probe(executable)
    cache.store(executable, asdict(found), kind="venv-target-", extra=_EXTRA)
    return found
