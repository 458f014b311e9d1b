"""The province's view of its communes on one directive and year: per commune, its tasks'
states and timeliness and the figures its reports gave, summed; and, read-only, what the
commune did with them (its own tasks serving the province's)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from workflow.cascade.serving import serving_by_upper
from workflow.engine.reports import newest_reports
from workflow.storage.models import (
    AgencyRow,
    CommitteeRow,
    DirectiveRow,
    ReportRow,
    TaskRow,
    TaskSpecRow,
)
from workflow.views.figures import format_number, sum_figures
from workflow.views.timeliness import timeliness


@dataclass
class CommuneLine:
    committee: CommitteeRow | None  # None: the totals line
    tasks: int = 0
    timeliness: Counter[str] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)
    totals: dict[str, float] = field(default_factory=dict)

    @property
    def figures(self) -> list[tuple[str, str]]:
        return [(label, format_number(value)) for label, value in self.totals.items()]


@dataclass
class DetailLine:
    task: TaskRow
    title: str
    agency: str
    timeliness: str
    report: ReportRow | None


@dataclass
class CommuneDetail:
    committee: CommitteeRow
    upper: list[DetailLine]
    serving: dict[str, list[DetailLine]]  # by the upper task code they serve


def child_committees(session: Session, directive: DirectiveRow) -> list[CommitteeRow]:
    if directive.committee_code is None:
        return []
    return list(session.scalars(select(CommitteeRow).where(
        CommitteeRow.parent_code == directive.committee_code).order_by(CommitteeRow.name)))


def by_commune(session: Session, directive: DirectiveRow, year: int, now: datetime
               ) -> tuple[list[CommuneLine], CommuneLine]:
    """One line per commune (in name order) and the totals line."""
    communes = child_committees(session, directive)
    total = CommuneLine(None)
    if not communes:  # not a province directive (every export asks)
        return [], total
    lines = {c.code: CommuneLine(c) for c in communes}
    rows = list(session.execute(
        select(TaskRow, AgencyRow.committee_code)
        .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
        .where(TaskRow.directive_code == directive.code, TaskRow.year == year,
               AgencyRow.committee_code.in_(list(lines)))))  # type: ignore[union-attr]
    reports = newest_reports(session, [t.id for t, _ in rows])
    figures: dict[str, list[list[dict[str, str]] | None]] = {code: [] for code in lines}
    for task, commune in rows:
        line = lines[commune]
        kind = timeliness(task, now)
        for target in (line, total):
            target.tasks += 1
            target.timeliness[kind] += 1
            target.states[task.state] += 1
        report = reports.get(task.id or 0)
        if report is not None:
            figures[commune].append(report.figures)
    for code, line in lines.items():
        line.totals = sum_figures(figures[code])[0]
        for label, value in line.totals.items():
            total.totals[label] = total.totals.get(label, 0) + value
    return [lines[c.code] for c in communes], total


def commune_detail(session: Session, directive: DirectiveRow, year: int, commune: str,
                   now: datetime) -> CommuneDetail | None:
    committee = session.get(CommitteeRow, commune)
    if committee is None or committee.parent_code != directive.committee_code:
        return None
    rows = list(session.execute(
        select(TaskRow, TaskSpecRow.title, AgencyRow.name)
        .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
              & (TaskSpecRow.code == TaskRow.spec_code))
        .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
        .where(TaskRow.directive_code == directive.code, TaskRow.year == year,
               AgencyRow.committee_code == commune)
        .order_by(TaskSpecRow.position, TaskRow.period, AgencyRow.name)))
    serving = serving_by_upper(session, commune, directive.code, year)
    ids = [t.id for t, _, _ in rows] + [t.id for found in serving.values() for t, _, _ in found]
    reports = newest_reports(session, [i for i in ids if i is not None])

    def line(task: TaskRow, title: str, agency: str) -> DetailLine:
        return DetailLine(task, title, agency, timeliness(task, now), reports.get(task.id or 0))

    return CommuneDetail(committee, [line(*row) for row in rows],
                         {code: [line(*row) for row in found] for code, found in serving.items()})
