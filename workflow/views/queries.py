"""Read-only views over task instances for listings, `show` and `history`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlmodel import Session

from workflow.clock import to_local
from workflow.engine.machine import OWED_STATES, STATES
from workflow.engine.taskref import task_key
from workflow.storage.models import AgencyGroupMemberRow, AgencyRow, AuditRow, TaskRow, TaskSpecRow


@dataclass(frozen=True)
class TaskFilter:
    agency: str | None = None  # an agency or a group code
    state: str | None = None
    directive: str | None = None
    year: int | None = None
    overdue_at: datetime | None = None


def overdue_clause(at: datetime) -> ColumnElement[bool]:
    """`is_overdue` in SQL: owed, and its deadline instant has passed."""
    return and_(TaskRow.state.in_(OWED_STATES),  # type: ignore[attr-defined]
                TaskRow.due_at <= at)  # type: ignore[operator]


def is_overdue(row: TaskRow, at: datetime) -> bool:
    return row.state in OWED_STATES and row.due_at is not None and row.due_at <= at


def overdue_days(now: datetime, due_on: date) -> int:
    """The deadline day D is the first late day ("trước ngày D"), so on D it is 1."""
    return (to_local(now).date() - due_on).days + 1


def is_late(row: TaskRow) -> bool:
    """Reported after the deadline (a time fact distinct from being overdue now)."""
    return row.reported_at is not None and row.due_at is not None and row.reported_at > row.due_at


def _filtered(query: Select[Any], flt: TaskFilter) -> Select[Any]:
    if flt.agency:
        members = select(AgencyGroupMemberRow.agency_code).where(
            AgencyGroupMemberRow.group_code == flt.agency)
        query = query.where((TaskRow.agency_code == flt.agency)
                            | TaskRow.agency_code.in_(members))  # type: ignore[union-attr]
    if flt.state:
        if flt.state not in STATES:
            raise ValueError(f"unknown state '{flt.state}' (expected one of: {', '.join(STATES)})")
        query = query.where(TaskRow.state == flt.state)
    if flt.directive:
        query = query.where(TaskRow.directive_code == flt.directive)
    if flt.year:
        query = query.where(TaskRow.year == flt.year)
    if flt.overdue_at:
        query = query.where(TaskRow.state.in_(OWED_STATES),  # type: ignore[attr-defined]
                            TaskRow.due_at.is_not(None),  # type: ignore[union-attr]
                            TaskRow.due_at <= flt.overdue_at)  # type: ignore[operator]
    return query


def list_tasks(session: Session, flt: TaskFilter, limit: int | None = None
               ) -> list[tuple[TaskRow, str, str]]:
    """Tasks with their spec title and agency name, ordered by agency, due date, spec."""
    query = (select(TaskRow, TaskSpecRow.title, AgencyRow.name)
             .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                   & (TaskSpecRow.code == TaskRow.spec_code))
             .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
             .order_by(TaskRow.agency_code, TaskRow.due_at.is_(None),  # type: ignore[union-attr]
                       TaskRow.due_at, TaskSpecRow.position, TaskRow.period))
    query = _filtered(query, flt)
    if limit:
        query = query.limit(limit)
    return [(task, title, agency) for task, title, agency in session.execute(query)]


def history(session: Session, task_id: int) -> list[AuditRow]:
    return list(session.scalars(select(AuditRow).where(AuditRow.task_id == task_id)
                                .order_by(AuditRow.id)))


def task_as_dict(row: TaskRow, title: str | None = None, agency_name: str | None = None,
                 at: datetime | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id, "key": task_key(row), "directive": row.directive_code,
        "spec": row.spec_code, "title": title, "agency": row.agency_code,
        "agency_name": agency_name, "role": row.role, "year": row.year, "period": row.period,
        "state": row.state, "due_on": row.due_on.isoformat() if row.due_on else None,
        "due_at": _iso(row.due_at), "reported_at": _iso(row.reported_at),
        "verified_at": _iso(row.verified_at), "closed_at": _iso(row.closed_at),
        "overdue_since": _iso(row.overdue_since), "escalation_level": row.escalation_level,
        "reported_late": is_late(row), "version": row.version,
    }
    if at is not None:
        data["overdue"] = is_overdue(row, at)
    return data


def audit_as_dict(row: AuditRow) -> dict[str, Any]:
    return {"at": _iso(row.at), "actor": row.actor, "role": row.role, "channel": row.channel,
            "trigger": row.trigger, "from": row.from_state, "to": row.to_state,
            "reason": row.reason, "version": row.task_version}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
