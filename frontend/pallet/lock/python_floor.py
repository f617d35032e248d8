"""The Python floor of a lock whose project declares no ``requires-python``.

Without ``[project] requires-python`` a lock would hold for every Python 3 and could pick releases
from 2017. pallet instead locks for the lowest Python the project's trove classifiers name
(``Programming Language :: Python :: 3.X``), else the one an earlier lock already inferred (so a
change of machine does not move the lock), else the lowest Python 3 interpreter found on this
machine: ``python3.X`` on ``PATH`` and pyenv's ``versions`` folder, ignoring those older than
`OLDEST_MINOR` (end of life, and older than anything pallet runs on: an old pyenv build lying
around must not make the lock hold for Python 3.6). Interpreters are found by name only
(nothing is run); a full interpreter discovery belongs to ``pallet sync``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from packaging.specifiers import SpecifierSet

from ..errors import ProjectError
from ..project.model import ProjectSpec

__all__ = [
    "InferredPython",
    "WithFloor",
    "floor_from_classifiers",
    "infer_requires_python",
    "interpreters",
    "with_python_floor",
]

_CLASSIFIER = re.compile(r"^Programming Language :: Python :: 3\.(\d+)$")
_ON_PATH = re.compile(r"^python3\.(\d+)$")
_PYENV_VERSION = re.compile(r"^3\.(\d+)(?:\.\d+)?$")


class InferredPython(NamedTuple):
    """A ``requires-python`` pallet chose, and why (the end of a warning sentence)."""

    specifier: str
    reason: str


class WithFloor(NamedTuple):
    """The project as it is locked (`spec` with the inferred requires-python), and that floor."""

    spec: ProjectSpec
    inferred: InferredPython


def with_python_floor(
    spec: ProjectSpec, pyproject: Mapping[str, Any], previous: str
) -> WithFloor | None:
    """None when the project declares requires-python; else the floor `infer_requires_python`
    picks from its classifiers (in the parsed `pyproject`), `previous` (an earlier lock's
    ``inferred-requires-python``) or this machine's ``PATH`` and pyenv."""
    if str(spec.requires_python):
        return None
    project = pyproject.get("project")
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no password entry: no ~/.pyenv either
        home = Path(os.devnull)
    inferred = infer_requires_python(
        project.get("classifiers") if isinstance(project, dict) else None,
        previous,
        path=os.environ.get("PATH", ""),
        env=os.environ,
        home=home,
    )
    locked = dataclasses.replace(spec, requires_python=SpecifierSet(inferred.specifier))
    return WithFloor(locked, inferred)


def floor_from_classifiers(classifiers: object) -> int | None:
    """The lowest ``X`` of the ``Programming Language :: Python :: 3.X`` classifiers, or None."""
    if not isinstance(classifiers, list):
        return None
    minors = [int(m.group(1)) for c in classifiers if isinstance(c, str) if (m := _match(c))]
    return min(minors) if minors else None


def _match(classifier: str) -> re.Match[str] | None:
    return _CLASSIFIER.match(classifier.strip())


#: The oldest Python 3 minor an inferred floor may name: pallet's own lowest Python.
OLDEST_MINOR = 9


def interpreters(path: str, env: Mapping[str, str], home: Path) -> list[tuple[int, str]]:
    """``(minor, where)`` of each Python 3 interpreter found by name, lowest first.

    `path` is a ``PATH`` value; pyenv's folder is ``$PYENV_ROOT/versions`` or
    ``<home>/.pyenv/versions``. Only executables count; nothing is run.
    """
    found: list[tuple[int, str]] = []
    for entry in path.split(os.pathsep):
        for exe in _children(Path(entry or ".")):
            match = _ON_PATH.match(exe.name)
            if match and os.access(exe, os.X_OK) and not exe.is_dir():
                found.append((int(match.group(1)), str(exe)))
    root = Path(env["PYENV_ROOT"]) if env.get("PYENV_ROOT") else home / ".pyenv"
    for version in _children(root / "versions"):
        match = _PYENV_VERSION.match(version.name)
        exe = version / "bin" / "python3"
        if match and os.access(exe, os.X_OK):
            found.append((int(match.group(1)), str(exe)))
    return sorted(found)


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:  # missing, not a folder, not readable: nothing found there
        return []


def infer_requires_python(
    classifiers: object,
    previous: str,
    *,
    path: str,
    env: Mapping[str, str],
    home: Path,
) -> InferredPython:
    """The ``requires-python`` to lock for when the project declares none.

    Classifiers first (they are the project's own statement), then `previous` (what an earlier
    lock inferred; kept so that the lock does not depend on the machine that re-locks it), then
    the machine's lowest interpreter. Nothing found -> `ProjectError` with a hint.
    """
    minor = floor_from_classifiers(classifiers)
    if minor is not None:
        return InferredPython(
            f">=3.{minor}",
            f"the lowest Python in the project's classifiers (Python :: 3.{minor})",
        )
    if previous:
        return InferredPython(previous, "as inferred when pylock.toml was first written")
    found = [(m, where) for m, where in interpreters(path, env, home) if m >= OLDEST_MINOR]
    if found:
        minor, where = found[0]
        return InferredPython(
            f">=3.{minor}",
            f"the lowest Python 3.{OLDEST_MINOR}+ found on this machine ({where})",
        )
    raise ProjectError(
        "pyproject.toml: [project] requires-python is not set, the classifiers name no "
        "'Programming Language :: Python :: 3.X' and no python3.X interpreter "
        f"(X >= {OLDEST_MINOR}) was found on PATH or in pyenv; "
        'add e.g. requires-python = ">=3.10" to [project]',
        path="pyproject.toml",
        key="requires-python",
    )
