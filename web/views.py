"""Read models for pages: one task with everything around it, an agency's task list."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, exists, select
from sqlmodel import Session

from workflow.definitions.codec import calendar_from_dict
from workflow.definitions.specs import Calendar
from workflow.engine.machine import OWED_STATES
from workflow.storage.models import (
    AgencyRow,
    AttachmentRow,
    AuditRow,
    CalendarRow,
    DirectiveRow,
    ExtensionRequestRow,
    ReportRow,
    TaskRow,
    TaskSpecRow,
)
from workflow.views.labels import document_label, period_label, period_labeler
from workflow.views.queries import is_overdue, overdue_days

# Audit rows that people act on; the scheduler's reminders stay in the CLI history.
PEOPLE_TRIGGERS = {"assign", "report", "return", "verify", "cancel", "reschedule",
                   "reassign", "resend", "request_extension", "refuse_extension"}


@dataclass
class TaskView:
    """Rows as read (Core rows and namespaces with the tables' column names): the pages
    only read attributes, and building ORM objects cost more than the queries."""
    task: Any
    spec: Any
    directive: Any
    agency: Any
    audit: list[Any]
    reports: list[tuple[Any, list[Any]]]
    now: datetime
    calendar: Calendar | None = None
    extensions: list[Any] = field(default_factory=list)

    @property
    def pending_extension(self) -> Any:
        return next((e for e in self.extensions if e.state == "pending"), None)

    @property
    def owed(self) -> bool:
        return self.task.state in OWED_STATES

    @property
    def overdue(self) -> bool:
        return is_overdue(self.task, self.now)

    @property
    def days_overdue(self) -> int:
        if not self.overdue or self.task.due_on is None:
            return 0
        return overdue_days(self.now, self.task.due_on)

    @property
    def period_label(self) -> str:
        return period_label(self.task, self.calendar)

    @property
    def document_label(self) -> str:
        return document_label(self.directive)

    @property
    def people_history(self) -> list[Any]:
        return [a for a in self.audit if a.trigger in PEOPLE_TRIGGERS]


TASK, SPEC, DIRECTIVE, AGENCY, CALENDAR = (
    row.__table__ for row in (TaskRow, TaskSpecRow, DirectiveRow, AgencyRow, CalendarRow))
AUDIT, REPORT, ATTACHMENT, EXTENSION = (
    row.__table__ for row in (AuditRow, ReportRow, AttachmentRow, ExtensionRequestRow))
# One statement for the task and what its page shows of its spec, document, agency and
# calendar: only the columns the pages read (every column costs on each request).
PARTS = {"spec": (SPEC.c.title, SPEC.c.text),
         "directive": (DIRECTIVE.c.code, DIRECTIVE.c.kind, DIRECTIVE.c.number,
                       DIRECTIVE.c.issued_on, DIRECTIVE.c.date_precision, DIRECTIVE.c.issuer,
                       DIRECTIVE.c.calendar_code, DIRECTIVE.c.committee_code),
         "agency": (AGENCY.c.code, AGENCY.c.name, AGENCY.c.committee_code)}
# Whether the task has reports and extension requests, so that a task without (most
# pages an agency opens) costs one statement, not three; the calendar's body as text,
# parsed only when it changed (decoding its JSON on every request cost more); and the
# task's history joined in, a row for each audit row: a second statement cost more than
# repeating the task's columns over its few audit rows.
AUDIT_LABELS = tuple((column.name, f"audit__{column.name}") for column in AUDIT.c)
MAIN = (select(TASK, *(column.label(f"{part}__{column.name}")
                       for part, columns in PARTS.items() for column in columns),
               cast(CALENDAR.c.body, Text).label("calendar__body"),
               exists().where(REPORT.c.task_id == TASK.c.id).label("has_reports"),
               exists().where(EXTENSION.c.task_id == TASK.c.id).label("has_extensions"),
               *(AUDIT.c[name].label(label) for name, label in AUDIT_LABELS))
        .select_from(TASK.join(SPEC, (SPEC.c.directive_code == TASK.c.directive_code)
                               & (SPEC.c.code == TASK.c.spec_code))
                     .join(DIRECTIVE, DIRECTIVE.c.code == TASK.c.directive_code)
                     .join(AGENCY, AGENCY.c.code == TASK.c.agency_code)
                     .outerjoin(CALENDAR, CALENDAR.c.code == DIRECTIVE.c.calendar_code)
                     .outerjoin(AUDIT, AUDIT.c.task_id == TASK.c.id)))
TASK_COLUMNS = tuple(column.name for column in TASK.c)
# Built once: making a statement costs more than running it on a small table.
TASK_ID = bindparam("task_id")
BY_TASK = {"main": MAIN.where(TASK.c.id == TASK_ID).order_by(AUDIT.c.id)} | {
    name: select(table).where(table.c.task_id == TASK_ID).order_by(table.c.id)
    for name, table in (("reports", REPORT), ("files", ATTACHMENT),
                        ("extensions", EXTENSION))}
_calendars: dict[str, tuple[str, Calendar]] = {}


def _calendar(code: str, body: str | None) -> Calendar | None:
    """Parsing a calendar costs more than reading it: reuse the last parse of a body."""
    if body is None:
        return None
    cached = _calendars.get(code)
    if cached is None or cached[0] != body:
        cached = _calendars[code] = (body, calendar_from_dict(code, json.loads(body)))
    return cached[1]


def task_view(connection: Connection, task_id: int, now: datetime) -> TaskView | None:
    """Everything a task's page shows: one short statement (the task, what it belongs to
    and its history), one more for each of reports, their files and extension requests
    when the task has them."""
    key = {"task_id": task_id}
    rows = connection.execute(BY_TASK["main"], key).all()
    if not rows:
        return None
    values = rows[0]._mapping
    task = SimpleNamespace(**{name: values[name] for name in TASK_COLUMNS})
    parts = {part: SimpleNamespace(**{c.name: values[f"{part}__{c.name}"] for c in columns})
             for part, columns in PARTS.items()}
    audit = [SimpleNamespace(**{name: row._mapping[label] for name, label in AUDIT_LABELS})
             for row in rows if row._mapping["audit__id"] is not None]
    reports = list(connection.execute(BY_TASK["reports"], key)) if values["has_reports"] \
        else []
    files: dict[int, list[Any]] = {}
    if reports:
        for row in connection.execute(BY_TASK["files"], key):
            files.setdefault(row.report_id, []).append(row)
    extensions = list(connection.execute(BY_TASK["extensions"], key)) \
        if values["has_extensions"] else []
    return TaskView(task, parts["spec"], parts["directive"], parts["agency"], audit,
                    [(report, files.get(report.id, [])) for report in reports], now,
                    _calendar(values["directive__calendar_code"], values["calendar__body"]),
                    extensions)


def agency_tasks(session: Session, agency_code: str, since_year: int
                 ) -> list[dict[str, Any]]:
    """The agency's tasks from `since_year` on: what it owes first, by deadline."""
    query = (select(TaskRow, TaskSpecRow.title, DirectiveRow)
             .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                   & (TaskSpecRow.code == TaskRow.spec_code))
             .join(DirectiveRow, DirectiveRow.code == TaskRow.directive_code)
             .where(TaskRow.agency_code == agency_code, TaskRow.year >= since_year,
                    TaskRow.state != "cancelled"))
    label = period_labeler(session)
    rows = [{"task": task, "title": title, "document": document_label(directive),
             "period": label(task), "owed": task.state in OWED_STATES}
            for task, title, directive in session.execute(query)]
    rows.sort(key=lambda r: (not r["owed"], r["task"].due_on is None,
                             r["task"].due_on or datetime.min.date(), r["task"].id))
    return rows
