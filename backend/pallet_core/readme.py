"""The ``readme`` field: the long description's text, file and content type.

The string form names a file whose suffix gives the content type (``.md`` text/markdown,
``.rst`` text/x-rst, ``.txt`` or none text/plain); the table form has ``file`` or ``text`` and a
required ``content-type``. Core metadata allows only those three types, a UTF-8 charset and, for
Markdown, the GFM or CommonMark variant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pallet_core._frozen import Frozen
from pallet_core.pyproject import relative_path_problem

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pallet_core.errors import Problems

__all__ = ["Readme", "parse_readme", "read_text"]

_PROJECT = "project"  # the table name in messages
# A readme suffix decides its content type when none is given (string form of ``readme``).
_README_TYPES = {
    ".md": "text/markdown",
    ".rst": "text/x-rst",
    ".txt": "text/plain",
    "": "text/plain",
}
_CONTENT_TYPES = ("text/markdown", "text/x-rst", "text/plain")
_MARKDOWN_VARIANTS = ("GFM", "CommonMark")


class Readme(Frozen):
    """The long description: its text, content type and the file it came from (if any)."""

    # In field order, which Frozen's __init__ and repr follow.
    __slots__ = (  # noqa: RUF023
        "text",
        "content_type",
        "file",
    )

    text: str
    content_type: str
    file: str | None

    def __init__(self, text: str, content_type: str, file: str | None) -> None:
        super().__init__(text, content_type, file)


def _check_content_type(content_type: str, problems: Problems) -> bool:
    """Core metadata Description-Content-Type: a known type, charset UTF-8, known variant."""
    main, *params = (part.strip() for part in content_type.split(";"))
    table = f"{_PROJECT}.readme"
    if main.lower() not in _CONTENT_TYPES:
        problems.add(
            table,
            "content-type",
            f"{content_type!r} is not a known type",
            "use text/markdown, text/x-rst or text/plain",
            value=content_type,
        )
        return False
    for param in params:
        key, _, value = param.partition("=")
        key, value = key.strip().lower(), value.strip().strip('"')
        if key == "charset" and value.upper() == "UTF-8":
            continue
        if key == "variant" and main.lower() == "text/markdown" and value in _MARKDOWN_VARIANTS:
            continue
        problems.add(
            table,
            "content-type",
            f"parameter {param!r} is not allowed",
            "use charset=UTF-8 and, for text/markdown, variant=GFM or variant=CommonMark",
            value=content_type,
        )
        return False
    return True


def read_text(root: Path, path: str, table: str, key: str, problems: Problems) -> str | None:
    why = relative_path_problem(path)
    if why:
        problems.add(table, key, why, "use a relative path with '/' separators", value=path)
        return None
    try:
        return (root / path).read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(
            table, key, f"file {path!r} does not exist", "give a path relative to pyproject.toml"
        )
    except IsADirectoryError:
        problems.add(table, key, f"{path!r} is a directory", "give the path of a file")
    except UnicodeDecodeError as exc:
        problems.add(table, key, f"file {path!r} is not UTF-8 ({exc.reason})", "save it as UTF-8")
    return None


def parse_readme(table: Mapping[str, Any], root: Path, problems: Problems) -> Readme | None:
    value = table.get("readme")
    if value is None:
        return None
    if isinstance(value, str):
        suffix = value.rpartition(".")[2].lower() if "." in value.rpartition("/")[2] else ""
        content_type = _README_TYPES.get(f".{suffix}" if suffix else "")
        if content_type is None:
            problems.add(
                _PROJECT,
                "readme",
                f"cannot tell the content type of {value!r} from its suffix",
                "use a .md, .rst or .txt file, or a table with file and content-type",
                value=value,
            )
            return None
        text = read_text(root, value, _PROJECT, "readme", problems)
        return None if text is None else Readme(text, content_type, value)
    if not isinstance(value, dict):
        problems.add_type(_PROJECT, "readme", value, "a string (a file path) or a table")
        return None
    sub = f"{_PROJECT}.readme"
    for key in value:
        if key not in ("file", "text", "content-type"):
            problems.add_unknown(sub, key, ("file", "text", "content-type"))
    file = value.get("file")
    text = value.get("text")
    content_type = value.get("content-type")
    ok = True
    if (file is None) == (text is None):
        problems.add(
            sub,
            "file",
            "both 'file' and 'text' are given" if file is not None else "neither 'file' nor 'text'",
            "give exactly one of them",
        )
        ok = False
    for key, item in (("file", file), ("text", text), ("content-type", content_type)):
        if item is not None and not isinstance(item, str):
            problems.add_type(sub, key, item, "a string")
            ok = False
    if content_type is None:
        problems.add(
            sub,
            "content-type",
            "is missing",
            "the table form needs content-type: text/markdown, text/x-rst or text/plain",
        )
        ok = False
    elif isinstance(content_type, str) and not _check_content_type(content_type, problems):
        ok = False
    if not ok:
        return None
    if isinstance(file, str):
        text = read_text(root, file, sub, "file", problems)
        return None if text is None else Readme(text, str(content_type), file)
    return Readme(str(text), str(content_type), None)
