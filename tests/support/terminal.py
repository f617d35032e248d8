"""A pseudo-terminal for pallet's output: run pallet with stderr on one (`on_terminal`), and
read back what the screen shows (`Screen`, a minimal ANSI interpreter)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["COLUMNS", "SGR", "Screen", "on_terminal"]

#: The terminal's width unless a test says otherwise.
COLUMNS = 100
#: ECMA-48 Select Graphic Rendition: colours and bold.
SGR = re.compile(r"\x1b\[[0-9;]*m")


class Screen:
    """Just enough of a terminal for pallet's output: text, CR, LF, cursor up (CUU), erase in
    line (EL) and erase below (ED); colours (SGR) are dropped."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = [[]]
        self.row = self.col = 0

    def feed(self, text: str) -> None:
        for token in re.findall(r"\x1b\[[0-9;]*[A-Za-z]|.", text, re.S):
            if token.startswith("\x1b["):
                arg, op = token[2:-1], token[-1]
                if op == "A":
                    self.row = max(self.row - int(arg or 1), 0)
                elif op == "K":
                    del self.rows[self.row][self.col :]
                elif op == "J":
                    del self.rows[self.row][self.col :]
                    del self.rows[self.row + 1 :]
            elif token == "\r":
                self.col = 0
            elif token == "\n":
                self.row += 1
                while len(self.rows) <= self.row:
                    self.rows.append([])
            else:
                line = self.rows[self.row]
                line.extend(" " * (self.col - len(line)))
                if self.col < len(line):
                    line[self.col] = token
                else:
                    line.append(token)
                self.col += 1

    def lines(self) -> list[str]:
        return [text for text in ("".join(r).rstrip() for r in self.rows) if text]


def on_terminal(
    project: Path,
    env: dict[str, str],
    *args: str,
    interrupt_when: str | None = None,
    term: str = "xterm",
    columns: int = COLUMNS,
    python_args: Sequence[str] = ("-m", "pallet"),
) -> tuple[int, str]:
    """Run pallet (or ``python PYTHON_ARGS ARGS``) with stderr on a pseudo-terminal `columns`
    wide; its exit code and all it wrote there. `interrupt_when`: send SIGINT once this text
    has appeared."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, *python_args, *args],
        cwd=project,
        env=dict(env, TERM=term),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    interrupted = False
    try:
        while time.monotonic() < deadline:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal has closed it
                break
            if not data:
                break
            chunks.append(data)
            if interrupt_when and not interrupted and interrupt_when in b"".join(chunks).decode():
                proc.send_signal(signal.SIGINT)
                interrupted = True
    finally:
        os.close(master)
        code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode()
