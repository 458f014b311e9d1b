"""A year at a glance: holidays, action months, deadlines and the scheduler's steps."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from workflow.dates import format_date
from workflow.definitions.store import load_calendars, load_directive, load_registry
from workflow.engine.instantiate import plan_instances
from workflow.schedule.ladder import Ladder
from workflow.storage.models import DirectiveRow

STEP_LABELS = {"reminder": "nhắc hạn", "overdue": "báo quá hạn", "escalation": "báo lãnh đạo"}


@dataclass(frozen=True, order=True)
class Event:
    day: date
    what: str
    detail: str


def year_events(session: Session, year: int) -> list[Event]:
    events: set[Event] = set()
    registry = load_registry(session)
    for calendar in load_calendars(session).values():
        ladder = Ladder.from_policy(calendar.policy)
        day = date(year, 1, 1)
        while day.year == year:
            name = ladder.workdays.holiday_name(day)
            if name:
                events.add(Event(day, "nghỉ lễ", name))
            if day in ladder.workdays.worked:
                events.add(Event(day, "làm việc bù", ladder.workdays.worked[day]))
            day = date.fromordinal(day.toordinal() + 1)
        for month in calendar.action_months:
            events.add(Event(ladder.opening_instant(month, year).date(), "mở tháng hành động",
                             month.name))
            events.add(Event(month.start_date(year), "bắt đầu tháng hành động", month.name))
            events.add(Event(month.end_date(year), "kết thúc tháng hành động", month.name))
        for observance in calendar.observances:
            events.add(Event(date(year, observance.month, observance.day), "ngày kỷ niệm",
                             observance.name))
    for code in session.scalars(select(DirectiveRow.code).where(
            DirectiveRow.year <= year, DirectiveRow.until_year >= year)):
        directive, calendar = load_directive(session, code)
        ladder = Ladder.from_policy(calendar.policy)
        per_day = Counter(i.due_on for i in plan_instances(directive, calendar, registry, year)
                          if i.due_on is not None)
        for deadline, count in per_day.items():
            label = f"{directive.code}: {count} nhiệm vụ hạn trước ngày {format_date(deadline)}"
            events.add(Event(deadline, "hạn", label))
            for step in calendar.policy.steps:
                step_day = ladder.step_day(step, deadline)
                if step_day is not None:
                    events.add(Event(step_day, f"{STEP_LABELS[step.kind]} ({step.code})", label))
    return sorted(events)
