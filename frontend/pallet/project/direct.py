"""Direct references of a project: ``name @ url`` requirements and ``[tool.pallet.sources]`` path
and git tables, parsed into one `DirectReference` per package (pure: no I/O but ``is_dir``).

PEP 508 gives the syntax (``name @ url``); pip's VCS URL form (``git+https://host/repo@rev
#subdirectory=sub``) and the direct URL data structure give the meaning of a URL's parts; PEP 751
records them as ``[packages.archive]``, ``[packages.directory]`` and ``[packages.vcs]``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from ..errors import ProjectError
from .model import DirectSource, ProjectSpec

__all__ = ["ARCHIVE_SUFFIXES", "DirectReference", "direct_references", "parse_direct_url"]

DirectKind = Literal["archive", "directory", "vcs"]

#: Wheels (PEP 427) and the sdist formats installers accept.
ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2", ".tar.xz", ".tar")
_VCS = ("git", "hg", "svn", "bzr")
_GIT_TRANSPORTS = ("https", "http", "file", "ssh", "git")


@dataclass(frozen=True)
class DirectReference:
    """Where one package comes from when not from an index.

    ``archive``: ``url`` (http/https, no fragment) or ``path`` (a local wheel or sdist);
    ``hashes`` from a ``#sha256=…`` fragment are checked against the download.
    ``directory``: ``path`` (a source tree), ``editable``.
    ``vcs`` (git only): ``url`` is the repository (no ``git+``, no ``@rev``),
    ``requested_revision`` what the user asked for (None: the default branch).
    ``path`` is absolute; ``lock_path`` is how the lock writes it: relative to the project
    directory (where pylock.toml lives) when it was written relative, else absolute (POSIX
    separators, PEP 751 allows both).
    """

    name: NormalizedName
    kind: DirectKind
    origin: str  # for messages: "`foo @ https://…`" or "[tool.pallet.sources] foo"
    url: str | None = None
    path: Path | None = None
    lock_path: str | None = None
    editable: bool = False
    requested_revision: str | None = None
    reference: Literal["rev", "tag", "branch"] | None = None
    subdirectory: str | None = None
    hashes: Mapping[str, str] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        """The archive's file name (last component of its URL or path)."""
        if self.path is not None:
            return self.path.name
        return unquote(urlsplit(self.url or "").path.rstrip("/").rsplit("/", 1)[-1])

    def same_source(self, other: DirectReference) -> bool:
        """Whether two references name the same thing (the origin does not matter)."""
        return (self.kind, self.url, self.path, self.requested_revision, self.subdirectory) == (
            other.kind,
            other.url,
            other.path,
            other.requested_revision,
            other.subdirectory,
        )


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _fragment(fragment: str) -> tuple[dict[str, str], str | None]:
    """``sha256=…&subdirectory=…`` -> (hashes, subdirectory); ``egg=`` is ignored."""
    hashes: dict[str, str] = {}
    subdirectory = None
    for key, value in parse_qsl(fragment, keep_blank_values=True):
        if key == "subdirectory":
            subdirectory = value or None
        elif key in ("sha256", "sha384", "sha512", "sha1", "md5"):
            hashes[key] = value.lower()
    return hashes, subdirectory


def _check_subdirectory(subdirectory: str | None) -> None:
    if subdirectory is None:
        return
    parts = subdirectory.replace("\\", "/").split("/")
    if subdirectory.startswith(("/", "\\")) or ".." in parts:
        raise ValueError(f"subdirectory {subdirectory!r} must be a path inside the source tree")


def _local_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"file URL {url!r} names a remote host; use file:///absolute/path")
    from urllib.request import url2pathname  # not at import: it loads http.client and ssl

    return Path(url2pathname(unquote(parts.path)))


