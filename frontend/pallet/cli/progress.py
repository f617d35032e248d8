"""What ``pallet lock`` shows while it resolves: counts for the progress line, and which resolver
warnings are worth repeating on a re-lock."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from ..index.models import DistFile, DistMetadata, PackageFinder

__all__ = ["CountingFinder", "quiet_known_entries"]


class CountingFinder:
    """A `PackageFinder` that passes every call on and counts them for the progress line."""

    def __init__(self, inner: PackageFinder) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._projects: set[str] = set()
        self._metadata = 0

    def files(self, name: NormalizedName) -> Sequence[DistFile]:
        with self._lock:
            self._projects.add(name)
        return self._inner.files(name)

    def metadata(self, file: DistFile) -> DistMetadata:
        with self._lock:
            self._metadata += 1
        return self._inner.metadata(file)

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        self._inner.prefetch(names)

    def __getattr__(self, name: str) -> Any:  # anything else the finder offers, as it is
        return getattr(self._inner, name)

    def status(self) -> str:
        """``Resolving: 12 projects, 30 metadata reads`` (the progress line adds the time)."""
        with self._lock:
            projects, metadata = len(self._projects), self._metadata
        return f"Resolving: {projects} projects, {metadata} metadata reads"


@contextmanager
def quiet_known_entries(entries: set[tuple[str, str]]) -> Iterator[None]:
    """Drop resolver warnings about lock entries the previous lock already held.

    A warning about a lock entry carries ``extra={"lock_entry": (name, version)}``; it was shown
    when that entry was first locked, so a re-lock repeats only the warnings of new or changed
    entries.
    """

    def keep(record: logging.LogRecord) -> bool:
        entry = getattr(record, "lock_entry", None)
        return entry is None or (str(entry[0]), str(entry[1])) not in entries

    # Records of pallet.* loggers reach the handlers of "pallet" (see cli.main._route_logging);
    # a logger's own filters would not see records propagated from its children.
    handlers = list(logging.getLogger("pallet").handlers)
    for handler in handlers:
        handler.addFilter(keep)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(keep)
