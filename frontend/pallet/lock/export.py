"""A lock's selection written for other installers: a pip requirements file, or a smaller PEP 751
file.

`select_entries` keeps the lock's entries that the selection (extras, dependency groups, the
hardware variant's extra among them) can install, each with its marker reduced to the
environment part (`lock.marker_reduce`). `requirements_txt` writes them in pip's
requirements-file format (https://pip.pypa.io/en/stable/reference/requirements-file-format/):
``name==version`` with a ``--hash=sha256:`` per wheel and sdist (pip's hash-checking mode), the
environment marker after `` ; `` (PEP 508), direct references as PEP 508 URLs or paths, index
URLs as ``--index-url``/``--extra-index-url`` options. `pylock_subset` writes the entries as a
PEP 751 file with no extras or groups left to choose.
"""

from __future__ import annotations

import os
import posixpath
import urllib.parse
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.markers import Marker

from ..index.models import DirectOrigin, DistFile
from .marker_reduce import reduce_marker
from .model import Lock, LockedPackage
from .pylock import dumps_lock
from .stamp import TAIL_HEADER

__all__ = [
    "PYPI_SIMPLE",
    "Selected",
    "pylock_subset",
    "requirements_txt",
    "select_entries",
    "unhashable",
]

PYPI_SIMPLE = "https://pypi.org/simple"


@dataclass(frozen=True)
class Selected:
    """One lock entry the selection installs; ``marker`` its environment part (None: always)."""

    package: LockedPackage
    marker: str | None


def select_entries(lock: Lock, extras: Collection[str], groups: Collection[str]) -> list[Selected]:
    """The entries of `lock` that these extras and groups (normalized names) can install."""
    out = []
    for package in lock.packages:
        reduced = reduce_marker(package.marker, extras, groups)
        if reduced is False:
            continue
        out.append(Selected(package, None if reduced is True else str(reduced)))
    return out


