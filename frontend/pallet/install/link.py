"""One unpacked wheel linked into an environment, atomically per package; and uninstalled.

`install_wheel` places every file of the wheel (PEP 427: the root into purelib or platlib by
Root-Is-Purelib, ``.data/<scheme>/`` into that scheme) by hard link from the store, falling back to
a reflink (Linux ``FICLONE``) and then a copy where the store is on another filesystem. Files whose
content differs from the store's (``#!python`` scripts, entry-point scripts, RECORD, INSTALLER,
REQUESTED, direct_url.json) are written, never linked, so the store is never changed.

Order, so that an interruption never leaves a distribution that looks installed but is not:
everything is first staged in a hidden folder inside site-packages (the same filesystem, so
renames are atomic); the files are renamed into place, merging file by file into folders that
already exist (namespace packages, shared ``bin``); the ``.dist-info`` folder goes in last; only
then are the files of the replaced version that the new one lacks removed.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

from ..errors import InstallError
from . import records, scripts
from .installed import InstalledDist
from .scheme import Scheme
from .wheelfile import UnpackedWheel

__all__ = ["LinkMode", "install_wheel", "uninstall"]

LinkMode = Literal["hardlink", "clone", "copy", "symlink"]

_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
#: errors of os.link that mean "not here": another filesystem, no hard links on it, too many
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}
#: errors of FICLONE that mean "this filesystem cannot clone"
_NO_CLONE = {
    errno.EXDEV,
    errno.EOPNOTSUPP,
    errno.ENOTSUP,
    errno.EINVAL,
    errno.ENOTTY,
    errno.EBADF,
    errno.EPERM,
}
#: dist-info files an installer writes itself (PEP 376, PEP 610, PEP 627)
_WRITTEN = ("RECORD", "RECORD.jws", "RECORD.p7s", "INSTALLER", "REQUESTED", "direct_url.json")
_SCHEME_KEYS = ("purelib", "platlib", "scripts", "headers", "data")

_COMPILE = r"""
import compileall, importlib.util, sys
for line in sys.stdin:
    path = line.rstrip("\n")
    if path and compileall.compile_file(path, force=True, quiet=2):
        pyc = importlib.util.cache_from_source(path)
        print(pyc, flush=False)
