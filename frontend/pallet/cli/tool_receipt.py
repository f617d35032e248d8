"""What one installed tool is: its folder's layout and its receipt; standard library only.

A tool named ``NAME`` (its package's PEP 503 normalized name) lives in ``<tool dir>/NAME/``:

- ``env-<random>/``: one complete environment (`cli.run_env.build_environment`: the synthetic
  pyproject.toml, its pylock.toml, the venv ``.venv``) with the receipt ``pallet-tool.json``;
- ``current``: a symbolic link naming the ``env-*`` folder in use. Replacing a tool builds a new
  ``env-*`` beside the old one and then swaps this link with one `os.replace` (atomic on POSIX),
  so the old environment keeps working until the new one is complete.

The bin folder's links point through ``current`` (``<tool dir>/NAME/current/.venv/bin/SCRIPT``),
so they follow the swap; a link into ``<tool dir>/NAME/`` is how a script is known to be NAME's.

The receipt records what the tool was made from, so that ``pallet tool upgrade`` can make it
again: the requirement, the ``--with`` requirements, the ``--python`` request and the
interpreter found for it, the index URL, and pallet's version; and what it got: the version
installed and the scripts linked.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "CURRENT",
    "RECEIPT",
    "Receipt",
    "incomplete_tools",
    "installed_tools",
    "link_owner",
    "read_receipt",
    "write_receipt",
]

RECEIPT = "pallet-tool.json"
CURRENT = "current"
#: Bumped when the receipt's fields change meaning.
RECEIPT_FORMAT = 1


@dataclass(frozen=True)
class Receipt:
    """One installed tool, as ``pallet-tool.json`` records it."""

    name: str  # PEP 503 normalized
    requirement: str  # as given (``greet>=1``, ``greet[color]==2.0``)
    version: str
    scripts: tuple[str, ...]
    with_: tuple[str, ...] = ()
    python_request: str | None = None  # --python as given
    python: str = ""  # the interpreter the environment was made for
    index_url: str | None = None  # --index-url (or PALLET_INDEX_URL) at install time
    variant_request: str | None = None  # --variant as given
    variant: str | None = None  # the PyTorch backend installed (cli.tool_variant)
    pallet: str = ""


def write_receipt(folder: Path, receipt: Receipt) -> None:
    data = asdict(receipt)
    data["with"] = data.pop("with_")
    data["format"] = RECEIPT_FORMAT
    path = folder / RECEIPT
    tmp = folder / f".{RECEIPT}.tmp"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_receipt(folder: Path) -> Receipt | None:
    """The receipt in the environment folder `folder` (or ``NAME/current``); None when it is
    missing or unreadable (a half-made or foreign folder)."""
    try:
        with open(folder / RECEIPT, encoding="utf-8") as stream:
            data = json.load(stream)
        return Receipt(
            name=str(data["name"]),
            requirement=str(data["requirement"]),
            version=str(data["version"]),
            scripts=tuple(str(s) for s in data["scripts"]),
            with_=tuple(str(w) for w in data.get("with", ())),
            python_request=data.get("python_request"),
            python=str(data.get("python", "")),
            index_url=data.get("index_url"),
            variant_request=data.get("variant_request"),
            variant=data.get("variant"),
            pallet=str(data.get("pallet", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def installed_tools(root: Path) -> dict[str, Receipt]:
    """Every installed tool under the tool folder `root`, by name, sorted."""
    out: dict[str, Receipt] = {}
    try:
        names = sorted(entry.name for entry in root.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return out
    for name in names:
        if name.startswith("."):
            continue
        receipt = read_receipt(root / name / CURRENT)
        if receipt is not None:
            out[name] = receipt
    return out


def incomplete_tools(root: Path) -> list[str]:
    """The tool folders without a readable receipt behind ``current``: an install under way or
    killed, or an environment removed by hand."""
    try:
        names = sorted(entry.name for entry in root.iterdir() if entry.is_dir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [n for n in names if not n.startswith(".") and read_receipt(root / n / CURRENT) is None]


def link_owner(link: Path, root: Path) -> str | None:
    """The tool a bin-folder entry belongs to: the NAME of ``<root>/NAME/...`` its symbolic
    link names; None for anything else (a file, or a link that is not one of ours)."""
    try:
        target = str(link.readlink())
    except OSError:
        return None
    prefix = str(root) + os.sep
    if not target.startswith(prefix):
        return None
    return target[len(prefix) :].split(os.sep, 1)[0] or None
