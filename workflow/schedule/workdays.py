"""Working days: Saturdays and Sundays (or other configured rest days) and Vietnamese
public holidays, from the `holidays` package, are not working days; the calendar's moved
days override both (a make-up Saturday is worked, a swapped day is off). Reminders and
escalations move off rest days to the next working day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays

from workflow.definitions.specs import WEEKDAYS, MovedDay

WEEKDAY_LABELS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]


class WorkCalendar:
    def __init__(self, rest_weekdays: Iterable[str] = ("saturday", "sunday"),
                 national_holidays: bool = True, extra_working_days: Iterable[MovedDay] = (),
                 extra_days_off: Iterable[MovedDay] = ()) -> None:
        self.rest = frozenset(WEEKDAYS.index(day) for day in rest_weekdays)
        self._national = national_holidays
        self._holidays: holidays.HolidayBase = holidays.country_holidays("VN", language="vi") \
            if national_holidays else holidays.HolidayBase()
        self.worked = {moved.day: moved.name for moved in extra_working_days}
        self.off = {moved.day: moved.name for moved in extra_days_off}

    def holiday_name(self, day: date) -> str | None:
        """Why `day` is off although it is not a rest weekday (a holiday or a swapped day)."""
        if day in self.off:
            return self.off[day]
        return self._holidays.get(day) if self._national else None

    def is_working_day(self, day: date) -> bool:
        if day in self.worked:
            return True
        if day in self.off:
            return False
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
