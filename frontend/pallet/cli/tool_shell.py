"""``pallet tool update-shell``: the bin folder added to ``PATH`` in the shells' start-up files.

Which files: the one of the user's shell (``$SHELL``'s name), created when missing, and those of
the other shells pallet knows that exist already: bash reads ``~/.bashrc`` in interactive shells,
zsh ``${ZDOTDIR:-~}/.zshrc``, fish every ``$XDG_CONFIG_HOME/fish/conf.d/*.fish`` (fish's
documented place for snippets, so pallet's is a file of its own). Each gets one line ending in
`MARKER`; a file that has the line already is left alone, so running it twice changes nothing.
Nothing at all changes when the folder is on ``PATH`` already. Each file is rewritten
atomically (a temp file beside it, then `os.replace`), its mode kept.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

from .. import ui
from ..envvars import XDG_CONFIG_HOME
from ..errors import PalletError
from .tool_dirs import home_dir, on_path

__all__ = ["MARKER", "path_line", "start_up_files", "update_shell"]

MARKER = "# added by `pallet tool update-shell`"
SHELLS = ("bash", "zsh", "fish")


def start_up_files(env: Mapping[str, str]) -> dict[str, Path]:
    """Each known shell's start-up file, by shell name."""
    home = home_dir(env)
    zdotdir = env.get("ZDOTDIR", "").strip()
    config = env.get(XDG_CONFIG_HOME, "").strip()
    config_home = Path(config) if config and Path(config).is_absolute() else home / ".config"
    return {
        "bash": home / ".bashrc",
        "zsh": (Path(zdotdir) if zdotdir else home) / ".zshrc",
        "fish": config_home / "fish" / "conf.d" / "pallet-tools.fish",
    }


def path_line(shell: str, folder: Path) -> str:
    """The line that puts `folder` first on ``PATH`` in `shell` (its quoting is POSIX's, which
    fish reads the same for a path)."""
    quoted = shlex.quote(str(folder))
    if shell == "fish":
        return f"set -gx PATH {quoted} $PATH  {MARKER}"
    return f'export PATH={quoted}:"$PATH"  {MARKER}'


def update_shell(folder: Path, env: Mapping[str, str]) -> list[Path]:
    """Add `folder` to ``PATH`` in the start-up files; the files changed."""
    if on_path(folder, env):
        ui.info(f"{folder} is already on PATH; nothing changed")
        return []
    files = start_up_files(env)
    own = Path(env.get("SHELL", "")).name
    chosen = [s for s in SHELLS if s == own or files[s].exists()]
    if not chosen:
        raise PalletError(
            f"SHELL={env.get('SHELL', '')!r}: not bash, zsh or fish, and none of their start-up "
            f"files exists; add {folder} to PATH yourself"
        )
    changed = []
    for shell in chosen:
        path = files[shell]
        line = path_line(shell, folder)
        try:
            old = path.read_text(encoding="utf-8") if path.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise PalletError(f"{path}: cannot be read: {getattr(exc, 'strerror', exc)}") from None
        if line in old.splitlines():
            ui.info(f"{path} already adds {folder} to PATH (a new shell will have it)")
            continue
        text = old + ("" if not old or old.endswith("\n") else "\n") + line + "\n"
        _replace(path, text)
        changed.append(path)
        ui.info(f"Added {folder} to PATH in {path}")
    if changed:
        ui.info("Open a new shell (or source the file) for it to take effect")
    return changed


def _replace(path: Path, text: str) -> None:
    from .project_files import write_atomic

    path = Path(os.path.realpath(path))  # a start-up file linked from a dotfiles folder stays so
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"), mode=mode)
    except OSError as exc:
        raise PalletError(f"{path}: cannot be written: {exc.strerror or exc}") from None
