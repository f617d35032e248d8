"""`parse_exclude_newer`: timestamps, dates and durations, against datetime's own arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from pallet.project.exclude_newer import format_cutoff, parse_exclude_newer

UTC = timezone.utc
NOW = datetime(2026, 3, 10, 12, 30, 15, 999, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-01T00:00:00Z", datetime(2024, 6, 1, tzinfo=UTC)),
        ("2024-06-01T02:00:00+02:00", datetime(2024, 6, 1, tzinfo=UTC)),
        ("2024-06-01T00:00:00", datetime(2024, 6, 1, tzinfo=UTC)),
        ("2024-06-01", datetime(2024, 6, 1, tzinfo=UTC)),
        (date(2024, 6, 1), datetime(2024, 6, 1, tzinfo=UTC)),
        (
            datetime(2024, 6, 1, 2, tzinfo=timezone(timedelta(hours=2))),
            datetime(2024, 6, 1, tzinfo=UTC),
        ),
        ("7 days", NOW.replace(microsecond=0) - timedelta(days=7)),
        ("1 week", NOW.replace(microsecond=0) - timedelta(weeks=1)),
        ("1 week 2 days", NOW.replace(microsecond=0) - timedelta(days=9)),
        ("24 hours", NOW.replace(microsecond=0) - timedelta(hours=24)),
        ("30 minutes", NOW.replace(microsecond=0) - timedelta(minutes=30)),
        ("P7D", NOW.replace(microsecond=0) - timedelta(days=7)),
        ("PT12H", NOW.replace(microsecond=0) - timedelta(hours=12)),
    ],
)
def test_cutoffs(value: object, expected: datetime) -> None:
    assert parse_exclude_newer(value).cutoff(NOW) == expected


@pytest.mark.parametrize(
    "value", ["soon", "", "0 days", "7 fortnights", "2024-02-30", "P", 7, True, "2024-06-01T25:00Z"]
)
def test_invalid(value: object) -> None:
    with pytest.raises(ValueError, match=repr(value) if isinstance(value, str) else "not a"):
        parse_exclude_newer(value)


def test_format() -> None:
    assert format_cutoff(datetime(2024, 6, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2024-06-01T02:03:04Z"
