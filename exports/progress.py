"""Progress over time, rebuilt from the audit log: for every day, how many tasks stood
reported (or verified), verified, and overdue at the end of that day; and where each
agency stands now. Linear in tasks + audit rows + days."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow.clock import to_local
from workflow.engine.machine import OWED_STATES
from workflow.storage.models import AgencyRow, AuditRow, TaskRow
from workflow.views.status import state_counts

TRACKED = ("report", "return", "verify", "cancel", "assign")


@dataclass
class Timeline:
    days: list[date] = field(default_factory=list)
    reported: list[int] = field(default_factory=list)  # reported or verified
    verified: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)


@dataclass
class AgencyCounts:
    name: str
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def progress_now(session: Session, directive_code: str, year: int, now: datetime,
                 counts: dict[str, int] | None = None) -> dict[str, Any] | None:
    """The timeline's last day while the year is current (up to 31 January after it),
    from the counts by state instead of every task's history (`counts`: the directive's
    year's, when the caller has them already); None outside that window (the caller
    rebuilds the timeline) or when the year has no task."""
    today = to_local(now).date()
    if today > date(year + 1, 1, 31):
        return None
    if counts is None:
        counts = state_counts(session, [TaskRow.directive_code == directive_code,
                                        TaskRow.year == year], now)
    if not counts:
        return None
    return {"day": today, "reported": counts.get("reported", 0) + counts.get("verified", 0),
            "verified": counts.get("verified", 0), "overdue": counts.get("overdue", 0)}


def timeline(session: Session, directive_code: str, year: int, now: datetime) -> Timeline:
    tasks = {task_id: due for task_id, due in session.execute(
        select(TaskRow.id, TaskRow.due_at).where(TaskRow.directive_code == directive_code,
                                                 TaskRow.year == year))}
    events: dict[int, list[tuple[date, str]]] = defaultdict(list)
    query = (select(AuditRow.task_id, AuditRow.at, AuditRow.to_state)
             .join(TaskRow, TaskRow.id == AuditRow.task_id)
             .where(TaskRow.directive_code == directive_code, TaskRow.year == year,
                    AuditRow.trigger.in_(TRACKED))  # type: ignore[attr-defined]
             .order_by(AuditRow.task_id, AuditRow.id))
    for task_id, at, state in session.execute(query):
        events[task_id].append((to_local(at).date(), state))
    if not events:
        return Timeline()
    # The whole year is the frame, or earlier if tasks were assigned before it began.
    start = min(date(year, 1, 1), *(day for changes in events.values() for day, _ in changes))
    end = max(start, min(to_local(now).date(), date(year + 1, 1, 31)))
    size = (end - start).days + 1
    series = {name: [0] * (size + 1) for name in ("reported", "verified", "overdue")}

    def add(name: str, begin: int, stop: int) -> None:
        begin, stop = max(begin, 0), min(stop, size)
        if begin < stop:
            series[name][begin] += 1
            series[name][stop] -= 1

    for task_id, changes in events.items():
        due = tasks.get(task_id)
        due_index = (to_local(due).date() - start).days if due else size
        for position, (day, state) in enumerate(changes):
            begin = (day - start).days
            stop = (changes[position + 1][0] - start).days if position + 1 < len(changes) \
                else size
            if state in {"reported", "verified"}:
                add("reported", begin, stop)
            if state == "verified":
                add("verified", begin, stop)
            if state in OWED_STATES:
                add("overdue", max(begin, due_index), stop)
    result = Timeline(days=[start + timedelta(days=i) for i in range(size)])
    for name in ("reported", "verified", "overdue"):
        running, values = 0, []
        for delta in series[name][:size]:
            running += delta
            values.append(running)
        setattr(result, name, values)
    return result


def by_agency(session: Session, directive_code: str, year: int, now: datetime,
              only: list[str] | None = None) -> list[AgencyCounts]:
    """Current counts per agency: verified, reported, returned, assigned, overdue; `only`
    these agencies (a page of the dashboard), None: all."""
    agencies: dict[str, AgencyCounts] = {}
    query = (select(TaskRow.state, TaskRow.due_at, AgencyRow.code, AgencyRow.short_name,
                    AgencyRow.name)
             .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
             .where(TaskRow.directive_code == directive_code, TaskRow.year == year,
                    TaskRow.state != "cancelled"))
    if only is not None:
        query = query.where(TaskRow.agency_code.in_(only))  # type: ignore[attr-defined]
    for state, due_at, code, short_name, name in session.execute(query):
        entry = agencies.setdefault(code, AgencyCounts(short_name or name))
        if state in OWED_STATES and due_at is not None and due_at <= now:
            entry.counts["overdue"] += 1
        else:
            entry.counts[state] += 1
    return sorted(agencies.values(), key=lambda a: (-a.counts["overdue"], a.name))