def parse_direct_url(name: NormalizedName, url: str, origin: str) -> DirectReference:
    """A PEP 508 direct reference URL -> `DirectReference`; ValueError says what is wrong."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    hashes, subdirectory = _fragment(parts.fragment)
    _check_subdirectory(subdirectory)
    vcs, plus, transport = scheme.partition("+")
    if plus or vcs in _VCS:
        if vcs != "git":
            raise ValueError(f"{vcs} URLs are not supported; pallet locks git repositories only")
        if transport not in _GIT_TRANSPORTS:
            raise ValueError(f"use git+https, git+ssh, git+http, git+git or git+file, not {scheme}")
        # pip's rule: the revision follows the last "@" of the path (it may hold "/": a branch
        # such as "feature/x"); the netloc's "@" belongs to the user name.
        path, at, revision = parts.path.rpartition("@")
        if not at:
            path, revision = parts.path, ""
        repository = urlunsplit((transport, parts.netloc, path, parts.query, ""))
        return DirectReference(
            name,
            "vcs",
            origin,
            url=repository,
            requested_revision=unquote(revision) or None,
            reference="rev" if revision else None,
            subdirectory=subdirectory,
        )
    if scheme == "file":
        local = _local_path(url)
        if not local.is_absolute():
            raise ValueError("a file URL needs an absolute path (file:///…)")
        is_archive = _is_archive(local.name) and not local.is_dir()
        kind: DirectKind = "archive" if is_archive else "directory"
        return DirectReference(
            name,
            kind,
            origin,
            path=local,
            lock_path=local.as_posix(),
            hashes=hashes,
            subdirectory=subdirectory,
        )
    if scheme in ("http", "https"):
        bare = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
        reference = DirectReference(
            name, "archive", origin, url=bare, hashes=hashes, subdirectory=subdirectory
        )
        if not _is_archive(reference.filename):
            raise ValueError(
                "the URL does not end in a wheel or sdist file name "
                f"({', '.join(ARCHIVE_SUFFIXES)}); a repository needs git+{scheme}://"
            )
        return reference
    raise ValueError(f"unsupported URL scheme {parts.scheme!r}; use https, file or git+https")


def _from_source(name: NormalizedName, source: DirectSource, root: Path) -> DirectReference:
    origin = f"[tool.pallet.sources] {name}"
    if source.kind == "git":
        assert source.url is not None
        return DirectReference(
            name,
            "vcs",
            origin,
            url=source.url.removeprefix("git+"),
            requested_revision=source.requested,
            reference=source.reference,
            subdirectory=source.subdirectory,
        )
    assert source.path is not None
    written = source.path.replace("\\", "/")
    given = Path(source.path).expanduser()
    path = given if given.is_absolute() else root / given
    lock_path = posixpath.normpath(written) if not given.is_absolute() else given.as_posix()
    is_dir = path.is_dir() or not _is_archive(path.name)
    if source.editable and not is_dir:
        # PEP 660 installs a source tree in place; an archive has no tree to point at
        raise ProjectError(
            f"pyproject.toml: [tool.pallet.sources] package {name!r}: editable = true needs a "
            f"directory, but {source.path!r} is an archive; drop editable or name its folder",
            path="pyproject.toml",
            key="sources",
        )
    return DirectReference(
        name,
        "directory" if is_dir else "archive",
        origin,
        path=Path(posixpath.normpath(path.as_posix())) if path.is_absolute() else path,
        lock_path=lock_path,
        editable=source.editable,
    )


def _tables(spec: ProjectSpec) -> Iterable[tuple[str, Requirement]]:
    for requirement in spec.dependencies:
        yield "[project] dependencies", requirement
    for extra, reqs in spec.optional_dependencies.items():
        for requirement in reqs:
            yield f"[project.optional-dependencies] {extra}", requirement
    for group, reqs in spec.dependency_groups.items():
        for requirement in reqs:
            yield f"[dependency-groups] {group}", requirement


def direct_references(spec: ProjectSpec) -> dict[NormalizedName, DirectReference]:
    """Every package the project takes from a direct reference, by name.

    Raises `ProjectError` (naming pyproject.toml, the table and the requirement) for a URL pallet
    cannot lock, or for two different references to one package.
    """
    out: dict[NormalizedName, DirectReference] = {}
    problems: list[str] = []

    def add(reference: DirectReference) -> None:
        known = out.get(reference.name)
        if known is None:
            out[reference.name] = reference
        elif not known.same_source(reference):
            problems.append(
                f"pyproject.toml: package {reference.name!r} has two sources, {known.origin} and "
                f"{reference.origin}; give it one"
            )

    for name, source in sorted(spec.direct_sources.items()):
        add(_from_source(name, source, spec.root))
    for table, requirement in _tables(spec):
        name = canonicalize_name(requirement.name)
        if not requirement.url or name == spec.name:
            continue
        origin = f"`{requirement.name} @ {requirement.url}`"
        try:
            reference = parse_direct_url(name, requirement.url, origin)
        except ValueError as exc:
            problems.append(f"pyproject.toml: {table}: {origin}: {exc}")
            continue
        add(reference)
    if problems:
        raise ProjectError("\n".join(dict.fromkeys(problems)), path="pyproject.toml")
    return out
