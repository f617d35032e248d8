"""Validation of the ``[project]`` fields that lean on other specifications.

Requirements (PEP 508, extras normalized per PEP 685), ``requires-python`` (PEP 440), trove
classifiers (``trove-classifiers``) and entry points (entry points specification). Heavy modules
are imported inside the function that needs them, so a project without classifiers never pays
for the classifier list.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    from pallet_core.errors import Problems
    from pallet_core.licenses import LicenseInfo

__all__ = [
    "check_classifiers",
    "parse_dependencies",
    "parse_entry_points",
    "parse_optional_dependencies",
    "parse_requires_python",
    "parse_scripts",
]

_PROJECT = "project"  # the table name in messages
# Patterns are compiled on first use (re caches them): most projects need few of them.
# Entry points specification: group names are dotted words; an object reference is
# ``importable.module`` or ``importable.module:object.attr``.
_GROUP = r"^\w+(\.\w+)*$"
_OBJECT_REF = r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)?$"
# A script name becomes a file name: no separators, no leading dot or dash, no spaces.
_SCRIPT_NAME = r"^[\w+][\w.+-]*$"
# PEP 685: an extra name, once normalized, is a normalized project name.
_EXTRA = r"^([a-z0-9]|[a-z0-9]([a-z0-9-](?!--))*[a-z0-9])$"
_RESERVED_GROUPS = {"console_scripts": "scripts", "gui_scripts": "gui-scripts"}


def parse_requires_python(value: Any, problems: Problems) -> SpecifierSet | None:
    """``requires-python``: a PEP 440 specifier set such as ``'>=3.9'``."""
    if not isinstance(value, str):
        problems.add_type(_PROJECT, "requires-python", value, "a string (a version specifier)")
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(value)
    except InvalidSpecifier:
        problems.add(
            _PROJECT,
            "requires-python",
            f"{value!r} is not a valid version specifier",
            "use a PEP 440 specifier such as '>=3.9'",
            value=value,
        )
        return None


def check_classifiers(
    classifiers: tuple[str, ...], license_info: LicenseInfo, problems: Problems
) -> None:
    """Every classifier must be known and current; no ``License ::`` with a license expression."""
    import trove_classifiers

    for classifier in classifiers:
        if not classifier.isprintable():
            problems.add(
                _PROJECT, "classifiers", f"{classifier!r} contains a control character", "remove it"
            )
            continue
        if classifier.startswith("Private ::"):
            continue  # PyPI's documented way to block uploads; never in the list
        if classifier in trove_classifiers.deprecated_classifiers:
            replacements = trove_classifiers.deprecated_classifiers[classifier]
            allowed = (
                "use " + " or ".join(repr(r) for r in replacements) if replacements else "remove it"
            )
            problems.add(
                _PROJECT,
                "classifiers",
                f"{classifier!r} is deprecated",
                allowed,
                value=classifier,
            )
        elif classifier not in trove_classifiers.classifiers:
            import difflib

            close = difflib.get_close_matches(classifier, trove_classifiers.classifiers, n=1)
            allowed = (
                f"did you mean {close[0]!r}?"
                if close
                else "see https://pypi.org/classifiers/ for the list"
            )
            problems.add(
                _PROJECT,
                "classifiers",
                f"{classifier!r} is not a known classifier",
                allowed,
                value=classifier,
            )
        elif classifier.startswith("License ::") and license_info.expression is not None:
            # PEP 639: with a license expression, License :: classifiers MUST be rejected.
            problems.add(
                _PROJECT,
                "classifiers",
                f"{classifier!r} is not allowed together with a license expression (PEP 639)",
                "remove the License :: classifier; 'license' already says it",
                value=classifier,
            )


def _requirement(text: Any, table: str, key: str, problems: Problems) -> Requirement | None:
    from packaging.requirements import InvalidRequirement, Requirement

    if not isinstance(text, str):
        problems.add_type(table, key, text, "a string (a PEP 508 requirement)")
        return None
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        problems.add(
            table,
            key,
            f"{text!r} is not a valid requirement ({reason})",
            "use PEP 508 such as 'requests>=2.31' or 'tomli; python_version < \"3.11\"'",
            value=text,
        )
        return None


def parse_dependencies(table: Mapping[str, Any], problems: Problems) -> tuple[Requirement, ...]:
    """``dependencies``: an array of PEP 508 strings."""
    value = table.get("dependencies", [])
    if not isinstance(value, list):
        problems.add_type(_PROJECT, "dependencies", value, "an array of strings")
        return ()
    requirements = (_requirement(text, _PROJECT, "dependencies", problems) for text in value)
    return tuple(req for req in requirements if req is not None)


def parse_optional_dependencies(
    table: Mapping[str, Any], problems: Problems
) -> Mapping[str, tuple[Requirement, ...]]:
    """``optional-dependencies``: extra -> PEP 508 strings, extras normalized (PEP 685)."""
    value = table.get("optional-dependencies", {})
    sub = f"{_PROJECT}.optional-dependencies"
    if not isinstance(value, dict):
        problems.add_type(
            _PROJECT, "optional-dependencies", value, "a table of extra = [requirements]"
        )
        return MappingProxyType({})
    from packaging.utils import canonicalize_name

    extras: dict[str, tuple[Requirement, ...]] = {}
    spelled: dict[str, str] = {}
    for extra, texts in value.items():
        normalized = canonicalize_name(extra)
        if not re.match(_EXTRA, normalized):
            problems.add(
                sub,
                extra,
                "is not a valid extra name",
                "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
                value=extra,
            )
            continue
        if normalized in spelled:
            problems.add(
                sub,
                extra,
                f"is the same extra as {spelled[normalized]!r} once normalized "
                f"to {normalized!r} (PEP 685)",
                "merge the two lists",
                value=extra,
            )
            continue
        spelled[normalized] = extra
        if not isinstance(texts, list):
            problems.add_type(sub, extra, texts, "an array of strings")
            continue
        found = (_requirement(text, sub, extra, problems) for text in texts)
        extras[normalized] = tuple(req for req in found if req is not None)
    return MappingProxyType(extras)


def _tidy(ref: str) -> str:
    """An object reference without the spaces allowed around ':' and '.'."""
    return re.sub(r"\s*([:.])\s*", r"\1", ref.strip())


def _check_reference(ref: Any, table: str, key: str, problems: Problems, *, attr: bool) -> bool:
    if not isinstance(ref, str):
        problems.add_type(table, key, ref, "a string ('module:function')")
        return False
    if not re.match(_OBJECT_REF, _tidy(ref)) or (attr and ":" not in ref):
        problems.add(
            table,
            key,
            f"{ref!r} is not an object reference",
            "use 'package.module:function'" if attr else "use 'package.module:object.attr'",
            value=ref,
        )
        return False
    return True


def parse_scripts(table: Mapping[str, Any], key: str, problems: Problems) -> Mapping[str, str]:
    """``scripts`` / ``gui-scripts``: command name -> ``module:function``."""
    value = table.get(key, {})
    if not isinstance(value, dict):
        problems.add_type(_PROJECT, key, value, "a table of name = 'module:function'")
        return MappingProxyType({})
    sub = f"{_PROJECT}.{key}"
    scripts = {}
    for name, ref in value.items():
        if not re.match(_SCRIPT_NAME, name):
            problems.add(
                sub,
                name,
                "is not a valid script name",
                "use letters, digits, '_', '.', '+' and '-' (it becomes a file name)",
                value=name,
            )
        elif _check_reference(ref, sub, name, problems, attr=True):
            scripts[name] = _tidy(ref)
    return MappingProxyType(dict(sorted(scripts.items())))


def parse_entry_points(
    table: Mapping[str, Any], problems: Problems
) -> Mapping[str, Mapping[str, str]]:
    """``entry-points``: group -> name -> object reference; the script groups are forbidden."""
    value = table.get("entry-points", {})
    if not isinstance(value, dict):
        problems.add_type(
            _PROJECT, "entry-points", value, "a table of [project.entry-points.<group>]"
        )
        return MappingProxyType({})
    sub = f"{_PROJECT}.entry-points"
    groups: dict[str, Mapping[str, str]] = {}
    for group, entries in value.items():
        if group in _RESERVED_GROUPS:
            # pyproject.toml specification: these groups come only from [project.scripts] and
            # [project.gui-scripts]; a build backend MUST raise an error otherwise.
            problems.add(
                sub,
                group,
                "is not allowed here",
                f"declare these in [project.{_RESERVED_GROUPS[group]}]",
            )
            continue
        if not re.match(_GROUP, group):
            problems.add(
                sub, group, "is not a valid group name", "use dotted words such as 'acme.plugins'"
            )
            continue
        if not isinstance(entries, dict):
            problems.add_type(sub, group, entries, "a table of name = 'module:object'")
            continue
        good = {}
        for name, ref in entries.items():
            if not name.strip() or "=" in name or name != name.strip():
                problems.add(
                    f"{sub}.{group}",
                    name,
                    "is not a valid entry point name",
                    "no '=' and no leading or trailing spaces",
                    value=name,
                )
            elif _check_reference(ref, f"{sub}.{group}", name, problems, attr=False):
                good[name] = _tidy(ref)
        groups[group] = MappingProxyType(dict(sorted(good.items())))
    return MappingProxyType(groups)
