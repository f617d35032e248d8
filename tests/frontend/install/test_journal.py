"""install.journal: written durably, read back, unreadable means "repair everything"."""

from __future__ import annotations

from pathlib import Path

from pallet.install.journal import JOURNAL, clear_journal, read_journal, record_files, write_journal


def test_round_trip_and_clear(tmp_path: Path) -> None:
    assert read_journal(tmp_path) is None
    write_journal(tmp_path, {"b", "a"}, {"a": ["/x/a.py"]})
    journal = read_journal(tmp_path)
    assert journal is not None and journal.complete
    assert journal.names == {"a", "b"}
    assert journal.old_files == {"a": ("/x/a.py",)}
    clear_journal(tmp_path)
    assert not (tmp_path / JOURNAL).exists()


def test_truncated_journal_is_incomplete(tmp_path: Path) -> None:
    (tmp_path / JOURNAL).write_text('{"names": ["a"', encoding="utf-8")
    journal = read_journal(tmp_path)
    assert journal is not None and not journal.complete


def test_record_files_are_absolute(tmp_path: Path) -> None:
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    info = site / "a-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "RECORD").write_text("a/__init__.py,sha256=x,1\n../../../bin/a,,\n", encoding="utf-8")
    assert record_files(info) == (str(site / "a/__init__.py"), str(tmp_path / "bin/a"))
