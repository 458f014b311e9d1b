"""Where a directive stands: overview, agencies x tasks matrix, overdue list. Read by the
dashboard and by the exports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from workflow.storage.models import (
    AgencyGroupMemberRow,
    AgencyRow,
    DirectiveRow,
    TaskRow,
    TaskSpecRow,
)
from workflow.views.labels import document_label, period_labeler
from workflow.views.queries import is_overdue, overdue_clause, overdue_days


def overview(session: Session, now: datetime, visible: set[str] | None = None
             ) -> list[dict[str, Any]]:
    """Per directive and year: counts by state and how many are overdue now; `visible`
    keeps only those directives (None: all)."""
    counts: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code, year, state, n in session.execute(
            select(TaskRow.directive_code, TaskRow.year, TaskRow.state, func.count())
            .group_by(TaskRow.directive_code, TaskRow.year, TaskRow.state)):
        counts[(code, year)][state] = n
    for code, year, n in session.execute(
            select(TaskRow.directive_code, TaskRow.year, func.count())
            .where(overdue_clause(now))
            .group_by(TaskRow.directive_code, TaskRow.year)):
        counts[(code, year)]["overdue"] = n
    directives = {d.code: d for d in session.scalars(select(DirectiveRow))}
    rows = []
    for (code, year), by_state in sorted(counts.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        if visible is not None and code not in visible:
            continue
        directive = directives[code]
        rows.append({"code": code, "year": year, "title": directive.title,
                     "document": document_label(directive), "counts": dict(by_state),
                     "total": sum(v for k, v in by_state.items() if k != "overdue")})
    return rows


@dataclass
class Matrix:
    directive: DirectiveRow
    year: int
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    agency_total: int = 0  # agencies matching the filters, on every page
    page: int = 1
    pages: int = 1


LISTED_AGENCIES = 200  # a filter's drop-down lists agencies up to this many


def agency_filter_codes(session: Session, code: str) -> set[str]:
    """An agency code, a group code for all its members, or else part of agencies' names
    (what a secretariat types when the committee has too many agencies to list)."""
    members = set(session.scalars(select(AgencyGroupMemberRow.agency_code)
                                  .where(AgencyGroupMemberRow.group_code == code)))
    if members or session.get(AgencyRow, code) is not None:
        return members or {code}
    text = code.strip()[:200].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return set(session.scalars(select(AgencyRow.code).where(
        AgencyRow.name.ilike(f"%{text}%", escape="\\")))) if text else {code}


TASK_COLUMNS = (TaskRow.id, TaskRow.directive_code, TaskRow.spec_code, TaskRow.agency_code,
                TaskRow.role, TaskRow.year, TaskRow.period, TaskRow.state, TaskRow.due_on,
                TaskRow.due_at, TaskRow.reported_at, TaskRow.verified_at,
                TaskRow.escalation_level, TaskRow.version, TaskRow.original_due_on)
AGENCY_COLUMNS = (AgencyRow.code, AgencyRow.name, AgencyRow.short_name, AgencyRow.level)


PAGE_AGENCIES = 50  # rows of the dashboard's matrix per page


def matrix(session: Session, directive: DirectiveRow, year: int, now: datetime,
           agency: str | None, state: str | None, page: int | None = None,
           per_page: int = PAGE_AGENCIES) -> Matrix:
    """Agencies x (task spec, period), each cell the task's state; `state` keeps only the
    agencies that have a task in that state ('overdue' counts as a state here). With
    `page`, only that page's agencies are read: counts and columns come from grouped
    queries, so a page costs the same for 30 agencies or 30,000. Reads plain rows, not
    ORM objects: a national directive has hundreds of thousands."""
    where: list[Any] = [TaskRow.directive_code == directive.code, TaskRow.year == year]
    if agency:
        where.append(TaskRow.agency_code.in_(  # type: ignore[attr-defined]
            agency_filter_codes(session, agency)))
    result = Matrix(directive, year)
    columns, result.counts = _columns_and_counts(session, where, directive.code, year, now)
    result.columns = list(columns.values())
    query = (select(*TASK_COLUMNS, TaskSpecRow.position, *AGENCY_COLUMNS)
             .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                   & (TaskSpecRow.code == TaskRow.spec_code))
             .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
             .where(*where))
    if page is not None:
        codes = _page_agencies(session, where, state, now, page, per_page, result)
        query = query.where(TaskRow.agency_code.in_(codes))  # type: ignore[attr-defined]
    cells: dict[str, dict[tuple[int, str, str], dict[str, Any]]] = defaultdict(dict)
    agencies: dict[str, Any] = {}
    width = len(TASK_COLUMNS)
    for row in session.execute(query):
        task = _Record(row[:width], TASK_NAMES)
        key = (row[width], task.spec_code, task.period)
        code = row[width + 1]
        if code not in agencies:  # one record per agency, not one per task
            agencies[code] = _Record(row[width + 1:], AGENCY_NAMES)
        overdue = is_overdue(task, now)
        cells[code][key] = {"task": task, "overdue": overdue,
                            "days": overdue_days(now, task.due_on)
                            if overdue and task.due_on else 0}
    for code, agency_row in sorted(agencies.items(),
                                   key=lambda kv: (kv[1].level, kv[1].name, kv[0])):
        row_cells = [cells[code].get(k) for k in columns]
        present = [c for c in row_cells if c]
        if state == "overdue" and not any(c["overdue"] for c in present):
            continue
        if state and state != "overdue" and not any(c["task"].state == state for c in present):
            continue
        result.rows.append({"agency": agency_row, "cells": row_cells,
                            "done": sum(c["task"].state in {"reported", "verified"}
                                        for c in present), "total": len(present)})
    if page is None:
        result.agency_total = len(result.rows)
    return result


def _late(now: datetime) -> Any:
    """How many of a group's tasks are overdue, inside a GROUP BY."""
    return func.sum(case((overdue_clause(now), 1), else_=0))


