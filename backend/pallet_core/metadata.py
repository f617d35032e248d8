"""Render a validated ``Project`` as core metadata 2.4 (METADATA in wheels, PKG-INFO in sdists).

Fields follow the order of the core metadata specification; multiple-use fields keep the order
of ``pyproject.toml``. The long description is the message body, after a blank line. The text is
checked with ``packaging.metadata.Metadata.from_email(validate=True)`` before it is returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pallet_core.errors import BuildError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from packaging.requirements import Requirement
    from packaging.version import Version

    from pallet_core.people import Person
    from pallet_core.project import Project

__all__ = ["METADATA_VERSION", "render_metadata", "requirement_line", "validate_metadata"]

METADATA_VERSION = "2.4"  # PEP 639: License-Expression and License-File


def _bare(requirement: Requirement) -> str:
    """``name[extras]specifiers`` or ``name[extras] @ url``, spelled by pallet-core itself rather
    than by ``str(Requirement)``, whose spelling changed between packaging releases (``pkg@ url``
    before 26.0, ``pkg @ url`` since): the metadata's bytes must not depend on the packaging
    version installed. Extras and specifiers sorted, as packaging sorts them."""
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    if requirement.url:
        return f"{requirement.name}{extras} @ {requirement.url}"
    specifiers = ",".join(sorted(str(s) for s in requirement.specifier))
    return f"{requirement.name}{extras}{specifiers}"


def requirement_line(requirement: Requirement, extra: str | None = None) -> str:
    """A ``Requires-Dist`` value; for an extra, its marker is ANDed with ``extra == "name"``.

    The existing marker is parenthesized so that ``a or b`` does not bind wrongly:
    ``pkg; (python_version < "3.11" or os_name == "nt") and extra == "cli"``.
    """
    # PEP 508: after a URL, ";" must follow whitespace or it would be part of the URL.
    separator = " ;" if requirement.url else ";"
    marker = requirement.marker
    if extra is None:
        return _bare(requirement) + (f"{separator} {marker}" if marker is not None else "")
    if marker is None:
        return f'{_bare(requirement)}{separator} extra == "{extra}"'
    return f'{_bare(requirement)}{separator} ({marker}) and extra == "{extra}"'


def _people(people: Iterable[Person]) -> tuple[str | None, str | None]:
    """pyproject.toml specification: names alone go to Author, name+email to Author-email."""
    names = [p.name for p in people if p.name and not p.email]
    emails = [p.address() for p in people if p.email]
    return (", ".join(names) or None, ", ".join(emails) or None)


def _fold(value: str) -> str:
    """A multi-line header value as RFC 822 continuation lines."""
    return "\n        ".join(value.splitlines())


def render_metadata(project: Project, version: Version, license_files: tuple[str, ...]) -> str:
    """Core metadata 2.4 text for ``project`` at ``version``, ending with a newline.

    Raises ``BuildError`` if ``packaging`` rejects the result (a bug or an unforeseen value).
    """
    fields: list[tuple[str, str]] = [
        ("Metadata-Version", METADATA_VERSION),
        ("Name", project.name),
        ("Version", str(version)),
    ]
    # PEP 643: no Dynamic: fields -- see pallet_core.dynamic, every field is fixed in the sdist.
    if project.description is not None:
        fields.append(("Summary", project.description))
    if project.readme is not None:
        fields.append(("Description-Content-Type", project.readme.content_type))
    if project.keywords:
        fields.append(("Keywords", ",".join(project.keywords)))
    author, author_email = _people(project.authors)
    maintainer, maintainer_email = _people(project.maintainers)
    for key, value in (
        ("Author", author),
        ("Author-email", author_email),
        ("Maintainer", maintainer),
        ("Maintainer-email", maintainer_email),
    ):
        if value is not None:
            fields.append((key, value))
    if project.license.legacy_text is not None:
        fields.append(("License", _fold(project.license.legacy_text)))
    if project.license.expression is not None:
        fields.append(("License-Expression", project.license.expression))
    fields.extend(("License-File", path) for path in license_files)
    fields.extend(("Classifier", classifier) for classifier in project.classifiers)
    fields.extend(("Requires-Dist", requirement_line(req)) for req in project.dependencies)
    for extra, requirements in project.optional_dependencies.items():
        fields.extend(("Requires-Dist", requirement_line(req, extra)) for req in requirements)
    if project.requires_python is not None:
        fields.append(("Requires-Python", str(project.requires_python)))
    fields.extend(("Project-URL", f"{label}, {url}") for label, url in project.urls)
    fields.extend(("Provides-Extra", extra) for extra in project.optional_dependencies)

    text = "".join(f"{key}: {value}\n" for key, value in fields)
    if project.readme is not None:
        body = project.readme.text
        text += "\n" + body + ("" if body.endswith("\n") else "\n")
    validate_metadata(text)
    return text


def validate_metadata(text: str) -> None:
    """Parse ``text`` with ``packaging.metadata`` (validating); failures become ``BuildError``."""
    from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata

    try:
        Metadata.from_email(text, validate=True)
    except ExceptionGroup as group:
        problems = "\n".join(f"  {exc}" for exc in group.exceptions)
        raise BuildError(f"generated core metadata is invalid:\n{problems}") from None
    except (InvalidMetadata, ValueError) as exc:
        raise BuildError(f"generated core metadata is invalid: {exc}") from None
