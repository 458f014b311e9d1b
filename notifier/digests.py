"""What a weekly digest and a chair's escalation say, read with set queries that stay small
whatever the backlog: a country's year can leave a million overdue tasks, and a mail
server refuses anything over ~25 MB, so no message lists more than a bounded number of
tasks. A short backlog is listed in full; a long one becomes counts by agency, the few
most overdue tasks, and a link to the filtered dashboard page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, select
from sqlmodel import Session

from workflow.schedule.digests import digest_window
from workflow.storage.models import AgencyRow, TaskRow, TaskSpecRow
from workflow.views.queries import overdue_days

LISTED_TASKS = 50  # a digest lists every task up to this many, else a summary
LISTED_AGENCIES = 30  # rows of the count table in a summary
WORST_TASKS = 20  # the most overdue tasks a summary names
LISTED_DOCUMENTS = 10
TITLE_CHARS = 200  # a task title in a digest; the full text is one click away
IN_CHUNK = 500  # agency codes per IN (...) list


@dataclass
class Backlog:
    """One recipient's overdue tasks as a digest shows them."""

    total: int = 0
    agency_count: int = 0
    tasks: list[dict[str, Any]] = field(default_factory=list)  # listed, most overdue first
    complete: bool = True  # `tasks` holds every overdue task
    counts: list[dict[str, Any]] = field(default_factory=list)  # by agency, most first
    other_agencies: int = 0  # agencies left out of `counts`
    other_tasks: int = 0  # their tasks
    documents: list[str] = field(default_factory=list)  # directive codes concerned


def short_title(title: str) -> str:
    """The title cut at a word boundary, never inside a word."""
    if len(title) <= TITLE_CHARS:
        return title
    cut = title[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-–")
    return f"{cut}…"


class DigestQueries:
    """The digest window is computed once per instant; every query is bounded."""

    def __init__(self, session: Session, document_label: Any) -> None:
        self.session = session
        self.document_label = document_label
        self._windows: dict[datetime, ColumnElement[bool]] = {}

    def window(self, now: datetime) -> ColumnElement[bool]:
        if now not in self._windows:
            self._windows = {now: digest_window(self.session, now)}
        return self._windows[now]

    def _task(self, row: Any, now: datetime) -> dict[str, Any]:
        return {"title": short_title(row.title), "agency": row.agency_name,
                "directive": row.directive_code,
                "document": self.document_label(row.directive_code),
                "due_on": row.due_on, "days_overdue": overdue_days(now, row.due_on),
                "level": row.escalation_level}

    def _columns(self) -> tuple[Any, ...]:
        return (TaskRow.agency_code, TaskRow.directive_code, TaskRow.due_on,
                TaskRow.escalation_level, TaskSpecRow.title,
                AgencyRow.name.label("agency_name"))  # type: ignore[attr-defined]

    def _joined(self, query: Any) -> Any:
        return (query.join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                           & (TaskSpecRow.code == TaskRow.spec_code))
                .join(AgencyRow, AgencyRow.code == TaskRow.agency_code))

    def for_agencies(self, codes: Iterable[str], now: datetime) -> dict[str, Backlog]:
        """Each agency's own overdue tasks, the first LISTED_TASKS of each, for a whole
        batch of digests in one query per IN_CHUNK agencies (a window function ranks and
        counts them in the database)."""
        found: dict[str, Backlog] = {}
        codes = sorted(set(codes))
        order = (TaskRow.due_at, TaskRow.escalation_level.desc(),  # type: ignore[attr-defined]
                 TaskSpecRow.title, TaskRow.id)
        for start in range(0, len(codes), IN_CHUNK):
            chunk = codes[start:start + IN_CHUNK]
            ranked = self._joined(select(
                *self._columns(),
                func.row_number().over(partition_by=TaskRow.agency_code,
                                       order_by=order).label("rank"),
                func.count().over(partition_by=TaskRow.agency_code).label("total"))
            ).where(self.window(now), TaskRow.agency_code.in_(chunk)).subquery()  # type: ignore[attr-defined]
            query = (select(ranked).where(ranked.c.rank <= LISTED_TASKS)
                     .order_by(ranked.c.agency_code, ranked.c.rank))
            for row in self.session.execute(query):
                backlog = found.setdefault(row.agency_code, Backlog(total=row.total,
                                                                    agency_count=1))
                backlog.tasks.append(self._task(row, now))
        for backlog in found.values():
            backlog.complete = len(backlog.tasks) == backlog.total
            backlog.documents = sorted({t["directive"] for t in backlog.tasks})
        return found

    def for_directives(self, directives: list[str], now: datetime) -> Backlog:
        """The overdue tasks of these directives (a secretariat's own), every agency."""
        if not directives:
            return Backlog()
        where = (self.window(now), TaskRow.directive_code.in_(directives))  # type: ignore[attr-defined]
        total, agencies = self.session.execute(
            select(func.count(), func.count(distinct(TaskRow.agency_code))).where(*where)).one()
        backlog = Backlog(total=total, agency_count=agencies)
        if not total:
            return backlog
        backlog.documents = list(self.session.scalars(
            select(TaskRow.directive_code).where(*where).distinct()
            .order_by(TaskRow.directive_code)))
        order = (TaskRow.due_at, TaskRow.escalation_level.desc(),  # type: ignore[attr-defined]
                 AgencyRow.name, TaskSpecRow.title, TaskRow.id)
        limit = LISTED_TASKS if total <= LISTED_TASKS else WORST_TASKS
        backlog.tasks = [self._task(row, now) for row in self.session.execute(
            self._joined(select(*self._columns())).where(*where).order_by(*order)
            .limit(limit))]
        backlog.complete = total <= LISTED_TASKS
        if not backlog.complete:
            backlog.counts, backlog.other_agencies, backlog.other_tasks = \
                self.counts_by_agency(where, total, agencies, now)
        return backlog

    def counts_by_agency(self, where: tuple[Any, ...], total: int, agencies: int,
                         now: datetime) -> tuple[list[dict[str, Any]], int, int]:
        """The LISTED_AGENCIES agencies with the most overdue tasks, and what is left."""
        count = func.count().label("count")
        oldest = func.min(TaskRow.due_on).label("oldest")
        rows = [{"name": name, "count": n, "days_overdue": overdue_days(now, first)}
                for name, n, first in self.session.execute(
                    select(AgencyRow.name, count, oldest)
                    .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
                    .where(*where).group_by(AgencyRow.code, AgencyRow.name)
                    .order_by(count.desc(), AgencyRow.name).limit(LISTED_AGENCIES))]
        listed = sum(r["count"] for r in rows)
        return rows, max(agencies - len(rows), 0), total - listed
