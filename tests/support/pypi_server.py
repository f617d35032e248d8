"""A real pypiserver on 127.0.0.1 with htpasswd authentication, for the ``pallet publish`` tests.

What it holds is read from its package folder (`PypiServer.files`); ``USER``/``PASSWORD`` and the
token ``TOKEN`` may upload.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

__all__ = ["PASSWORD", "TOKEN", "USER", "PypiServer"]

#: htpasswd users (passlib writes the file); the token is a password like any other there
USER, PASSWORD = "alice", "s3cret-Pa55-word"
TOKEN = "pypi-AgEIcHlwaS5vcmcCJGZha2UtdG9rZW4tZm9yLXRlc3Rz"


class PypiServer:
    """``pypi-server run`` as a subprocess on a free loopback port, uploads need htpasswd."""

    def __init__(self, root: Path) -> None:
        from passlib.apache import HtpasswdFile

        self.packages = root / "packages"
        self.packages.mkdir()
        htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
        htpasswd.set_password(USER, PASSWORD)
        htpasswd.set_password("__token__", TOKEN)
        htpasswd.save()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.simple = f"{self.url}simple/"
        self.log = (root / "server.log").open("w")
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1"),
                *("-p", str(self.port), "-P", str(root / "htpasswd"), "-a", "update"),
                str(self.packages),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.simple, timeout=2):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError((root / "server.log").read_text()) from None
                time.sleep(0.1)

    def files(self) -> set[str]:
        return {p.name for p in self.packages.iterdir()}

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()
            self.proc.wait()
        self.log.close()
