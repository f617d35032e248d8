"""The lock test matrix: every PEP 751 lock a test leaves is checked by parties independent of
the code that wrote it.

Each ``pylock.toml`` / ``pylock.<name>.toml`` found under a test's ``tmp_path``, and each lock
that `support.lock_tools.run_pallet_lock` saw pallet write (even one the test overwrote later),
is:

1. read by ``packaging.pylock.Pylock.from_dict``, PEP 751's reference reader (packaging 26.0
   and later; the declared floor, 25.0, has no ``packaging.pylock``);
2. checked by pallet's own validator (``pallet.lock.validate.validate_lock``), which must agree;
3. where the lock applies to this interpreter (its ``requires-python`` and one of its
   ``environments`` hold), installed with ``uv pip install -r`` into a fresh venv, and the
   distributions found there compared with what ``Pylock.select`` (packaging's implementation of
   PEP 751's installation steps; before packaging 26.1, each package's marker evaluated by
   ``packaging.markers``) selects for this interpreter: once with the default selection
   (no extras, the lock's ``default-groups``), and, when the lock declares extras or dependency
   groups, once with all of them (``uv pip sync --extra … --group …`` in the same venv).

When the checks run: after the test body, before its fixtures are torn down (so a fixture's
index server still answers uv), and, for a lock whose files come from an `IndexServer` the test
stops itself (``with IndexServer(...)`` in the body), just before that server stops. uv works
offline but for those loopback servers: no configuration, no index but the lock's own loopback
indexes (for an sdist's build requirements), credentials of an index that needs them from a
netrc file written for the run. A lock with files elsewhere (``https://…example.invalid``) is
read and validated, not installed. The result of each distinct lock is kept for the session (by
what an installer reads: its content without ``tool`` tables and with loopback ports left out,
plus its folder where it has relative paths); one uv cache serves the whole session.

Markers (registered in pyproject.toml); the opt-outs are narrow:

- ``@pytest.mark.hand_edited_lock("project/pylock.toml", reason="...")``: the file at that path
  (relative to ``tmp_path``) as the test leaves it was written or broken by the test on purpose;
  what pallet wrote there is still checked.
- ``@pytest.mark.lock_moves("folder")`` (relative to ``tmp_path``): the folder is a checkout; each
  lock in it must name no file inside it absolutely, and uv must install it from a copy of the
  folder made elsewhere (check ``moved``), as PEP 751's relative ``path`` keys allow.
- ``@pytest.mark.lock_defect("issue 10 #N: ...", checks=("uv",))``: a known pallet defect makes
  the named checks fail for this test's locks; the test is reported xfailed while it does, and
  warns once the defect no longer shows. Failures of other checks still fail the test.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["CHECKS", "LockMatrix", "Problem", "lock_files"]

#: The checks, in the order they run; ``lock_defect(checks=...)`` names some of them (a fault
#: of the matrix itself is reported as check "matrix", which no marker excuses).
CHECKS = ("toml", "packaging", "validator", "select", "uv", "moved")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: Folders the search for locks never enters: caches, virtual environments, VCS data.
SKIP_DIRS = frozenset({".git", "__pycache__", "site-packages", "node_modules", "uv-cache"})
UV_TIMEOUT = 180
SERVER_GONE = "uv skipped: its index server had stopped"
#: Taken at import: a test may monkeypatch ``subprocess.run`` while its locks are checked.
_run = subprocess.run


class Server(Protocol):
    """What the matrix needs of `support.index_server.IndexServer`."""

    @property
    def port(self) -> int: ...

    @property
    def url(self) -> str: ...

    auth: tuple[str, str] | None


@dataclass(frozen=True)
class Problem:
    check: str  # one of CHECKS
    lock: str  # the lock's path, relative to the test's tmp_path where it can be
    message: str

    def __str__(self) -> str:
        return f"{self.lock}: [{self.check}] {self.message}"


def is_lock_name(name: str) -> bool:
    """PEP 751: ``pylock.toml`` or ``pylock.<name>.toml`` (a name without dots)."""
    if name == "pylock.toml":
        return True
    middle = name[len("pylock.") : -len(".toml")]
    return (
        name.startswith("pylock.") and name.endswith(".toml") and bool(middle) and "." not in middle
    )


def lock_files(folder: Path) -> dict[Path, bytes]:
    """The lock files directly in ``folder`` and their bytes."""
    found: dict[Path, bytes] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if is_lock_name(entry.name) and entry.is_file():
                with contextlib.suppress(OSError):
                    found[Path(entry.path)] = Path(entry.path).read_bytes()
    return found


def find_locks(root: Path) -> Iterator[Path]:
    """Every lock file under ``root``, not looking into caches or virtual environments."""
    for folder, dirs, files in os.walk(root):
        if "pyvenv.cfg" in files or "CACHEDIR.TAG" in files:
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if is_lock_name(name):
                yield Path(folder, name)


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass
class _Run:
    """The locks of the test now running."""

    nodeid: str
    root: Path | None
    hand_edited: dict[Path, str]
    moves: Path | None = None  # the folder that must be movable with its locks
    #: why uv must not install this test's locks here (marker ``lock_for_elsewhere``)
    elsewhere: str | None = None
    pallet_wrote: list[tuple[Path, bytes]] = field(default_factory=list)
    seen: set[tuple[Path, str]] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    def label(self, path: Path) -> str:
        if self.root is not None:
            with contextlib.suppress(ValueError):
                return path.relative_to(self.root).as_posix()
        return str(path)

    def candidates(self) -> list[tuple[Path, bytes]]:
        """Locks not checked yet: what pallet wrote, then the files as they are now."""
        found = list(self.pallet_wrote)
        written = {(p, _digest(c)) for p, c in self.pallet_wrote}
        if self.root is not None and self.root.is_dir():
            for path in find_locks(self.root):
                try:
                    content = path.read_bytes()
                except OSError:
                    continue
                if path in self.hand_edited and (path, _digest(content)) not in written:
                    continue  # the test's own edit, not pallet's
                found.append((path, content))
        out: dict[tuple[Path, str], tuple[Path, bytes]] = {}
        for path, content in found:
            key = (path, _digest(content))
            if key not in self.seen:
                out.setdefault(key, (path, content))
        return list(out.values())


@dataclass
class _Outcome:
    problems: list[tuple[str, str]]  # (check, message)
    note: str  # what was done: "installed", or why uv did not run


class LockMatrix:
    """One per test session: the checks, their cache, the index servers now running."""

    def __init__(self, uv: str | None, wheelhouse: Callable[[Path], Path] | None = None) -> None:
        self.uv = uv
        self._make_wheelhouse = wheelhouse
        self._wheelhouse: Path | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="pallet-lock-matrix-"))
        self.servers: dict[int, Server] = {}
        self.run: _Run | None = None
        self._cache: dict[str, _Outcome] = {}
        self.stats: Counter[str] = Counter()
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self._venvs = 0

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- the life of a test --------------------------------------------------------------
    def begin(
        self,
        nodeid: str,
        root: Path | None,
        hand_edited: Mapping[str, str],
        moves: str | None = None,
        elsewhere: str | None = None,
    ) -> None:
        resolved = {(root / rel if root else Path(rel)): why for rel, why in hand_edited.items()}
        tree = (root / moves if root else Path(moves)) if moves is not None else None
        self.run = _Run(nodeid, root, resolved, tree, elsewhere)

    def pallet_wrote(self, folder: Path, before: Mapping[Path, bytes]) -> None:
        """Record the locks in ``folder`` that differ from ``before`` (pallet just wrote them)."""
        if self.run is None:
            return
        local = False
        for path, content in lock_files(folder).items():
            if before.get(path) != content:
                self.run.pallet_wrote.append((path, content))
                local = local or b"path =" in content
        if local:
            # A lock naming local paths is checked now, while the tree it names is as pallet saw
            # it (a test may move or delete the project, or a path dependency, after locking);
            # others wait for the end of the test, so that their installs do not show up in the
            # test's own counts of requests to its servers.
            self._check_pending()

    def server_starting(self, server: Server) -> None:
        self.servers[server.port] = server

    def server_stopping(self, server: Server) -> None:
        """Check the test's locks while this server still answers (the locks of the other
        servers too: one lock may have files on several, and its check is kept)."""
        if self.run is not None:
            self._check_pending()
        port = next(p for p, s in self.servers.items() if s is server)
        self.servers.pop(port, None)

    def finish(self) -> list[Problem]:
        """Check every lock of the test not checked yet; the problems found during the test."""
        if self.run is None:
            return []
        self._check_pending()
        problems, self.run = self.run.problems, None
        return problems

    def abandon(self) -> None:
        self.run = None

    def _check_pending(self) -> None:
        run = self.run
        assert run is not None
        start, cpu = time.perf_counter(), _cpu_seconds()
        for path, content in run.candidates():
            run.seen.add((path, _digest(content)))
            try:
                outcome = self.check(path, content, run.elsewhere)
            except Exception as exc:  # a fault of the matrix itself: say so, never hide it
                outcome = _Outcome([("matrix", f"the check itself failed: {exc!r}")], "invalid")
            self.stats["locks"] += 1
            self.stats[outcome.note] += 1
            run.problems.extend(Problem(c, run.label(path), m) for c, m in outcome.problems)
            movable = outcome.note in ("installed", "uv failed")
            if run.moves is not None and movable and _inside(path, run.moves):
                moved = self.check_moved(path, content, run.moves)
                run.problems.extend(Problem("moved", run.label(path), m) for m in moved)
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += _cpu_seconds() - cpu

    # -- the checks ------------------------------------------------------------------------
    def check(self, path: Path, content: bytes, elsewhere: str | None = None) -> _Outcome:
        """Every check of one lock, memoised for the session by its content with the loopback
        servers' ports left out (a file is known by its hashes, wherever it is served), and by
        its folder where it has relative paths."""
        key = _install_key(content) + (f"\0elsewhere: {elsewhere}" if elsewhere else "")
        if b"path =" in content:  # relative paths are resolved from the lock's folder
            key += str(path.parent)
        outcome = self._cache.get(key)
        if outcome is None:
            self.stats["distinct"] += 1
            outcome = self._check(path, content, elsewhere)
            if outcome.note != SERVER_GONE:  # another test may serve the same lock
                self._cache[key] = outcome
        return outcome

    def _check(self, path: Path, content: bytes, elsewhere: str | None = None) -> _Outcome:
        try:
            data = tomllib.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return _Outcome([("toml", f"not a TOML file: {exc}")], "invalid")
        problems: list[tuple[str, str]] = []
        pylock = _pylock_module()
        lock = None
        if pylock is not None:
            try:
                lock = pylock.Pylock.from_dict(data)
            except pylock.PylockValidationError as exc:
                problems.append(("packaging", str(exc)))
        from pallet.lock.validate import validate_lock

        problems.extend(("validator", p) for p in validate_lock(data))
        if problems:
            return _Outcome(problems, "invalid")
        why_not = _not_for_here(data)
        if why_not:
            return _Outcome([], f"uv skipped: {why_not}")
        selections: list[tuple[str, list[str], list[str] | None]] = [("default", [], None)]
        extras = [str(e) for e in data.get("extras", [])]
        groups = sorted({*data.get("dependency-groups", []), *data.get("default-groups", [])})
        if extras or groups:
            selections.append(("all extras and groups", extras, groups))
        expected: list[dict[str, Any]] = []
        for label, sel_extras, sel_groups in selections:
            try:
                expected.append(_selection(data, lock, label, sel_extras, sel_groups))
            except _NotSelectable as exc:
                problems.append(("select", f"{label}: {exc}"))
        if problems:
            return _Outcome(problems, "invalid")
        if self.uv is None:
            return _Outcome([], "uv skipped: uv is not installed")
        if elsewhere:
            return _Outcome([], "uv skipped: the test locks for another machine")
        urls = [u for sel in expected for u in sel["urls"]]
        if any(not _is_local(u) for u in urls):
            return _Outcome([], "uv skipped: files not on loopback")
        ports = {_port(u) for u in urls if urlsplit(u).scheme in ("http", "https")}
        if not ports <= set(self.servers):
            return _Outcome([], SERVER_GONE)
        problem = self._install(path, content, data, expected, ports)
        if problem:
            return _Outcome([("uv", problem)], "uv failed")
        return _Outcome([], "installed")

    def _install(
        self,
        path: Path,
        content: bytes,
        data: Mapping[str, Any],
        selections: Sequence[Mapping[str, Any]],
        ports: set[int],
    ) -> str | None:
        """Install the lock with uv into a fresh venv, ``uv pip install -r`` for the first
        selection and ``uv pip sync`` (exactly that set) for the next; what went wrong."""
        assert self.uv is not None
        self._venvs += 1
        venv = self.workdir / f"venv-{self._venvs}"
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        env = self._env(ports)
        indexes = sorted(
            {
                str(p["index"])
                for p in data.get("packages", [])
                if isinstance(p.get("index"), str)
                and _is_local(p["index"])
                and urlsplit(p["index"]).scheme in ("http", "https")
                and _port(p["index"]) in self.servers
            }
        )
        sources = ["--no-index"]
        if indexes:  # an sdist's build requirements come from the lock's own indexes
            sources = ["--default-index", indexes[0]]
            for url in indexes[1:]:
                sources += ["--index", url]
        if self._make_wheelhouse is not None and any(
            "directory" in p or "vcs" in p or "archive" in p for p in data.get("packages", [])
        ):  # ... and those of a project built from its source tree from the wheelhouse
            if self._wheelhouse is None:
                self._wheelhouse = self._make_wheelhouse(self.workdir / "wheelhouse")
            sources += ["--find-links", str(self._wheelhouse)]
        try:
            with self._lock_in_place(path, content) as lock:
                self._uv(["venv", "--quiet", str(venv), "--python", sys.executable], env)
                for n, sel in enumerate(selections):
                    flags = [f for extra in sel["extras"] for f in ("--extra", extra)]
                    flags += [f for group in sel["groups"] or () for f in ("--group", group)]
                    verb = ["install", "-r"] if n == 0 else ["sync"]
                    # --refresh: the session's one uv cache keys files by URL, and a loopback
                    # port an earlier test used may now serve other bytes under the same name
                    args = ["pip", *verb, str(lock), "--python", str(python), "--refresh"]
                    args += [*flags, *sources]
                    try:
                        self._uv(args, env)
                    except _ToolFailed as exc:
                        return f"{sel['label']}: {exc}"
                    installed = _installed(venv)
                    expected = dict(sel["versions"])
                    for name, version in expected.items():
                        if version is None and name in installed:  # PEP 751: optional for
                            expected[name] = installed[name]  # directory and VCS entries
                    if installed != expected:
                        missing = sorted(
                            f"{k}=={v}" for k, v in expected.items() if installed.get(k) != v
                        )
                        extra = sorted(
                            f"{k}=={v}" for k, v in installed.items() if expected.get(k) != v
                        )
                        return (
                            f"{sel['label']}: `uv pip {verb[0]}` left another set than "
                            f"packaging.pylock selects: missing {missing or 'nothing'}, "
                            f"unexpected {extra or 'nothing'}"
                        )
        except _ToolFailed as exc:
            return str(exc)
        finally:
            shutil.rmtree(venv, ignore_errors=True)
        return None

    def check_moved(self, path: Path, content: bytes, tree: Path) -> list[str]:
        """The lock, with the folder ``tree`` it lies in, copied elsewhere: it names no file
        inside ``tree`` absolutely, and uv installs its default selection from the copy."""
        data = tomllib.loads(content.decode("utf-8"))
        selection = _selection(data, None, "default, moved", [], None)
        problems = []
        for name, ref in selection["refs"]:
            local = _local_path(ref)
            if local is not None and local.is_absolute() and _inside(local, tree):
                problems.append(f"{name}: {ref!r} names a file in the moved folder absolutely")
        if problems or self.uv is None:
            return problems
        self._venvs += 1
        dest = self.workdir / f"moved-{self._venvs}" / tree.name
        ignore = shutil.ignore_patterns("cache", "uv-cache", ".venv", "venv", "__pycache__")
        try:
            shutil.copytree(tree, dest, symlinks=True, ignore=ignore)
            moved = dest / path.relative_to(tree)
            moved.write_bytes(content)
            urls = selection["urls"]
            ports = {_port(u) for u in urls if urlsplit(u).scheme in ("http", "https")}
            problem = self._install(moved, content, data, [selection], ports)
        finally:
            shutil.rmtree(dest.parent, ignore_errors=True)
        return [problem] if problem else []

    @contextlib.contextmanager
    def _lock_in_place(self, path: Path, content: bytes) -> Iterator[Path]:
        """The lock as a file in its own folder (relative paths in it are resolved from there):
        ``path`` itself while it holds ``content``, else a short-lived sibling copy."""
        try:
            current = path.read_bytes()
        except OSError:
            current = None
        if current == content:
            yield path
            return
        copy = path.with_name(f"pylock.matrix{_digest(content)[:12]}.toml")
        copy.write_bytes(content)
        try:
            yield copy
        finally:
            copy.unlink()

    def _env(self, ports: set[int]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
        netrc = self.workdir / "netrc"
        # credentials of the lock's servers that need them (netrc knows hosts, not ports)
        lines = [
            f"machine 127.0.0.1 login {s.auth[0]} password {s.auth[1]}\n"
            for port, s in sorted(self.servers.items())
            if port in ports and s.auth is not None
        ]
        netrc.write_text("".join(lines[:1]), encoding="utf-8")
        netrc.chmod(0o600)
        env.update(
            UV_NO_CONFIG="1",
            UV_CACHE_DIR=str(self.workdir / "uv-cache"),
            UV_PYTHON_DOWNLOADS="never",
            UV_NO_PROGRESS="1",
            UV_KEYRING_PROVIDER="disabled",
            PIP_CONFIG_FILE=os.devnull,
            NETRC=str(netrc),
            NO_PROXY="127.0.0.1,localhost,::1",
            no_proxy="127.0.0.1,localhost,::1",
            NO_COLOR="1",
        )
        return env

    def _uv(self, args: Sequence[str], env: Mapping[str, str]) -> None:
        assert self.uv is not None
        cmd = [self.uv, *args]
        try:
            proc = _run(
                cmd,
                capture_output=True,
                text=True,
                env=dict(env),
                cwd=self.workdir,
                check=False,
                timeout=UV_TIMEOUT,
            )
        except subprocess.TimeoutExpired as exc:
            raise _ToolFailed(f"`uv {' '.join(args[:2])}` took over {UV_TIMEOUT} s") from exc
        if proc.returncode != 0:
            lines = [
                line
                for line in proc.stderr.strip().splitlines()
                if not line.startswith(("warning: The `--pylock` option", "Using Python"))
            ]
            tail = "\n    ".join(lines[-12:])
            raise _ToolFailed(f"`uv {' '.join(args[:2])}` exit {proc.returncode}:\n    {tail}")

    # -- reporting ----------------------------------------------------------------------
    def summary(self) -> str:
        stats = self.stats
        skipped = sorted((k, v) for k, v in stats.items() if k.startswith("uv skipped"))
        parts = [
            f"lock matrix: {stats['locks']} lock checks, {stats['distinct']} distinct locks, "
            f"{stats['installed']} installed with uv ({self._venvs} fresh venvs), "
            f"{stats['invalid']} invalid, {stats['uv failed']} failed with uv, "
            f"{self.seconds:.1f} s ({self.cpu_seconds:.1f} s of CPU with uv's)"
        ]
        parts += [f"  {k}: {v}" for k, v in skipped]
        return "\n".join(parts)


class _ToolFailed(Exception):
    pass


def _install_key(content: bytes) -> str:
    """A digest of what an installer reads in a lock: no ``tool`` tables (pallet's fingerprint
    has the index address in it), loopback ports left out."""
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return _digest(content)
    data.pop("tool", None)
    for package in data.get("packages", []):
        if isinstance(package, dict):
            package.pop("tool", None)
    text = json.dumps(data, sort_keys=True, default=str)
    return _digest(re.sub(r"(127\.0\.0\.1|localhost|\[::1\]):\d+/", r"\1:*/", text).encode())


def _pylock_module() -> Any:
    """``packaging.pylock`` where this packaging has it (26.0 and later), else None."""
    try:
        import packaging.pylock
    except ImportError:  # pragma: no cover - the declared floor of packaging is older
        return None
    return packaging.pylock


class _NotSelectable(Exception):
    """PEP 751's installation steps end in an error for this interpreter."""


