"""Working days and the reminder ladder: Sundays and Vietnamese holidays shift steps."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from workflow.clock import LOCAL_TZ
from workflow.ladder import Ladder
from workflow.specs import ActionMonth, ReminderPolicy
from workflow.workdays import WorkCalendar

LADDER = Ladder.from_policy(ReminderPolicy())
STEPS = {step.code: step for step in ReminderPolicy().steps}


def d(text: str) -> date:
    day, month, year = (int(x) for x in text.split("/"))
    return date(year, month, day)


@pytest.mark.parametrize(("day", "working"), [
    ("22/01/2023", False),  # Tết Nguyên Đán
    ("26/01/2023", False),  # mùng năm Tết 2023
    ("27/01/2023", True),
    ("30/04/2022", False), ("01/05/2022", False), ("02/05/2022", False),  # and observed days
    ("04/05/2022", True),
    ("02/09/2022", False), ("04/09/2023", False),  # Quốc khánh, observed on Monday in 2023
    ("05/06/2022", False),  # a Sunday
    ("04/06/2022", True),   # Saturdays work unless configured
])
def test_working_days(day: str, working: bool) -> None:
    assert WorkCalendar().is_working_day(d(day)) is working


def test_saturday_can_be_configured_as_rest_day() -> None:
    assert not WorkCalendar(("saturday", "sunday")).is_working_day(d("04/06/2022"))
    assert WorkCalendar(national_holidays=False).is_working_day(d("02/09/2022"))


# Hand-checked step days per deadline day D ("trước ngày D").
EXPECTED = {
    "05/06/2022": {"before-7": "30/05/2022", "last-day": "04/06/2022", "overdue": "06/06/2022",
                   "escalation-1": "08/06/2022", "escalation-2": "13/06/2022"},
    "05/12/2022": {"before-7": "28/11/2022", "last-day": None, "overdue": "05/12/2022",
                   "escalation-1": "08/12/2022", "escalation-2": "13/12/2022"},
    "07/05/2023": {"before-7": "04/05/2023", "last-day": "06/05/2023", "overdue": "08/05/2023",
                   "escalation-1": "10/05/2023", "escalation-2": "15/05/2023"},
    "28/01/2023": {"before-7": "27/01/2023", "last-day": "27/01/2023", "overdue": "28/01/2023",
                   "escalation-1": "01/02/2023", "escalation-2": "06/02/2023"},
    "09/09/2023": {"before-7": "05/09/2023", "last-day": "08/09/2023", "overdue": "09/09/2023",
                   "escalation-1": "13/09/2023", "escalation-2": "18/09/2023"},
}


@pytest.mark.parametrize("deadline", sorted(EXPECTED))
def test_step_days_move_off_sundays_and_holidays(deadline: str) -> None:
    for code, expected in EXPECTED[deadline].items():
        got = LADDER.step_day(STEPS[code], d(deadline))
        assert got == (d(expected) if expected else None), (deadline, code)


def test_steps_fire_at_the_send_time() -> None:
    instant = LADDER.step_instant(STEPS["overdue"], d("05/06/2022"))
    assert instant == datetime(2022, 6, 6, 8, 0, tzinfo=LOCAL_TZ)


def test_reminder_superseded_once_a_later_step_is_due() -> None:
    deadline = d("05/06/2022")
    on_time = datetime(2022, 5, 30, 8, 0, tzinfo=LOCAL_TZ)
    assert not LADDER.superseded(STEPS["before-7"], deadline, on_time)
    after_downtime = datetime(2022, 6, 6, 9, 0, tzinfo=LOCAL_TZ)
    assert LADDER.superseded(STEPS["before-7"], deadline, after_downtime)
    assert LADDER.superseded(STEPS["last-day"], deadline, after_downtime)
    assert not LADDER.superseded(STEPS["escalation-1"], deadline, after_downtime)


def test_digest_of_the_week_moves_off_holiday_monday() -> None:
    assert LADDER.latest_digest(datetime(2022, 5, 3, 9, 0, tzinfo=LOCAL_TZ)) == (
        "2022-W17", datetime(2022, 4, 25, 8, 0, tzinfo=LOCAL_TZ))  # 2/5 and 3/5 are holidays
    assert LADDER.latest_digest(datetime(2022, 5, 4, 9, 0, tzinfo=LOCAL_TZ)) == (
        "2022-W18", datetime(2022, 5, 4, 8, 0, tzinfo=LOCAL_TZ))
    week, instant = LADDER.latest_digest(datetime(2022, 6, 13, 7, 59, tzinfo=LOCAL_TZ))
    assert week == "2022-W23" and instant.date() == d("06/06/2022")


def test_action_month_opening() -> None:
    june = ActionMonth("june", "Tháng hành động", (1, 6), (30, 6))
    assert LADDER.opening_instant(june, 2022).date() == d("18/05/2022")
    assert LADDER.closing_instant(june, 2022) == datetime(2022, 7, 1, 0, 0, tzinfo=LOCAL_TZ)
