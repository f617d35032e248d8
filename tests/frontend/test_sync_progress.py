"""pallet sync's download status line (the `install.fetch.ProgressSink` cli.sync gives fetch)."""

from __future__ import annotations

from pathlib import Path

from pallet.cli.sync import _DownloadProgress
from pallet.install.fetch import Artifact


def artifact(name: str, size: int) -> Artifact:
    return Artifact(name, "1.0", f"{name}-1.0-py3-none-any.whl", "0" * 64, None, Path("/x"), size)


def test_status_counts_files_and_names_the_largest_download() -> None:
    sink = _DownloadProgress()
    assert sink.status() == "Preparing packages"
    small, big = artifact("small", 1000), artifact("torch", 2 * 1024**3)
    sink.start(small, 1000)
    sink.start(big, 2 * 1024**3)
    sink.advance(small, 1000)
    sink.finish(small)
    sink.advance(big, 512 * 1024**2)
    status = sink.status()
    assert status.startswith("Downloading 1/2 files, 512.0 MiB (")
    assert status.endswith("; torch-1.0-py3-none-any.whl 512.0 MiB/2.0 GiB")
