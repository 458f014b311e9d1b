"""A commune committee's incoming work: the tasks its province's directives gave to the
commune's agencies, each with how far the commune's own tasks serving it have come."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from workflow.cascade.serving import matches, parent_of, serving_by_upper
from workflow.storage.models import AgencyRow, DirectiveRow, TaskRow, TaskSpecRow
from workflow.views.timeliness import timeliness


@dataclass
class IncomingLine:
    task: TaskRow
    title: str
    agency: str
    timeliness: str
    serving: int = 0
    serving_verified: int = 0


@dataclass
class IncomingDirective:
    directive: DirectiveRow
    year: int
    implemented_by: list[str]  # the commune's directives serving it
    lines: list[IncomingLine] = field(default_factory=list)


def incoming(session: Session, committee: str, now: datetime) -> list[IncomingDirective]:
    parent = parent_of(session, committee)
    if parent is None:
        return []
    rows = session.execute(
        select(TaskRow, TaskSpecRow.title, AgencyRow.name, DirectiveRow)
        .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
              & (TaskSpecRow.code == TaskRow.spec_code))
        .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
        .join(DirectiveRow, DirectiveRow.code == TaskRow.directive_code)
        .where(AgencyRow.committee_code == committee, DirectiveRow.committee_code == parent)
        .order_by(TaskRow.year.desc(), TaskRow.directive_code,  # type: ignore[attr-defined]
                  TaskSpecRow.position, TaskRow.period, AgencyRow.name))
    groups: dict[tuple[str, int], IncomingDirective] = {}
    for task, title, agency, directive in rows:
        key = (directive.code, task.year)
        if key not in groups:
            groups[key] = IncomingDirective(directive, task.year,
                                            implementations(session, committee, directive.code))
        groups[key].lines.append(IncomingLine(task, title, agency, timeliness(task, now)))
    for (code, year), group in groups.items():
        serving = serving_by_upper(session, committee, code, year)
        for line in group.lines:
            mine = [t for t, _, _ in serving.get(line.task.spec_code, []) if matches(t, line.task)]
            line.serving = len(mine)
            line.serving_verified = sum(t.state == "verified" for t in mine)
    return list(groups.values())


def implementations(session: Session, committee: str, upper: str) -> list[str]:
    return list(session.scalars(
        select(TaskSpecRow.directive_code).distinct()
        .join(DirectiveRow, DirectiveRow.code == TaskSpecRow.directive_code)
        .where(TaskSpecRow.serves_directive == upper, DirectiveRow.committee_code == committee)
        .order_by(TaskSpecRow.directive_code)))