def _not_for_here(data: Mapping[str, Any]) -> str | None:
    """Why PEP 751 says the lock is not for this interpreter, or None when it is."""
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

    python = platform.python_version()
    requires = data.get("requires-python")
    if requires and not SpecifierSet(requires).contains(python, prereleases=True):
        return "requires-python excludes this Python"
    environments = data.get("environments")
    if environments and not any(Marker(m).evaluate() for m in environments):
        return "no environment of the lock is this one"
    return None


def _selection(
    data: Mapping[str, Any],
    lock: Any,
    label: str,
    extras: list[str],
    groups: list[str] | None,
) -> dict[str, Any]:
    """What PEP 751 installs here with these extras and groups (``groups=None``: the lock's
    default-groups), with the chosen sources' paths and URLs. The versions come from
    ``Pylock.select`` where packaging has it (26.1); else from PEP 751's step that chooses the
    packages: each package's marker, evaluated by ``packaging.markers``."""
    from packaging.markers import Marker

    chosen_groups = frozenset(data.get("default-groups", []) if groups is None else groups)
    overrides: dict[str, Any] = {"extras": frozenset(extras), "dependency_groups": chosen_groups}
    packages = [
        package
        for package in data.get("packages", [])
        if "marker" not in package
        or Marker(package["marker"]).evaluate(overrides, context="lock_file")
    ]
    versions: dict[str, str | None] = {}
    for package in packages:
        if package["name"] in versions:
            raise _NotSelectable(f"{package['name']} is selected twice")
        version = package.get("version")
        versions[package["name"]] = None if version is None else _normal_version(version)
    if lock is not None and hasattr(lock, "select"):
        try:
            chosen = list(lock.select(extras=extras, dependency_groups=groups))
        except _pylock_module().PylockSelectError as exc:
            raise _NotSelectable(str(exc)) from exc
        versions = _versions(chosen)
    refs: list[tuple[str, str]] = []
    for package in packages:
        sources = [package.get(k) for k in ("vcs", "archive", "directory", "sdist")]
        sources += package.get("wheels", [])
        for source in sources:
            if isinstance(source, dict):
                refs += [(package["name"], source[k]) for k in ("url", "path") if k in source]
    urls = [ref for _, ref in refs if urlsplit(ref).scheme in ("http", "https", "file")]
    return {
        "label": label,
        "extras": extras,
        "groups": groups,
        "versions": versions,
        "refs": refs,
        "urls": urls,
    }


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return True
    return parts.scheme in ("http", "https") and parts.hostname in LOOPBACK


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _local_path(ref: str) -> Path | None:
    """The file a ``file:`` URL or a path names; None for other URLs."""
    from urllib.request import url2pathname

    parts = urlsplit(ref)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    if parts.scheme in ("",) or len(parts.scheme) == 1:  # a path (or a Windows drive)
        return Path(ref)
    return None


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (uv), user and system."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return time.process_time()

    me, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _versions(chosen: Sequence[tuple[Any, Any]]) -> dict[str, str | None]:
    """Selected packages by name, and their normalized versions where the lock gives one."""
    return {
        str(p.name): None if p.version is None else _normal_version(str(p.version))
        for p, _ in chosen
    }


