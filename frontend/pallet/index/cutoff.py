"""``exclude-newer`` applied to an index's files: PEP 700 ``upload-time`` against a cutoff.

A file uploaded at or after the cutoff is dropped, as uv does. A file the index gives no upload
time for (PEP 700 puts it in JSON pages only: HTML pages never have one) is dropped too, with one
warning per index: without a time, nothing shows it is older than the cutoff, and a cooldown
that lets unknown files through protects nothing. Flat indexes have no upload times and are not
subject to the resolution's ``exclude-newer`` (a per-index one is refused there).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime

from packaging.utils import NormalizedName

from ..project.exclude_newer import parse_cutoff
from .models import DistFile

__all__ = ["UploadCutoff"]

logger = logging.getLogger(__name__)


class UploadCutoff:
    """The cutoff of one index (``text``: RFC 3339, as the lock records it)."""

    def __init__(self, index: str, text: str) -> None:
        moment = parse_cutoff(text)
        if moment is None:  # the caller formats it; never a user's text
            raise ValueError(f"invalid cutoff {text!r}")
        self.index = index
        self.text = text
        self.moment: datetime = moment
        self._warned = False
        self._lock = threading.Lock()
        #: how many files of a project the cutoff dropped (for the "not found" sentence)
        self.dropped: dict[NormalizedName, int] = {}

    def keep(self, name: NormalizedName, files: Sequence[DistFile]) -> list[DistFile]:
        kept = []
        undated = []
        for file in files:
            uploaded = parse_cutoff(file.upload_time) if file.upload_time else None
            if uploaded is None:
                undated.append(file.filename)
            elif uploaded < self.moment:
                kept.append(file)
        with self._lock:
            self.dropped[name] = len(files) - len(kept)
        if undated:
            with self._lock:
                warn, self._warned = not self._warned, True
            if warn:
                logger.warning(
                    "index %r gives no upload time for %s%s (PEP 700); with exclude-newer "
                    "(%s) such files are ignored",
                    self.index,
                    undated[0],
                    f" and {len(undated) - 1} other file(s)" if len(undated) > 1 else "",
                    self.text,
                )
        return kept