"""


def install_wheel(
    wheel: UnpackedWheel,
    scheme: Scheme,
    *,
    link_mode: LinkMode = "hardlink",
    replaces: InstalledDist | None = None,
    direct_url: Mapping[str, object] | None = None,
    requested: bool = False,
    compile: bool = False,
) -> InstalledDist:
    """Install `wheel` into `scheme` and return what is installed; see the module docstring.

    `replaces` is the installed version this one replaces (same project); its files that the
    new version lacks are removed once the new one is in place. `direct_url` is written as
    ``direct_url.json`` (PEP 610) for a package that did not come from an index; `requested`
    writes ``REQUESTED`` (PEP 376). `compile` byte-compiles the new ``.py`` files with the
    environment's interpreter, in one process, and lists the ``.pyc`` files in RECORD as pip does.
    """
    site = os.fspath(scheme.purelib if wheel.root_is_purelib else scheme.platlib)
    old_files = (
        records.read_record_paths(replaces.dist_info, scheme.root) if replaces is not None else []
    )
    staging = os.path.join(site, f".pallet-stage-{wheel.name}-{os.urandom(4).hex()}")
    try:
        os.mkdir(staging)
    except OSError as exc:
        raise InstallError(f"{site}: cannot install {wheel.name} here: {exc.strerror}") from None
    try:
        return _install(
            wheel,
            scheme,
            site,
            staging,
            link_mode,
            old_files,
            direct_url,
            requested,
            compile,
            replaces.dist_info if replaces is not None else None,
        )
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        raise InstallError(
            f"{wheel.dist_info}: cannot install into {scheme.root}: {exc.strerror or exc}{where}"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _install(
    wheel: UnpackedWheel,
    scheme: Scheme,
    site: str,
    staging: str,
    link_mode: LinkMode,
    old_files: list[str],
    direct_url: Mapping[str, object] | None,
    requested: bool,
    compile: bool,
    replaced: Path | None,
) -> InstalledDist:
    python = os.fspath(scheme.python)
    dests: list[str] = [site]  # destination folders; staged under staging/<index>/
    by_key: dict[str, int] = {}
    for key, folder in zip(
        _SCHEME_KEYS,
        (scheme.purelib, scheme.platlib, scheme.scripts, scheme.headers(wheel.name), scheme.root),
    ):
        where = os.fspath(folder)
        if where not in dests:
            dests.append(where)
        by_key[key] = dests.index(where)
    dist_info = wheel.dist_info
    skip = {f"{dist_info}/{name}" for name in _WRITTEN}
    data_prefix = wheel.data_dir + "/"
    source_root = os.fspath(wheel.root) + "/"

    links: list[tuple[str, str]] = []  # (store file, staged file)
    written: list[tuple[int, str, bytes]] = []  # (dest index, relative path, content)
    rows: list[tuple[int, str, str, int | None]] = []  # RECORD: (dest index, rel, hash, size)
    folders: set[str] = set()
    for entry in wheel.files:
        path = entry.path
        if path in skip:
            continue
        index, rel = 0, path
        if path.startswith(data_prefix):
            key, _, rel = path[len(data_prefix) :].partition("/")
            if key not in by_key or not rel:
                raise InstallError(
                    f"{wheel.root}: {path}: {wheel.data_dir} has no scheme {key!r} "
                    f"(PEP 427 knows {', '.join(_SCHEME_KEYS)})"
                )
            index = by_key[key]
            if key == "scripts":
                with open(source_root + path, "rb") as f:
                    fixed = scripts.rewrite_shebang(f.read(), python)
                if fixed is not None:
                    written.append((index, rel, fixed))
                    continue
        parent = rel.rpartition("/")[0]
        folders.add(f"{index}/{parent}" if parent else str(index))
        links.append((source_root + path, f"{staging}/{index}/{rel}"))
        rows.append((index, rel, records.hash_of_hex(entry.sha256 or ""), entry.size))

    script_index = by_key["scripts"]
    for name, spec in (*wheel.console_scripts, *wheel.gui_scripts):
        written.append((script_index, name, scripts.entry_point_script(spec, python)))
    meta = [(f"{dist_info}/INSTALLER", b"pallet\n")]  # PEP 627
    if requested:
        meta.append((f"{dist_info}/REQUESTED", b""))
    if direct_url is not None:
        meta.append((f"{dist_info}/direct_url.json", json.dumps(direct_url).encode("utf-8")))

    for index, rel, _ in written:
        parent = rel.rpartition("/")[0]
        folders.add(f"{index}/{parent}" if parent else str(index))
    folders.add(f"0/{dist_info}")
    for staged in sorted(folders):
        os.makedirs(f"{staging}/{staged}", exist_ok=True)
    _place(links, link_mode)
    for index, rel, content in written:
        _write(f"{staging}/{index}/{rel}", content, executable=True)
        rows.append((index, rel, records.hash_of_bytes(content), len(content)))
    for rel, content in meta:
        _write(f"{staging}/0/{rel}", content, executable=False)
        rows.append((0, rel, records.hash_of_bytes(content), len(content)))

    # Everything but the .dist-info folder into place; old bytecode out of the way.
    used = {int(staged.partition("/")[0]) for staged in folders}
    for index, dest in enumerate(dests):
        if index in used:
            os.makedirs(dest, exist_ok=True)
            _merge(f"{staging}/{index}", dest, skip=dist_info if index == 0 else None)
    new_files = {f"{dests[index]}/{rel}" for index, rel, _, _ in rows}
    _drop_bytecode(p for p in old_files if p.endswith(".py"))
    if compile:
        sources = sorted(p for p in new_files if p.endswith(".py") and _in_lib(p, scheme))
        for pyc in _compile(python, sources):
            with open(pyc, "rb") as f:
                data = f.read()
            rel = os.path.relpath(pyc, site).replace(os.sep, "/")
            rows.append((0, rel, records.hash_of_bytes(data), len(data)))
            new_files.add(pyc)

    prefixes = [_relative_prefix(dest, site) for dest in dests]
    record_rows = [(prefixes[i] + rel, digest, size) for i, rel, digest, size in rows]
    record = records.record_text(record_rows, f"{dist_info}/RECORD")
    _write(f"{staging}/0/{dist_info}/RECORD", record.encode("utf-8"), executable=False)
    new_files.add(f"{site}/{dist_info}/RECORD")
    _merge(f"{staging}/0", site, only=dist_info)  # PEP 376: installed from here on

    if old_files:
        _remove_old(old_files, new_files, scheme)
    if replaced is not None and replaced.name != dist_info:
        shutil.rmtree(replaced, ignore_errors=True)
    editable = isinstance(direct_url, Mapping) and _is_editable(direct_url)
    return InstalledDist(
        name=wheel.name,
        version=wheel.version,
        dist_info=Path(site, dist_info),
        installer="pallet",
        direct_url=direct_url,
        editable=editable,
    )


def _is_editable(direct_url: Mapping[str, object]) -> bool:
    dir_info = direct_url.get("dir_info")
    return isinstance(dir_info, Mapping) and dir_info.get("editable") is True


def _relative_prefix(dest: str, site: str) -> str:
    """``../../../bin/`` for scripts: `dest` relative to `site`, ready to prepend."""
    rel = os.path.relpath(dest, site).replace(os.sep, "/")
    return "" if rel == "." else rel + "/"


def _in_lib(path: str, scheme: Scheme) -> bool:
    """pip compiles what lands in purelib/platlib, not scripts or data."""
    return path.startswith((os.fspath(scheme.purelib) + "/", os.fspath(scheme.platlib) + "/"))


def _write(path: str, content: bytes, *, executable: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o777 if executable else 0o666)
    with os.fdopen(fd, "wb") as f:
        f.write(content)


# -- placing files ------------------------------------------------------------------------


def _place(pairs: list[tuple[str, str]], mode: LinkMode) -> None:
    """Create each staged file from its store file: a hard link, else a clone, else a copy."""
    start = 0
    if mode == "hardlink":
        link = os.link
        try:
            for start, (source, target) in enumerate(pairs):  # noqa: B007  # hot loop
                link(source, target)
            return
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            mode = "clone"
    if mode == "symlink":
        for source, target in pairs[start:]:
            os.symlink(source, target)
        return
    if mode == "clone":
        if not sys.platform.startswith("linux"):
            mode = "copy"
        else:
            for index in range(start, len(pairs)):
                if not _clone(*pairs[index]):
                    start, mode = index, "copy"
                    break
            else:
                return
    for source, target in pairs[start:]:
        shutil.copyfile(source, target)
        shutil.copymode(source, target)


def _clone(source: str, target: str) -> bool:
    """Reflink `source` to `target` (Linux FICLONE); False, with no target, if it cannot."""
    import fcntl

    with open(source, "rb") as src:
        mode = os.fstat(src.fileno()).st_mode & 0o777
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            fcntl.ioctl(fd, _FICLONE, src.fileno())
        except OSError as exc:
            os.close(fd)
            os.unlink(target)
            if exc.errno in _NO_CLONE:
                return False
            raise
        os.close(fd)
    return True


def _merge(source: str, dest: str, *, skip: str | None = None, only: str | None = None) -> None:
    """Move the entries of the staged folder `source` into `dest`: a folder `dest` lacks goes in
    by one rename; one it has is merged file by file (never replaced wholesale: namespace
    packages share folders); a file replaces the one there (os.replace, atomic)."""
    with os.scandir(source) as entries:
        found = [(e.name, e.path, e.is_dir(follow_symlinks=False)) for e in entries]
    for name, path, is_dir in found:
        if name == skip or (only is not None and name != only):
            continue
        target = f"{dest}/{name}"
        if not is_dir:
            os.replace(path, target)
            continue
        try:
            os.rename(path, target)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise
            if not os.path.isdir(target):
                raise InstallError(f"{target}: is a file where the wheel has a folder") from None
            _merge(path, target)


# -- removing files -----------------------------------------------------------------------


def _drop_bytecode(sources: Iterable[str]) -> None:
    """Remove ``__pycache__/<stem>.*.pyc`` of each source file (PEP 3147)."""
    by_folder: dict[str, set[str]] = {}
    for source in sources:
        folder, _, name = source.rpartition("/")
        by_folder.setdefault(folder, set()).add(name[: -len(".py")] + ".")
    for folder, stems in by_folder.items():
        cache = f"{folder}/__pycache__"
        try:
            names = os.listdir(cache)
        except OSError:
            continue
        for name in names:
            if name.endswith(".pyc") and name[: name.index(".") + 1] in stems:
                _unlink(f"{cache}/{name}")


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        pass


def _prune(folders: Iterable[str], scheme: Scheme) -> None:
    """Remove folders left empty, upwards, never the scheme's own folders or anything above."""
    keep = {
        os.path.normpath(os.fspath(p))
        for p in (scheme.root, scheme.purelib, scheme.platlib, scheme.scripts, scheme.include)
    }
    top = os.path.normpath(os.fspath(scheme.root)) + os.sep
    for folder in sorted(set(folders), key=len, reverse=True):
        while folder.startswith(top) and folder not in keep:
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)


