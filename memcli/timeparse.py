"""Dates and times as people type them: ISO 8601, "yesterday 3pm", "last May", "in 2023".

Stored times are UTC ISO 8601 strings with a `Z` (they sort as text). Phrases are read in the
user's local time zone. ISO input never imports a parser; phrases use dateparser (English only:
other locales cost seconds to load), and ranges ("last May", "two weeks ago") use the small
layer below, which dateparser does not cover.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from memcli.errors import MemError

DB_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2,
    "few": 3, "several": 3,
}
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 2)}

Range = tuple[datetime, datetime]


def now_local() -> datetime:
    return datetime.now().astimezone()


def to_db(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means local wall-clock time
    return moment.astimezone(timezone.utc).strftime(DB_FORMAT)


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)  # ~10x faster than strptime


def _iso(text: str) -> datetime | None:
    candidate = text.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$", candidate):
        return None
    candidate = candidate.replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(candidate)
        return moment if moment.tzinfo else moment.astimezone()
    except (ValueError, OverflowError):
        return None


def _start_of_day(day: date, tz) -> datetime:
    return datetime.combine(day, time.min).replace(tzinfo=tz)


def _month_range(year: int, month: int, tz) -> Range:
    start = _start_of_day(date(year, month, 1), tz)
    last = calendar.monthrange(year, month)[1]
    return start, _start_of_day(date(year, month, last), tz) + timedelta(days=1)


def _amount(word: str) -> int | None:
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def parse_range(text: str, now: datetime | None = None) -> Range | None:
    """Read a phrase that names a span of time; None when it names none."""
    now = now or now_local()
    tz = now.tzinfo
    phrase = re.sub(r"\s+", " ", text.strip().lower())
    today = now.date()

    if phrase in ("today", "yesterday"):
        day = today if phrase == "today" else today - timedelta(days=1)
        start = _start_of_day(day, tz)
        return start, start + timedelta(days=1)
    match = re.fullmatch(r"(?:in |during )?((?:19|20)\d{2})", phrase)
    if match:
        year = int(match.group(1))
        return _start_of_day(date(year, 1, 1), tz), _start_of_day(date(year + 1, 1, 1), tz)
    match = re.fullmatch(r"(this|last|past|previous|next) (week|month|year|weekend)", phrase)
    if match:
        which, unit = match.groups()
        shift = {"this": 0, "next": 1}.get(which, -1)
        if unit in ("week", "weekend"):
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=shift)
            if unit == "weekend":
                saturday = _start_of_day(monday + timedelta(days=5), tz)
                return saturday, saturday + timedelta(days=2)
            start = _start_of_day(monday, tz)
            return start, start + timedelta(weeks=1)
        if unit == "month":
            year, month = today.year, today.month + shift
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
            return _month_range(year, month, tz)
        year = today.year + shift
        return _start_of_day(date(year, 1, 1), tz), _start_of_day(date(year + 1, 1, 1), tz)
    match = re.fullmatch(r"(?:in |during )?(last |this |next )?([a-z]+)(?: of)?(?: ((?:19|20)\d{2}))?", phrase)
    if match and (match.group(2) in MONTHS or match.group(2) in SEASONS):
        which, name, year_text = match.groups()
        which = (which or "").strip()
        if name in MONTHS:
            month = MONTHS[name]
            if year_text:
                year = int(year_text)
            elif which == "next":
                year = today.year if month > today.month else today.year + 1
            elif which == "this":
                year = today.year
            else:  # "last May" or plain "May": the most recent May that has started
                year = today.year if month < today.month or (month == today.month and not which) else today.year - 1
            return _month_range(year, month, tz)
        return _season(name, which, int(year_text) if year_text else None, today, tz)
    match = re.fullmatch(r"(\d+|[a-z]+(?: of)?) (day|week|month|year)s? ago", phrase)
    count = _amount(match.group(1)) if match else None
    if match and count is not None:
        unit = match.group(2)
        days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * count
        centre = _start_of_day(today - timedelta(days=days), tz)
        # "two weeks ago" is fuzzy: a window as wide as one unit, centred on the point.
        half = timedelta(days=max(1, {"day": 1, "week": 7, "month": 30, "year": 365}[unit]) / 2)
        return centre - half, centre + half + timedelta(days=1)
    match = re.fullmatch(r"(?:the )?(week|month|year) before last", phrase)
    if match:
        return parse_range(f"2 {match.group(1)}s ago", now)
    return None


def _season(name: str, which: str, year: int | None, today: date, tz: Any) -> Range:
    """A season as a span. Winter runs December to February and belongs to the year it ends in.
    "last summer" is the latest summer that is over (asked in December: this year's); "summer" the
    latest that has begun (the current one when inside it); "this summer" the current one, else
    the one that starts this calendar year; "next summer" the first that has not begun; "summer
    2021" is that year's."""
    first, last = SEASONS[name]

    def span(end_year: int) -> Range:
        start_year = end_year - 1 if first > last else end_year
        return _month_range(start_year, first, tz)[0], _month_range(end_year, last, tz)[1]

    if year is not None:
        return span(year)
    now = _start_of_day(today, tz)
    candidates = [span(y) for y in range(today.year - 2, today.year + 3)]
    if which == "last":
        return max(s for s in candidates if s[1] <= now)
    if which == "next":
        return min(s for s in candidates if s[0] > now)
    if which == "this":
        inside = [s for s in candidates if s[0] <= now < s[1]]
        return inside[0] if inside else next(s for s in candidates if s[0].year == today.year)
    return max(s for s in candidates if s[0] <= now)


def parse_when(text: str, now: datetime | None = None, *, end: bool = False) -> datetime:
    """A single moment. With `end`, a phrase naming a span gives the span's end (for --until).
    Moments stored times cannot hold (they are four-digit years in UTC, so that they sort as
    text) are a MemError."""
    if not text or not text.strip():
        raise MemError("empty date", "give a date such as 2024-05-01 or 'yesterday 3pm'")
    try:
        moment = _parse_when(text, now, end=end)
        in_range = 1000 <= moment.astimezone(timezone.utc).year <= 9999
    except (OverflowError, ValueError):
        in_range = False
    if not in_range:
        raise MemError(f"the date {text!r} is out of range", "use a date between the years 1000 and 9999")
    return moment


def _parse_when(text: str, now: datetime | None = None, *, end: bool = False) -> datetime:
    moment = _iso(text)
    if moment is not None:
        if end and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            moment += timedelta(days=1)
        return moment
    now = now or now_local()
    span = parse_range(text, now)
    if span is not None:
        return span[1] if end else span[0]
    import dateparser  # ~100 ms: only for phrases

    settings = {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    if parsed is None:
        raise MemError(f"cannot read the date {text!r}", "use ISO 8601 (2024-05-01T15:00) or a phrase like 'yesterday 3pm'")
    return parsed.replace(tzinfo=now.tzinfo)
