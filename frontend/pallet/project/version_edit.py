"""``[project] version`` replaced in pyproject.toml's text, nothing else changed (tomlkit).

PEP 621 keeps the version in ``[project] version``, a string. The edit goes through tomlkit,
which keeps comments, order and layout; the new value keeps the old one's quoting (a literal
``'1.2'`` stays literal) and its line's trailing comment, whether ``[project]`` is a table, an
inline table or dotted keys. The result is read back with tomllib (the standard library, not
tomlkit) and must equal the old file but for that one value, or nothing is written.
"""

from __future__ import annotations

import sys

from ..errors import ProjectError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["replace_version"]

_PYPROJECT = "pyproject.toml"


def replace_version(text: str, new: str) -> str:
    """``text`` with ``[project] version`` set to ``new``; `ProjectError` when it has none."""
    import tomlkit
    from tomlkit.items import String

    document = tomlkit.parse(text)
    project = document.get("project")
    old = project.get("version") if isinstance(project, dict) else None
    if not isinstance(project, dict) or not isinstance(old, String):
        raise ProjectError(
            f"{_PYPROJECT}: [project] 'version': no string to replace", path=_PYPROJECT
        )
    value = String.from_raw(new, type_=old.type)
    value.trivia.indent = old.trivia.indent
    value.trivia.comment_ws = old.trivia.comment_ws
    value.trivia.comment = old.trivia.comment
    value.trivia.trail = old.trivia.trail
    project["version"] = value
    out = tomlkit.dumps(document)
    _check(text, out, new)
    return out


def _check(before: str, after: str, new: str) -> None:
    """The edit changed ``[project] version`` and nothing else TOML can see."""
    old_data, new_data = tomllib.loads(before), tomllib.loads(after)
    if new_data["project"].get("version") != new:
        raise ProjectError(f"{_PYPROJECT}: [project] 'version': could not be replaced")
    old_data["project"]["version"] = new
    if old_data != new_data:  # pragma: no cover - tomlkit keeps the rest
        raise ProjectError(f"{_PYPROJECT}: replacing [project] 'version' would change more")
