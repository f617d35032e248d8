"""Self-provisioning: build requirements this pallet installation already satisfies.

A build requirement in `SELF_PROVIDED` (``pallet-core``, for projects and sdists built by
pallet-core) whose installed version, and whose own runtime dependencies, satisfy it, is exposed
to the isolated environment from this installation instead of being downloaded, so building a
pallet-core project works offline and starts in milliseconds. Anything else goes to the
environment's `RequirementInstaller` as usual.
"""

from __future__ import annotations

import shutil
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SELF_PROVIDED", "Provided", "expose", "self_provided"]

#: Build requirements pallet can provide from its own installation.
SELF_PROVIDED = frozenset({"pallet-core"})


@dataclass
class Provided:
    """Where installed distributions live: entries to link, directories to put on sys.path."""

    links: set[Path]
    path_dirs: set[Path]


def _add_distribution(dist_name: str, into: Provided) -> bool:
    """Add what makes one installed distribution importable; False when it is not installed.

    For a regular install that is the first path component of each RECORD entry (packages,
    modules, the dist-info). An editable install (PEP 660) records a ``.pth`` file instead of its
    sources: the directories that ``.pth`` names go on sys.path as the editable install does.
    """
    from importlib import metadata

    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return False
    for file in dist.files or []:
        relative = Path(str(file))
        parts = relative.parts
        if not parts or parts[0] == ".." or relative.is_absolute():
            continue
        located = Path(str(dist.locate_file(parts[0])))
        if len(parts) == 1 and relative.suffix == ".pth":
            for line in located.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith(("#", "import")) and Path(line).is_dir():
                    into.path_dirs.add(Path(line))
            continue
        into.links.add(located)
    return True


def self_provided(requirements: Sequence[str]) -> tuple[list[str], Provided]:
    """Which requirements this installation satisfies, and what provides them.

    A requirement is satisfied only when it is in SELF_PROVIDED, installed here in a matching
    version, and every one of its own runtime dependencies (for the isolated environment's
    Python, which is ours) is too.
    """
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    satisfied: list[str] = []
    provided = Provided(set(), set())
    for text in requirements:
        req = Requirement(text)
        if canonicalize_name(req.name) not in SELF_PROVIDED or req.url:
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        closure = Provided(set(), set())
        pending = [req]
        seen: set[str] = set()
        ok = True
        while pending and ok:
            current = pending.pop()
            name = canonicalize_name(current.name)
            if name in seen:
                continue
            seen.add(name)
            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                ok = False
                break
            ok = current.specifier.contains(version, prereleases=True) and _add_distribution(
                name, closure
            )
            for dep_text in metadata.requires(name) or []:
                dep = Requirement(dep_text)
                if dep.marker is None or dep.marker.evaluate({"extra": ""}):
                    pending.append(dep)
        if ok:
            satisfied.append(text)
            provided.links |= closure.links
            provided.path_dirs |= closure.path_dirs
    return satisfied, provided


def expose(env_path: str, provided: Provided, *, purelib: str | None = None) -> None:
    """Make what `provided` names importable (and visible to pip as installed) in the env.

    Entries are linked into one directory of symlinks; editable source directories are named as
    they are. A ``.pth`` file in the environment's site-packages adds both to sys.path; nothing
    else of this installation leaks in. ``purelib``: that site-packages, when the
    environment's interpreter is not this one (default: this interpreter's scheme).
    """
    if not provided.links and not provided.path_dirs:
        return
    site = Path(
        purelib or sysconfig.get_path("purelib", vars={"base": env_path, "platbase": env_path})
    )
    site.mkdir(parents=True, exist_ok=True)
    linked = Path(env_path) / "pallet-provided"
    linked.mkdir(exist_ok=True)
    for path in sorted(provided.links):
        target = linked / path.name
        if target.exists():
            continue
        try:
            target.symlink_to(path, target_is_directory=path.is_dir())
        except OSError:  # no symlinks (some Windows setups): copy instead
            if path.is_dir():
                shutil.copytree(path, target)
            else:
                shutil.copy2(path, target)
    entries = [str(linked), *sorted(str(p) for p in provided.path_dirs)]
    pth = site / "_pallet_provided.pth"
    previous = pth.read_text(encoding="utf-8").splitlines() if pth.exists() else []
    lines = previous + [e for e in entries if e not in previous]
    pth.write_text("\n".join(lines) + "\n", encoding="utf-8")
