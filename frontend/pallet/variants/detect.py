"""`detect`: the machine's facts, read through a root folder, ``PATH`` and an environment.

`detect` reads every source (`sources.py`); `detect_cached` answers from the per-boot cache
(`cache.py`) while nothing it read has changed; `machine_facts` is the real machine (or the one
``PALLET_SYSROOT``/``PALLET_SYSTEM``/``PALLET_MACHINE`` simulate). This module and the cache's
warm path import no ``subprocess``, ``re``, ``json`` or ``dataclasses``: ``pallet sync`` asks
on every run.
"""

from __future__ import annotations

import os

from .. import envvars
from .facts import MachineFacts

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["TOOL_TIMEOUT", "detect", "detect_cached", "machine_facts"]

#: Seconds a detection tool (``nvidia-smi``, ``rocm_agent_enumerator``) may take.
TOOL_TIMEOUT = 10.0


def detect(
    *,
    root: str = "/",
    path: str | None,
    env: Mapping[str, str],
    system: str,
    machine: str,
    tool_timeout: float = TOOL_TIMEOUT,
) -> MachineFacts:
    """The facts of the machine under `root`, uncached. Bad override variables are a
    `SetupError` naming the variable; anything the machine does wrong is a note."""
    from .probe import Probe
    from .sources import detect_probed

    return detect_probed(Probe(root, path, system, tool_timeout), env, system, machine)


def detect_cached(
    cache_dir: str | None,
    *,
    root: str = "/",
    path: str | None,
    env: Mapping[str, str],
    system: str,
    machine: str,
    tool_timeout: float = TOOL_TIMEOUT,
) -> MachineFacts:
    """`detect`, cached per boot under ``<cache_dir>/variants-v1/`` and keyed by every file
    and tool it read (path and st_ino, st_mtime_ns, st_size, or absent), every folder it
    listed, ``PATH``, the root and the override variables; `cache_dir` None: no cache."""
    from .cache import cached

    return cached(
        cache_dir,
        root=root,
        path=path,
        env=env,
        system=system,
        machine=machine,
        tool_timeout=tool_timeout,
    )


def machine_facts(env: Mapping[str, str], cache_dir: str | None) -> MachineFacts:
    """The real machine's facts: root ``PALLET_SYSROOT`` (default ``/``), ``PATH``, and the
    system and machine of ``platform`` unless ``PALLET_SYSTEM``/``PALLET_MACHINE`` say; cached
    under `cache_dir` (the pallet cache root)."""
    system = env.get(envvars.PALLET_SYSTEM, "").strip()
    machine = env.get(envvars.PALLET_MACHINE, "").strip()
    if not system or not machine:
        if hasattr(os, "uname"):  # what platform.system()/machine() answer, without importing it
            uname = os.uname()
            system, machine = system or uname.sysname, machine or uname.machine
        else:
            import platform

            system = system or platform.system()
            machine = machine or platform.machine()
    return detect_cached(
        cache_dir,
        root=env.get(envvars.PALLET_SYSROOT, "").strip() or "/",
        path=env.get("PATH"),
        env=env,
        system=system,
        machine=machine,
    )
