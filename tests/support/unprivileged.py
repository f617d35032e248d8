"""A command prefix under which file modes apply, for tests of unwritable folders.

Root ignores file modes, so a test that makes a folder read-only proves nothing when the suite
runs as root (as CI does). Inside a user namespace of its own (``unshare --user``) root is
nobody to its own files, and the modes apply again.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

__all__ = ["unprivileged_prefix"]


def unprivileged_prefix() -> list[str]:
    """``[]`` for an ordinary user; ``["unshare", "--user"]`` for root; skips the test when
    neither can make file modes apply (root without user namespaces, or Windows)."""
    if os.name == "nt":
        pytest.skip("POSIX file modes")
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "--user", "true"], check=False).returncode:
        pytest.skip("running as root without unshare --user: file modes do not apply")
    return [unshare, "--user"]