def state_counts(session: Session, where: list[Any], now: datetime) -> dict[str, int]:
    """Counts by state, and 'overdue', of the tasks matching `where`: one grouped pass."""
    counts: dict[str, int] = defaultdict(int)
    for state, n, late in session.execute(select(TaskRow.state, func.count(), _late(now))
                                          .where(*where).group_by(TaskRow.state)):
        counts[state] += n
        counts["overdue"] += int(late or 0)
    return dict(counts)


def _columns_and_counts(session: Session, where: list[Any], code: str, year: int,
                        now: datetime
                        ) -> tuple[dict[tuple[int, str, str], dict[str, Any]], dict[str, int]]:
    """One column per (spec, period), numbered, a spec's periods in the order they fall in
    the year (June before November); and the counts by state and overdue. One grouped
    pass over the tasks; the specs' titles and positions come from their few rows."""
    label = period_labeler(session)
    specs = {spec: (position, title) for spec, position, title in session.execute(
        select(TaskSpecRow.code, TaskSpecRow.position, TaskSpecRow.title)
        .where(TaskSpecRow.directive_code == code))}
    found: dict[tuple[str, str], Any] = {}
    counts: dict[str, int] = defaultdict(int)
    for spec, period, state, n, late, due_on in session.execute(
            select(TaskRow.spec_code, TaskRow.period, TaskRow.state, func.count(), _late(now),
                   func.min(TaskRow.due_on))
            .where(*where).group_by(TaskRow.spec_code, TaskRow.period, TaskRow.state)):
        counts[state] += n
        counts["overdue"] += int(late or 0)
        if spec in specs:
            first = found.get((spec, period))
            found[(spec, period)] = due_on if first is None or (
                due_on is not None and due_on < first) else first
    columns: dict[tuple[int, str, str], dict[str, Any]] = {}
    for (spec, period), due_on in sorted(found.items(), key=lambda kv: (
            specs[kv[0][0]][0], kv[1] or date.max, kv[0])):
        position, title = specs[spec]
        task = _Record((code, period, year), ("directive_code", "period", "year"))
        columns[(position, spec, period)] = {
            "spec": spec, "title": title, "period": period, "period_label": label(task),
            "due_on": due_on, "number": len(columns) + 1}
    return columns, dict(counts)


def _page_agencies(session: Session, where: list[Any], state: str | None, now: datetime,
                   page: int, per_page: int, result: Matrix) -> list[str]:
    """The codes of the page's agencies (by level, then name), the state filter applied
    in the database; sets the matrix's page numbers."""
    # EXISTS per agency, not IN (tasks): SQLite builds the IN list by scanning every
    # task of the year (46 ms at 90,000) where EXISTS probes each agency's few (9 ms).
    having = select(TaskRow.id).where(TaskRow.agency_code == AgencyRow.code, *where)
    if state == "overdue":
        having = having.where(overdue_clause(now))
    elif state:
        having = having.where(TaskRow.state == state)
    # Every matching code in order, in one pass (a few thousand short strings at most):
    # cheaper than counting and paging with two scans of the tasks.
    codes = list(session.scalars(
        select(AgencyRow.code).where(having.exists())
        .order_by(AgencyRow.level, AgencyRow.name, AgencyRow.code)))
    result.agency_total = len(codes)
    result.page, result.pages = page_of(page, result.agency_total, per_page)
    return codes[(result.page - 1) * per_page:result.page * per_page]


