"""``exclude-newer``: ignore files uploaded at or after a cutoff (a supply-chain cooldown).

Accepted values (``[tool.pallet.resolution]`` and per ``[[tool.pallet.index]]``):

- an RFC 3339 timestamp, ``"2024-06-01T00:00:00Z"`` (or a TOML offset datetime); one without an
  offset is read as UTC;
- a date, ``"2024-06-01"`` (or a TOML date): the start of that day in UTC, so the lock is the same
  on every machine whatever its time zone (uv reads it in the local time zone);
- a duration, ``"7 days"``, ``"1 week"``, ``"24 hours"``, ``"1 week 2 days"`` (units: seconds,
  minutes, hours, days, weeks; singular, plural or ``s``/``m``/``h``/``d``/``w``) or an ISO 8601
  duration such as ``"P7D"``: the cutoff is that long before the time of locking.

A duration's cutoff is computed when the lock is resolved and recorded in the lock
(``[tool.pallet] exclude-newer``); the fingerprint holds the value as written, so the lock stays
up to date as time passes, and a re-lock keeps the recorded cutoff until the setting changes or
``--upgrade`` asks for a fresh one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

__all__ = ["ExcludeNewer", "format_cutoff", "parse_cutoff", "parse_exclude_newer"]

_UNITS = {
    "s": 1,
    "second": 1,
    "m": 60,
    "minute": 60,
    "min": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
    "w": 604800,
    "week": 604800,
}
_PART = re.compile(r"(\d+)\s*([a-z]+)")
_ISO = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ExcludeNewer:
    """A parsed ``exclude-newer`` value: an absolute ``moment`` or a relative ``span``."""

    text: str  # as written (the fingerprint's input)
    moment: datetime | None = None  # UTC
    span: timedelta | None = None

    def cutoff(self, now: datetime) -> datetime:
        """The moment files must be uploaded before."""
        if self.moment is not None:
            return self.moment
        assert self.span is not None
        return (now - self.span).replace(microsecond=0)


def _span(text: str) -> timedelta | None:
    iso = _ISO.match(text.upper())
    if iso and text.upper() not in ("P", "PT") and any(iso.groups()):
        weeks, days, hours, minutes, seconds = (int(g or 0) for g in iso.groups())
        return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    lowered = text.lower().replace(",", " ")
    parts = _PART.findall(lowered)
    if not parts or _PART.sub("", lowered).strip():
        return None
    total = 0
    for amount, unit in parts:
        unit = unit.rstrip("s") if len(unit) > 1 else unit
        if unit not in _UNITS:
            return None
        total += int(amount) * _UNITS[unit]
    return timedelta(seconds=total)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_exclude_newer(value: object) -> ExcludeNewer:
    """A TOML value -> `ExcludeNewer`; `ValueError` with what is accepted otherwise."""
    if isinstance(value, datetime):
        return ExcludeNewer(format_cutoff(_utc(value)), moment=_utc(value))
    if isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        return ExcludeNewer(value.isoformat(), moment=moment)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a timestamp, a date or a duration")
    text = value.strip()
    span = _span(text)
    if span is not None:
        if span <= timedelta(0):
            raise ValueError(f"{value!r}: the duration must be longer than zero")
        return ExcludeNewer(text, span=span)
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a valid date") from None
        return ExcludeNewer(
            text, moment=datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        )
    found = parse_cutoff(text)
    if found is None:
        raise ValueError(
            f"{value!r} is not an RFC 3339 timestamp ('2024-06-01T00:00:00Z'), a date "
            "('2024-06-01') or a duration ('7 days', '1 week', 'P7D')"
        )
    return ExcludeNewer(text, moment=found)


def parse_cutoff(text: str) -> datetime | None:
    """An RFC 3339 timestamp (``Z`` or an offset; none means UTC) -> UTC datetime, else None."""
    candidate = text.strip()
    if candidate[-1:] in ("Z", "z"):
        candidate = candidate[:-1] + "+00:00"
    if "T" not in candidate.upper() and " " not in candidate:
        return None
    try:
        return _utc(datetime.fromisoformat(candidate))
    except ValueError:
        return None


def format_cutoff(moment: datetime) -> str:
    """UTC, second precision, ``Z``: ``2024-06-01T00:00:00Z``."""
    return _utc(moment).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
