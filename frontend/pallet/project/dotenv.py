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
(logging, typing, io wrappers, ``re``) to every run of a project with an env file. This scanner
follows python-dotenv's regular expressions step by step (named beside each step) without ``re``,
whose import and compiles cost more than the rest of the no-op path. Unlike python-dotenv, which
logs and skips a line it cannot parse, a bad line here is an error naming ``file:line``.
"""

from __future__ import annotations

from ..errors import ProjectError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["parse_dotenv"]

#: python-dotenv's ``[^\S\r\n]``: blanks that do not end a line
_BLANKS = " \t\f\v"
_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_SINGLE_ESCAPES = ("\\", "'")


def parse_dotenv(
    text: str,
    environ: Mapping[str, str],
    *,
    file: str,
    known: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a dotenv file's `text` (the last value of each name, in
    the order first set), ``${...}`` expanded from
    `environ` first, then from what was set before (`known`, then this file's earlier lines).
    A line that is not dotenv syntax raises `ProjectError` naming ``file:line``."""
    values: dict[str, str] = {}
    seen: dict[str, str] = dict(known or {})
    bare: set[str] = set()  # ``KEY`` lines: python-dotenv expands them to "" (not the default)

    def resolve(name: str) -> str | None:
        found = environ.get(name)
        if found is None:
            found = seen.get(name)
        return "" if found is None and name in bare else found

    n = len(text)
    i = 0
    while True:
        while i < n and text[i].isspace():  # _multiline_whitespace: \s*
            i += 1
        if i >= n:
            return list(values.items())
        start = i
        if text[i] == "#":  # a comment line
            i = _line_end(text, i)
            continue
        if text.startswith("export", i) and i + 6 < n and text[i + 6] in _BLANKS:  # _export
            i = _skip(text, i + 6, _BLANKS)
            if i < n and text[i] == "#":  # no key: python-dotenv reads a comment
                i = _line_end(text, i)
                continue
        if i < n and text[i] == "'":  # _single_quoted_key: '([^']+)'
            end = text.find("'", i + 1)
            if end <= i + 1:
                raise _bad_line(text, start, file)
            name, i = text[i + 1 : end], end + 1
        else:  # _unquoted_key: ([^=\#\s]+)
            end = i
            while end < n and text[end] not in "=#" and not text[end].isspace():
                end += 1
            if end == i:
                raise _bad_line(text, start, file)
            name, i = text[i:end], end
        i = _skip(text, i, _BLANKS)
        if i < n and text[i] == "=":  # _equal_sign: (=[^\S\r\n]*)
            at = _skip(text, i + 1, _BLANKS)
            if at > i + 1 and at < n and text[at] == "#":  # ``KEY= # comment``: empty
                value, i = "", _line_end(text, at)
            else:
                value, i = _value(text, at, file, start, resolve)
            values[name] = seen[name] = value
            bare.discard(name)
        else:  # ``KEY`` alone: python-dotenv sets nothing for it (and unsets it above)
            i = _after_value(text, i, file, start, "not KEY=VALUE")
            values.pop(name, None)
            seen.pop(name, None)
            bare.add(name)


def _value(
    text: str, i: int, file: str, start: int, resolve: Callable[[str], str | None]
) -> tuple[str, int]:
    """The value starting at `i` and where its line ends."""
    n = len(text)
    quote = text[i] if i < n else ""
    if quote in ("'", '"'):  # _single_quoted_value, _double_quoted_value
        close = _closing_quote(text, i, quote)
        if close < 0:
            raise _bad_line(text, start, file, f"the {quote} quote is not closed")
        raw = text[i + 1 : close]
        end = _after_value(text, close + 1, file, start, "text after the closing quote")
        if quote == "'":
            return _unescape(raw, _SINGLE_ESCAPES), end
        return _expand(_unescape(raw, _ESCAPES), resolve), end
    # _unquoted_value: ([^\r\n]*), less a " #" comment (\s+#.*), less trailing blanks
    end = i
    while end < n and text[end] not in "\r\n":
        end += 1
    value = _without_comment(text[i:end]).rstrip()
    return _expand(value, resolve), _after_value(text, end, file, start, "not KEY=VALUE")


