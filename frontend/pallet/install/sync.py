"""`install_lock`: make an environment hold exactly what a PEP 751 lock selects for it.

The order is what makes it safe (docs/sync.md):

1. take ``<venv>/.pallet-lock`` (``fcntl.flock``): a second sync of the same environment waits;
2. select (`install.select`) for the venv's interpreter (`install.target`) and plan against what
   is installed (`install.plan`); a journal left by a killed sync turns into a repair;
3. fetch every archive (hash checked while streaming), build what must be built, and unpack and
   validate every wheel: a bad hash, a traversal member or a RECORD that lies stops the sync here,
   before the environment is touched;
4. remove the stamp, write the journal (`install.journal`), remove and link package by package
   (each atomically, `install.link`), delete what a repaired package left behind, remove the
   journal, and write the stamp last (`cli.uptodate` reads it on the fast path).

The project itself (`ProjectInstall`) is built by its own PEP 517 backend as a PEP 660 editable
wheel, cached under ``built-v1`` by the digest of its pyproject.toml and pallet's version (a
source edit needs no rebuild; a pyproject.toml edit does), and installed like any wheel with a
PEP 610 ``direct_url.json`` of ``dir_info.editable = true``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .. import __version__, ui
from ..errors import InstallError, PalletError
from .fetch import Artifact, ProgressSink, fetch
from .installed import InstalledDist, installed
from .journal import Journal, clear_journal, read_journal, record_files, write_journal
from .link import LinkMode, install_wheel, remove_leftovers, uninstall
from .plan import Change, Plan, make_plan
from .scheme import Scheme
from .select import LockedFile, Selection, Wanted, load_pylock, select_packages
from .stamp import SYNC_STAMP, selection_text, write_stamp
from .store import Store
from .target import Target, target_for
from .unpacking import unpack_any
from .wheelfile import UnpackedWheel, load_unpacked

if TYPE_CHECKING:
    from packaging.pylock import Pylock

    from ..pep517.installers import EnvironmentFactory, RequirementInstaller

__all__ = [
    "LOCK_FILE_NAME",
    "Change",
    "PhaseSink",
    "ProjectInstall",
    "Selection",
    "SyncOptions",
    "install_lock",
    "locked_project",
]

#: The project-wide lock file in the environment (two syncs of one venv serialize on it).
LOCK_FILE_NAME = ".pallet-lock"
#: What the project's editable install was built from (`ProjectInstall.key`).
PROJECT_RECORD = ".pallet-project.json"


@dataclass(frozen=True)
class SyncOptions:
    """How to sync. ``keep``: names an exact sync never removes (the seed packages of a
    ``--seed`` environment); ``build_installer``: installs build requirements into isolated
    build environments (None: the machine's pip, `MachineInstaller`)."""

    exact: bool = True
    dry_run: bool = False
    link_mode: LinkMode = "hardlink"
    compile: bool = False
    offline: bool = False
    #: parallel downloads and unpacks; None: ``PALLET_CONCURRENT_DOWNLOADS`` (default 8)
    jobs: int | None = None
    #: ``--python``'s request, recorded in the sync stamp (with ``PALLET_PYTHON``)
    python_request: str = ""
    keep: frozenset[str] = frozenset()
    #: the hardware variant's keys for the sync stamp (`cli.variant_stamp`); none without variants
    variant_stamp: tuple[tuple[str, str], ...] = ()
    build_installer: RequirementInstaller | None = field(default=None, compare=False)
    #: makes those isolated environments (None: pypa/build's; `cli.build_env`: pallet venvs)
    build_environment: EnvironmentFactory | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProjectInstall:
    """The project itself, installed editable (PEP 660) through its own build backend."""

    root: Path
    name: str
    editable: bool = True

    @classmethod
    def of(cls, root: Path, pyproject: Mapping[str, Any]) -> ProjectInstall | None:
        """The project at `root`, given its parsed ``pyproject.toml``; None when it is virtual
        (no ``[build-system]``: its dependencies are installed, not itself, as uv does)."""
        from packaging.utils import canonicalize_name

        project = pyproject.get("project")
        name = project.get("name") if isinstance(project, dict) else None
        if "build-system" not in pyproject or not isinstance(name, str):
            return None
        return cls(root.absolute(), canonicalize_name(name))

    def key(self) -> str:
        """What the editable wheel depends on: pallet's version, the folder, pyproject.toml."""
        digest = hashlib.sha256(f"pallet {__version__} editable\0{self.root}\0".encode())
        with contextlib.suppress(OSError):
            digest.update((self.root / "pyproject.toml").read_bytes())
        return digest.hexdigest()

    def wanted(self) -> Wanted:
        url = self.root.as_uri()
        info = {"editable": True} if self.editable else {}
        return Wanted(
            self.name,
            None,
            "directory",
            directory=self.root,
            editable=self.editable,
            direct_url={"url": url, "dir_info": info},
        )


@dataclass
class _Prepared:
    """A wheel ready to link, and the archives (by sha256) the lock needed for it."""

    wheel: UnpackedWheel
    hashes: list[str] = field(default_factory=list)


class PhaseSink(Protocol):
    """What `install_lock` reports besides each download (`fetch.ProgressSink`), for a display
    (``pallet sync``'s, `cli.sync_progress`). Called from worker threads: must be thread-safe."""

    def downloading(self, artifacts: Sequence[Artifact]) -> None:
        """These files are about to be fetched (those the store does not hold)."""

    def phase(self, label: str, done: int, total: int) -> None:
        """A step after the downloads: ``("Unpacking", 3, 35)``, ``("Building demo", 0, 0)``
        (total 0: no count), ``("Installing", 12, 35)``, ``("Removing", 1, 2)``."""


class _NoPhases:
    def downloading(self, artifacts: Sequence[Artifact]) -> None:
        pass

    def phase(self, label: str, done: int, total: int) -> None:
        pass


def install_lock(
    lock_path: Path,
    venv: Path,
    selection: Selection,
    options: SyncOptions,
    *,
    store: Store,
    env: Mapping[str, str] | None = None,
    progress: ProgressSink | None = None,
    project: ProjectInstall | None = None,
    python: Path | None = None,
    phases: PhaseSink | None = None,
) -> list[Change]:
    """Install what the lock at `lock_path` selects into the venv at `venv`; the changes made
    (or, with ``dry_run``, those that would be made). `python`: the interpreter to plan for
    when `venv` does not exist yet (a dry run). `progress` hears of each download, `phases`
    of the steps (both for a display)."""
    env = dict(os.environ if env is None else env)
    lock_path = lock_path.absolute()
    venv = venv.absolute()
    lock = load_pylock(lock_path)
    exists = (venv / "pyvenv.cfg").is_file()
    if not exists and not options.dry_run:
        raise InstallError(f"{venv}: is not a virtual environment (no pyvenv.cfg)")
    with _locked(venv) if exists and not options.dry_run else contextlib.nullcontext():
        scheme = Scheme.read(venv) if exists else None
        executable = scheme.python if scheme is not None else python
        if executable is None:
            raise InstallError(f"{venv}: does not exist, and no interpreter was given")
        target = target_for(executable, store.root)
        return _sync(
            lock,
            lock_path,
            venv,
            scheme,
            target,
            selection,
            options,
            store,
            env,
            progress,
            project,
            phases or _NoPhases(),
        )


def _locked(venv: Path) -> contextlib.AbstractContextManager[None]:
    """Hold ``<venv>/.pallet-lock`` exclusively (released when the process ends, even by a kill)."""
    return _flock(venv / LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT, venv)


def locked_project(root: Path) -> contextlib.AbstractContextManager[None]:
    """Hold the project folder itself (``flock`` on its descriptor), for what comes before the
    environment exists: locking, creating ``.venv``. ``pallet sync`` takes it, then
    `install_lock` takes the environment's; a second sync of the project waits for the first."""
    return _flock(root, os.O_RDONLY, root)


@contextlib.contextmanager
def _flock(path: Path, flags: int, what: Path) -> Iterator[None]:
    import fcntl

    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise InstallError(f"{path}: cannot be opened for locking: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            ui.info(f"waiting for another pallet sync of {what} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _sync(
    lock: Pylock,
    lock_path: Path,
    venv: Path,
    scheme: Scheme | None,
    target: Target,
    selection: Selection,
    options: SyncOptions,
    store: Store,
    env: dict[str, str],
    progress: ProgressSink | None,
    project: ProjectInstall | None,
    phases: PhaseSink,
) -> list[Change]:
    wanted = select_packages(lock, lock_path, target, selection)
    if project is not None and selection.install_project:
        if any(w.name == project.name for w in wanted):
            project = None  # the lock names the project (uv's locks do): its entry decides
        else:
            wanted.append(project.wanted())
    else:
        project = None
    have = installed(scheme) if scheme is not None else {}
    journal = read_journal(venv) if scheme is not None else None
    force: set[str] = set()
    if journal is not None:
        verb = "would repair" if options.dry_run else "repairing"
        ui.info(f"{verb} an interrupted sync of {venv}")
        force = set(journal.names) if journal.complete else {w.name for w in wanted}
    if project is not None and project.name in have and not _project_current(venv, project):
        force.add(project.name)
    plan = make_plan(wanted, have, exact=options.exact, keep=options.keep, force=force)
    if journal is not None:  # what the killed sync was removing goes, exact or not
        extra = [have[n] for n in sorted(journal.names) if n in have]
        extra = [d for d in extra if d.name not in {w.name for w in wanted}]
        plan = Plan(
            plan.install,
            tuple({d.name: d for d in [*plan.remove, *extra]}.values()),
            plan.unchanged,
        )
    if options.dry_run:
        return plan.changes()
    assert scheme is not None
    prepared = _prepare(plan, store, target, env, options, progress, project, phases)
    hashes = {h for p in prepared.values() for h in p.hashes}
    hashes |= _unchanged_hashes(wanted, plan)
    if project is not None and project.name in plan.unchanged:
        hashes.add(project.key())  # its editable wheel in built-v1, kept by `pallet cache prune`
    if not plan.empty or journal is not None:
        try:
            _apply(venv, scheme, plan, prepared, options, journal, project, phases)
        except OSError as exc:  # a full disk, a read-only folder: the journal repairs it later
            where = exc.filename or venv
            raise InstallError(
                f"{where}: {exc.strerror or exc}; the next pallet sync repairs {venv}"
            ) from None
    try:
        store.record_use(lock_path, hashes)
    except OSError as exc:  # only `pallet cache prune` would miss it
        ui.warn(f"{store.root}: cannot record what {lock_path} uses: {exc.strerror or exc}")
    _write_stamp(venv, scheme, lock_path, selection, options, len(wanted))
    versions = {name: p.wheel.version for name, p in prepared.items()}
    return plan.changes(versions)


def _unchanged_hashes(wanted: Sequence[Wanted], plan: Plan) -> set[str]:
    keep = set(plan.unchanged)
    return {w.file.sha256 for w in wanted if w.file is not None and w.name in keep}


# -- preparing: everything that can fail happens before the environment changes --------------


def _artifact(file: LockedFile) -> Artifact:
    return Artifact(
        name=file.name,
        version=file.version,
        filename=file.filename,
        sha256=file.sha256,
        url=file.url,
        path=file.path,
        size=file.size,
    )


def _prepare(
    plan: Plan,
    store: Store,
    target: Target,
    env: dict[str, str],
    options: SyncOptions,
    progress: ProgressSink | None,
    project: ProjectInstall | None,
    phases: PhaseSink,
) -> dict[str, _Prepared]:
    """Fetch, build and unpack every wheel the plan installs; name -> prepared wheel. A wheel
    from the lock is unpacked as soon as it is fetched, while the others download."""
    steps = [s.wanted for s in plan.install]
    for item in steps:  # a wheel that cannot fit is refused before anything is fetched
        if item.file is not None and item.file.filename.endswith(".whl"):
            _check_tags(item.name, item.file.filename, target)
    # A wheel whose hash is unpacked in the store already needs no archive: the store keeps
    # wheels unpacked only (docs/cache.md), so a 2 GB wheel is neither fetched nor kept twice.
    ready = _already_unpacked(steps, store)
    artifacts = [_artifact(w.file) for w in steps if w.file is not None and w.name not in ready]
    if not isinstance(phases, _NoPhases):  # a stat per file, only for a display
        phases.downloading(_not_stored(artifacts, store))
    by_hash: dict[str, list[Wanted]] = {}
    for item in steps:
        if item.file is not None and item.file.filename.endswith(".whl"):
            by_hash.setdefault(item.file.sha256.lower(), []).append(item)
    from ..pep517.installers import MachineInstaller

    installer = options.build_installer or MachineInstaller()
    wheels: dict[str, tuple[Path, str, list[str]]] = {}  # name -> (wheel file, filename, hashes)
    scratch: list[Path] = []  # wheels of plain directories: not cached, removed once unpacked
    jobs = options.jobs or 8
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(steps) or 1)))
    started: dict[str, Future[UnpackedWheel]] = {}
    for name, (done, filename, sha256) in ready.items():
        wheels[name] = (store.archive(sha256, filename), filename, [sha256])
        started[name] = Future()
        started[name].set_result(done)
    lock = threading.Lock()

    # wheels to unpack, unpacked, downloads over (the display shows the downloads until then)
    unpacking = [0, 0, 0]

    def unpack(wheel: Path, filename: str, hashes: list[str]) -> UnpackedWheel:
        done = _unpack_one(wheel, filename, hashes, store)
        with lock:
            unpacking[1] += 1
            if unpacking[2]:
                phases.phase("Unpacking", unpacking[1], unpacking[0])
        return done

    def start(name: str, wheel: Path, filename: str, hashes: list[str]) -> None:
        with lock:
            if name not in started:
                unpacking[0] = max(unpacking[0], len(by_hash), len(started) + 1)
                started[name] = pool.submit(unpack, wheel, filename, hashes)

    def on_ready(sha256: str, path: Path) -> None:
        for item in by_hash.get(sha256, ()):
            assert item.file is not None
            start(item.name, path, item.file.filename, [item.file.sha256])

    try:
        archives = (
            fetch(
                artifacts,
                store,
                offline=options.offline,
                env=env,
                progress=progress,
                jobs=options.jobs,
                on_ready=on_ready,
            )
            if artifacts
            else {}
        )
        with lock:
            unpacking[2] = 1
            phases.phase("Unpacking", unpacking[1], max(unpacking[0], unpacking[1]))
        waiting = [item for item in steps if item.name not in ready]
        _gather(waiting, archives, wheels, scratch, store, env, installer, options, project, phases)
        with lock:
            unpacking[0] = len(wheels)
        for name, (archive, filename, hashes) in wheels.items():
            _check_tags(name, filename, target)
            start(name, archive, filename, hashes)
        unpacked = {name: started[name].result() for name in sorted(wheels)}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for folder in scratch:
            shutil.rmtree(folder, ignore_errors=True)
    out = {}
    for item in steps:
        done = unpacked[item.name]
        if done.name != item.name:
            raise InstallError(
                f"{wheels[item.name][1]}: is a wheel of {done.name!r}, but the lock installs "
                f"{item.name!r} from it"
            )
        out[item.name] = _Prepared(done, wheels[item.name][2])
    return out