def _remove_files(paths: Iterable[str], scheme: Scheme) -> None:
    removed = list(paths)
    for path in removed:
        _unlink(path)
    sources = [p for p in removed if p.endswith(".py")]
    _drop_bytecode(sources)
    folders = {os.path.dirname(p) for p in removed}
    folders |= {f"{os.path.dirname(p)}/__pycache__" for p in sources}
    _prune(folders, scheme)


def _remove_old(old_files: list[str], new_files: set[str], scheme: Scheme) -> None:
    """Remove the replaced version's files that the new one does not have (compared through
    real folders, so a ``lib64`` link does not make a kept file look removed)."""
    real: dict[str, str] = {}

    def resolved(path: str) -> str:
        folder, _, name = path.rpartition("/")
        if folder not in real:
            real[folder] = os.path.realpath(folder)
        return f"{real[folder]}/{name}"

    keep = {resolved(p) for p in new_files}
    _remove_files((p for p in old_files if resolved(p) not in keep), scheme)


def uninstall(dist: InstalledDist, scheme: Scheme) -> None:
    """Remove every file RECORD lists (missing ones are fine) and their bytecode, then the
    ``.dist-info`` folder, then the folders left empty. A RECORD path outside the environment
    is refused (`InstallError`) before anything is removed."""
    paths = records.read_record_paths(dist.dist_info, scheme.root)
    dist_info = os.path.normpath(os.fspath(dist.dist_info))
    try:
        _remove_files((p for p in paths if not p.startswith(dist_info + os.sep)), scheme)
        shutil.rmtree(dist_info)
        _prune([os.path.dirname(dist_info)], scheme)
    except OSError as exc:
        raise InstallError(
            f"{dist.dist_info}: cannot uninstall {dist.name}: {exc.strerror or exc}"
        ) from None


# -- bytecode -----------------------------------------------------------------------------


def _compile(python: str, sources: list[str]) -> list[str]:
    """Byte-compile `sources` with `python` in one process; the .pyc files it wrote. A source
    that does not compile (a SyntaxError) is skipped, as pip does."""
    if not sources:
        return []
    try:
        proc = subprocess.run(
            [python, "-I", "-c", _COMPILE],
            input="\n".join(sources) + "\n",
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"{python}: cannot byte-compile: {exc}") from None
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InstallError(f"{python}: byte-compiling failed: {tail}")
    return [line for line in proc.stdout.splitlines() if line and os.path.isfile(line)]
