"""Working days and the reminder ladder: weekends, Vietnamese holidays and the days the
government moves around them shift steps."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from workflow.clock import LOCAL_TZ
from workflow.definitions.specs import ActionMonth, DefinitionSet, MovedDay, ReminderPolicy
from workflow.schedule.ladder import Ladder
from workflow.schedule.workdays import WorkCalendar

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
    ("04/06/2022", False),  # state offices do not work on Saturdays
    ("03/06/2022", True),
])
def test_working_days(day: str, working: bool) -> None:
    assert WorkCalendar().is_working_day(d(day)) is working


def test_rest_days_can_be_configured() -> None:
    assert WorkCalendar(("sunday",)).is_working_day(d("04/06/2022"))
    assert WorkCalendar(national_holidays=False).is_working_day(d("02/09/2022"))


@pytest.mark.parametrize(("day", "working"), [
    ("26/04/2025", True), ("02/05/2025", False),   # 2025: Saturday worked for Friday 02/05
    ("22/08/2026", True), ("31/08/2026", False),   # 2026: Saturday worked for Monday 31/08
    ("04/05/2024", True), ("29/04/2024", False),
    ("27/04/2025", False), ("03/05/2025", False),  # the weekends around them stay off
    ("24/11/2026", False),                         # Ngày Văn hóa Việt Nam, from 2026
    ("17/02/2026", False), ("23/02/2026", True),   # Tết Bính Ngọ, then back to work
])
def test_shipped_calendar_knows_the_moved_days(shipped: DefinitionSet, day: str,
                                               working: bool) -> None:
    workdays = Ladder.from_policy(shipped.calendars["default"].policy).workdays
    assert workdays.is_working_day(d(day)) is working


def test_moved_days_change_the_ladder() -> None:
    """A make-up Saturday carries steps; a swapped Friday off moves them on."""
    policy = ReminderPolicy(extra_working_days=(MovedDay(d("26/04/2025"), "làm bù"),),
                            extra_days_off=(MovedDay(d("02/05/2025"), "nghỉ hoán đổi"),))
    moved = Ladder.from_policy(policy)
    assert moved.step_day(STEPS["overdue"], d("26/04/2025")) == d("26/04/2025")
    assert LADDER.step_day(STEPS["overdue"], d("26/04/2025")) == d("28/04/2025")
    assert moved.step_day(STEPS["overdue"], d("02/05/2025")) == d("05/05/2025")
    assert moved.workdays.holiday_name(d("02/05/2025")) == "nghỉ hoán đổi"


# Hand-checked step days per deadline day D ("trước ngày D").
EXPECTED = {
    "05/06/2022": {"before-7": "30/05/2022", "last-day": None, "overdue": "06/06/2022",
                   "escalation-1": "08/06/2022", "escalation-2": "14/06/2022"},
    "05/12/2022": {"before-7": "28/11/2022", "last-day": None, "overdue": "05/12/2022",
                   "escalation-1": "08/12/2022", "escalation-2": "14/12/2022"},
    "07/05/2023": {"before-7": "04/05/2023", "last-day": None, "overdue": "08/05/2023",
                   "escalation-1": "10/05/2023", "escalation-2": "16/05/2023"},
    "28/01/2023": {"before-7": "27/01/2023", "last-day": "27/01/2023", "overdue": "30/01/2023",
                   "escalation-1": "01/02/2023", "escalation-2": "07/02/2023"},
    "09/09/2023": {"before-7": "05/09/2023", "last-day": "08/09/2023", "overdue": "11/09/2023",
                   "escalation-1": "13/09/2023", "escalation-2": "19/09/2023"},
    # the examples: escalation-1 of 05/07 and 20/12/2023 fell on Saturdays 08/07, 23/12
    "05/07/2023": {"escalation-1": "10/07/2023", "escalation-2": "14/07/2023"},
    "20/12/2023": {"escalation-1": "25/12/2023", "escalation-2": "29/12/2023"},
}


@pytest.mark.parametrize("deadline", sorted(EXPECTED))
def test_step_days_move_off_weekends_and_holidays(deadline: str) -> None:
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
