"""What a PEP 751 lock installs here: read any valid ``pylock.toml``, select for the target.

`load_pylock` reads the file with ``packaging.pylock`` (which validates it: any tool's valid lock
is accepted, not only pallet's), and `select_packages` applies PEP 751's installation algorithm
(``Pylock.select``: ``requires-python``, ``environments``, each package's marker evaluated with
``extras`` and ``dependency_groups``, the best wheel by the target's tags, else the sdist) for
the venv's `Target`, then turns each chosen entry into a `Wanted`: a locked file with its sha256
(a file without one is refused, PEP 751 requires a hash), a local directory, or a git commit.
Relative ``path`` keys are resolved against the lock's own folder (PEP 751).
"""

from __future__ import annotations

import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from ..errors import InstallError
from .target import Target

if TYPE_CHECKING:
    from packaging.pylock import Package, Pylock

__all__ = [
    "LockedFile",
    "Selection",
    "VcsSource",
    "Wanted",
    "load_pylock",
    "reachable",
    "select_packages",
]

Kind = Literal["wheel", "sdist", "archive", "directory", "vcs"]


@dataclass(frozen=True)
class Selection:
    """What to install of a lock (``pallet sync`` flags).

    ``groups`` None: the lock's ``default-groups`` plus `add_groups`; a set: exactly those
    (``--only-group``). `no_groups` is taken away last (``--no-group``, ``--no-dev``).
    ``install_project`` False: ``--no-install-project``.

    Hardware variants (docs/sync.md): `variant_extras` are the lock's variant extras, of which
    only `variant` (the chosen one) is installed; ``all_extras`` means every other extra plus it.
    """

    extras: frozenset[str] = frozenset()
    groups: frozenset[str] | None = None
    all_extras: bool = False
    add_groups: frozenset[str] = frozenset()
    no_groups: frozenset[str] = frozenset()
    install_project: bool = True
    variant: str | None = None
    variant_extras: frozenset[str] = frozenset()
    #: a workspace's ``--package``: only these entries (normalized names) and what their lock
    #: ``dependencies`` reach (PEP 751 ``packages.dependencies``); None: everything selected
    packages: frozenset[str] | None = None
    #: the ``--package`` names as asked (the stamp records them; `packages` derives from them)
    members: frozenset[str] | None = None


@dataclass(frozen=True)
class LockedFile:
    """One archive of the lock (the fields of `install.fetch.Artifact`)."""

    name: str
    version: str
    filename: str
    sha256: str
    url: str | None
    path: Path | None
    size: int | None


@dataclass(frozen=True)
class VcsSource:
    type: str
    url: str
    commit: str
    requested: str | None
    subdirectory: str | None


@dataclass(frozen=True)
class Wanted:
    """One package the lock selects here, and where it comes from.

    ``version`` is None only for a directory or VCS entry that does not state it (PEP 751 makes
    it optional there): the built wheel tells. ``direct_url`` is the PEP 610 record for a
    package not installed from an index (archive, directory, VCS); None for index files.
    """

    name: str
    version: str | None
    kind: Kind
    file: LockedFile | None = None
    directory: Path | None = None
    editable: bool = False
    vcs: VcsSource | None = None
    direct_url: Mapping[str, object] | None = None
    #: a directory entry's version as pallet recorded it (``[packages.tool.pallet] version``):
    #: an installed copy of another version is built again (a workspace member's was bumped)
    recorded_version: str | None = None


