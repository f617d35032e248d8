"""``authors`` and ``maintainers``: the people of the ``[project]`` table (pyproject.toml spec).

Core metadata joins them into ``Author`` / ``Author-email`` (and the maintainer fields): a person
with an email becomes ``Name <email>``, one without becomes a bare name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pallet_core._frozen import Frozen

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pallet_core.errors import Problems

__all__ = ["Person", "parse_people"]

_PROJECT = "project"  # the table name in messages
_RFC822_SPECIALS = r'[()<>@,;:\\".\[\]]'


class Person(Frozen):
    """One entry of ``authors`` / ``maintainers``."""

    # In field order, which Frozen's __init__ and repr follow.
    __slots__ = (  # noqa: RUF023
        "name",
        "email",
    )

    name: str | None
    email: str | None

    def __init__(self, name: str | None, email: str | None) -> None:
        super().__init__(name, email)

    def address(self) -> str:
        """``Name <email>`` (name quoted when RFC 822 requires it) or just ``email``."""
        assert self.email is not None
        if not self.name:
            return self.email
        name = self.name
        if re.search(_RFC822_SPECIALS, name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.email}>"


def parse_people(table: Mapping[str, Any], key: str, problems: Problems) -> tuple[Person, ...]:
    value = table.get(key, [])
    if not isinstance(value, list):
        problems.add_type(_PROJECT, key, value, "an array of tables with name and/or email")
        return ()
    people = []
    for item in value:
        if not isinstance(item, dict):
            problems.add_type(_PROJECT, key, item, "an array of tables with name and/or email")
            continue
        unknown = [k for k in item if k not in ("name", "email")]
        for extra in unknown:
            problems.add(
                _PROJECT, key, f"unknown key {extra!r} in {item!r}", "use only 'name' and 'email'"
            )
        name, email = item.get("name"), item.get("email")
        if (name is not None and not isinstance(name, str)) or (
            email is not None and not isinstance(email, str)
        ):
            problems.add(
                _PROJECT, key, f"{item!r} has a non-string value", "name and email are strings"
            )
            continue
        if not name and not email:
            problems.add(_PROJECT, key, f"{item!r} has neither name nor email", "give at least one")
            continue
        if name and ("," in name or "\n" in name):
            problems.add(
                _PROJECT,
                key,
                f"name {name!r} contains a comma or a line break",
                "names are joined with ', ' in core metadata; give one person per table",
                value=name,
            )
            continue
        if email and not re.match(r"^[^@\s<>,]+@[^@\s<>,]+$", email):
            problems.add(
                _PROJECT,
                key,
                f"email {email!r} is not an email address",
                "use an address such as 'jane@example.org'",
                value=email,
            )
            continue
        if not unknown:
            people.append(Person(name or None, email or None))
    return tuple(people)
