"""Working days: Sundays (or other configured rest days) and Vietnamese public holidays,
from the `holidays` package, are not working days; reminders and escalations move off
them to the next working day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY_LABELS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]


class WorkCalendar:
    def __init__(self, rest_weekdays: Iterable[str] = ("sunday",),
                 national_holidays: bool = True) -> None:
        self.rest = frozenset(WEEKDAYS.index(day) for day in rest_weekdays)
        self._national = national_holidays
        self._holidays: holidays.HolidayBase = holidays.country_holidays("VN", language="vi") \
            if national_holidays else holidays.HolidayBase()

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day) if self._national else None

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.rest and day not in self._holidays

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day`."""
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day
