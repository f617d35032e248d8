"""Find the Python interpreters of a machine, and the first one that fits a project.

Where pallet looks, in this order (docs/python.md): the request (``--python``, else
``PALLET_PYTHON``, else the project's ``.python-version`` file, pyenv's convention, found from
the project folder upwards), then ``PATH`` (``python3.X`` newest first, ``python3``, ``python``,
then ``pypy3.X``, ``pypy3``, folder by folder), pyenv's versions folder
(``$PYENV_ROOT/versions/*/bin/python3``, default ``~/.pyenv/versions``), and the Windows ``py``
launcher (``py --list-paths``) where there is one. Interpreters are told apart by the real path
of the executable they report, so a symlink, a shim and the file itself count once.

Everything this module reads of the machine comes in through `Machine` (the ``PATH`` value, the
environment, the home and current folders), so tests can describe any machine.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from .. import envvars
from ..errors import InterpreterError, PalletError
from .facts import Facts, FactsCache, read_facts

__all__ = [
    "PYTHON_VERSION_FILE",
    "Candidate",
    "Found",
    "Machine",
    "Request",
    "choose",
    "describe",
    "discover",
    "find_python",
    "parse_request",
    "rejection",
]

PYTHON_VERSION_FILE = ".python-version"
_WINDOWS = os.name == "nt"
_EXE = ".exe" if _WINDOWS else ""

_IMPLEMENTATIONS = {"cpython": "cpython", "cp": "cpython", "pypy": "pypy", "pp": "pypy"}
_REQUEST = re.compile(
    r"^(?P<impl>cpython|cp|pypy|pp|python)?-?(?P<version>\d(?:\.\d+){0,2})?$", re.IGNORECASE
)
# pyenv version names: "3.12.1", "pypy3.10-7.3.12", "3.13.0t" (free-threaded)
_PYENV_NAME = re.compile(r"^(?P<impl>pypy)?(?P<version>\d+(?:\.\d+){0,2})")
_PATH_NAME = re.compile(r"^(?P<impl>python|pypy)(?P<version>3(?:\.\d+)?)?$")


@dataclass(frozen=True)
class Machine:
    """What discovery may read: the ``PATH`` value, environment, home and current folders."""

    path: str
    env: Mapping[str, str]
    home: Path
    cwd: Path

    @classmethod
    def current(cls) -> Machine:
        return cls(os.environ.get("PATH", ""), os.environ, Path.home(), Path.cwd())

    @property
    def pyenv_root(self) -> Path:
        configured = self.env.get("PYENV_ROOT")
        return Path(configured).expanduser() if configured else self.home / ".pyenv"


@dataclass(frozen=True)
class Request:
    """One wanted interpreter: a path, or an implementation and/or a version prefix.

    ``3.12`` -> any implementation 3.12.*; ``pypy3.10`` -> PyPy 3.10.*; ``cpython3.11``;
    ``python3`` -> any 3.*; a path (anything with a folder separator, or an existing file).
    """

    text: str
    source: str  # "--python", "PALLET_PYTHON", or the .python-version file's path
    path: Path | None = None
    implementation: str | None = None
    version: tuple[int, ...] = ()

    def matches(self, facts: Facts, where: Path) -> bool:
        if self.path is not None:
            return _same_file(self.path, where) or _same_file(self.path, Path(facts.executable))
        if self.implementation and facts.implementation_name != self.implementation:
            return False
        try:
            release = Version(facts.version).release
        except InvalidVersion:
            return False
        return release[: len(self.version)] == self.version

    def executable_names(self) -> list[str]:
        """Names to look for on PATH for this request (``python3.12``, ``pypy3.10``)."""
        if self.path is not None or len(self.version) < 2:
            return []
        short = ".".join(map(str, self.version[:2]))
        impls = ["pypy"] if self.implementation == "pypy" else ["python"]
        if self.implementation is None:
            impls.append("pypy")
        return [f"{impl}{short}{_EXE}" for impl in impls]


def parse_request(text: str, source: str, cwd: Path) -> Request:
    """A request from ``--python``, ``PALLET_PYTHON`` or a ``.python-version`` line; a
    `PalletError` naming ``source`` for anything that is neither a version nor a path."""
    text = text.strip()
    if not text:
        raise PalletError(f"{source}: empty Python request")
    looks_like_path = "/" in text or os.sep in text or text.startswith(("~", "."))
    candidate = (cwd / Path(text).expanduser()) if looks_like_path else cwd / text
    if looks_like_path or candidate.is_file():
        return Request(text, source, path=Path(os.path.normpath(candidate)))
    match = _REQUEST.match(text)
    if match is None or not (match["impl"] or match["version"]):
        raise PalletError(
            f"{source}: {text!r} is not a Python request; use a version (3.12), an "
            "implementation and version (pypy3.10, cpython3.11) or a path"
        )
    impl = match["impl"].lower() if match["impl"] else None
    version = tuple(int(p) for p in match["version"].split(".")) if match["version"] else ()
    return Request(text, source, implementation=_IMPLEMENTATIONS.get(impl or ""), version=version)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


@dataclass(frozen=True)
class Candidate:
    """A file that may be an interpreter, and where discovery found it."""

    path: Path
    source: str


@dataclass
class Found:
    """One candidate after running it: its facts, or why it could not be used."""

    candidate: Candidate
    facts: Facts | None = None
    error: str | None = None
    also: list[str] = field(default_factory=list)  # other sources that led to the same file

    @property
    def path(self) -> Path:
        """The interpreter's real executable; a virtual environment's own python (its
        ``bin/python``, not the base it links to), since its prefix is the environment."""
        facts = self.facts
        if facts is None or not facts.executable or facts.is_virtualenv:
            return self.candidate.path
        return Path(facts.executable)


def _python_version_file(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        path = folder / PYTHON_VERSION_FILE
        if path.is_file():
            return path
    return None


def requests(request: str | None, machine: Machine, project: Path | None) -> list[Request]:
    """The wanted interpreters: ``--python``, else ``PALLET_PYTHON``, else each line of the
    ``.python-version`` file nearest ``project`` (or the current folder); empty: any."""
    if request:
        return [parse_request(request, "--python", machine.cwd)]
    configured = machine.env.get(envvars.PALLET_PYTHON, "").strip()
    if configured:
        return [parse_request(configured, envvars.PALLET_PYTHON, machine.cwd)]
    version_file = _python_version_file((project or machine.cwd).resolve())
    if version_file is None:
        return []
    try:
        lines = version_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PalletError(f"{version_file}: cannot be read: {exc}") from None
    out = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and line != "system":  # pyenv's "system": whatever PATH has
            out.append(_version_file_request(line, version_file, machine))
    return out


def _version_file_request(line: str, version_file: Path, machine: Machine) -> Request:
    """A ``.python-version`` line: a pyenv version name (``3.12.1``, ``pypy3.10-7.3.12``,
    ``3.13.0t``) is also matched by its folder under pyenv's versions; else a request."""
    source = str(version_file)
    for exe in (f"python3{_EXE}", f"python{_EXE}"):
        installed = machine.pyenv_root / "versions" / line / "bin" / exe
        if installed.is_file():
            return Request(line, source, path=installed)
    match = _PYENV_NAME.match(line)
    if match and _REQUEST.match(line) is None:  # "pypy3.10-7.3.12": the Python version part
        impl = "pypy" if match["impl"] else None
        version = tuple(int(p) for p in match["version"].split("."))
        return Request(line, source, implementation=impl, version=version)
    return parse_request(line, source, version_file.parent)


