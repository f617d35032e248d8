"""The scripts an installer writes: shebangs, ``#!python`` rewrites, console and GUI launchers.

POSIX only: the same script shape pip and pypa/installer write (a ``#!`` line naming the
environment's interpreter, then a wrapper that strips ``-script.pyw``/``.exe`` from ``argv[0]``
and exits with the entry point's return value). Windows ``.exe`` launchers are not written.
"""

from __future__ import annotations

import shlex

__all__ = ["entry_point_script", "rewrite_shebang", "shebang"]

#: Linux reads at most 127 bytes of a ``#!`` line (BINPRM_BUF_SIZE 128 before 5.1), which is
#: what installer and distlib keep to; a longer path, or one with a space, runs through /bin/sh.
_SHEBANG_LIMIT = 127


def shebang(python: str) -> bytes:
    """The first line(s) of a script run by `python`, newline included.

    A path with a space or too long for the kernel gets the ``/bin/sh`` trick: the shell runs
    ``exec python "$0" "$@"`` from the second line, which Python reads as a string literal.
    """
    exe = python.encode("utf-8")
    if b" " not in exe and len(exe) + 3 <= _SHEBANG_LIMIT:
        return b"#!" + exe + b"\n"
    quoted = shlex.quote(python).encode("utf-8")
    return b"#!/bin/sh\n'''exec' " + quoted + b' "$0" "$@"\n' + b"' '''\n"


def rewrite_shebang(data: bytes, python: str) -> bytes | None:
    """`data` with its ``#!python``/``#!pythonw`` line pointing at `python` (PEP 427, scripts
    in ``.data/scripts``); None when the script does not start that way (it is kept as it is)."""
    if not data.startswith(b"#!python"):
        return None
    first, newline, rest = data.partition(b"\n")
    first = first.rstrip(b"\r")
    interpreter, _, args = first[2:].partition(b" ")
    if interpreter not in (b"python", b"pythonw"):
        return None  # "#!python3.11" and the like name another interpreter on purpose
    head = shebang(python)
    if args.strip() and head.count(b"\n") == 1:
        head = head[:-1] + b" " + args.strip() + b"\n"
    return head + rest if newline else head


def entry_point_script(spec: str, python: str) -> bytes:
    """A console or GUI script for the entry point ``module:attr.path`` (already validated)."""
    module, _, attr = spec.partition(":")
    head = attr.split(".", 1)[0]
    body = (
        "# -*- coding: utf-8 -*-\n"
        "import re\n"
        "import sys\n"
        f"from {module} import {head}\n"
        'if __name__ == "__main__":\n'
        '    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])\n'
        f"    sys.exit({attr}())\n"
    )
    return shebang(python) + body.encode("utf-8")
