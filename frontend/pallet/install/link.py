"""One unpacked wheel linked into an environment, atomically per package; and uninstalled.

`install_wheel` places every file of the wheel (PEP 427: the root into purelib or platlib by
Root-Is-Purelib, ``.data/<scheme>/`` into that scheme) by hard link from the store, falling back to
a reflink (Linux ``FICLONE``) and then a copy where the store is on another filesystem
(`place`). Files whose content differs from the store's (``#!python`` scripts, entry-point
scripts, RECORD, INSTALLER, REQUESTED, direct_url.json) are written, never linked, so the store
is never changed.

Order, so that an interruption never leaves a distribution that looks installed but is not:
each top-level entry of the wheel (``numpy/``, ``six.py``, ``bin/x``) is first staged under a
hidden name beside its destination, ``.pallet-stage-<token>-<name>`` (the same folder, so the
renames are atomic); then renamed into place, merging file by file into folders that already
exist (namespace packages, upgrades); the ``.dist-info`` folder goes in last (PEP 376: from then
on it is installed); only then are the files of the replaced version that the new one lacks
removed. A process killed on the way leaves hidden ``.pallet-stage-*`` entries, never read, that
`remove_leftovers` deletes. Staging beside the destination rather than in one staging folder
saves a folder removal per package, which costs about a millisecond on ext4.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import InstallError
from . import records, scripts
from .bytecode import compile_sources
from .installed import InstalledDist
from .place import (
    LinkMode,
    make_folders,
    move_into_place,
    place_files,
    remove_tree,
    write_file,
)
from .removal import drop_bytecode, remove_files, remove_replaced
from .scheme import Scheme
from .wheelfile import UnpackedWheel, all_folders

__all__ = ["STAGE_PREFIX", "LinkMode", "install_wheel", "remove_leftovers", "uninstall"]

#: The hidden name prefix of staged entries (a wheel's top-level names never start with a dot
#: and this; `remove_leftovers` looks for it).
STAGE_PREFIX = ".pallet-stage-"
#: dist-info files an installer writes itself (PEP 376, PEP 610, PEP 627)
_WRITTEN = ("RECORD", "RECORD.jws", "RECORD.p7s", "INSTALLER", "REQUESTED", "direct_url.json")
_SCHEME_KEYS = ("purelib", "platlib", "scripts", "headers", "data")
#: Names that tools act on by their ending alone: importlib.metadata and pip take any
#: ``*.dist-info`` folder for a distribution, site.py (before 3.13) runs any ``*.pth``, even a
#: hidden one. Staged under such a name, these get `_STAGED_SUFFIX` too.
_ACTIVE_NAMES = (".dist-info", ".egg-info", ".pth", ".egg-link")
_STAGED_SUFFIX = ".pallet-staged"


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
    old_files = (
        records.read_record_paths(replaces.dist_info, scheme.root) if replaces is not None else []
    )
    staged: list[tuple[str, str]] = []  # (staged, final) per top-level entry; dist-info last
    try:
        dist = _install(wheel, scheme, link_mode, old_files, direct_url, requested, compile, staged)
        if replaces is not None and replaces.dist_info != dist.dist_info:
            remove_tree(os.fspath(replaces.dist_info))  # what its RECORD did not list
        return dist
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        raise InstallError(
            f"{wheel.dist_info}: cannot install into {scheme.root}: {exc.strerror or exc}{where}"
        ) from None
    finally:
        for path, _ in staged:  # after a success every one was renamed away
            remove_tree(path)


def _install(
    wheel: UnpackedWheel,
    scheme: Scheme,
    link_mode: LinkMode,
    old_files: list[str],
    direct_url: Mapping[str, object] | None,
    requested: bool,
    compile: bool,
    staged: list[tuple[str, str]],
) -> InstalledDist:
    python = os.fspath(scheme.python)
    site = os.fspath(scheme.purelib if wheel.root_is_purelib else scheme.platlib)
    dests: list[str] = [site]  # destination folders, deduplicated; index 0 holds the dist-info
    by_key: dict[str, int] = {}
    for key, folder in zip(
        _SCHEME_KEYS,
        (scheme.purelib, scheme.platlib, scheme.scripts, scheme.headers(wheel.name), scheme.root),
    ):
        where = os.fspath(folder)
        if where not in dests:
            dests.append(where)
        by_key[key] = dests.index(where)
    token = os.urandom(4).hex()
    stages = [f"{dest}/{STAGE_PREFIX}{token}-" for dest in dests]  # + a top-level name
    prefixes = [_relative_prefix(dest, site) for dest in dests]  # RECORD paths from site
    dist_info = wheel.dist_info
    skip = {f"{dist_info}/{name}" for name in _WRITTEN}
    data_dir = wheel.data_dir
    data_prefix = data_dir + "/"
    source_root = os.fspath(wheel.root) + "/"

    def staged_path(index: int, rel: str) -> str:
        """Where `rel` (relative to dests[index]) is staged: its top-level name hidden, and
        suffixed where tools act on the name alone (a staged .dist-info or .pth is neither)."""
        top, sep, rest = rel.partition("/")
        suffix = _STAGED_SUFFIX if top.endswith(_ACTIVE_NAMES) else ""
        return f"{stages[index]}{top}{suffix}{sep}{rest}"

    # The common case, in comprehensions: files of the wheel's root, linked into `site`.
    files = wheel.files
    wheel_folders = wheel.folders or tuple(all_folders([e.path for e in files]))
    root_folders = [f for f in wheel_folders if not f.startswith(data_prefix) and f != data_dir]
    root_tops = {f for f in root_folders if "/" not in f}
    root_tops |= {e.path for e in files if "/" not in e.path and e.path != data_dir}
    active = {top for top in root_tops if top.endswith(_ACTIVE_NAMES)}  # the dist-info at least
    excluded = (data_prefix, *(f"{top}/" for top in active))
    plain = [e for e in files if not e.path.startswith(excluded) and e.path not in active]
    stage = stages[0]
    links = [(source_root + e.path, stage + e.path) for e in plain]
    rows: list[tuple[str, str, int | None]]
    rows = [(e.path, f"sha256={e.sha256}", e.size) for e in plain]
    placed: list[tuple[int, str]] = []  # (dest index, rel) of the files not in `plain`
    for entry in files:  # the active names' files (the dist-info's): staged under other names
        path = entry.path
        if (path in active or path.startswith(excluded[1:])) and path not in skip:
            links.append((source_root + path, staged_path(0, path)))
            rows.append((path, f"sha256={entry.sha256}", entry.size))
            placed.append((0, path))
    folders = {staged_path(0, folder) for folder in root_folders}
    tops = {(0, top) for top in root_tops}
    written: list[tuple[int, str, bytes]] = []  # (dest index, relative path, content)
    for entry in files:
        path = entry.path
        if not path.startswith(data_prefix):
            continue
        key, _, rel = path[len(data_prefix) :].partition("/")
        if key not in by_key or not rel:  # unpack_wheel refuses these; a hand-made tree may not
            raise InstallError(f"{wheel.root}: {path}: {wheel.data_dir} has no scheme {key!r}")
        index = by_key[key]
        if key == "scripts":
            with open(source_root + path, "rb") as f:
                fixed = scripts.rewrite_shebang(f.read(), python)
            if fixed is not None:
                written.append((index, rel, fixed))
                continue
        links.append((source_root + path, staged_path(index, rel)))
        rows.append((prefixes[index] + rel, f"sha256={entry.sha256}", entry.size))
        placed.append((index, rel))

    script_index = by_key["scripts"]
    for name, spec in (*wheel.console_scripts, *wheel.gui_scripts):
        written.append((script_index, name, scripts.entry_point_script(spec, python)))
    meta = [(f"{dist_info}/INSTALLER", b"pallet\n")]  # PEP 627
    if requested:
        meta.append((f"{dist_info}/REQUESTED", b""))  # PEP 376
    if direct_url is not None:  # PEP 610
        meta.append(
            (
                f"{dist_info}/direct_url.json",
                json.dumps(dict(direct_url), default=dict).encode("utf-8"),
            )
        )
    for index, rel in [*placed, *((i, r) for i, r, _ in written)]:
        tops.add((index, rel.partition("/")[0]))
        folders.update(staged_path(index, f) for f in all_folders([rel]))
    folders.add(staged_path(0, dist_info))

    # Stage: register every top-level entry first, so a failure removes what was staged.
    tops.discard((0, dist_info))
    for index, top in sorted(tops):
        staged.append((staged_path(index, top), f"{dests[index]}/{top}"))
    staged.append((staged_path(0, dist_info), f"{site}/{dist_info}"))
    for index in {index for index, _ in tops}:
        os.makedirs(dests[index], exist_ok=True)
    make_folders(folders)
    place_files(links, link_mode)
    for index, rel, content in written:
        write_file(staged_path(index, rel), content, executable=True)
        rows.append((prefixes[index] + rel, records.hash_of_bytes(content), len(content)))
        placed.append((index, rel))
    for rel, content in meta:
        write_file(staged_path(0, rel), content, executable=False)
        rows.append((rel, records.hash_of_bytes(content), len(content)))

    # Everything but the .dist-info folder into place; the replaced version's bytecode out.
    for source, target in staged[:-1]:
        move_into_place(source, target)
    new_files: set[str] = set()
    if old_files or compile:
        new_files = {f"{site}/{e.path}" for e in plain}
        new_files |= {f"{dests[index]}/{rel}" for index, rel in placed}
        new_files |= {f"{site}/{rel}" for rel, _ in meta}
    drop_bytecode(p for p in old_files if p.endswith(".py"))
    if compile:
        sources = sorted(p for p in new_files if p.endswith(".py") and _in_lib(p, scheme))
        for pyc in compile_sources(python, sources):
            with open(pyc, "rb") as f:
                data = f.read()
            rel = os.path.relpath(pyc, site).replace(os.sep, "/")
            rows.append((rel, records.hash_of_bytes(data), len(data)))
            new_files.add(pyc)

    record = records.record_text(rows, f"{dist_info}/RECORD")
    write_file(staged_path(0, f"{dist_info}/RECORD"), record.encode("utf-8"), executable=False)
    new_files.add(f"{site}/{dist_info}/RECORD")
    move_into_place(*staged[-1])  # PEP 376: installed from here on

    if old_files:
        remove_replaced(old_files, new_files, scheme)
    return InstalledDist(
        name=wheel.name,
        version=wheel.version,
        dist_info=Path(site, dist_info),
        installer="pallet",
        direct_url=direct_url,
        editable=direct_url is not None and _is_editable(direct_url),
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


def uninstall(dist: InstalledDist, scheme: Scheme) -> None:
    """Remove every file RECORD lists (missing ones are fine) and their bytecode, then the
    ``.dist-info`` folder, then the folders left empty. A RECORD path outside the environment
    is refused (`InstallError`) before anything is removed."""
    paths = records.read_record_paths(dist.dist_info, scheme.root)
    dist_info = os.path.normpath(os.fspath(dist.dist_info))
    try:
        remove_files((p for p in paths if not p.startswith(dist_info + os.sep)), scheme)
        remove_tree(dist_info)
    except OSError as exc:
        raise InstallError(
            f"{dist.dist_info}: cannot uninstall {dist.name}: {exc.strerror or exc}"
        ) from None


def remove_leftovers(scheme: Scheme) -> list[Path]:
    """Delete the ``.pallet-stage-*`` entries a killed install left in the scheme's folders
    (site-packages, scripts, the environment's root); the paths removed."""
    removed = []
    for folder in {scheme.purelib, scheme.platlib, scheme.scripts, scheme.root}:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.startswith(STAGE_PREFIX):
                remove_tree(os.path.join(folder, name))
                removed.append(Path(folder, name))
    return sorted(removed)