def _normal_version(version: str) -> str:
    """PEP 440 normal form without trailing zeros: ``1.0`` and ``1.0.0`` are one version (a
    lock may spell a version as its file name does, the metadata another way)."""
    from packaging.utils import canonicalize_version

    return canonicalize_version(version, strip_trailing_zero=True)


def _installed(venv: Path) -> dict[str, str]:
    """Every distribution in the venv, by normalized name (read from its dist-info)."""
    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    parser = HeaderParser()
    for meta in [
        *venv.glob("lib/python*/site-packages/*.dist-info/METADATA"),
        *venv.glob("Lib/site-packages/*.dist-info/METADATA"),
    ]:
        headers = parser.parsestr(meta.read_text(encoding="utf-8", errors="replace"))
        found[str(canonicalize_name(headers["Name"]))] = _normal_version(headers["Version"])
    return found


#: The session's matrix, set by tests/conftest.py (None when the plugin is not loaded).
ACTIVE: LockMatrix | None = None


def watch_servers(cls: Any, matrix: LockMatrix) -> Callable[[], None]:
    """Make every ``cls`` (IndexServer) tell ``matrix`` when it starts and before it stops;
    returns the function that undoes it."""
    start, stop = cls.start, cls.stop

    def watched_start(self: Any) -> Any:
        started = start(self)
        matrix.server_starting(self)
        return started

    def watched_stop(self: Any) -> None:
        if any(s is self for s in matrix.servers.values()):
            matrix.server_stopping(self)
        stop(self)

    cls.start, cls.stop = watched_start, watched_stop

    def undo() -> None:
        cls.start, cls.stop = start, stop

    return undo


def stale_defect_warning(nodeid: str, reason: str) -> None:
    warnings.warn(
        f"{nodeid}: lock_defect({reason!r}) no longer shows; remove the marker",
        stacklevel=2,
    )
