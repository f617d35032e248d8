"""Where global tools live: their environments' folder and the bin folder; standard library only.

The XDG base directory spec (https://specifications.freedesktop.org/basedir-spec/latest/)
decides the defaults, as it does uv's (``uv tool dir``) and pipx's: environments under
``$XDG_DATA_HOME/pallet/tools`` (``~/.local/share/pallet/tools``), executables in
``$XDG_BIN_HOME``, else ``$XDG_DATA_HOME/../bin``, else ``~/.local/bin``. The spec says a
relative value is invalid and must be ignored; so it is here. ``PALLET_TOOL_DIR`` and
``PALLET_TOOL_BIN_DIR`` move either folder (``~`` expanded).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..envvars import PALLET_TOOL_BIN_DIR, PALLET_TOOL_DIR, XDG_BIN_HOME, XDG_DATA_HOME
from ..errors import SetupError

__all__ = ["bin_dir", "home_dir", "on_path", "tool_dir"]


def home_dir(env: Mapping[str, str]) -> Path:
    """``$HOME`` (what the shell's ``~`` is), else the password database's answer."""
    home = env.get("HOME", "").strip()
    if home:
        return Path(home)
    try:
        return Path.home()
    except RuntimeError:
        raise SetupError("HOME is not set and the user's home folder cannot be found") from None


def _xdg(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value) if value and Path(value).is_absolute() else None


def _configured(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    return Path(value).expanduser().absolute()


def tool_dir(env: Mapping[str, str]) -> Path:
    """The folder holding one sub-folder per installed tool."""
    configured = _configured(env, PALLET_TOOL_DIR)
    if configured is not None:
        return configured
    data = _xdg(env, XDG_DATA_HOME) or home_dir(env) / ".local" / "share"
    return data / "pallet" / "tools"


def bin_dir(env: Mapping[str, str]) -> Path:
    """The folder the tools' console scripts are linked into (one meant to be on ``PATH``)."""
    configured = _configured(env, PALLET_TOOL_BIN_DIR) or _xdg(env, XDG_BIN_HOME)
    if configured is not None:
        return configured
    data = _xdg(env, XDG_DATA_HOME)
    if data is not None:
        return Path(os.path.normpath(data / ".." / "bin"))
    return home_dir(env) / ".local" / "bin"


def on_path(folder: Path, env: Mapping[str, str]) -> bool:
    """Whether `folder` is one of ``PATH``'s entries (compared as real paths)."""
    wanted = os.path.realpath(folder)
    for entry in env.get("PATH", "").split(os.pathsep):
        if entry and os.path.realpath(Path(entry).expanduser()) == wanted:
            return True
    return False
