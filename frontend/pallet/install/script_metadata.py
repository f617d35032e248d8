"""PEP 723 inline script metadata: the ``# /// script`` block of a single-file script.

The block is found with the specification's reference regular expression; a ``script`` block's
TOML holds ``dependencies`` (PEP 508 strings) and ``requires-python`` (a specifier), and may
hold ``[tool.pallet]`` with the indexes to resolve from (``index-url = "…"``, or
``[[tool.pallet.index]]`` and ``[tool.pallet.sources]`` as in pyproject.toml). Any problem is a
`ProjectError` naming the script file and the line (``demo.py:4: [script] …``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName

from ..errors import ProjectError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from ..project.model import IndexConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

__all__ = ["BLOCK", "ScriptMetadata", "parse_script_text", "read_script"]

#: PEP 723's reference regular expression for a metadata block (any TYPE).
BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
_SCRIPT_KEYS = ("dependencies", "requires-python", "tool")
_TOOL_KEYS = ("index-url", "index", "sources")
_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


@dataclass(frozen=True)
class ScriptMetadata:
    """A script's ``script`` block, validated. ``indexes`` are those of ``[tool.pallet]`` (flat
    index paths made absolute against the script's folder); empty when it names none, so the
    caller picks the default (``PALLET_INDEX_URL``, else PyPI)."""

    path: Path
    dependencies: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    indexes: tuple[IndexConfig, ...] = ()
    sources: Mapping[NormalizedName, str] = field(default_factory=dict)


def read_script(path: Path) -> ScriptMetadata | None:
    """The metadata of the script at `path`; None when it has no ``script`` block.

    A file that cannot be read or is not UTF-8 is a `ProjectError` naming it.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ProjectError(
            f"{path}: cannot be read: {exc.strerror or exc}", path=str(path)
        ) from None
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{path}: not UTF-8 text ({exc.reason})", path=str(path)) from None
    return parse_script_text(text, path)


def parse_script_text(text: str, path: Path) -> ScriptMetadata | None:
    """`read_script` on text already read; `path` names the script in messages."""
    # PEP 723: a script MAY use CRLF; the regex works on universal newlines.
    text = text.replace("\r\n", "\n")
    blocks = [m for m in BLOCK.finditer(text) if m.group("type") == "script"]
    display = str(path)
    if not blocks:
        return None
    first_line = text.count("\n", 0, blocks[0].start()) + 1  # of the "# /// script" line
    if len(blocks) > 1:
        # PEP 723: tools MUST produce an error for more than one block of the same TYPE.
        second = text.count("\n", 0, blocks[1].start()) + 1
        raise ProjectError(
            f"{display}:{second}: a second '# /// script' block (the first is at line "
            f"{first_line}); PEP 723 allows one",
            path=display,
        )
    # PEP 723: each content line loses its "# " (or a lone "#") prefix.
    lines = blocks[0].group("content").splitlines(keepends=True)
    content = "".join(line[2:] if line.startswith("# ") else line[1:] for line in lines)
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _POSITION.search(message)
        line = first_line + (int(position.group(1)) if position else len(lines))
        if position:
            message = message[: position.start()]
        raise ProjectError(
            f"{display}:{line}: [script] invalid TOML: {message}", path=display
        ) from None
    return _validate(data, path, content, first_line)


def _line_of(needle: str, content: str, first_line: int) -> int:
    """The script line of the first content line holding `needle` (else the block's line)."""
    for number, line in enumerate(content.splitlines(), start=1):
        if needle in line:
            return first_line + number
    return first_line