def _already_unpacked(
    steps: Sequence[Wanted], store: Store
) -> dict[str, tuple[UnpackedWheel, str, str]]:
    """name -> (unpacked wheel, file name, sha256) for the locked wheels the store holds
    unpacked (complete: `load_unpacked` reads its marker)."""
    ready = {}
    for item in steps:
        if item.file is None or not item.file.filename.endswith(".whl"):
            continue
        sha256 = item.file.sha256.lower()
        try:
            done = load_unpacked(store.unpacked(sha256))
        except ValueError:  # a malformed hash: fetch says so
            continue
        if done is not None:
            ready[item.name] = (done, item.file.filename, sha256)
    return ready


def _not_stored(artifacts: Sequence[Artifact], store: Store) -> list[Artifact]:
    """The artifacts `fetch` will fetch (one per hash), for the display's count."""
    out: dict[str, Artifact] = {}
    for artifact in artifacts:
        try:
            stored = store.has_archive(artifact.sha256.lower(), artifact.filename)
        except ValueError:  # a bad hash or file name: fetch says so
            stored = None
        if stored is None:
            out.setdefault(artifact.sha256.lower(), artifact)
    return list(out.values())


def _gather(
    steps: Sequence[Wanted],
    archives: Mapping[str, Path],
    wheels: dict[str, tuple[Path, str, list[str]]],
    scratch: list[Path],
    store: Store,
    env: dict[str, str],
    installer: RequirementInstaller,
    options: SyncOptions,
    project: ProjectInstall | None,
    phases: PhaseSink,
) -> None:
    """A wheel file for each step: the fetched wheel, the sdist's built wheel, the tree's."""
    for item in steps:
        if item.file is not None:
            archive = archives[item.file.sha256]
            if item.file.filename.endswith(".whl"):
                wheels[item.name] = (archive, item.file.filename, [item.file.sha256])
            else:
                from .build import wheel_for_sdist
                from .build_label import sdist_label

                filename = item.file.filename
                phases.phase(sdist_label(item.name, archive, filename), 0, 0)
                built = wheel_for_sdist(
                    _artifact(item.file),
                    archive,
                    store,
                    env=env,
                    installer=installer,
                    environment=options.build_environment,
                )
                wheels[item.name] = (built, built.name, [item.file.sha256])
        else:
            from .build_label import tree_label

            # A git source is checked out by _build_tree: its backend is not known yet.
            label = f"Building {item.name}"
            if item.directory is not None:
                label = tree_label(item.name, item.directory)
            phases.phase(label, 0, 0)
            built, key = _build_tree(item, store, env, installer, options, project)
            if key is None:
                scratch.append(built.parent)
            wheels[item.name] = (built, built.name, [key] if key else [])