def _path_candidates(machine: Machine, names: Sequence[str] = ()) -> Iterator[Candidate]:
    """On each PATH folder in turn: the given names, else python3.X (newest first), python3,
    python, pypy3.X, pypy3."""
    for entry in machine.path.split(os.pathsep):
        if not entry:
            continue
        folder = Path(entry)
        if names:
            for name in names:
                if (folder / name).is_file():
                    yield Candidate(folder / name, "PATH")
            continue
        try:
            listing = [p.name for p in folder.iterdir()]
        except OSError:
            continue

        def rank(name: str) -> tuple[int, int, tuple[int, ...]]:
            # python3.X (newest first), python3, python; then the same for pypy
            match = _PATH_NAME.match(name.removesuffix(_EXE))
            assert match is not None
            parts = (match["version"] or "").split(".")
            group = 0 if len(parts) == 2 else 1 if parts[0] else 2
            minor = -int(parts[1]) if len(parts) == 2 else 0
            return (int(match["impl"] == "pypy"), group, (minor,))

        wanted = [n for n in listing if _PATH_NAME.match(n.removesuffix(_EXE))]
        for name in sorted(wanted, key=rank):
            if os.access(folder / name, os.X_OK) and (folder / name).is_file():
                yield Candidate(folder / name, "PATH")


def _pyenv_candidates(machine: Machine) -> Iterator[Candidate]:
    versions = machine.pyenv_root / "versions"
    try:
        names = [p.name for p in versions.iterdir()]
    except OSError:
        return

    def newest_first(name: str) -> tuple[int, tuple[int, ...], str]:
        match = _PYENV_NAME.match(name)
        version = tuple(-int(p) for p in match["version"].split(".")) if match else ()
        return (int(bool(match and match["impl"])) if match else 2, version, name)

    for name in sorted(names, key=newest_first):
        for exe in (f"python3{_EXE}", f"python{_EXE}"):
            path = versions / name / "bin" / exe
            if path.is_file():
                yield Candidate(path, "pyenv")
                break


_PY_LIST_PATHS = re.compile(r"^\s*-\S+(?:\s+\*)?\s+(?P<path>\S.*\.exe)\s*$", re.IGNORECASE)


