"""`conflict_sides`: git's conflict hunks resolved each way (the marker format of git-merge(1),
"HOW CONFLICTS ARE PRESENTED", with and without the diff3 base section)."""

from __future__ import annotations

from pallet.lock.conflicts import conflict_sides

MERGE = """\
a = 1
<<<<<<< HEAD
b = "ours"
=======
b = "theirs"
c = 3
>>>>>>> feature
d = 4
<<<<<<< HEAD
=======
e = 5
>>>>>>> feature
"""

DIFF3 = """\
<<<<<<< ours
x = 1
||||||| base
x = 0
=======
x = 2
>>>>>>> theirs
"""


def test_each_side() -> None:
    assert conflict_sides(MERGE) == (
        'a = 1\nb = "ours"\nd = 4\n',
        'a = 1\nb = "theirs"\nc = 3\nd = 4\ne = 5\n',
    )


def test_diff3_base_is_dropped() -> None:
    assert conflict_sides(DIFF3) == ("x = 1\n", "x = 2\n")


def test_crlf_lines_keep_their_ends() -> None:
    text = MERGE.replace("\n", "\r\n")
    ours, theirs = conflict_sides(text) or ("", "")
    assert ours == 'a = 1\r\nb = "ours"\r\nd = 4\r\n'
    assert theirs.endswith("e = 5\r\n")


def test_no_complete_hunk_is_none() -> None:
    assert conflict_sides('a = 1\nb = "=======" \n') is None
    assert conflict_sides("<<<<<<< HEAD\na = 1\n=======\n") is None  # never closed
    assert conflict_sides("a = 1\n") is None
    # a marker needs its own line: text that merely starts like one is content
    assert conflict_sides("<<<<<<<<x\n") is None
