"""Unpacking a large wheel in a child process, so that it uses another core.

Unpacking is partly per-file Python work under the GIL. A wheel at least `PROCESS_MIN_BYTES`
long (numpy, pandas) is unpacked instead by ``python -I`` running this module's `main`, which
calls the very same `wheelfile.unpack_wheel`: the same checks before a byte is written, the same
hidden sibling renamed into place, first writer wins. The parent reads the result back with
`load_unpacked`. A child costs ~50 ms of CPU to start (interpreter and imports), so smaller
wheels stay in-process.

Only with `PROCESS_MIN_CORES` cores or more: on the 2-core test machine the unpacking threads
already keep both cores busy (zlib, file creation and hashing release the GIL; the 38 wheels
of bench/lock.py's project took ~2.3 s of CPU in ~1.2 s of wall time), and children made it
no faster and cost ~10 % more CPU (docs/install.md, "Speed").

A wheel the child refuses (`InstallError`) makes it exit with `_REFUSED` and the one-line
message on stderr, which the parent raises as its own `InstallError`. Any other failure of the
child (it could not start, it was killed) falls back to unpacking in-process, which reports the
problem itself if there is one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..errors import InstallError
from .wheelfile import UnpackedWheel, load_unpacked, unpack_wheel

__all__ = ["PROCESS_MIN_BYTES", "main", "unpack_any", "unpack_in_child"]

#: Wheels at least this long (compressed) are unpacked in a child process, on a machine with
#: `PROCESS_MIN_CORES`. numpy's 17 MB take ~0.4 s in-process; a child starts in ~0.05 s.
PROCESS_MIN_BYTES = 4 << 20
#: Children are used only on a machine with at least this many cores (see above).
PROCESS_MIN_CORES = 4
#: The child's exit status for a wheel it refused (its message on stderr).
_REFUSED = 3
#: Where `pallet` is imported from, for the child (it may not be on the child's default path).
_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from pallet.install.unpacking import main; sys.exit(main(sys.argv[2:]))"
)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def unpack_any(archive: Path, dest: Path, *, filename: str) -> UnpackedWheel:
    """`unpack_wheel`, in a child process for a large wheel on a machine with many cores."""
    done = load_unpacked(dest)
    if done is not None:
        return done
    try:
        big = os.path.getsize(archive) >= PROCESS_MIN_BYTES
    except OSError:
        big = False
    if big and _cores() >= PROCESS_MIN_CORES:
        done = unpack_in_child(archive, dest, filename=filename)
        if done is not None:
            return done
    return unpack_wheel(archive, dest, filename=filename)


def unpack_in_child(archive: Path, dest: Path, *, filename: str) -> UnpackedWheel | None:
    """`unpack_wheel` run by a child ``python -I``; `InstallError` for a wheel it refused, None
    when the child itself failed (the caller unpacks in-process then)."""
    command = [sys.executable, "-I", "-c", _BOOT, _ROOT, str(archive), str(dest), filename]
    try:
        child = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    except OSError:
        return None
    if child.returncode == _REFUSED:
        message = child.stderr.decode("utf-8", "replace").strip()
        if message:
            raise InstallError(message)
    if child.returncode == 0:
        return load_unpacked(dest)
    return None


def main(argv: list[str]) -> int:
    """The child: ``ARCHIVE DEST FILENAME``; 0 when `DEST` is complete, `_REFUSED` with the
    message on stderr for a wheel `unpack_wheel` refuses."""
    archive, dest, filename = argv
    try:
        unpack_wheel(Path(archive), Path(dest), filename=filename)
    except InstallError as exc:
        sys.stderr.write(f"{exc}\n")
        return _REFUSED
    return 0
