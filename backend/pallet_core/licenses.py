"""PEP 639 licensing: the ``license`` expression, legacy license tables and ``license-files``.

``parse_license`` validates the ``[project]`` keys; ``find_license_files`` expands the globs
with targeted ``glob`` calls (never a walk of the whole tree). Owner B copies the files it
returns into ``.dist-info/licenses/<same path>``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pallet_core._frozen import Frozen
from pallet_core.errors import ConfigError, Problems, warn
from pallet_core.pyproject import relative_path_problem

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = [
    "DEFAULT_LICENSE_FILES",
    "LicenseInfo",
    "find_license_files",
    "parse_license",
]

_PROJECT = "project"  # the table name in messages
#: Patterns used when ``license-files`` is absent (PEP 639 lets tools choose defaults); these
#: may match nothing.
DEFAULT_LICENSE_FILES = ("LICEN[CS]E*", "COPYING*", "NOTICE*", "AUTHORS*")
# PEP 639: glob patterns use only alphanumerics, '.', '_', '-', '/', '*', '**', '?' and [] ranges.
_GLOB_CHARS = r"^[A-Za-z0-9._\-/*?\[\]]+$"


class LicenseInfo(Frozen):
    """What ``[project]`` says about the license.

    ``expression`` is the canonical SPDX expression (PEP 639); ``legacy_text`` the deprecated
    ``license = {text = ...}`` (written as ``License:``); ``file_patterns`` the globs to expand
    and ``required`` whether each pattern must match at least one file.
    """

    # In field order, which Frozen's __init__ and repr follow.
    __slots__ = (  # noqa: RUF023
        "expression",
        "legacy_text",
        "file_patterns",
        "required",
    )

    expression: str | None
    legacy_text: str | None
    file_patterns: tuple[str, ...]
    required: bool

    def __init__(
        self,
        expression: str | None = None,
        legacy_text: str | None = None,
        file_patterns: tuple[str, ...] = DEFAULT_LICENSE_FILES,
        required: bool = False,
    ) -> None:
        super().__init__(expression, legacy_text, file_patterns, required)


def _pattern_problem(pattern: str) -> str | None:
    why = relative_path_problem(pattern)
    if why:
        return why
    if not re.match(_GLOB_CHARS, pattern):
        return f"{pattern!r} uses characters PEP 639 does not allow in license globs"
    if pattern.count("[") != pattern.count("]"):
        return f"{pattern!r} has an unclosed '['"
    return None


def _parse_expression(value: str, problems: Problems) -> str | None:
    from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

    try:
        return str(canonicalize_license_expression(value))
    except InvalidLicenseExpression as exc:
        reason = str(exc).rstrip(".")
        detail = "" if reason.startswith("Invalid license expression") else f" ({reason})"
        problems.add(
            _PROJECT,
            "license",
            f"{value!r} is not a valid SPDX license expression{detail}",
            "use SPDX identifiers such as 'MIT' or 'Apache-2.0 OR BSD-3-Clause'",
            value=value,
        )
        return None


def _parse_legacy(value: Mapping[str, Any], root: Path, problems: Problems) -> LicenseInfo:
    sub = f"{_PROJECT}.license"
    for key in value:
        if key not in ("file", "text"):
            problems.add_unknown(sub, key, ("file", "text"))
    file, text = value.get("file"), value.get("text")
    if (file is None) == (text is None):
        problems.add(
            sub,
            "file",
            "both 'file' and 'text' are given" if file is not None else "neither 'file' nor 'text'",
            "give exactly one, or better a license expression: license = 'MIT'",
        )
        return LicenseInfo()
    key, item = ("file", file) if file is not None else ("text", text)
    if not isinstance(item, str):
        problems.add_type(sub, key, item, "a string")
        return LicenseInfo()
    warn(
        f"pyproject.toml: [project] field 'license': the table form (license = {{{key} = ...}}) "
        "is deprecated by PEP 639; use an SPDX expression (license = 'MIT') and license-files"
    )
    if key == "text":
        return LicenseInfo(legacy_text=item)
    why = relative_path_problem(item)
    if why:
        problems.add(sub, "file", why, "use a relative path with '/' separators", value=item)
        return LicenseInfo()
    if not (root / item).is_file():
        problems.add(
            sub, "file", f"file {item!r} does not exist", "give a path relative to pyproject.toml"
        )
        return LicenseInfo()
    from glob import escape

    # PEP 639: the legacy file fills License-File (not License), and the default patterns
    # still apply in addition to it. Its existence is checked above, so nothing is required.
    return LicenseInfo(file_patterns=(escape(item), *DEFAULT_LICENSE_FILES))


def parse_license(table: Mapping[str, Any], root: Path, problems: Problems) -> LicenseInfo:
    """``license`` and ``license-files`` of ``[project]`` (PEP 639)."""
    value = table.get("license")
    patterns = table.get("license-files")
    if patterns is not None:
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            found = (
                patterns
                if not isinstance(patterns, list)
                else next(p for p in patterns if not isinstance(p, str))
            )
            problems.add_type(_PROJECT, "license-files", found, "an array of glob strings")
            patterns = None
        else:
            for pattern in patterns:
                why = _pattern_problem(pattern)
                if why:
                    problems.add(
                        _PROJECT,
                        "license-files",
                        why,
                        "use relative globs such as 'LICENSE*' or 'licenses/*.txt'",
                        value=pattern,
                    )
    if isinstance(value, dict):
        if "license-files" in table:
            # PEP 639: license-files MUST NOT be combined with the legacy license table.
            problems.add(
                _PROJECT,
                "license-files",
                "cannot be used with the legacy license table",
                "use license = '<SPDX expression>' with license-files",
            )
        return _parse_legacy(value, root, problems)
    expression = None
    if value is not None:
        if isinstance(value, str):
            expression = _parse_expression(value, problems)
        else:
            problems.add_type(_PROJECT, "license", value, "a string (an SPDX license expression)")
    if patterns is None:
        return LicenseInfo(expression=expression)
    return LicenseInfo(expression=expression, file_patterns=tuple(patterns), required=True)


def find_license_files(
    root: Path, info: LicenseInfo | tuple[str, ...], file: str = "pyproject.toml"
) -> tuple[str, ...]:
    """Expand the license globs under ``root``: sorted, unique, relative posix file paths.

    PEP 639: each pattern given in ``license-files`` MUST match at least one file, else the
    build fails; the default patterns may match nothing. Only the pattern's own directories are
    searched (``glob``), never the whole tree.
    """
    if isinstance(info, LicenseInfo):
        patterns, required = info.file_patterns, info.required
    else:
        patterns, required = info, True
    found: set[str] = set()
    unmatched = []
    for pattern in patterns:
        # Before Python 3.13 a trailing "**" matches directories only; "dir/**/*" finds files.
        expanded = f"{pattern}/*" if pattern.endswith("**") else pattern
        # PEP 639 lets tools skip hidden files: a "**" must not pull in .venv/ or .git/ files,
        # unless the pattern itself names a hidden part.
        hidden_ok = pattern.startswith(".") or "/." in pattern
        matches = []
        for match in root.glob(expanded):
            rel = match.relative_to(root).as_posix()
            if match.is_file() and (
                hidden_ok or not any(p.startswith(".") for p in rel.split("/"))
            ):
                matches.append(rel)
        if not matches:
            unmatched.append(pattern)
        found.update(matches)
    if required and unmatched:
        lines = [
            f"{file}: [project] field 'license-files': {pattern!r} matches no file; "
            "every pattern must match at least one file (PEP 639)"
            for pattern in unmatched
        ]
        raise ConfigError(
            "\n".join(lines), path=file, key="project.license-files", value=unmatched[0]
        )
    return tuple(sorted(found))