def requirements_txt(
    entries: Sequence[Selected],
    *,
    lock_dir: Path,
    out_dir: Path,
    hashes: bool = True,
    project: Path | None = None,
    header: str = "",
) -> str:
    """The requirements file: index options, then the project (``-e DIR``, when given), then one
    requirement per entry sorted by name. Paths are relative to `out_dir`, the output's folder
    (pip reads them against its working directory: run it there)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += _index_lines(entries, lock_dir, out_dir)
    if project is not None:
        lines.append(f"-e {_relative(project, out_dir)}")
    for entry in sorted(entries, key=lambda e: (e.package.name, str(e.package.version))):
        lines += _requirement(entry, lock_dir, out_dir, hashes)
    return "\n".join(lines) + "\n"


def unhashable(entries: Sequence[Selected]) -> list[str]:
    """The entries no ``--hash`` can cover (a directory, a VCS checkout): pip's hash-checking
    mode, on as soon as one line has a hash, refuses them (pip issue 4995), as it refuses
    ``-e``."""
    return sorted(
        e.package.name
        for e in entries
        if e.package.direct is not None and e.package.direct.kind in ("directory", "vcs")
    )


def _index_lines(entries: Sequence[Selected], lock_dir: Path, out_dir: Path) -> list[str]:
    """pip reads one ``--index-url`` and any number of ``--extra-index-url``: the index most
    entries come from is the first (none when that is PyPI, pip's default), the rest are extra.
    A local folder of files (a lock ``path`` rather than ``url``) is a ``--find-links``."""
    used = Counter(
        e.package.index.rstrip("/") for e in entries if e.package.index and not e.package.direct
    )
    order = sorted(used, key=lambda url: (-used[url], url))
    lines: list[str] = []
    if order and PYPI_SIMPLE not in order:
        lines.append(f"--index-url {order[0]}")
        order = order[1:]
    lines += [f"--extra-index-url {url}" for url in order if url != PYPI_SIMPLE]
    folders = {
        _relative((lock_dir / file.url).parent, out_dir)
        for e in entries
        for file in (*e.package.wheels, *([e.package.sdist] if e.package.sdist else []))
        if "://" not in file.url
    }
    lines += [f"--find-links {folder}" for folder in sorted(folders)]
    return lines


def _requirement(entry: Selected, lock_dir: Path, out_dir: Path, hashes: bool) -> list[str]:
    package = entry.package
    marker = f" ; {entry.marker}" if entry.marker else ""
    direct = package.direct
    if direct is None:
        files = [*package.wheels, *([package.sdist] if package.sdist else [])]
        digests = sorted({f.hashes["sha256"] for f in files if "sha256" in f.hashes})
        return _with_hashes(f"{package.name}=={package.version}{marker}", digests, hashes)
    if direct.kind == "vcs":
        return [f"{package.name} @ {_vcs_url(direct, lock_dir)}{marker}"]
    if direct.kind == "directory":
        path = direct.path or ""
        # relative in the lock (to its folder): relative to the output; absolute stays so
        where = path if Path(path).is_absolute() else _relative(lock_dir / path, out_dir)
        if direct.subdirectory:
            where = posixpath.join(where, direct.subdirectory)
        return [f"{'-e ' if direct.editable else ''}{where}{marker}"]
    # an archive: a URL (PEP 508 ``name @ url``) or a local file, hashed
    digests = [direct.hashes["sha256"]] if "sha256" in direct.hashes else []
    if direct.url is not None:
        url = direct.url + (f"#subdirectory={direct.subdirectory}" if direct.subdirectory else "")
        return _with_hashes(f"{package.name} @ {url}{marker}", digests, hashes)
    if Path(direct.path or "").is_absolute():  # as the project gave it: a PEP 508 file URL
        line = f"{package.name} @ {Path(direct.path or '').as_uri()}{marker}"
        return _with_hashes(line, digests, hashes)
    where = _relative(_local(direct.path or "", lock_dir), out_dir)
    return _with_hashes(f"{where}{marker}", digests, hashes)


def _with_hashes(line: str, digests: Sequence[str], hashes: bool) -> list[str]:
    """pip's hash-checking mode: each accepted digest as a ``--hash`` option of the line."""
    if not hashes or not digests:
        return [line]
    return [f"{line} \\", *(f"    --hash=sha256:{d} \\" for d in digests[:-1]),
            f"    --hash=sha256:{digests[-1]}"]  # fmt: skip


def _vcs_url(direct: DirectOrigin, lock_dir: Path) -> str:
    """pip's VCS form: ``git+URL@COMMIT`` (the locked commit, not the requested revision),
    ``#subdirectory=`` when the project is not at the repository's root."""
    url = direct.url or _local(direct.path or "", lock_dir).as_uri()
    out = f"{direct.vcs_type}+{url}@{direct.commit_id}"
    if direct.subdirectory:
        out += f"#subdirectory={urllib.parse.quote(direct.subdirectory)}"
    return out


def _rebased(path: str, lock_dir: Path, out_dir: Path) -> str:
    """A lock ``path`` relative to `lock_dir` made relative to `out_dir` (absolute stays)."""
    if Path(path).is_absolute() or lock_dir == out_dir:
        return path
    return os.path.relpath(lock_dir / path, out_dir).replace(os.sep, "/")


def _rebased_file(file: DistFile, lock_dir: Path, out_dir: Path) -> DistFile:
    """A file of a local flat index (its ``url`` a path, PEP 751 ``path``) moved with the lock."""
    if "://" in file.url:
        return file
    return replace(file, url=_rebased(file.url, lock_dir, out_dir))


def _rebased_origin(
    origin: DirectOrigin | None, lock_dir: Path, out_dir: Path
) -> DirectOrigin | None:
    if origin is None or origin.path is None:
        return origin
    return replace(origin, path=_rebased(origin.path, lock_dir, out_dir))


def _local(path: str, lock_dir: Path) -> Path:
    """A lock ``path`` (PEP 751: relative to the lock's folder, or absolute)."""
    return Path(path) if Path(path).is_absolute() else lock_dir / path


def _relative(path: Path, out_dir: Path) -> str:
    """`path` relative to `out_dir`, spelled so pip takes it for a path: ``./x``, ``../x``,
    ``.``."""
    rel = os.path.relpath(path, out_dir).replace(os.sep, "/")  # both made absolute first
    return rel if rel in (".", "..") or rel.startswith("../") else f"./{rel}"


def pylock_subset(lock: Lock, entries: Sequence[Selected], *, lock_dir: Path, out_dir: Path) -> str:
    """A PEP 751 file holding only `entries`, their markers reduced: nothing is left to choose,
    so it declares no extras, dependency groups or variants, and keeps the lock's
    ``environments`` and ``requires-python``. pallet's ``[tool.pallet]`` table (digests of the
    project's inputs) is left out: the file is not the project's lock. A relative ``path`` is
    relative to the lock file's folder (PEP 751), so each is rewritten from `lock_dir` (the
    project's lock) to `out_dir` (the file written)."""
    names = {e.package.name for e in entries}
    packages = tuple(
        replace(
            e.package,
            marker=Marker(e.marker) if e.marker else None,
            # only those naming an entry kept (PEP 751: dependencies identify entries)
            dependencies=tuple(d for d in e.package.dependencies if d.name in names),
            wheels=tuple(_rebased_file(f, lock_dir, out_dir) for f in e.package.wheels),
            sdist=_rebased_file(e.package.sdist, lock_dir, out_dir) if e.package.sdist else None,
            direct=_rebased_origin(e.package.direct, lock_dir, out_dir),
        )
        for e in entries
    )
    subset = replace(
        lock,
        extras=(),
        dependency_groups=(),
        default_groups=(),
        packages=packages,
        variants=None,
        input_digests=(),
        exclude_newer=(),
    )
    text = dumps_lock(subset)
    return text[: text.rindex(f"\n{TAIL_HEADER}\n") + 1].rstrip("\n") + "\n"
