"""The PEP 621 ``[project]`` table validated into an immutable ``Project`` .

Every problem of the table (and of its sub-tables) is collected into one ``Problems`` and
raised once, each line in the shape ``pyproject.toml: [project] field 'x': wrong; allowed``.
License fields (PEP 639) are validated by ``licenses``, the readme by ``readme``,
requirements, classifiers and entry points by ``_fields``.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pallet_core import _fields, licenses
from pallet_core._frozen import Frozen
from pallet_core.errors import Problems, type_name
from pallet_core.people import Person, parse_people
from pallet_core.readme import Readme, parse_readme

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

__all__ = ["PROJECT_FIELDS", "Person", "Project", "Readme", "parse_project", "read_project"]

_PROJECT = "project"  # the table name in messages

#: The keys of ``[project]`` (pyproject.toml specification, PEP 621 + PEP 639).
PROJECT_FIELDS = (
    "name",
    "version",
    "description",
    "readme",
    "requires-python",
    "license",
    "license-files",
    "authors",
    "maintainers",
    "keywords",
    "classifiers",
    "urls",
    "scripts",
    "gui-scripts",
    "entry-points",
    "dependencies",
    "optional-dependencies",
    "dynamic",
)
#: The one field pallet-core knows how to compute at build time.
DYNAMIC_FILLABLE = ("version",)

# pyproject.toml specification: a valid project name (before normalization).
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_NO_LICENSE_INFO = licenses.LicenseInfo()  # no license fields: the PEP 639 defaults


class Project(Frozen):
    """A validated ``[project]`` table. ``version`` is None when it is dynamic."""

    # In field order, which Frozen's __init__ and repr follow.
    __slots__ = (  # noqa: RUF023
        "name",
        "version",
        "description",
        "readme",
        "requires_python",
        "license",
        "authors",
        "maintainers",
        "keywords",
        "classifiers",
        "urls",
        "scripts",
        "gui_scripts",
        "entry_points",
        "dependencies",
        "optional_dependencies",
        "dynamic",
    )

    name: str
    version: Version | None
    description: str | None
    readme: Readme | None
    requires_python: SpecifierSet | None
    license: licenses.LicenseInfo
    authors: tuple[Person, ...]
    maintainers: tuple[Person, ...]
    keywords: tuple[str, ...]
    classifiers: tuple[str, ...]
    urls: tuple[tuple[str, str], ...]
    scripts: Mapping[str, str]
    gui_scripts: Mapping[str, str]
    entry_points: Mapping[str, Mapping[str, str]]
    dependencies: tuple[Requirement, ...]
    optional_dependencies: Mapping[str, tuple[Requirement, ...]]
    dynamic: tuple[str, ...]

    def __init__(
        self,
        name: str,
        version: Version | None,
        description: str | None = None,
        readme: Readme | None = None,
        requires_python: SpecifierSet | None = None,
        license: licenses.LicenseInfo = _NO_LICENSE_INFO,
        authors: tuple[Person, ...] = (),
        maintainers: tuple[Person, ...] = (),
        keywords: tuple[str, ...] = (),
        classifiers: tuple[str, ...] = (),
        urls: tuple[tuple[str, str], ...] = (),
        scripts: Mapping[str, str] = MappingProxyType({}),
        gui_scripts: Mapping[str, str] = MappingProxyType({}),
        entry_points: Mapping[str, Mapping[str, str]] = MappingProxyType({}),
        dependencies: tuple[Requirement, ...] = (),
        optional_dependencies: Mapping[str, tuple[Requirement, ...]] = MappingProxyType({}),
        dynamic: tuple[str, ...] = (),
    ) -> None:
        super().__init__(
            name,
            version,
            description,
            readme,
            requires_python,
            license,
            authors,
            maintainers,
            keywords,
            classifiers,
            urls,
            scripts,
            gui_scripts,
            entry_points,
            dependencies,
            optional_dependencies,
            dynamic,
        )

    @property
    def license_files(self) -> tuple[str, ...]:
        """The license-file glob patterns to expand (PEP 639)."""
        return self.license.file_patterns

    def all_entry_points(self) -> Mapping[str, Mapping[str, str]]:
        """``entry-points`` plus ``console_scripts`` / ``gui_scripts`` from the script tables."""
        groups = dict(self.entry_points)
        if self.scripts:
            groups["console_scripts"] = self.scripts
        if self.gui_scripts:
            groups["gui_scripts"] = self.gui_scripts
        return MappingProxyType({group: groups[group] for group in sorted(groups)})


def _string(table: Mapping[str, Any], key: str, problems: Problems, expected: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    problems.add_type(_PROJECT, key, value, expected)
    return None


def _parse_name(table: Mapping[str, Any], problems: Problems) -> str:
    name = table.get("name")
    if name is None:
        problems.add(
            _PROJECT, "name", "is missing", "every project needs a name, e.g. name = 'acme'"
        )
        return "unknown"
    if not isinstance(name, str):
        problems.add_type(_PROJECT, "name", name, "a string")
        return "unknown"
    if not _NAME.match(name):
        problems.add(
            _PROJECT,
            "name",
            f"{name!r} is not a valid project name",
            "use ASCII letters, digits, '.', '_' and '-', starting and ending with a letter "
            "or digit",
            value=name,
        )
    return name


def _parse_version(
    table: Mapping[str, Any], is_dynamic: bool, problems: Problems
) -> Version | None:
    value = table.get("version")
    if value is None:
        if not is_dynamic:
            problems.add(
                _PROJECT,
                "version",
                "is missing",
                "set version = '1.0' or list 'version' in dynamic",
            )
        return None
    if not isinstance(value, str):
        problems.add_type(_PROJECT, "version", value, "a string (a PEP 440 version)")
        return None
    from packaging.version import InvalidVersion, Version

    try:
        return Version(value)
    except InvalidVersion:
        problems.add(
            _PROJECT,
            "version",
            f"{value!r} is not a valid PEP 440 version",
            "use a version such as '1.0', '2.1.3rc1' or '0.4.dev2'",
            value=value,
        )
        return None


def _parse_description(table: Mapping[str, Any], problems: Problems) -> str | None:
    value = _string(table, "description", problems, "a string (one line)")
    if value is not None and ("\n" in value or "\r" in value):
        problems.add(
            _PROJECT,
            "description",
            "contains a line break",
            "use a one-line summary; put long text in readme",
            value=value,
        )
        return None
    return value


def _string_array(
    table: Mapping[str, Any], key: str, problems: Problems, what: str
) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        found = (
            value
            if not isinstance(value, list)
            else next(item for item in value if not isinstance(item, str))
        )
        problems.add_type(_PROJECT, key, found, f"an array of strings ({what})")
        return ()
    return tuple(value)


def _parse_keywords(table: Mapping[str, Any], problems: Problems) -> tuple[str, ...]:
    keywords = _string_array(table, "keywords", problems, "keywords")
    for keyword in keywords:
        if "," in keyword or "\n" in keyword or not keyword.strip():
            problems.add(
                _PROJECT,
                "keywords",
                f"keyword {keyword!r} is empty or contains a comma or line break",
                "core metadata joins keywords with ','; give one word or phrase per item",
                value=keyword,
            )
    return keywords


def _parse_urls(table: Mapping[str, Any], problems: Problems) -> tuple[tuple[str, str], ...]:
    value = table.get("urls", {})
    if not isinstance(value, dict):
        problems.add_type(_PROJECT, "urls", value, "a table of label = 'url'")
        return ()
    urls = []
    for label, url in value.items():
        if not isinstance(url, str):
            problems.add_type(f"{_PROJECT}.urls", label, url, "a string (a URL)")
        elif len(label) > 32 or "," in label or not label.isprintable():
            # Core metadata Project-URL: "label, url", the label at most 32 characters.
            problems.add(
                f"{_PROJECT}.urls",
                label,
                "label is longer than 32 characters or contains a comma or control character",
                "use a short label such as 'Homepage' or 'Source'",
                value=label,
            )
        elif not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", url):
            problems.add(
                f"{_PROJECT}.urls",
                label,
                f"{url!r} is not a URL",
                "use an absolute URL such as 'https://example.org/acme'",
                value=url,
            )
        else:
            urls.append((label, url))
    return tuple(urls)


def _parse_dynamic(table: Mapping[str, Any], problems: Problems) -> tuple[str, ...]:
    dynamic = _string_array(table, "dynamic", problems, "field names")
    for key in dynamic:
        if key == "name":
            problems.add(
                _PROJECT,
                "dynamic",
                "'name' can never be dynamic",
                "set name in [project]",
                value=key,
            )
        elif key not in PROJECT_FIELDS:
            problems.add(
                _PROJECT,
                "dynamic",
                f"{key!r} is not a [project] field",
                "list only [project] field names; " + _did_you_mean(key),
                value=key,
            )
        elif key in table:
            problems.add(
                _PROJECT,
                "dynamic",
                f"{key!r} is listed as dynamic but also given in [project]",
                f"either remove {key!r} from dynamic or remove the field",
                value=key,
            )
        elif key not in DYNAMIC_FILLABLE:
            problems.add(
                _PROJECT,
                "dynamic",
                f"pallet-core cannot fill {key!r} dynamically",
                f"only 'version' can be dynamic; set {key!r} in [project]",
                value=key,
            )
    return dynamic


def _did_you_mean(key: str) -> str:
    from pallet_core.errors import did_you_mean

    return did_you_mean(key, PROJECT_FIELDS)


def parse_project(pyproject: Mapping[str, Any], root: Path, problems: Problems) -> Project:
    """Validate ``[project]`` of a parsed ``pyproject.toml``; problems go to ``problems``.

    ``root`` is the project directory; the readme and legacy license file are read from it.
    The returned ``Project`` is meaningful only when no problem was recorded.
    """
    table = pyproject.get("project")
    if not isinstance(table, dict):
        if table is None:
            wrong = "is missing because there is no [project] table"
        else:
            wrong = f"is missing because [project] is {type_name(table)}, not a table"
        problems.add(
            _PROJECT, "name", wrong, "add a [project] table with name and version (PEP 621)"
        )
        return Project(name="unknown", version=None)
    for key in table:
        if key not in PROJECT_FIELDS:
            problems.add_unknown(_PROJECT, key, PROJECT_FIELDS)

    # Fields are checked in the order of the specification, so problems are listed that way.
    name = _parse_name(table, problems)
    raw_dynamic = table.get("dynamic")
    version = _parse_version(
        table, isinstance(raw_dynamic, list) and "version" in raw_dynamic, problems
    )
    description = _parse_description(table, problems)
    readme = parse_readme(table, root, problems)
    requires_python = None
    if "requires-python" in table:
        requires_python = _fields.parse_requires_python(table["requires-python"], problems)
    license_info = licenses.parse_license(table, root, problems)
    authors = parse_people(table, "authors", problems)
    maintainers = parse_people(table, "maintainers", problems)
    keywords = _parse_keywords(table, problems)
    classifiers = _string_array(table, "classifiers", problems, "trove classifiers")
    if classifiers:
        _fields.check_classifiers(classifiers, license_info, problems)
    urls = _parse_urls(table, problems)
    scripts = _fields.parse_scripts(table, "scripts", problems)
    gui_scripts = _fields.parse_scripts(table, "gui-scripts", problems)
    entry_points = _fields.parse_entry_points(table, problems)
    dependencies = _fields.parse_dependencies(table, problems)
    optional_dependencies = _fields.parse_optional_dependencies(table, problems)
    dynamic = _parse_dynamic(table, problems)
    return Project(
        name=name,
        version=version,
        description=description,
        readme=readme,
        requires_python=requires_python,
        license=license_info,
        authors=authors,
        maintainers=maintainers,
        keywords=keywords,
        classifiers=classifiers,
        urls=urls,
        scripts=scripts,
        gui_scripts=gui_scripts,
        entry_points=entry_points,
        dependencies=dependencies,
        optional_dependencies=optional_dependencies,
        dynamic=dynamic,
    )


def read_project(pyproject: Mapping[str, Any], root: Path, file: str = "pyproject.toml") -> Project:
    """Like ``parse_project``, raising one ``ConfigError`` with every problem found."""
    problems = Problems(file)
    project = parse_project(pyproject, root, problems)
    problems.raise_if_any()
    return project