def _unpack_one(wheel: Path, filename: str, hashes: list[str], store: Store) -> UnpackedWheel:
    """Unpack (validating) one wheel into the store, unless it is there already."""
    # A wheel from the lock was checked against its sha256 by `fetch`: that is its key, and a
    # 2 GB wheel is not read again. A wheel pallet built is hashed here.
    from_lock = bool(hashes) and wheel == store.archive(hashes[0], filename)
    digest = hashes[0].lower() if from_lock else _sha256_file(wheel)
    done = load_unpacked(store.unpacked(digest))
    if done is None:
        try:
            done = unpack_any(wheel, store.unpacked(digest), filename=filename)
        except InstallError:
            # another sync may have unpacked it and dropped the archive since: its tree counts
            done = load_unpacked(store.unpacked(digest))
            if done is None:
                raise
    if from_lock:
        # the store keeps a wheel unpacked only; the tree is complete, so the archive goes
        # (another hard link to it, pallet lock's download, stays where it is)
        with contextlib.suppress(OSError):
            wheel.unlink()
    return done


def _check_tags(name: str, filename: str, target: Target) -> None:
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename as exc:
        raise InstallError(f"{filename}: not a valid wheel file name: {exc}") from None
    if tags.isdisjoint(target.tag_set):
        raise InstallError(
            f"{filename} ({name}): does not fit this environment's interpreter "
            f"(its tags: {', '.join(sorted(map(str, tags)))})"
        )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _build_tree(
    item: Wanted,
    store: Store,
    env: dict[str, str],
    installer: RequirementInstaller,
    options: SyncOptions,
    project: ProjectInstall | None,
) -> tuple[Path, str | None]:
    """A wheel of a local directory or a git commit, through its own PEP 517 backend (PEP 660
    editable for an editable directory); editable and git wheels are cached in ``built-v1`` under
    a key (returned too, so that the lock's usage record keeps them from `pallet cache prune`)."""
    from ..pep517.hooks import Pep517Builder
    from ..pep517.installers import hook_environment

    if item.vcs is not None:
        tree, key = _checkout(item, store, env, options)
        editable = False
    else:
        assert item.directory is not None
        tree, editable = item.directory, item.editable
        if project is not None and item.name == project.name:
            key = project.key()
        elif editable:
            key = ProjectInstall(tree, item.name).key()
        else:
            key = None  # a plain directory: its sources may have changed, build it again
    if key is not None:
        cached = store.built(key)
        if cached is not None:
            return cached, key
    if not (tree / "pyproject.toml").is_file() and not (tree / "setup.py").is_file():
        raise InstallError(f"{tree}: {item.name} has no pyproject.toml or setup.py to build")
    builder = Pep517Builder(
        installer, env=hook_environment(env), environment=options.build_environment
    )
    work = store.root / "built-v1"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix=".build-") as tmp:
        label = f"{item.name} ({tree})"
        if editable:
            wheel = builder.build(tree, "editable", Path(tmp), label=label)
        else:
            wheel = builder.build(tree, "wheel", Path(tmp), label=label)
        if key is None:
            keep = Path(tempfile.mkdtemp(dir=work, prefix=".tree-")) / wheel.name
            shutil.move(str(wheel), keep)
            return keep, None
        return store.store_built(key, wheel), key