def _closing_quote(text: str, i: int, quote: str) -> int:
    """Where the quote opened at `i` closes (python-dotenv's ``'((?:\\.|[^'\\])*)'``: a
    backslash and the character after it are a pair, whatever that is); -1 when it does not."""
    j = i + 1
    n = len(text)
    while j < n:
        if text[j] == "\\":
            j += 2
        elif text[j] == quote:
            return j
        else:
            j += 1
    return -1


def _after_value(text: str, i: int, file: str, start: int, why: str) -> int:
    """Past ``[blanks][# comment]`` and the line's end (_comment, _end_of_line); else an error."""
    i = _skip(text, i, _BLANKS)
    if i < len(text) and text[i] == "#":
        return _line_end(text, i)
    if i >= len(text):
        return i
    if text[i] in "\r\n":
        return i + 2 if text.startswith("\r\n", i) else i + 1
    raise _bad_line(text, start, file, why)


def _line_end(text: str, i: int) -> int:
    """Past the end of the line `i` is on (its CR, LF or CRLF included)."""
    n = len(text)
    while i < n and text[i] not in "\r\n":
        i += 1
    return i + 2 if text.startswith("\r\n", i) else min(i + 1, n)


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _without_comment(part: str) -> str:
    r"""``re.sub(r"\s+#.*", "", part)``: cut at the first run of blanks followed by ``#``."""
    hash_at = part.find("#", 1)
    while hash_at > 0:
        if part[hash_at - 1].isspace():
            run = hash_at - 1
            while run > 0 and part[run - 1].isspace():
                run -= 1
            return part[:run]
        hash_at = part.find("#", hash_at + 1)
    return part


def _unescape(raw: str, escapes: Mapping[str, str] | tuple[str, ...]) -> str:
    """python-dotenv's ``decode_escapes``: each backslash pair it knows, left to right."""
    if "\\" not in raw:
        return raw
    out = []
    j = 0
    while j < len(raw):
        char = raw[j]
        if char == "\\" and j + 1 < len(raw) and raw[j + 1] in escapes:
            follower = raw[j + 1]
            out.append(escapes[follower] if isinstance(escapes, dict) else follower)
            j += 2
        else:
            out.append(char)
            j += 1
    return "".join(out)


def _expand(value: str, resolve: Callable[[str], str | None]) -> str:
    r"""``${NAME}`` -> its value, else ``""``; ``${NAME:-default}`` -> its value, else default
    (python-dotenv's ``\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}``: an empty value counts
    as set; defaults are not expanded again; ``$NAME`` without braces stays as it is)."""
    if "${" not in value:
        return value
    out = []
    j = 0
    while True:
        at = value.find("${", j)
        if at < 0:
            out.append(value[j:])
            return "".join(out)
        k = at + 2
        while k < len(value) and value[k] not in "}:":
            k += 1
        default: str | None = None
        close = -1
        if k < len(value) and value[k] == "}":
            close = k
        elif value.startswith(":-", k):
            close = value.find("}", k + 2)
            default = value[k + 2 : close] if close >= 0 else None
        if close < 0:  # no match here: the regex goes on one character later
            out.append(value[j : at + 1])
            j = at + 1
            continue
        found = resolve(value[at + 2 : k])
        out.append(value[j:at])
        out.append(found if found is not None else default or "")
        j = close + 1


def _bad_line(text: str, pos: int, file: str, why: str = "not KEY=VALUE") -> ProjectError:
    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    shown = text[start : end if end != -1 else len(text)].strip()
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ProjectError(f"{file}:{line}: {why}: {shown!r}", path=file)
