"""dotenv files (``.env``) parsed into variables: pure, standard library only.

The syntax is the one python-dotenv reads (its parser is the reference the tests compare with),
which docker compose and uv's dotenvy share in all but corner cases:

- ``KEY=VALUE`` per line, an optional ``export`` before the key, blanks around ``=``; blank lines
  and lines starting with ``#`` are skipped; a line holding only ``KEY`` (no ``=``) sets nothing;
- an unquoted value ends at the line's end, without trailing blanks or a `` #`` comment;
- ``'single'`` quotes keep everything literally (only ``\\'`` and ``\\\\`` are escapes);
  ``"double"`` quotes decode ``\\n \\t \\r \\" \\\\`` (and ``\\a \\b \\f \\v \\'``); both
  may span lines and may be followed by a comment;
- ``${NAME}`` and ``${NAME:-default}`` expand in unquoted and double-quoted values (not in single
  quotes): from the process environment first, then from the variables set before (in this file
  or in `known`, those of files read earlier), as python-dotenv does when it does not override.

Why not python-dotenv itself: ``pallet run``'s no-op path runs before pallet imports anything
but the standard library (docs/run.md); python-dotenv would add a dependency and its import
(logging, typing, io wrappers) to every run of a project with an env file. Unlike python-dotenv,
which logs and skips a line it cannot parse, a bad line here is an error naming ``file:line``.
"""

from __future__ import annotations

import re

from ..errors import ProjectError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["parse_dotenv"]

_BLANK = re.compile(r"[ \t]*(?:#[^\r\n]*)?(?:\r\n|\n|\r|$)")
_KEY = re.compile(
    r"[ \t]*(?:export[ \t]+)?(?:'(?P<quoted>[^']*)'|(?P<key>[^=#\s]+))[ \t]*(?P<eq>=)?[ \t]*"
)
_SINGLE = re.compile(r"'((?:\\'|[^'])*)'")
_DOUBLE = re.compile(r'"((?:\\"|[^"])*)"')
_UNQUOTED = re.compile(r"[^\r\n]*")
_AFTER_QUOTES = re.compile(r"[ \t]*(?:#[^\r\n]*)?(?:\r\n|\n|\r|$)")
_COMMENT = re.compile(r"\s+#.*")
_EXPANSION = re.compile(r"\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}")
_DOUBLE_ESCAPES = re.compile(r"\\[\\'\"abfnrtv]")
_SINGLE_ESCAPES = re.compile(r"\\[\\']")
_ESCAPES = {
    "\\\\": "\\",
    "\\'": "'",
    '\\"': '"',
    "\\a": "\a",
    "\\b": "\b",
    "\\f": "\f",
    "\\n": "\n",
    "\\r": "\r",
    "\\t": "\t",
    "\\v": "\v",
}


def parse_dotenv(
    text: str,
    environ: Mapping[str, str],
    *,
    file: str,
    known: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a dotenv file's `text`, in order, ``${...}`` expanded from
    `environ` first, then from what was set before (`known`, then this file's earlier lines).
    A line that is not dotenv syntax raises `ProjectError` naming ``file:line``."""
    pairs: list[tuple[str, str]] = []
    seen: dict[str, str] = dict(known or {})

    def resolve(name: str) -> str | None:
        found = environ.get(name)
        return found if found is not None else seen.get(name)

    pos = 0
    while pos < len(text):
        blank = _BLANK.match(text, pos)
        if blank is not None and blank.end() > pos:
            pos = blank.end()
            continue
        key = _KEY.match(text, pos)
        if key is None or key.end() == pos:
            raise _bad_line(text, pos, file)
        name = key.group("quoted") if key.group("quoted") is not None else key.group("key")
        pos = key.end()
        if key.group("eq") is None:  # ``KEY`` alone: python-dotenv sets nothing for it
            end = _AFTER_QUOTES.match(text, pos)
            if end is None:
                raise _bad_line(text, key.start(), file)
            pos = end.end()
            continue
        value, pos = _value(text, pos, file, resolve)
        pairs.append((name, value))
        seen[name] = value
    return pairs


def _value(text: str, pos: int, file: str, resolve: Callable[[str], str | None]) -> tuple[str, int]:
    """The value starting at `pos` and where the next line starts."""
    quote = text[pos] if pos < len(text) else ""
    if quote in ("'", '"'):
        found = (_SINGLE if quote == "'" else _DOUBLE).match(text, pos)
        if found is None:
            raise _bad_line(text, pos, file, f"the {quote} quote is not closed")
        after = _AFTER_QUOTES.match(text, found.end())
        if after is None:
            raise _bad_line(text, found.end(), file, "text after the closing quote")
        if quote == "'":
            return _SINGLE_ESCAPES.sub(_unescape, found.group(1)), after.end()
        return _expand(_DOUBLE_ESCAPES.sub(_unescape, found.group(1)), resolve), after.end()
    rest = _UNQUOTED.match(text, pos)
    assert rest is not None  # matches the empty string too
    value = _COMMENT.sub("", rest.group()).rstrip()
    end = rest.end()
    if text.startswith("\r\n", end):
        end += 2
    elif end < len(text):
        end += 1
    return _expand(value, resolve), end


def _unescape(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def _expand(value: str, resolve: Callable[[str], str | None]) -> str:
    """``${NAME}`` -> its value, else ``""``; ``${NAME:-default}`` -> its value, else default
    (python-dotenv's rules: an empty value counts as set; defaults are not expanded again)."""

    def one(match: re.Match[str]) -> str:
        found = resolve(match.group("name"))
        if found is not None:
            return found
        return match.group("default") or ""

    return _EXPANSION.sub(one, value) if "${" in value else value


def _bad_line(text: str, pos: int, file: str, why: str = "not KEY=VALUE") -> ProjectError:
    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    shown = text[start : end if end != -1 else len(text)].strip()
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ProjectError(f"{file}:{line}: {why}: {shown!r}", path=file)
