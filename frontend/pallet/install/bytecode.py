"""Byte-compiling installed sources with the environment's own interpreter, in one process."""

from __future__ import annotations

import os
import subprocess

from ..errors import InstallError

__all__ = ["compile_sources"]

#: Reads source paths on stdin, prints the .pyc path of each one that compiled. compileall's
#: quiet=2 keeps a SyntaxError to a False result, as pip treats it: not fatal.
_COMPILE = r"""
import compileall, importlib.util, sys
for line in sys.stdin:
    path = line.rstrip("\n")
    if path and compileall.compile_file(path, force=True, quiet=2):
        print(importlib.util.cache_from_source(path))
"""


def compile_sources(python: str, sources: list[str]) -> list[str]:
    """Byte-compile `sources` (PEP 3147 ``__pycache__``) with `python`; the .pyc files written."""
    if not sources:
        return []
    try:
        proc = subprocess.run(
            [python, "-I", "-c", _COMPILE],
            input="\n".join(sources) + "\n",
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"{python}: cannot byte-compile: {exc}") from None
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InstallError(f"{python}: byte-compiling failed: {tail}")
    return [line for line in proc.stdout.splitlines() if line and os.path.isfile(line)]
