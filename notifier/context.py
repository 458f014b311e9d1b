"""What each outbox row's e-mail says and to whom: template name, addresses, and the
template context, built for a whole batch with a few queries (never one per task)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import distinct, func, select
from sqlmodel import Session

from notifier.digests import LISTED_DOCUMENTS, Backlog, DigestQueries
from workflow.access.links import LinkMaker
from workflow.clock import to_local
from workflow.dates import deadline_instant
from workflow.definitions.codec import calendar_from_dict
from workflow.engine.machine import OWED_STATES
from workflow.storage.models import (
    AgencyRow,
    AttachmentRow,
    CalendarRow,
    DirectiveRow,
    OutboxRow,
    ReportRow,
    TaskRow,
    TaskSpecRow,
)
from workflow.views.labels import (
    DOCUMENT_LABELS,
    ROLE_LABELS,
    document_label,
    greeting,
    issued_label,
    period_label,
    week_label,
)
from workflow.views.queries import overdue_days


@dataclass
class Envelope:
    """Everything needed to build one message."""

    outbox_id: int
    key: str
    template: str
    to: list[str]
    cc: list[str]
    context: dict[str, Any]
    deadline: dict[str, Any] | None = None  # for the .ics attachment
    reply_to: list[str] = field(default_factory=list)  # the secretariat's mailbox


DEADLINE_EVENT_KINDS = {"reminder", "task_returned", "deadline_changed"}


class NoRecipientError(Exception):
    pass


class ContextBuilder:
    def __init__(self, session: Session, links: LinkMaker) -> None:
        self.session = session
        self.links = links
        self.agencies: dict[str, AgencyRow] = {}
        self.directives = {d.code: d for d in session.scalars(select(DirectiveRow))}
        self.calendars = {c.code: calendar_from_dict(c.code, c.body)
                          for c in session.scalars(select(CalendarRow))}
        self.backlogs = DigestQueries(session, lambda code: document_label(
            self.directives[code]))
        self.agency_backlogs: dict[str, Backlog] = {}

    def envelopes(self, rows: list[OutboxRow], now: datetime
                  ) -> list[tuple[OutboxRow, Envelope | Exception]]:
        self._load_agencies({r.agency_code for r in rows if r.agency_code})
        tasks = self._tasks({r.task_id for r in rows if r.task_id})
        # Every agency digest of the batch from one set query (bounded per agency).
        self.agency_backlogs = self.backlogs.for_agencies(
            (r.agency_code for r in rows if r.kind == "weekly_digest" and r.agency_code
             and r.recipient_role != "secretariat"), now)
        result: list[tuple[OutboxRow, Envelope | Exception]] = []
        for row in rows:
            try:
                envelope = self._envelope(row, tasks, now)
                envelope.reply_to = self._reply_to(envelope)
                envelope.context["reply_to"] = bool(envelope.reply_to)
                result.append((row, envelope))
            except Exception as exc:  # reported on the row, the batch goes on
                result.append((row, exc))
        return result

    def _reply_to(self, envelope: Envelope) -> list[str]:
        """Replies go to the secretariat of the directive(s) the message is about; none
        when the message is to that secretariat itself."""
        codes = [d["code"] for d in envelope.context.get("documents", [])]
        if "directive" in envelope.context:
            codes.append(envelope.context["directive"]["code"])
        addresses: list[str] = []
        for code in codes:
            directive = self.directives.get(code)
            secretariat = self.agencies.get(directive.secretariat or "") if directive else None
            for address in secretariat.emails if secretariat else []:
                if address not in addresses and address not in envelope.to:
                    addresses.append(address)
        return addresses[:3]

    # -- per kind -------------------------------------------------------------------------

    def _envelope(self, row: OutboxRow, tasks: dict[int, dict[str, Any]], now: datetime
                  ) -> Envelope:
        agency = self.agencies.get(row.agency_code or "")
        if row.kind == "weekly_digest":
            return self._digest(row, agency, now)
        if row.kind == "tasks_assigned":
            return self._assigned(row, agency)
        if row.kind == "action_month_opening":
            return self._opening(row, agency)
        if row.kind == "escalation" and row.recipient_role == "chair":
            return self._chair(row, agency, now)
        task = tasks[row.task_id or -1]
        # A task given to another agency: the notice goes to the one that had it.
        task_agency = agency if row.kind == "task_reassigned" and agency is not None \
            else self.agencies[task["agency_code"]]
        directive = self.directives[task["directive_code"]]
        context = {"agency": _agency(task_agency), "task": task,
                   "directive": self._directive(directive), "link": task["link"],
                   "reason": row.payload.get("reason"), "level": row.payload.get("level", 0),
                   "days_left": _days(now, task["due_on"]) if task["due_on"] else 0,
                   "days_overdue": overdue_days(now, task["due_on"]) if task["due_on"] else 0}
        template = {"escalation": "escalation_head"}.get(row.kind, row.kind)
        if row.kind in {"task_reported", "extension_requested"}:
            recipient = agency or self.agencies[directive.secretariat or ""]
            context["recipient"] = _agency(recipient)
            context.update(self._latest_report(task["id"]))
            context["link"] = self.links.dashboard_task(task["id"])
            to, cc = _addresses(recipient, head=False), []
        elif row.recipient_role == "head":
            to = [task_agency.head_email] if task_agency.head_email else \
                list(task_agency.emails)
            cc = list(task_agency.emails) if task_agency.head_email else []
        elif row.payload.get("to"):  # a link resent to an address the secretariat gave
            to, cc = [str(row.payload["to"])], []
        else:
            to, cc = list(task_agency.emails), []
        # A calendar event only for a deadline still ahead, and only to the agency that owes
        # it: never on an overdue notice, an escalation or the secretariat's notice.
        deadline = task if row.kind in DEADLINE_EVENT_KINDS and task["due_on"] \
            and task["due_on"] > to_local(now).date() else None
        return _checked(Envelope(row.id or 0, row.key, template, to, cc, context, deadline))

    def _latest_report(self, task_id: int) -> dict[str, Any]:
        """The report just received: its figures and the names of its attachments."""
        report = self.session.scalars(select(ReportRow).where(ReportRow.task_id == task_id)
                                      .order_by(ReportRow.id.desc())  # type: ignore[union-attr]
                                      .limit(1)).first()
        if report is None:
            return {"figures": [], "files": []}
        files = self.session.scalars(select(AttachmentRow).where(
            AttachmentRow.report_id == report.id).order_by(AttachmentRow.id))  # type: ignore[arg-type]
        return {"figures": report.figures or [],
                "files": [{"name": f.filename, "size": f.size} for f in files]}

    def _assigned(self, row: OutboxRow, agency: AgencyRow | None) -> Envelope:
        assert agency is not None
        directive = self.directives[row.payload["directive"]]
        year = row.payload["year"]
        tasks = self._task_list(TaskRow.directive_code == directive.code, TaskRow.year == year,
                                TaskRow.agency_code == agency.code)
        context = {"agency": _agency(agency), "directive": self._directive(directive),
                   "year": year, "tasks": tasks}
        return _checked(Envelope(row.id or 0, row.key, "tasks_assigned", list(agency.emails), [],
                                 context))

    def _opening(self, row: OutboxRow, agency: AgencyRow | None) -> Envelope:
        assert agency is not None
        year, code = row.payload["year"], row.payload["action_month"]
        month = next(m for c in self.calendars.values() for m in c.action_months
                     if m.code == code)
        tasks = [t for t in self._task_list(TaskRow.agency_code == agency.code,
                                            TaskRow.year == year,
                                            TaskRow.state.in_(OWED_STATES))  # type: ignore[attr-defined]
                 if t["period"] == f"{year}-{code}" or t["action_month"] == code]
        context = {"agency": _agency(agency), "year": year, "tasks": tasks,
                   "month": {"name": month.name, "start": month.start_date(year),
                             "end": month.end_date(year)}}
        return _checked(Envelope(row.id or 0, row.key, "action_month_opening",
                                 list(agency.emails), [], context))

    def _chair(self, row: OutboxRow, chair: AgencyRow | None, now: datetime) -> Envelope:
        if chair is None:
            raise NoRecipientError("the directive names no chair or secretariat")
        directive = self.directives[row.payload["directive"]]
        due_on = date.fromisoformat(row.payload["due_on"])
        where = (TaskRow.directive_code == directive.code,
                 TaskRow.due_at == deadline_instant(due_on),
                 TaskRow.state.in_(OWED_STATES))  # type: ignore[attr-defined]
        total, agencies = self.session.execute(
            select(func.count(), func.count(distinct(TaskRow.agency_code))).where(*where)).one()
        counts, other_agencies, other_tasks = self.backlogs.counts_by_agency(
            where, total, agencies, now)
        context = {"recipient": _agency(chair), "directive": self._directive(directive),
                   "due_on": due_on, "count": total or row.payload["tasks"],
                   "days_overdue": overdue_days(now, due_on), "agencies": counts,
                   "agency_count": agencies, "other_agencies": other_agencies,
                   "other_tasks": other_tasks,
                   "link": f"{self.links.base_url}/quan-ly/qua-han?chi_dao="
                           f"{quote(directive.code)}"}
        to = [chair.head_email] if chair.head_email else list(chair.emails)
        return _checked(Envelope(row.id or 0, row.key, "escalation_chair", to, [], context))

    def _digest(self, row: OutboxRow, recipient: AgencyRow | None, now: datetime) -> Envelope:
        assert recipient is not None
        if row.recipient_role == "secretariat":
            own = sorted(code for code, d in self.directives.items()
                         if d.secretariat == recipient.code)
            backlog = self.backlogs.for_directives(own, now)
            link = f"{self.links.base_url}/quan-ly/qua-han"
            if len(backlog.documents) == 1:
                link += f"?chi_dao={quote(backlog.documents[0])}"
        else:
            backlog = self.agency_backlogs.get(recipient.code) or Backlog()
            link = self.links.agency(recipient.code)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for task in backlog.tasks:
            groups[task["agency"]].append(task)
        documents = backlog.documents[:LISTED_DOCUMENTS]
        context = {"recipient": _agency(recipient), "week_label": week_label(row.payload["week"]),
                   "documents": [self._directive(self.directives[c]) for c in documents],
                   "other_documents": len(backlog.documents) - len(documents),
                   "as_of": now, "total": backlog.total, "agency_count": backlog.agency_count,
                   "complete": backlog.complete, "worst": backlog.tasks,
                   "counts": backlog.counts, "other_agencies": backlog.other_agencies,
                   "other_tasks": backlog.other_tasks,
                   "groups": [{"agency": a, "tasks": ts} for a, ts in sorted(groups.items())],
                   "link": link, "link_label": "Danh sách nhiệm vụ quá hạn trên trang quản lý"
                   if row.recipient_role == "secretariat" else "Danh sách nhiệm vụ của đơn vị"}
        return _checked(Envelope(row.id or 0, row.key, "weekly_digest",
                                 _addresses(recipient, head=False), [], context))

    # -- helpers --------------------------------------------------------------------------

    def _load_agencies(self, codes: set[str]) -> None:
        codes |= {c for d in self.directives.values() for c in (d.secretariat, d.chair) if c}
        missing = codes - set(self.agencies)
        if missing:
            for agency in self.session.scalars(select(AgencyRow).where(
                    AgencyRow.code.in_(missing))):  # type: ignore[attr-defined]
                self.agencies[agency.code] = agency

    def _tasks(self, ids: set[int | None]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        tasks = self._task_list(TaskRow.id.in_(ids))  # type: ignore[union-attr]
        self._load_agencies({t["agency_code"] for t in tasks})
        return {t["id"]: t for t in tasks}

    def _task_list(self, *where: Any) -> list[dict[str, Any]]:
        query = (select(TaskRow, TaskSpecRow, AgencyRow.name)
                 .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                       & (TaskSpecRow.code == TaskRow.spec_code))
                 .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
                 .where(*where).order_by(TaskSpecRow.position, TaskRow.due_on, TaskRow.period))
        return [self._task(task, spec, name) for task, spec, name in self.session.execute(query)]

    def _task(self, task: TaskRow, spec: TaskSpecRow, agency_name: str) -> dict[str, Any]:
        label = period_label(task, self.calendars.get(
            self.directives[task.directive_code].calendar_code))
        return {
            "id": task.id, "title": spec.title, "text": spec.text, "due_on": task.due_on,
            "period": task.period, "agency_code": task.agency_code, "agency_name": agency_name,
            "directive_code": task.directive_code, "state": task.state,
            "period_label": label,
            "role_label": ROLE_LABELS.get(task.role, task.role),
            # A period worth naming in a list: one of the year's reports or action months.
            "recurrence": label if "-" in task.period else None,
            "reported_at": task.reported_at, "report_text": task.report_text,
            "late": bool(task.reported_at and task.due_at and task.reported_at > task.due_at),
            "action_month": (spec.due or {}).get("action_month"),
            "link": self.links.task(task.id or 0, task.agency_code, task.due_at),
        }

    def _directive(self, directive: DirectiveRow) -> dict[str, Any]:
        return {"code": directive.code, "kind_label": DOCUMENT_LABELS.get(directive.kind,
                                                                          directive.kind),
                "number": directive.number, "issued": issued_label(directive),
                "issuer": directive.issuer, "title": directive.title}


def _agency(agency: AgencyRow) -> dict[str, Any]:
    return {"code": agency.code, "name": agency.name, "short_name": agency.short_name,
            "head_name": agency.head_name, "greeting": greeting(agency)}


def _addresses(agency: AgencyRow, head: bool) -> list[str]:
    return [agency.head_email] if head and agency.head_email else list(agency.emails)


def _days(now: datetime, due_on: date) -> int:
    """Whole days from today (local) to the deadline day; negative once it has passed."""
    return (due_on - to_local(now).date()).days




def _checked(envelope: Envelope) -> Envelope:
    if not envelope.to:
        raise NoRecipientError(f"no e-mail address for {envelope.key}")
    return envelope
