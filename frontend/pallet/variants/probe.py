# ruff: noqa: PTH116, PTH118, PTH208
"""`Probe`: every read detection makes, through one root, ``PATH`` and a timeout, remembered.

Each file read and each tool looked up on ``PATH`` is recorded with its identity (inode, mtime,
size, or absent): the detection cache's key (`cache.py`). ``subprocess`` is imported only when a
tool actually runs; paths stay ``os`` strings (no pathlib on the cached path).
"""

from __future__ import annotations

import os

__all__ = ["Probe", "identity"]

Identity = tuple[int, int, int] | None


def identity(path: str) -> Identity:
    """(st_ino, st_mtime_ns, st_size) of `path`, None when it is absent or unreadable."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class Probe:
    """Reads under `root`, finds tools on `path`, and remembers what it touched."""

    def __init__(self, root: str, path: str | None, system: str, timeout: float) -> None:
        self.root = root
        self.path = path
        self.system = system
        self.timeout = timeout
        self.seen: dict[str, Identity] = {}  # real path -> identity when read
        self.listed: dict[str, list[str]] = {}  # real folder -> its names when listed

    def real(self, path: str) -> str:
        """``/sys/module/nvidia/version`` under the root."""
        return os.path.join(self.root, path.lstrip("/"))

    def read(self, path: str) -> str | None:
        """The text of `path` under the root (None when absent or unreadable), recorded."""
        real = self.real(path)
        self.seen[real] = identity(real)
        try:
            with open(real, encoding="utf-8", errors="replace") as file:
                return file.read(1 << 20)
        except OSError:
            return None

    def listdir(self, path: str) -> list[str]:
        """The sorted names in a folder under the root ([] when absent), recorded."""
        real = self.real(path)
        try:
            names = sorted(os.listdir(real))
        except OSError:
            names = []
        self.listed[real] = names
        return names

    def which(self, name: str) -> str | None:
        """The first executable `name` on PATH; each candidate looked at is recorded, so a tool
        that appears earlier on PATH later changes the key."""
        suffixes = (".exe", "") if self.system == "Windows" else ("",)
        for folder in (self.path or "").split(os.pathsep):
            if not folder:
                continue
            for suffix in suffixes:
                candidate = os.path.join(folder, name + suffix)
                found = identity(candidate)
                self.seen[candidate] = found
                if found is not None and os.access(candidate, os.X_OK):
                    return candidate
        return None

    def run(self, tool: str, *args: str) -> tuple[str | None, str]:
        """(stdout, '') when `tool` exits 0 in time, else (None, why) in a few words."""
        import subprocess

        posix = os.name == "posix"
        try:
            child = subprocess.Popen(
                [tool, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=posix,  # its own group: a hung tool's children die with it
            )
        except OSError as exc:
            return None, f"could not run: {exc.strerror or exc}"
        try:
            stdout, stderr = child.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill(child.pid, posix)
            child.kill()
            child.communicate()
            return None, f"timed out after {self.timeout:g} s"
        out = stdout.decode("utf-8", "replace")
        if child.returncode != 0:
            first = (out.strip() or stderr.decode("utf-8", "replace").strip()).splitlines()
            why = f"exit code {child.returncode}"
            return None, why + (f": {first[0][:120]}" if first else "")
        return out, ""


def _kill(pid: int, posix: bool) -> None:
    """End a timed-out tool's whole process group (POSIX), so no grandchild holds its pipes."""
    if posix:
        import signal

        try:  # noqa: SIM105 (contextlib is not imported on this path)
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
