"""A folder added to ``[tool.pallet.workspace] members`` in pyproject.toml's text (tomlkit).

``pallet init`` inside a workspace whose globs do not already match the new project adds its
path (relative to the root, POSIX) to ``members``, as uv's ``init`` does. tomlkit keeps the
file's comments, order and layout; the result is read back with tomllib and must equal the old
file but for the one new entry, or nothing is written.
"""

from __future__ import annotations

import sys

from ..errors import ProjectError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["add_member"]

_PYPROJECT = "pyproject.toml"


def add_member(text: str, relative: str) -> str:
    """``text`` with `relative` appended to ``[tool.pallet.workspace] members``."""
    import tomlkit

    document = tomlkit.parse(text)
    tool = document.get("tool")
    pallet = tool.get("pallet") if isinstance(tool, dict) else None
    workspace = pallet.get("workspace") if isinstance(pallet, dict) else None
    members = workspace.get("members") if isinstance(workspace, dict) else None
    if not isinstance(members, list):
        raise ProjectError(
            f"{_PYPROJECT}: [tool.pallet.workspace] 'members': no array to add {relative!r} to",
            path=_PYPROJECT,
        )
    members.append(relative)
    out = tomlkit.dumps(document)
    before = tomllib.loads(text)
    before["tool"]["pallet"]["workspace"]["members"].append(relative)
    if tomllib.loads(out) != before:  # pragma: no cover - tomlkit would have changed more
        raise ProjectError(
            f"{_PYPROJECT}: adding {relative!r} to [tool.pallet.workspace] members would change "
            "more than that entry; add it by hand",
            path=_PYPROJECT,
        )
    return out
