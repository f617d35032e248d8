"""The pallet-core error family, the problem collector that feeds it, and the one warning helper.

Every user-facing message has one shape (docs/CONTRACT-backend.md)::

    pyproject.toml: [project] field 'x': what is wrong; what is allowed

``Problems`` collects every such line of a table so that a user sees all of them at once; it
raises a single ``ConfigError`` whose message holds one problem per line.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "BuildError",
    "ConfigError",
    "PalletCoreError",
    "PalletCoreWarning",
    "Problems",
    "did_you_mean",
    "type_name",
    "warn",
]


class PalletCoreError(Exception):
    """Root of every error pallet-core raises on purpose; ``str(err)`` is the full user message."""


class ConfigError(PalletCoreError):
    """The project's configuration (``pyproject.toml`` and what it points to) is invalid.

    ``path`` is the file the message is about, ``key`` the dotted key of the first problem and
    ``value`` its offending value; ``problems`` holds each line of the message.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        key: str | None = None,
        value: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.key = key
        self.value = value
        self.problems: tuple[str, ...] = tuple(message.splitlines())

    def __str__(self) -> str:
        return self.message


class BuildError(PalletCoreError):
    """A problem met while building: nothing to ship, a missing file, invalid generated metadata."""


class PalletCoreWarning(UserWarning):
    """Deprecated but accepted configuration; a ``UserWarning`` so Python shows it by default."""


def warn(message: str) -> None:
    """Emit ``message`` as a ``PalletCoreWarning``: the one warning helper of pallet-core.

    Frontends capture the hook's stderr, where Python prints warnings by default.
    """
    warnings.warn(message, PalletCoreWarning, stacklevel=2)


def type_name(value: object) -> str:
    """The TOML name of ``value``'s type, with an article: ``'an integer'``, ``'a table'``."""
    import datetime  # only error messages need it

    kinds: tuple[tuple[type, str], ...] = (
        (bool, "a boolean"),  # before int: bool is a subclass of int
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list, "an array"),
        (dict, "a table"),
        (datetime.datetime, "a datetime"),
        (datetime.date, "a date"),
        (datetime.time, "a time"),
    )
    for kind, name in kinds:
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"  # pragma: no cover - TOML yields only the types above


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"did you mean 'readme'?"`` for the closest choice, or the list of allowed choices."""
    import difflib

    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "allowed: " + ", ".join(repr(option) for option in options)


_NO_VALUE: Any = object()


class Problems:
    """Collects the problems of one configuration file, then raises them as one ``ConfigError``.

    >>> problems = Problems("pyproject.toml")
    >>> problems.add("project", "name", "is missing", "every project needs a name")
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    errors.ConfigError: pyproject.toml: [project] field 'name': is missing; every project ...
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: list[str] = []
        self._first: tuple[str, object] | None = None

    def __bool__(self) -> bool:
        return bool(self.lines)

    def add(
        self,
        table: str,
        key: str,
        wrong: str,
        allowed: str | None = None,
        *,
        value: object = _NO_VALUE,
    ) -> None:
        """Record ``<file>: [table] field 'key': wrong; allowed``."""
        line = f"{self.file}: [{table}] field {key!r}: {wrong}"
        if allowed:
            line += f"; {allowed}"
        self.lines.append(line)
        if self._first is None:
            self._first = (f"{table}.{key}", None if value is _NO_VALUE else value)

    def add_type(self, table: str, key: str, value: object, expected: str) -> None:
        """Record a wrong TOML type: what was found and what is expected."""
        self.add(
            table,
            key,
            f"found {type_name(value)} ({value!r})",
            f"expected {expected}",
            value=value,
        )

    def add_unknown(self, table: str, key: str, allowed: Iterable[str]) -> None:
        """Record a key that the table does not define, suggesting the closest known one."""
        self.add(table, key, "unknown field", did_you_mean(key, allowed), value=key)

    def error(self) -> ConfigError:
        """One ``ConfigError`` holding every recorded problem, one per line."""
        key, value = self._first if self._first is not None else (None, None)
        return ConfigError("\n".join(self.lines), path=self.file, key=key, value=value)

    def raise_if_any(self) -> None:
        """Raise the collected problems, if any."""
        if self.lines:
            raise self.error()

    def fail(self) -> NoReturn:
        """Raise the collected problems; at least one must have been recorded."""
        raise self.error()