def _py_launcher_candidates(machine: Machine) -> Iterator[Candidate]:
    """``py --list-paths`` (the Windows launcher); nothing where there is no ``py``."""
    import shutil

    launcher = shutil.which("py", path=machine.path)
    if launcher is None or not _WINDOWS:
        return
    try:
        proc = subprocess.run(
            [launcher, "--list-paths"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return
    for line in proc.stdout.splitlines():
        match = _PY_LIST_PATHS.match(line)
        if match:
            yield Candidate(Path(match["path"]), "py launcher")


def candidates(wanted: Sequence[Request], machine: Machine) -> Iterator[Candidate]:
    """Every file to try, in the order of the module docstring (duplicates included)."""
    for request in wanted:
        if request.path is not None:
            yield Candidate(request.path, request.source)
        elif request.executable_names():
            yield from _path_candidates(machine, request.executable_names())
    yield from _path_candidates(machine)
    yield from _pyenv_candidates(machine)
    yield from _py_launcher_candidates(machine)


def discover(wanted: Sequence[Request], machine: Machine, cache: FactsCache | None) -> list[Found]:
    """Each interpreter once (by real path), with its facts or why it could not be run."""
    return list(_discover(wanted, machine, cache))


def _discover(
    wanted: Sequence[Request], machine: Machine, cache: FactsCache | None
) -> Iterator[Found]:
    """`discover`, one interpreter at a time: a caller that stops early runs no more of them."""
    by_file: dict[str, Found] = {}
    for candidate in candidates(wanted, machine):
        path = candidate.path.absolute()
        real = _identity(path)
        if real in by_file:
            _also(by_file[real], candidate.source)
            continue
        entry = Found(Candidate(path, candidate.source))
        if not path.exists():
            entry.error = f"{path}: no such file"
        else:
            try:
                entry.facts = read_facts(path, cache)
            except InterpreterError as exc:
                entry.error = str(exc).removeprefix(f"{path}: ")
        by_file[real] = entry
        if entry.facts is not None and entry.facts.executable:
            # a shim or a symlink: the interpreter it runs counts once, under its first source;
            # a virtual environment is told apart from its base by its prefix
            executable = str(Path(entry.facts.executable).resolve())
            if entry.facts.is_virtualenv:
                executable += f"\0{entry.facts.prefix}"
            if executable != real and executable in by_file:
                _also(by_file[executable], candidate.source)
                continue
            by_file.setdefault(executable, entry)
        yield entry


def _identity(path: Path) -> str:
    """The real path of a candidate; a virtual environment's python (PEP 405: a pyvenv.cfg
    beside it or one folder up) keeps its own path, as its symlink leads to the base Python."""
    if (path.parent / "pyvenv.cfg").is_file() or (path.parent.parent / "pyvenv.cfg").is_file():
        return str(path)
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return str(path)


def _also(entry: Found, source: str) -> None:
    if source != entry.candidate.source and source not in entry.also:
        entry.also.append(source)


def rejection(
    found: Found, requires_python: SpecifierSet | None, wanted: Sequence[Request]
) -> str | None:
    """Why this interpreter does not fit; None when it does."""
    if found.facts is None:
        return found.error or "cannot be run"
    facts = found.facts
    if wanted and not any(r.matches(facts, found.candidate.path) for r in wanted):
        asked = ", ".join(r.text for r in wanted)
        return f"not the requested Python ({asked}, from {wanted[0].source})"
    if requires_python is not None and not requires_python.contains(
        facts.version, prereleases=True
    ):
        return f"outside requires-python {requires_python}"
    return None


def describe(found: Found) -> str:
    """``3.12.1 (cpython) at /path``, or the path alone for one that did not run."""
    if found.facts is None:
        return str(found.candidate.path)
    return f"{found.facts.version} ({found.facts.implementation_name}) at {found.path}"


def choose(
    found: Sequence[Found], requires_python: SpecifierSet | None, wanted: Sequence[Request]
) -> Found:
    """The first interpreter that fits; else `InterpreterError` listing each and why not."""
    reasons = []
    for entry in found:
        why = rejection(entry, requires_python, wanted)
        if why is None:
            return entry
        if entry.facts is None:
            reasons.append(f"  {entry.candidate.path}: {why}")
        else:
            reasons.append(f"  {describe(entry)}: {why}")
    asked = []
    if requires_python:
        asked.append(f"requires-python {requires_python}")
    if wanted:
        asked.append(f"{', '.join(r.text for r in wanted)} (from {wanted[0].source})")
    what = " and ".join(asked) or "pallet's needs"
    listing = "\n".join(reasons) if reasons else "  (no interpreter found on PATH or in pyenv)"
    raise InterpreterError(f"no Python interpreter satisfies {what}; found:\n{listing}")


def find_python(
    requires_python: SpecifierSet | None = None,
    request: str | None = None,
    *,
    project: Path | None = None,
    machine: Machine | None = None,
    cache: FactsCache | None = None,
) -> Found:
    """The first interpreter satisfying ``requires_python`` and the request (``--python``,
    ``PALLET_PYTHON`` or ``.python-version``); `InterpreterError` when there is none."""
    machine = machine or Machine.current()
    wanted = requests(request, machine, project)
    # Candidates run one by one, stopping at the first that fits (each pyenv shim costs ~0.15 s);
    # only when none fits have they all run, for `choose`'s error listing each and why.
    seen: list[Found] = []
    for entry in _discover(wanted, machine, cache):
        if rejection(entry, requires_python, wanted) is None:
            return entry
        seen.append(entry)
    return choose(seen, requires_python, wanted)
