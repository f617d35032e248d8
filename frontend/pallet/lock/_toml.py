"""A tiny TOML value emitter for the fixed shape of pylock.toml: strings, keys, integers,
booleans, datetimes, arrays of those and one-line inline tables. Output is byte-stable: the
same value always gives the same text (TOML 1.0, https://toml.io/en/v1.0.0)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Union

__all__ = ["TomlValue", "format_datetime", "key", "parse_datetime", "value"]

TomlValue = Union[str, int, bool, datetime, Sequence["TomlValue"], Mapping[str, "TomlValue"]]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# TOML 1.0 basic strings: escape backslash, double quote and control characters.
_ESCAPES = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}


def string(text: str) -> str:
    """A TOML string. A literal string ('...') when that needs no escape and the text holds a
    double quote (markers print as ``sys_platform == "linux"``), else a basic string."""
    plain = all(c == "\t" or (c >= " " and c != "\x7f") for c in text)
    if plain and '"' in text and "'" not in text:
        return f"'{text}'"
    out = []
    for c in text:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c < " " or c == "\x7f":
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def key(name: str) -> str:
    """A bare key when TOML allows it, else a quoted one."""
    return name if _BARE_KEY.match(name) else string(name)


def format_datetime(moment: datetime) -> str:
    """UTC offset date-time, ``2024-05-01T12:30:00Z`` (fraction only when non-zero, trimmed)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_datetime(text: str) -> datetime | None:
    """An RFC 3339 date-time as indexes give it (``…Z``, ``…+00:00``, fractions) -> aware UTC
    datetime; None when it is not one."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", candidate)
    if match:  # fromisoformat on 3.9/3.10 takes only 3 or 6 fraction digits
        candidate = f"{match.group(1)}.{match.group(2)[:6].ljust(6, '0')}{match.group(3)}"
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def value(item: TomlValue) -> str:
    """One TOML value on one line."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, datetime):
        return format_datetime(item)
    if isinstance(item, Mapping):
        if not item:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + " }"
    return "[" + ", ".join(value(v) for v in item) + "]"