def page_of(asked: int, total: int, per_page: int) -> tuple[int, int]:
    """(the page shown, how many pages): a page asked for past either end shows the
    nearest one; an empty list still has its one page."""
    pages = max(1, -(-total // per_page))
    return min(max(asked, 1), pages), pages


TASK_NAMES = tuple(c.key for c in TASK_COLUMNS)  # type: ignore[attr-defined]
AGENCY_NAMES = tuple(c.key for c in AGENCY_COLUMNS)  # type: ignore[attr-defined]


class _Record:
    """A read-only row with attribute access, far lighter than an ORM instance."""

    __slots__ = ("_values",)

    def __init__(self, values: Any, names: tuple[str, ...]) -> None:
        self._values = dict(zip(names, values, strict=True))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


PAGE_OVERDUE = 100  # rows of the overdue list per page


@dataclass
class OverduePage:
    """One page of the overdue list; `total` counts every overdue task of the filter."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


OVERDUE_TASK = (TaskRow.id, TaskRow.state, TaskRow.due_on,  # type: ignore[var-annotated]
                TaskRow.escalation_level)
OVERDUE_NAMES = tuple(c.key for c in OVERDUE_TASK)


def overdue_list(session: Session, now: datetime, directive: str | None, agency: str | None,
                 page: int = 1, visible: set[str] | None = None,
                 per_page: int = PAGE_OVERDUE) -> OverduePage:
    """Overdue tasks, most days overdue first, then highest escalation level, a page at a
    time (a province's backlog is tens of thousands); `visible` keeps only those
    directives' tasks (None: all)."""
    where: list[Any] = [overdue_clause(now)]
    if visible is not None:
        where.append(TaskRow.directive_code.in_(visible))  # type: ignore[attr-defined]
    if directive:
        where.append(TaskRow.directive_code == directive)
    if agency:
        where.append(TaskRow.agency_code.in_(  # type: ignore[attr-defined]
            agency_filter_codes(session, agency)))
    total = session.scalar(select(func.count()).select_from(TaskRow).where(*where)) or 0
    page, pages = page_of(page, total, per_page)
    query = (select(*OVERDUE_TASK, TaskSpecRow.title, AgencyRow.name)
             .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                   & (TaskSpecRow.code == TaskRow.spec_code))
             .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
             .where(*where)
             .order_by(TaskRow.due_at, TaskRow.escalation_level.desc(),  # type: ignore[attr-defined]
                       AgencyRow.name, TaskRow.id)
             .offset((page - 1) * per_page).limit(per_page))
    width = len(OVERDUE_TASK)
    rows = [{"task": (task := _Record(values[:width], OVERDUE_NAMES)),
             "title": values[width], "agency": values[width + 1],
             "days": overdue_days(now, task.due_on) if task.due_on else 0}
            for values in session.execute(query)]
    return OverduePage(rows, total, page, pages)


def filter_choices(session: Session, committee: str | None = None) -> dict[str, Any]:
    """The filters' options: one committee's agencies, groups and directives (None: all)."""
    from workflow.storage.models import AgencyGroupMemberRow, AgencyGroupRow
    agencies = select(AgencyRow.code, AgencyRow.name).order_by(AgencyRow.name)
    groups = select(AgencyGroupRow.code, AgencyGroupRow.name).order_by(AgencyGroupRow.name)
    directives = select(DirectiveRow.code, DirectiveRow.number).order_by(DirectiveRow.code)
    if committee is not None:
        members = select(AgencyRow.code).where(AgencyRow.committee_code == committee)
        agencies = agencies.where(AgencyRow.committee_code == committee)
        groups = groups.where(AgencyGroupRow.code.in_(  # type: ignore[attr-defined]
            select(AgencyGroupMemberRow.group_code).where(
                AgencyGroupMemberRow.agency_code.in_(members))))  # type: ignore[attr-defined]
        directives = directives.where(DirectiveRow.committee_code == committee)
    listed = list(session.execute(agencies.limit(LISTED_AGENCIES + 1)))
    many = len(listed) > LISTED_AGENCIES
    # Past LISTED_AGENCIES a drop-down is no help (3,000 options made 600 KB of every
    # page): the filter takes a typed name instead, with the groups to pick from.
    return {"agencies": [] if many else listed, "many": many,
            "groups": list(session.execute(groups)),
            "directives": list(session.execute(directives))}
