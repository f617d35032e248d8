"""Read ``pyproject.toml`` into a dict (TOML errors located by line and column); path checks."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

from pallet_core.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["PYPROJECT", "load_pyproject", "parse_pyproject", "relative_path_problem"]

PYPROJECT = "pyproject.toml"
_AT = r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$"


def parse_pyproject(text: str, file: str = PYPROJECT) -> dict[str, Any]:
    """Parse TOML ``text``; a syntax error becomes ``<file>:LINE:COL: invalid TOML: <message>``."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10 only
        import tomli as tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        found = re.search(_AT, message)
        if found and found.group(1):
            line, col = int(found.group(1)), int(found.group(2))
        else:  # "at end of document", or a tomli without position: point past the last character
            lines = text.split("\n")
            line, col = len(lines), len(lines[-1]) + 1
        if found:
            message = message[: found.start()]
        raise ConfigError(
            f"{file}:{line}:{col}: invalid TOML: {message}", path=file, key=None, value=None
        ) from None


def load_pyproject(root: Path, file: str = PYPROJECT) -> dict[str, Any]:
    """Read and parse ``root / file``; a missing or undecodable file is a ``ConfigError``."""
    path = root / file
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: not found in {str(root)!r}; a project needs a pyproject.toml", path=file
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{file}:{line}:{col}: invalid TOML: the file is not UTF-8 ({exc.reason})", path=file
        ) from None
    return parse_pyproject(text, file)


def relative_path_problem(path: str) -> str | None:
    """Why ``path`` is not a relative posix path inside the project, or None if it is."""
    if not path:
        return "is empty"
    if "\\" in path:
        return f"{path!r} contains a backslash"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return f"{path!r} is absolute"
    if ".." in path.split("/"):
        return f"{path!r} leaves the project directory ('..')"
    return None
