"""Say which index is slow: one monitor thread watches the requests in flight.

A request that has waited ``notice`` seconds (``PALLET_SLOW_NOTICE``, default 5) for its answer
gets one warning line naming the index and its (redacted) URL; each index is named once per run,
so a hung index costs a few seconds of silence, not minutes. The thread starts with the first
request and is a daemon: it never delays the end of the process.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time

__all__ = ["SlowWatch"]

logger = logging.getLogger(__name__)


class SlowWatch:
    """Requests in flight, and one warning per slow index."""

    def __init__(self, notice: float, *, timeout: float, deadline: float) -> None:
        self.notice = notice
        self._limits = f"giving up after {deadline + timeout:g} s at most"
        self._lock = threading.Lock()
        self._inflight: dict[int, tuple[float, str, str]] = {}
        self._warned: set[str] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def begin(self, index: str, url: str) -> int:
        """Register a request (``url`` already redacted); returns the token for `end`."""
        token = next(self._ids)
        with self._lock:
            self._inflight[token] = (time.monotonic(), index, url)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pallet-slow-watch", daemon=True
                )
                self._thread.start()
        return token

    def end(self, token: int) -> None:
        with self._lock:
            self._inflight.pop(token, None)

    def _run(self) -> None:
        tick = min(max(self.notice / 4, 0.05), 1.0)
        while True:
            time.sleep(tick)
            now = time.monotonic()
            with self._lock:
                slow = [
                    (index, url, now - started)
                    for started, index, url in self._inflight.values()
                    if now - started >= self.notice and index not in self._warned
                ]
                self._warned.update(index for index, _url, _ in slow)
            for index, url, waited in {index: (index, url, w) for index, url, w in slow}.values():
                logger.warning(
                    "index %r is slow: no answer from %s after %.0f s; still waiting (%s)",
                    index,
                    url,
                    waited,
                    self._limits,
                )