def _checkout(
    item: Wanted, store: Store, env: dict[str, str], options: SyncOptions
) -> tuple[Path, str]:
    from ..index.git import resolve_git

    assert item.vcs is not None
    vcs = item.vcs
    if vcs.type != "git":
        raise InstallError(f"{item.name}: {vcs.type} sources are not supported (only git)")
    try:
        checkout = resolve_git(
            vcs.url,
            requested=vcs.commit,
            reference=None,
            locked_commit=vcs.commit,
            cache_root=store.root,
            offline=options.offline,
            origin=item.name,
            env=env,
        )
    except PalletError as exc:
        raise InstallError(str(exc)) from None
    if checkout.commit != vcs.commit:
        raise InstallError(
            f"{item.name}: {vcs.url} has no commit {vcs.commit} (the lock's commit-id)"
        )
    tree = checkout.tree / vcs.subdirectory if vcs.subdirectory else checkout.tree
    key = hashlib.sha256(
        f"pallet {__version__} git\0{vcs.url}\0{vcs.commit}\0{vcs.subdirectory}".encode()
    ).hexdigest()
    return tree, key


# -- applying ----------------------------------------------------------------------------------


def _apply(
    venv: Path,
    scheme: Scheme,
    plan: Plan,
    prepared: Mapping[str, _Prepared],
    options: SyncOptions,
    journal: Journal | None,
    project: ProjectInstall | None,
    phases: PhaseSink,
) -> None:
    (venv / SYNC_STAMP).unlink(missing_ok=True)
    old_files: dict[str, set[str]] = {
        name: set(files) for name, files in (journal.old_files if journal else {}).items()
    }
    for dist in plan.remove:
        assert isinstance(dist, InstalledDist)
        old_files.setdefault(dist.name, set()).update(record_files(dist.dist_info))
    for step in plan.install:
        if step.replaces is not None:
            dist = step.replaces
            assert isinstance(dist, InstalledDist)
            old_files.setdefault(dist.name, set()).update(record_files(dist.dist_info))
    names = {d.name for d in plan.remove} | {s.wanted.name for s in plan.install}
    names |= set(journal.names) if journal else set()
    write_journal(venv, names, old_files)
    for i, dist in enumerate(plan.remove):
        assert isinstance(dist, InstalledDist)
        phases.phase("Removing", i, len(plan.remove))
        uninstall(dist, scheme)
    for i, step in enumerate(plan.install):
        phases.phase("Installing", i, len(plan.install))
        replaces = step.replaces
        assert replaces is None or isinstance(replaces, InstalledDist)
        install_wheel(
            prepared[step.wanted.name].wheel,
            scheme,
            link_mode=options.link_mode,
            replaces=replaces,
            direct_url=step.wanted.direct_url,
            requested=project is not None and step.wanted.name == project.name,
            compile=options.compile,
        )
    if project is not None and project.name in prepared:
        _record_project(venv, project)
    if journal is not None:
        _remove_orphans(scheme, old_files)
    clear_journal(venv)


