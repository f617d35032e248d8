"""Core metadata of an sdist met while locking, through the one PEP 517 frontend (`pallet.pep517`).

PEP 643: a PKG-INFO of Metadata-Version 2.2+ whose dependencies are not ``Dynamic`` is used
as is. Otherwise `Pep517Builder.metadata` runs the backend's ``prepare_metadata_for_build_wheel``
(or ``build_wheel`` when the hook is missing) in an isolated environment whose build requirements
pip installs from the project's own indexes only (`IndexInstaller`). The caller caches the result
by the sdist's hash (`WheelMetadataFetcher.store`).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..pep517 import (
    IndexInstaller,
    Pep517Builder,
    hook_environment,
    pip_environment,
    static_pkg_info,
    unpack_sdist,
)

__all__ = ["SdistMetadataBuilder", "pip_environment", "static_pkg_info", "unpack_sdist"]

logger = logging.getLogger(__name__)


class SdistMetadataBuilder:
    """Builds metadata for sdists; at most ``parallel`` builds run at once."""

    def __init__(
        self,
        *,
        index_url: str | None,
        find_links: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        parallel: int = 2,
    ) -> None:
        base = dict(os.environ if env is None else env)
        self.builder = Pep517Builder(
            IndexInstaller(index_url, find_links, base), env=hook_environment(base)
        )
        self._slots = threading.Semaphore(parallel)

    def metadata(self, archive: Path, filename: str) -> bytes:
        """METADATA of the sdist at ``archive`` (``filename`` names it in errors)."""
        with tempfile.TemporaryDirectory(prefix="pallet-sdist-") as tmp:
            project_dir = unpack_sdist(archive, Path(tmp) / "src", filename)
            static = static_pkg_info(project_dir)
            if static is not None:
                logger.debug("%s: static PKG-INFO (PEP 643)", filename)
                return static
            with self._slots:
                dist_info = self.builder.metadata(project_dir, Path(tmp) / "out", label=filename)
            return (dist_info / "METADATA").read_bytes()

    def tree_metadata(self, project_dir: Path, label: str) -> bytes:
        """METADATA of a source tree (a local directory or a git checkout), built in place as
        pip and uv do; ``label`` names it in errors."""
        with tempfile.TemporaryDirectory(prefix="pallet-tree-") as tmp, self._slots:
            dist_info = self.builder.metadata(project_dir, Path(tmp) / "out", label=label)
            return (dist_info / "METADATA").read_bytes()
