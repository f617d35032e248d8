# ruff: noqa: PTH113, PTH118
"""The fast path of ``pallet x NAME [ARGS...]`` when an installed tool provides NAME.

`cli.main` calls `fast_x` first for ``pallet x`` followed directly by a plain package name
(PEP 508's name rule; no extras, version or ``@``, no option before it): what `cli.tool_run`
does then is to run the installed tool's script (the tool named NAME first, then any tool
listing the script in its receipt), and that needs no argparse, ``packaging`` or
``dataclasses``: the receipts (`cli.tool_receipt`) are read with ``json``. Anything else, and
any case where no installed tool has the script, goes on to the full command, which decides
again.
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["fast_x", "installed_script", "is_plain_name"]

#: = `cli.tool_receipt`'s RECEIPT and CURRENT, repeated: that module imports ``dataclasses``
RECEIPT = "pallet-tool.json"
CURRENT = "current"

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def is_plain_name(text: str) -> bool:
    """PEP 508's name: ASCII letters and digits, with ``.``, ``_``, ``-`` inside."""
    return bool(text) and _ALNUM.issuperset(text[0] + text[-1]) and _NAME_CHARS.issuperset(text)


def _canonical(name: str) -> str:
    """PEP 503 normalization: lower case, each run of ``-``, ``_``, ``.`` one ``-``."""
    out: list[str] = []
    for char in name.lower():
        if char in "-_.":
            if not out or out[-1] != "-":
                out.append("-")
        else:
            out.append(char)
    return "".join(out)


def installed_script(root: str, package: str, name: str) -> str | None:
    """The script `name` of an installed tool under `root` (the tool `package` first, then the
    others by name, as `cli.tool_run` orders them); None when none lists it or it is gone."""
    try:
        names = sorted(entry.name for entry in os.scandir(root))
    except OSError:
        return None
    found: list[tuple[bool, str, list[str]]] = []
    for folder in names:
        if folder.startswith("."):
            continue
        try:
            with open(os.path.join(root, folder, CURRENT, RECEIPT), encoding="utf-8") as stream:
                data = json.load(stream)
            tool, scripts = str(data["name"]), [str(s) for s in data["scripts"]]
            str(data["requirement"]), str(data["version"]), list(data.get("with", ()))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a receipt `read_receipt` reads either: the full path decides
        found.append((tool != package, folder, scripts))
    for _, folder, scripts in sorted(found, key=lambda item: item[0]):
        if name in scripts:
            path = os.path.join(root, folder, CURRENT, ".venv", "bin", name)
            if os.path.isfile(path):
                return path
    return None


def fast_x(argv: Sequence[str]) -> int | None:
    """Run the installed tool's script (this process becomes it); None: the full command."""
    if len(argv) < 2 or argv[0] != "x" or not is_plain_name(argv[1]):
        return None
    from ..errors import PalletError
    from .tool_dirs import tool_dir

    try:
        root = str(tool_dir(os.environ))
    except PalletError:
        return None
    script = installed_script(root, _canonical(argv[1]), argv[1])
    if script is None:
        return None
    from .launch import exec_command

    return exec_command([script, *argv[2:]], dict(os.environ))
