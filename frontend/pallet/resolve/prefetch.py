"""Which dependencies are worth prefetching: the resolver's hint to the index client.

The index client speculatively reads the newest version of each page it loads and prefetches
the pages of that version's dependencies (`IndexClient`, ``prefetch_filter``). Deciding which of
those dependencies the lock can use means evaluating PEP 508 markers, which is the resolver's
job: `prefetch_filter` makes that decision from the lock's universe, and the index layer only
calls it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping

from packaging.requirements import Requirement

from .environments import UNDECIDABLE

__all__ = ["prefetch_filter"]


def prefetch_filter(
    environments: Iterable[Mapping[str, str]],
) -> Callable[[Requirement], bool]:
    """A predicate: may this requirement apply on one of ``environments`` (PEP 508 marker
    environments, e.g. `Environment.values` of the universe)?

    Requirements that mention ``extra`` are skipped: only some lock inputs ask for an extra, and
    extras often list many heavy optional packages. A marker that cannot be evaluated counts as
    applying (it is only a hint). Answers are memoised by marker text: few distinct markers recur.
    """
    targets = [dict(environment) for environment in environments]
    memo: dict[str, bool] = {}
    lock = threading.Lock()

    def applies(requirement: Requirement) -> bool:
        marker = requirement.marker
        if marker is None:
            return True
        text = str(marker)
        with lock:
            known = memo.get(text)
        if known is not None:
            return known
        if "extra" in text:
            answer = False
        elif not targets:
            answer = True
        else:
            answer = False
            for environment in targets:
                try:
                    if marker.evaluate(environment):
                        answer = True
                        break
                except UNDECIDABLE:  # e.g. a version comparison on an empty value
                    answer = True
                    break
        with lock:
            memo[text] = answer
        return answer

    return applies
