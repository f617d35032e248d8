"""The sync stamp: what the last successful sync left in an environment (standard library only).

``<venv>/.pallet-sync.json`` is written last by a sync that succeeded and removed before one
changes the environment. It records pallet's version, the lock (its path and the sha256 of its
bytes), the canonical `selection_text` of the sync's flags, the project's pyproject.toml and
``.python-version`` digests, the interpreter (``pyvenv.cfg``'s ``executable``), the
site-packages folder and its mtime after the sync, and the number of packages; for a lock with
hardware variants also the variant installed and why (`cli.variant_stamp`). `stamp_matches`
compares all of it with what is there now, reading a few small files and one ``stat``: the
fast paths of ``pallet sync`` and ``pallet run`` (`cli.uptodate`) import nothing else. The file
is JSON written one ``"key": "value"`` per line, which `read_stamp` reads without ``json``
(importing it costs more than the whole check) unless a value holds an escape.
"""

from __future__ import annotations

import os

from .. import __version__
from ..lock.stamp import sha256_hex

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "SYNC_JOURNAL",
    "SYNC_STAMP",
    "normalize_name",
    "read_stamp",
    "selection_text",
    "stamp_matches",
    "stamp_values",
    "write_stamp",
]

SYNC_STAMP = ".pallet-sync.json"
SYNC_JOURNAL = ".pallet-journal"
PYTHON_VERSION_FILE = ".python-version"
PYPROJECT = "pyproject.toml"


def normalize_name(name: str) -> str:
    """PEP 503/685 name normalization, without ``re``."""
    out = name.lower().replace("_", "-").replace(".", "-")
    while "--" in out:
        out = out.replace("--", "-")
    return out


def selection_text(
    *,
    extras: Sequence[str] = (),
    all_extras: bool = False,
    groups: Sequence[str] | None = None,
    add_groups: Sequence[str] = (),
    no_groups: Sequence[str] = (),
    exact: bool = True,
    install_project: bool = True,
    packages: Sequence[str] | None = None,
) -> str:
    """The canonical text of a sync's selection, as its stamp records it (the same text for the
    same meaning: names normalized, sorted, duplicates dropped). ``pallet sync`` without options,
    like `install.sync.Selection()` with default `SyncOptions`, is ``selection_text()``."""

    def names(values: Sequence[str]) -> str:
        return ",".join(sorted({normalize_name(v) for v in values}))

    return ";".join(
        [
            "extras=" + ("*" if all_extras else names(extras)),
            "groups=" + ("default" if groups is None else "only:" + names(groups)),
            "add-groups=" + names(add_groups),
            "no-groups=" + names(no_groups),
            "exact=" + ("1" if exact else "0"),
            "project=" + ("1" if install_project else "0"),
            # a workspace's --package (absent otherwise, so that other stamps keep their text)
            *([] if packages is None else ["packages=" + names(packages)]),
        ]
    )


def read_stamp(path: str) -> dict[str, str] | None:
    """The stamp's values as text; None when there is none or it is unreadable."""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except (OSError, UnicodeDecodeError):
        return None
    if "\\" in text:
        import json

        try:
            data = json.loads(text)
        except ValueError:
            return None
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip().rstrip(",")
        if not line.startswith('"'):
            continue
        key, sep, value = line[1:].partition('": ')
        if sep and value.startswith('"') and value.endswith('"'):
            out[key] = value[1:-1]
    return out


def _pyvenv_executable(venv: str) -> str:
    try:
        with open(os.path.join(venv, "pyvenv.cfg"), encoding="utf-8") as stream:
            for line in stream:
                key, sep, value = line.partition("=")
                if sep and key.strip().lower() == "executable":
                    return value.strip()
    except (OSError, UnicodeDecodeError):
        pass
    return ""


def _file_digest(path: str) -> str:
    try:
        with open(path, "rb") as stream:
            return sha256_hex(stream.read())
    except OSError:
        return ""


def python_request(request: str | None) -> str:
    """The interpreter request a sync acts on: ``--python``, else ``PALLET_PYTHON``, else none."""
    return request or os.environ.get("PALLET_PYTHON", "")


def stamp_values(
    project_dir: str, venv: str, lock_path: str, request: str | None = None
) -> dict[str, str]:
    """What a stamp records of the project, lock and environment as they are now (besides the
    selection, the site-packages folder and the package count). `request` is ``--python``'s."""
    return {
        # the same request finds the same interpreter (as an unchanged .python-version does)
        "python-request": python_request(request),
        "pallet": __version__,
        "lock-path": lock_path,
        "lock": _file_digest(lock_path),
        "project": _file_digest(os.path.join(project_dir, PYPROJECT)),
        "python-version-file": _file_digest(os.path.join(project_dir, PYTHON_VERSION_FILE)),
        "python": _pyvenv_executable(venv),
    }


def write_stamp(
    project_dir: str,
    venv: str,
    lock_path: str,
    selection: str,
    site_packages: str,
    packages: int,
    request: str | None = None,
    variant: Mapping[str, str] | None = None,
) -> None:
    """Write the stamp (atomically; last thing a successful sync does). `variant`: the hardware
    variant's keys (``variant``, ``variant-mode``, ...: `cli.variant_stamp`), for a lock that
    has variants."""
    import json

    values = stamp_values(project_dir, venv, lock_path, request)
    values.update(variant or {})
    values["selection"] = selection
    values["site-packages"] = site_packages
    values["site"] = str(os.stat(site_packages).st_mtime_ns)
    values["packages"] = str(packages)
    text = json.dumps(values, indent=0, ensure_ascii=False) + "\n"
    path = os.path.join(venv, SYNC_STAMP)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(tmp, path)


def stamp_matches(
    project_dir: str, venv: str, selection: str, lock_path: str = "", request: str | None = None
) -> Mapping[str, str] | None:
    """The stamp when the environment at `venv` is as the last sync of the lock (default
    ``<project_dir>/pylock.toml``) with this `selection` left it, and nothing it depends on has
    changed since, the interpreter request (`request`, ``PALLET_PYTHON``) included; None
    otherwise (also while a journal says a sync was interrupted). The lock's freshness for
    pyproject.toml is not checked here (`cli.uptodate.fast_sync_state` does)."""
    if os.path.exists(os.path.join(venv, SYNC_JOURNAL)):
        return None
    stamp = read_stamp(os.path.join(venv, SYNC_STAMP))
    if stamp is None or stamp.get("selection") != selection:
        return None
    lock_path = lock_path or os.path.join(project_dir, "pylock.toml")
    for key, value in stamp_values(project_dir, venv, lock_path, request).items():
        if stamp.get(key) != value:
            return None
    if not stamp["lock"] or not stamp["python"] or not os.path.exists(stamp["python"]):
        return None
    try:
        site = os.stat(stamp.get("site-packages", "")).st_mtime_ns
    except OSError:
        return None
    return stamp if str(site) == stamp.get("site") else None
