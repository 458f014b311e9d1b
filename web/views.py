"""Read models for pages: one task with everything around it, an agency's task list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow.definitions.specs import Calendar
from workflow.definitions.store import load_calendars
from workflow.engine.extensions import requests_of
from workflow.engine.machine import OWED_STATES
from workflow.engine.reports import reports_of
from workflow.storage.models import (
    AgencyRow,
    AttachmentRow,
    AuditRow,
    DirectiveRow,
    ExtensionRequestRow,
    ReportRow,
    TaskRow,
    TaskSpecRow,
)
from workflow.views.labels import document_label, period_label, period_labeler
from workflow.views.queries import history, is_overdue, overdue_days

# Audit rows that people act on; the scheduler's reminders stay in the CLI history.
PEOPLE_TRIGGERS = {"assign", "report", "return", "verify", "cancel", "reschedule",
                   "reassign", "resend", "request_extension", "refuse_extension"}


@dataclass
class TaskView:
    task: TaskRow
    spec: TaskSpecRow
    directive: DirectiveRow
    agency: AgencyRow
    audit: list[AuditRow]
    reports: list[tuple[ReportRow, list[AttachmentRow]]]
    now: datetime
    calendar: Calendar | None = None
    extensions: list[ExtensionRequestRow] = field(default_factory=list)

    @property
    def pending_extension(self) -> ExtensionRequestRow | None:
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
    def people_history(self) -> list[AuditRow]:
        return [a for a in self.audit if a.trigger in PEOPLE_TRIGGERS]


def task_view(session: Session, task_id: int, now: datetime) -> TaskView | None:
    found = session.execute(
        select(TaskRow, TaskSpecRow, DirectiveRow, AgencyRow)
        .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
              & (TaskSpecRow.code == TaskRow.spec_code))
        .join(DirectiveRow, DirectiveRow.code == TaskRow.directive_code)
        .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
        .where(TaskRow.id == task_id)).first()
    if found is None:
        return None
    task, spec, directive, agency = found
    calendar = load_calendars(session).get(directive.calendar_code)
    return TaskView(task, spec, directive, agency, history(session, task_id),
                    reports_of(session, task_id), now, calendar, requests_of(session, task_id))


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
