"""Collect every problem of a pyproject.toml, then raise one `ProjectError` naming them all."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..errors import ProjectError

__all__ = ["Problems", "did_you_mean", "type_name"]


def did_you_mean(key: str, allowed: Iterable[str]) -> str:
    """``"; did you mean 'default'?"`` for a near miss, else ``"; allowed: a, b, c"``."""
    choices = sorted(allowed)
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return "; allowed: " + ", ".join(choices)


def type_name(value: object) -> str:
    """The TOML name of a parsed value's type, for messages ("a string", "an array", ...)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


class Problems:
    """Problems found in one file, each ``<file>: [<table>] <text>``, raised together."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._items: list[tuple[str, str]] = []  # (key, message)

    def add(self, table: str, key: str, text: str) -> None:
        """Record ``<file>: [<table>] <text>``; ``key`` is the dotted TOML key it is about."""
        self._items.append((key, f"{self.file}: [{table}] {text}"))

    def add_plain(self, key: str, text: str) -> None:
        """Record ``<file>: <text>`` (a problem not inside one table)."""
        self._items.append((key, f"{self.file}: {text}"))

    def __bool__(self) -> bool:
        return bool(self._items)

    @property
    def messages(self) -> list[str]:
        return [message for _, message in self._items]

    def raise_if_any(self) -> None:
        """Raise one `ProjectError` listing every problem, one per line, in the order found."""
        if self._items:
            raise ProjectError("\n".join(self.messages), path=self.file, key=self._items[0][0])