def _remove_orphans(scheme: Scheme, old_files: Mapping[str, set[str]]) -> None:
    """Delete files an old version had that no installed RECORD lists any more (what a killed
    sync left between linking a new version and removing the old one's files), and the staging
    folders of packages it was linking (`install.link`)."""
    remove_leftovers(scheme)
    claimed: set[str] = set()
    for dist in installed(scheme).values():
        claimed.update(record_files(dist.dist_info))
    root = str(scheme.root.resolve()) + os.sep
    for files in old_files.values():
        for name in sorted(set(files) - claimed):
            if not os.path.realpath(name).startswith(root):
                continue  # never outside the environment
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
                Path(name).unlink()


def _project_current(venv: Path, project: ProjectInstall) -> bool:
    try:
        data = json.loads((venv / PROJECT_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("key") == project.key()


def _record_project(venv: Path, project: ProjectInstall) -> None:
    data = {"name": project.name, "root": str(project.root), "key": project.key()}
    (venv / PROJECT_RECORD).write_text(json.dumps(data) + "\n", encoding="utf-8")


# -- the stamp (read by cli.uptodate on the fast path) --------------------------------------------


def selection_text_of(selection: Selection, options: SyncOptions) -> str:
    """The stamp's text for this selection (`install.stamp.selection_text`)."""
    return selection_text(
        extras=sorted(selection.extras),
        all_extras=selection.all_extras,
        groups=None if selection.groups is None else sorted(selection.groups),
        add_groups=sorted(selection.add_groups),
        no_groups=sorted(selection.no_groups),
        exact=options.exact,
        install_project=selection.install_project,
        packages=None if selection.members is None else sorted(selection.members),
    )


def _write_stamp(
    venv: Path,
    scheme: Scheme,
    lock_path: Path,
    selection: Selection,
    options: SyncOptions,
    count: int,
) -> None:
    try:
        # Python makes site-packages/__pycache__ at the first import of a top-level module
        # (six.py), which would change the folder's mtime the stamp records: make it now.
        for folder in {scheme.purelib, scheme.platlib}:
            (folder / "__pycache__").mkdir(exist_ok=True)
        write_stamp(
            str(lock_path.parent),
            str(venv),
            str(lock_path),
            selection_text_of(selection, options),
            str(scheme.purelib),
            count,
            options.python_request,
            dict(options.variant_stamp),
        )
    except OSError as exc:  # the environment is right; only the next sync's fast path is lost
        ui.warn(f"{venv / SYNC_STAMP}: cannot be written: {exc.strerror or exc}")
