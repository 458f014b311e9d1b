"""Which commune tasks serve which province task: a commune plan's task names the
province task it carries out (`serves`); its instances serve the province's instance on
that commune's agencies for the same period (or for the whole year, if one-off)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow.storage.models import (
    AgencyRow,
    CommitteeRow,
    DirectiveRow,
    TaskRow,
    TaskSpecRow,
)


def agency_committee(session: Session, agency_code: str) -> str | None:
    return session.scalar(select(AgencyRow.committee_code).where(AgencyRow.code == agency_code))


def parent_of(session: Session, committee: str | None) -> str | None:
    if committee is None:
        return None
    return session.scalar(select(CommitteeRow.parent_code).where(CommitteeRow.code == committee))


def is_incoming(session: Session, task: TaskRow) -> str | None:
    """The commune a task of its province's directive came to, or None if it is not such
    a task (a task of the commune's own directive, or of no committee)."""
    commune = agency_committee(session, task.agency_code)
    upper = session.scalar(select(DirectiveRow.committee_code).where(
        DirectiveRow.code == task.directive_code))
    if commune is None or upper is None or parent_of(session, commune) != upper:
        return None
    return commune


def _serving_query(commune: str, directive: str, year: int) -> Any:
    return (select(TaskRow, TaskSpecRow.title, TaskSpecRow.serves_task, AgencyRow.name)
            .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                  & (TaskSpecRow.code == TaskRow.spec_code))
            .join(DirectiveRow, DirectiveRow.code == TaskRow.directive_code)
            .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
            .where(DirectiveRow.committee_code == commune,
                   TaskSpecRow.serves_directive == directive, TaskRow.year == year)
            .order_by(TaskRow.directive_code, TaskSpecRow.position, TaskRow.period,
                      TaskRow.role, AgencyRow.name))


def matches(serving: TaskRow, upper: TaskRow) -> bool:
    """Same period, or a one-off commune task (period = the year) serving every period."""
    return serving.period == upper.period or serving.period == str(upper.year)


def serving_tasks(session: Session, upper: TaskRow, commune: str) -> list[tuple[TaskRow, str, str]]:
    """(task, title, agency name) of the commune's tasks serving `upper`."""
    rows = session.execute(_serving_query(commune, upper.directive_code, upper.year)
                           .where(TaskSpecRow.serves_task == upper.spec_code))
    return [(task, title, name) for task, title, _, name in rows if matches(task, upper)]


def serving_by_upper(session: Session, commune: str, directive: str, year: int
                     ) -> dict[str, list[tuple[TaskRow, str, str]]]:
    """Every commune task serving `directive`, by the upper task code it serves."""
    found: dict[str, list[tuple[TaskRow, str, str]]] = defaultdict(list)
    for task, title, serves_task, name in session.execute(
            _serving_query(commune, directive, year)):
        found[serves_task].append((task, title, name))
    return found
