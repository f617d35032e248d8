"""Fake Python interpreters for discovery tests: executable shell scripts that print what
`pallet.python.facts.SCRIPT` prints (a JSON object), or fail, and log each run to a file."""

from __future__ import annotations

import json
import shlex
from pathlib import Path


def facts_json(exe: Path, version: str, implementation: str = "cpython") -> dict[str, object]:
    prefix = str(exe.parent.parent)
    short = ".".join(version.split(".")[:2])
    return {
        "version": version,
        "implementation_name": implementation,
        "implementation_version": version if implementation == "cpython" else "7.3.17",
        "executable": str(exe.resolve()),
        "prefix": prefix,
        "base_prefix": prefix,
        "purelib": f"{prefix}/lib/python{short}/site-packages",
        "platlib": f"{prefix}/lib/python{short}/site-packages",
        "scripts": f"{prefix}/bin",
        "include": f"{prefix}/include/python{short}",
        "platform": "linux-x86_64",
        "abiflags": "",
        "soabi": f"cpython-{short.replace('.', '')}-x86_64-linux-gnu",
        "free_threaded": False,
        "pointer_bits": 64,
    }


def write_script(path: Path, body: str, log: Path | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    logging = f"echo {shlex.quote(str(path))} >> {shlex.quote(str(log))}\n" if log else ""
    path.write_text(f"#!/bin/sh\n{logging}{body}", encoding="utf-8")
    path.chmod(0o755)
    return path


def fake_python(
    path: Path, version: str, *, implementation: str = "cpython", log: Path | None = None
) -> Path:
    """An executable at ``path`` that answers like a ``version`` interpreter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    answer = json.dumps(facts_json(path, version, implementation))
    return write_script(path, f"echo {shlex.quote(answer)}\n", log)


def broken_python(path: Path, stderr: str, status: int = 1, log: Path | None = None) -> Path:
    """An executable that prints ``stderr`` and exits with ``status`` (a stale shim, a bad
    build)."""
    return write_script(path, f"echo {shlex.quote(stderr)} >&2\nexit {status}\n", log)
