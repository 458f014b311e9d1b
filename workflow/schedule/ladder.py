"""When each scheduled step happens: pure functions of dates and the reminder policy.

A step's day is derived from the task's deadline day D (the day named in "trước ngày D"),
moved to the next working day; it fires at the policy's send time, local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from workflow.clock import LOCAL_TZ, to_local
from workflow.definitions.specs import WEEKDAYS, ActionMonth, ReminderPolicy, ReminderStep
from workflow.schedule.workdays import WorkCalendar


@dataclass(frozen=True)
class Ladder:
    policy: ReminderPolicy
    workdays: WorkCalendar

    @classmethod
    def from_policy(cls, policy: ReminderPolicy) -> Ladder:
        return cls(policy, WorkCalendar(policy.rest_days, policy.national_holidays,
                                        policy.extra_working_days, policy.extra_days_off))

    def at(self, day: date, clock: tuple[int, int] | None = None) -> datetime:
        hour, minute = clock or self.policy.send_at
        return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)

    def step_day(self, step: ReminderStep, deadline: date) -> date | None:
        """The working day the step happens on; None for a reminder that would land on or
        after the deadline day once moved off a rest day (the overdue notice replaces it)."""
        if step.kind == "escalation":
            return self.workdays.add_working_days(deadline, step.working_days)
        day = self.workdays.next_working_day(deadline + timedelta(days=step.days))
        if step.kind == "reminder" and day >= deadline:
            return None
        return day

    def step_instant(self, step: ReminderStep, deadline: date) -> datetime | None:
        day = self.step_day(step, deadline)
        return self.at(day) if day else None

    def superseded(self, step: ReminderStep, deadline: date, now: datetime) -> bool:
        """A reminder is pointless once a later step of the same deadline is due too."""
        if step.kind != "reminder":
            return False
        later = self.policy.steps[self.policy.steps.index(step) + 1:]
        return any((instant := self.step_instant(s, deadline)) is not None and instant <= now
                   for s in later)

    def digest_instant(self, any_day_of_week: date) -> datetime:
        """The week's digest: its configured weekday, moved to a working day."""
        monday = any_day_of_week - timedelta(days=any_day_of_week.weekday())
        day = monday + timedelta(days=WEEKDAYS.index(self.policy.digest_weekday))
        return self.at(self.workdays.next_working_day(day), self.policy.digest_at)

    def latest_digest(self, now: datetime) -> tuple[str, datetime]:
        """The most recent digest due as of `now` (this week's, or last week's)."""
        today = to_local(now).date()
        instant = self.digest_instant(today)
        if instant > now:
            today -= timedelta(days=7)
            instant = self.digest_instant(today)
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}", instant

    def opening_instant(self, month: ActionMonth, year: int) -> datetime:
        day = month.start_date(year) - timedelta(days=self.policy.opening_days_ahead)
        return self.at(self.workdays.next_working_day(day))

    def closing_instant(self, month: ActionMonth, year: int) -> datetime:
        return datetime.combine(month.end_date(year) + timedelta(days=1), time.min,
                                tzinfo=LOCAL_TZ)
