"""A ``pylock.toml`` left with git's merge-conflict markers, read back as its two sides.

``git merge`` of two branches that each re-locked leaves conflict hunks in the lock::

    <<<<<<< HEAD
    version = "1.0"
    ||||||| base        (only with merge.conflictStyle = diff3 / zdiff3)
    version = "0.9"
    =======
    version = "2.0"
    >>>>>>> feature

Such a file is not TOML, so it can never be up to date; but each side is a lock the user had,
and its pins are worth keeping when ``pallet lock`` writes the merged lock (as a person resolving
the conflict by hand would keep both branches' versions). `conflict_sides` gives the text of
each side: the lines outside the hunks, with the hunks resolved one way ("ours") or the other
("theirs"); the merge base of a diff3 hunk is dropped.
"""

from __future__ import annotations

__all__ = ["conflict_sides"]

_OURS, _BASE, _THEIRS, _END = "<<<<<<<", "|||||||", "=======", ">>>>>>>"


def _marker(line: str, marker: str) -> bool:
    """Whether ``line`` is a conflict marker line: the marker alone or followed by a space."""
    text = line.rstrip("\r\n")
    return text == marker or text.startswith(marker + " ")


def conflict_sides(text: str) -> tuple[str, str] | None:
    """``(ours, theirs)``: ``text`` with every conflict hunk resolved to its first or its last
    side; None when ``text`` has no complete conflict hunk (a marker without its partners is
    left to the TOML parser to reject)."""
    ours: list[str] = []
    theirs: list[str] = []
    state = ""  # "", "ours", "base", "theirs"
    hunks = 0
    for line in text.splitlines(keepends=True):
        if state == "" and _marker(line, _OURS):
            state = "ours"
        elif state == "ours" and _marker(line, _BASE):
            state = "base"
        elif state in ("ours", "base") and line.rstrip("\r\n") == _THEIRS:
            state = "theirs"
        elif state == "theirs" and _marker(line, _END):
            state = ""
            hunks += 1
        elif state == "":
            ours.append(line)
            theirs.append(line)
        elif state == "ours":
            ours.append(line)
        elif state == "theirs":
            theirs.append(line)
    if state or not hunks:
        return None
    return "".join(ours), "".join(theirs)
