"""Vietnamese date forms: dd/mm/yyyy on input and output, and the deadline rule.

Deadline rule (applied everywhere): "trước ngày 05/6" names the first day on which the
report is late. A deadline on date D is the instant D 00:00 Asia/Ho_Chi_Minh; a report
received before that instant is on time, so the last day to report is D-1.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache

from workflow.clock import LOCAL_TZ, to_local
from workflow.errors import DateFormatError

_FULL = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})/(\d{1,2})\s*$")
_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})/(\d{4})\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")


def parse_date(text: str) -> date:
    """dd/mm/yyyy, also d/m/yyyy; ISO yyyy-mm-dd is accepted for operators."""
    match = _FULL.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return _make_date(year, month, day, text)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DateFormatError(f"'{text}' is not a date (expected dd/mm/yyyy)") from None


def parse_day_month(text: str) -> tuple[int, int]:
    """A yearly date 'dd/mm'; 29/02 is refused since it does not exist every year."""
    match = _DAY_MONTH.match(text)
    if not match:
        raise DateFormatError(f"'{text}' is not a yearly date (expected dd/mm)")
    day, month = int(match.group(1)), int(match.group(2))
    _make_date(2001, month, day, text)
    return day, month


def parse_partial_date(text: str) -> tuple[date, str]:
    """An issue date that may lack its day or month, as in 'ngày   tháng 4 năm 2022'.

    Returns the earliest possible date and the precision: 'day', 'month' or 'year'.
    """
    for pattern, precision in ((_FULL, "day"), (_MONTH_YEAR, "month"), (_YEAR, "year")):
        match = pattern.match(text)
        if not match:
            continue
        parts = [int(g) for g in match.groups()]
        if precision == "day":
            return _make_date(parts[2], parts[1], parts[0], text), precision
        if precision == "month":
            return _make_date(parts[1], parts[0], 1, text), precision
        return date(parts[0], 1, 1), precision
    raise DateFormatError(f"'{text}' is not a date (expected dd/mm/yyyy, mm/yyyy or yyyy)")


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise DateFormatError(f"'{text}' is not a real date ({exc})") from None


@lru_cache(maxsize=4096)
def deadline_instant(day: date) -> datetime:
    """The instant a deadline on `day` passes (see the module docstring)."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")