def _validate(data: dict[str, Any], path: Path, content: str, first_line: int) -> ScriptMetadata:
    from ..project.problems import did_you_mean, type_name

    display = str(path)

    def fail(key: str, text: str, needle: str | None = None) -> ProjectError:
        line = _line_of(needle or key, content, first_line)
        return ProjectError(f"{display}:{line}: [script] {text}", path=display, key=key)

    for key in data:
        if key not in _SCRIPT_KEYS:
            raise fail(key, f"key {key!r} is not allowed{did_you_mean(key, _SCRIPT_KEYS)}")
    raw_deps = data.get("dependencies", [])
    if not isinstance(raw_deps, list):
        raise fail("dependencies", f"'dependencies' must be an array, not {type_name(raw_deps)}")
    dependencies = []
    for item in raw_deps:
        if not isinstance(item, str):
            raise fail(
                "dependencies", f"'dependencies' entries must be strings, not {type_name(item)}"
            )
        try:
            dependencies.append(Requirement(item))
        except InvalidRequirement as exc:
            first = str(exc).splitlines()[0]
            raise fail(
                "dependencies", f"dependency {item!r} is not valid PEP 508: {first}", item
            ) from None
    requires_python: SpecifierSet | None = None
    raw_python = data.get("requires-python")
    if raw_python is not None:
        if not isinstance(raw_python, str):
            raise fail(
                "requires-python",
                f"'requires-python' must be a string, not {type_name(raw_python)}",
            )
        try:
            requires_python = SpecifierSet(raw_python)
        except InvalidSpecifier:
            raise fail(
                "requires-python", f"'requires-python' {raw_python!r} is not a valid specifier"
            ) from None
    indexes, sources = _tool_pallet(data.get("tool"), path, fail)
    return ScriptMetadata(path, tuple(dependencies), requires_python, indexes, sources)


def _tool_pallet(
    raw_tool: object, path: Path, fail: Any
) -> tuple[tuple[IndexConfig, ...], dict[NormalizedName, str]]:
    """``[tool.pallet]`` of a script: ``index-url``, or ``index`` and ``sources``."""
    from ..project.problems import Problems, did_you_mean, type_name
    from ..project.settings import parse_tool_settings

    if raw_tool is None:
        return (), {}
    if not isinstance(raw_tool, dict):
        raise fail("tool", f"'tool' must be a table, not {type_name(raw_tool)}")
    raw = raw_tool.get("pallet")
    if raw is None:
        return (), {}
    if not isinstance(raw, dict):
        raise fail("tool.pallet", f"[tool.pallet] must be a table, not {type_name(raw)}", "pallet")
    for key in raw:
        if key not in _TOOL_KEYS:
            raise fail(
                "tool.pallet",
                f"[tool.pallet] key {key!r} is not allowed in a script"
                f"{did_you_mean(key, _TOOL_KEYS)}",
                key,
            )
    if "index-url" in raw:
        url = raw["index-url"]
        if not isinstance(url, str) or not url:
            raise fail("tool.pallet", "[tool.pallet] 'index-url' must be a URL string", "index-url")
        if "index" in raw:
            raise fail(
                "tool.pallet",
                "[tool.pallet] give 'index-url' or [[tool.pallet.index]], not both",
                "index-url",
            )
        raw = {**raw, "index": [{"name": "script", "url": url, "default": True}]}
        del raw["index-url"]
    problems = Problems(str(path))
    settings = parse_tool_settings(raw, problems)
    if problems:
        key = problems.messages[0]
        raise fail("tool.pallet", key.removeprefix(f"{path}: "), "pallet")
    if "index" not in raw:
        return (), dict(settings.sources)
    if any(index.exclude_newer is not None for index in settings.indexes):
        raise fail(
            "tool.pallet",
            "[tool.pallet.index] 'exclude-newer' is not supported in a script",
            "exclude-newer",
        )
    base = path.resolve().parent
    indexes = tuple(_absolute(index, base) for index in settings.indexes)
    return indexes, dict(settings.sources)


def _absolute(index: IndexConfig, base: Path) -> IndexConfig:
    """A flat index given as a relative folder is made absolute against the script's folder."""
    if index.format == "flat" and "://" not in index.url and not Path(index.url).is_absolute():
        from dataclasses import replace

        return replace(index, url=str(base / index.url))
    return index