def load_pylock(path: Path) -> Pylock:
    """The validated lock at `path`; `InstallError` (naming it) when unreadable or invalid."""
    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InstallError(f"{path}: does not exist") from None
    except OSError as exc:
        raise InstallError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InstallError(f"{path}: is not UTF-8 text: {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InstallError(f"{path}: invalid TOML: {exc}") from None
    try:
        return Pylock.from_dict(data)
    except (PylockValidationError, PylockUnsupportedVersionError) as exc:
        raise InstallError(f"{path}: not a valid PEP 751 lock: {exc}") from None


def groups_for(lock: Pylock, selection: Selection) -> frozenset[str]:
    """The dependency groups `selection` asks of `lock` (checked against those it declares)."""
    declared = {str(g) for g in [*(lock.dependency_groups or ()), *(lock.default_groups or ())]}
    canonical = {canonicalize_name(g): g for g in declared}
    if selection.groups is None:
        base = {canonicalize_name(g) for g in lock.default_groups or ()}
        base |= {canonicalize_name(g) for g in selection.add_groups}
    else:
        base = {canonicalize_name(g) for g in selection.groups}
    unknown = sorted(base - set(canonical))  # --no-group of an unknown group is harmless
    if unknown:
        have = ", ".join(sorted(declared)) or "none"
        raise InstallError(
            f"the lock declares no dependency group {', '.join(map(repr, unknown))} "
            f"(it has: {have})"
        )
    base -= {canonicalize_name(g) for g in selection.no_groups}
    return frozenset(base)


def extras_for(lock: Pylock, selection: Selection) -> frozenset[str]:
    """The extras `selection` asks of `lock` (checked against those it declares); of the variant
    extras, only the chosen variant's (``--all-extras``: every other extra, and that one)."""
    declared = {canonicalize_name(e) for e in lock.extras or ()}
    chosen = set() if selection.variant is None else {canonicalize_name(selection.variant)}
    if selection.all_extras:
        asked = chosen
        base = declared - {canonicalize_name(e) for e in selection.variant_extras}
    else:
        asked = {canonicalize_name(e) for e in selection.extras} | chosen
        base = set()
    unknown = sorted(asked - declared)
    if unknown:
        have = ", ".join(sorted(declared)) or "none"
        raise InstallError(
            f"the lock declares no extra {', '.join(map(repr, unknown))} (it has: {have})"
        )
    return frozenset(base | asked)


def select_packages(
    lock: Pylock, lock_path: Path, target: Target, selection: Selection
) -> list[Wanted]:
    """The packages `lock` installs for `target`, by name (PEP 751's selection algorithm)."""
    from packaging.pylock import PylockSelectError

    extras = extras_for(lock, selection)
    groups = groups_for(lock, selection)
    try:
        chosen = list(
            lock.select(
                environment=target.markers,  # type: ignore[arg-type]
                tags=target.tags,
                extras=extras,
                dependency_groups=groups,
            )
        )
    except PylockSelectError as exc:
        raise InstallError(f"{lock_path}: {exc}") from None
    if selection.packages is not None:
        reach = reachable(lock, selection.packages)
        chosen = [(p, s) for p, s in chosen if canonicalize_name(str(p.name)) in reach]
    folder = lock_path.parent.absolute()
    wanted = [_wanted(package, source, folder, lock_path) for package, source in chosen]
    return sorted(wanted, key=lambda w: w.name)


def reachable(lock: Pylock, roots: frozenset[str]) -> set[str]:
    """`roots` and every name their entries' ``dependencies`` reach, by name (PEP 751: a
    dependency names an entry by ``name`` and optionally more keys; markers were applied by the
    selection already, so a name here only narrows what it chose)."""
    edges: dict[str, set[str]] = {}
    for package in lock.packages:
        name = canonicalize_name(str(package.name))
        for dependency in package.dependencies or ():
            target = dependency.get("name")
            if isinstance(target, str):
                edges.setdefault(name, set()).add(canonicalize_name(target))
    seen: set[str] = {canonicalize_name(r) for r in roots}
    queue = list(seen)
    while queue:
        for target in edges.get(queue.pop(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _recorded_version(package: Package) -> str | None:
    """``[packages.tool.pallet] version`` (pallet's own table, PEP 751 ``tool``), if any."""
    table = (package.tool or {}).get("pallet")
    value = table.get("version") if isinstance(table, dict) else None
    return value if isinstance(value, str) else None


def _wanted(package: Package, source: object, folder: Path, lock_path: Path) -> Wanted:
    from packaging.pylock import (
        PackageArchive,
        PackageDirectory,
        PackageSdist,
        PackageVcs,
        PackageWheel,
    )

    name = str(package.name)
    version = str(package.version) if package.version is not None else None
    where = f"{lock_path}: package {name!r}"
    if isinstance(source, PackageVcs):
        repo = source.url or (_file_url(folder / source.path) if source.path else "")
        vcs = VcsSource(
            source.type, repo, source.commit_id, source.requested_revision, source.subdirectory
        )
        info: dict[str, object] = {"vcs": source.type, "commit_id": source.commit_id}
        if source.requested_revision:
            info["requested_revision"] = source.requested_revision
        direct: dict[str, object] = {"url": repo, "vcs_info": info}
        if source.subdirectory:
            direct["subdirectory"] = source.subdirectory
        return Wanted(name, version, "vcs", vcs=vcs, direct_url=direct)
    if isinstance(source, PackageDirectory):
        directory = _local(folder, source.path)
        tree = directory / source.subdirectory if source.subdirectory else directory
        editable = bool(source.editable)
        return Wanted(
            name,
            version,
            "directory",
            directory=tree,
            editable=editable,
            recorded_version=_recorded_version(package),
            direct_url={"url": _file_url(tree), "dir_info": {"editable": True} if editable else {}},
        )
    if isinstance(source, (PackageWheel, PackageSdist, PackageArchive)):
        url = source.url
        path = _local(folder, source.path) if source.path else None
        filename = str(getattr(source, "name", None) or _basename(url, path))
        sha256 = source.hashes.get("sha256")
        if not sha256:
            raise InstallError(f"{where}: file {filename} has no sha256 hash; refusing to install")
        kind: Kind = (
            "wheel"
            if isinstance(source, PackageWheel)
            else "sdist"
            if isinstance(source, PackageSdist)
            else "archive"
        )
        file_version = version or _version_from_filename(filename)
        locked = LockedFile(
            name, file_version or "", filename, sha256.lower(), url, path, source.size
        )
        direct_url = None
        if isinstance(source, PackageArchive):
            direct = {
                "url": url if url else _file_url(path) if path else "",
                "archive_info": {"hashes": {"sha256": sha256.lower()}},
            }
            if source.subdirectory:
                direct["subdirectory"] = source.subdirectory
            direct_url = direct
        return Wanted(name, version or file_version, kind, file=locked, direct_url=direct_url)
    raise InstallError(f"{where}: no source this installer knows")  # pragma: no cover


def _local(folder: Path, path: str) -> Path:
    """A lock ``path`` (PEP 751: relative to the lock's folder, or absolute)."""
    return Path(path) if Path(path).is_absolute() else (folder / path).resolve()


def _file_url(path: Path) -> str:
    """``file:///…`` (PEP 610 wants the absolute URL pip would write)."""
    return path.absolute().as_uri()


def _basename(url: str | None, path: Path | None) -> str:
    if path is not None:
        return path.name
    return urllib.parse.unquote(PurePosixPath(urllib.parse.urlsplit(url or "").path).name)


def _version_from_filename(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except ValueError:
        return None
