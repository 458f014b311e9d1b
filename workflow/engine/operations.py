"""What the secretariat does to one task besides verifying: cancel, enter a report
received on paper or by phone, reassign to another agency, change its deadline, remind
now, resend the link. Each works in the caller's transaction and writes its audit row
and its notice, so a bulk operation over a thousand tasks is one commit or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from workflow.dates import deadline_instant, format_date
from workflow.definitions.fieldreader import EMAIL_PATTERN
from workflow.engine.actions import apply_transition, plan_transition
from workflow.engine.actors import Actor
from workflow.engine.machine import OWED_STATES
from workflow.engine.outbox import notice, queue
from workflow.engine.reports import Figures, record_report
from workflow.errors import ConflictError, NhiemvuError
from workflow.storage.attachments import StoredFile
from workflow.storage.models import AgencyRow, AuditRow, TaskRow

OPEN_STATES = (*OWED_STATES, "reported")
CHANNELS = {"paper": "văn bản giấy", "phone": "điện thoại", "document": "công văn",
            "email": "thư điện tử"}
OPERATIONS = {"cancel": "Hủy nhiệm vụ", "remind": "Nhắc ngay", "deadline": "Đổi hạn",
              "reassign": "Giao cho cơ quan khác", "resend": "Gửi lại liên kết"}


@dataclass(frozen=True)
class Outcome:
    task_id: int
    done: str  # what happened, in Vietnamese


def _task(session: Session, task_id: int, version: int | None) -> TaskRow:
    row = session.get(TaskRow, task_id, with_for_update=True)
    if row is None:
        raise NhiemvuError(f"không có nhiệm vụ {task_id}")
    if version is not None and row.version != version:
        raise ConflictError(str(task_id), version, row.version, row.state)
    return row


def _reason(reason: str | None, what: str) -> str:
    words = " ".join((reason or "").split())[:2000]
    if not words:
        raise NhiemvuError(f"hãy ghi lý do {what}")
    return words


def _audit(session: Session, row: TaskRow, actor: Actor, now: datetime, trigger: str,
           reason: str | None) -> None:
    session.add(AuditRow(task_id=row.id or 0, at=now, actor=actor.name, role=actor.role,
                         channel=actor.channel, trigger=trigger, from_state=row.state,
                         to_state=row.state, reason=reason, task_version=row.version))


def applies(operation: str, state: str) -> bool:
    """Whether `operation` applies to a task in `state` (the bulk preview says so)."""
    if operation == "cancel":
        return state in OPEN_STATES
    if operation in {"remind", "reassign", "resend"}:
        return state in OWED_STATES
    if operation == "deadline":
        return state in OPEN_STATES
    return False


def cancel(session: Session, task_id: int, actor: Actor, now: datetime, reason: str | None,
           version: int | None = None) -> Outcome:
    plan = plan_transition(session, task_id, "cancel", actor, now,
                           reason=_reason(reason, "hủy"), expected_version=version)
    apply_transition(session, plan)
    return Outcome(task_id, "đã hủy")


def report_for_agency(session: Session, task_id: int, actor: Actor, now: datetime, text: str,
                      figures: Figures, files: list[StoredFile], channel: str,
                      reference: str | None, version: int | None = None) -> Outcome:
    """A report the agency sent on paper, by phone or by official letter, entered by the
    secretariat: the audit row says who entered it and how it came."""
    if channel not in CHANNELS:
        raise NhiemvuError("hãy chọn báo cáo nhận qua đường nào")
    row = _task(session, task_id, version)
    words = " ".join((reference or "").split())[:300]
    body = f"[Nhận qua {CHANNELS[channel]}{': ' + words if words else ''}]\n{text.strip()}"
    entered = Actor(actor.name, actor.role, channel)
    record_report(session, row.id or 0, entered, now, body, figures, files)
    return Outcome(task_id, "đã nhập báo cáo")


def reschedule(session: Session, row: TaskRow, new_due: date, reason: str, actor: Actor,
               now: datetime, words: str | None = None) -> bool:
    """The task's deadline moved, with its audit row and a notice to the agency; the
    ladder follows the new deadline. False when the deadline does not change."""
    if row.due_on == new_due:
        return False
    before = format_date(row.due_on) if row.due_on else "không có"
    if row.original_due_on is None:
        row.original_due_on = row.due_on
    words = words or f"Hạn mới: trước ngày {format_date(new_due)} (hạn cũ: {before}). " \
        f"Lý do: {reason}"
    row.due_on, row.due_at = new_due, deadline_instant(new_due)
    if row.due_at > now:  # owed again before a new deadline: the ladder starts again
        row.overdue_since, row.escalation_level = None, 0
    row.version += 1
    row.updated_at = now
    session.add(row)
    _audit(session, row, actor, now, "reschedule", words)
    session.flush()
    queue(session, [notice(f"deadline_changed:{row.id}:{row.version}", "deadline_changed",
                           row.id, row.agency_code, "agency", {"reason": words}, now)])
    return True


def change_deadline(session: Session, task_id: int, new_due: date, actor: Actor,
                    now: datetime, reason: str | None, version: int | None = None) -> Outcome:
    row = _task(session, task_id, version)
    if row.state not in OPEN_STATES:
        raise NhiemvuError(f"nhiệm vụ {task_id} đã kết thúc, không đổi hạn được")
    reschedule(session, row, new_due, _reason(reason, "đổi hạn"), actor, now)
    return Outcome(task_id, f"hạn mới {format_date(new_due)}")


def remind(session: Session, task_id: int, actor: Actor, now: datetime,
           version: int | None = None) -> Outcome:
    row = _task(session, task_id, version)
    if row.state not in OWED_STATES:
        raise NhiemvuError(f"nhiệm vụ {task_id} không còn chờ báo cáo")
    _audit(session, row, actor, now, "remind", "Thường trực nhắc ngay")
    queue(session, [notice(f"reminder:ngay:{row.id}:{now.isoformat()}", "reminder", row.id,
                           row.agency_code, "agency", {"manual": True}, now)])
    return Outcome(task_id, "đã nhắc")


def resend_link(session: Session, task_id: int, actor: Actor, now: datetime,
                address: str | None = None, version: int | None = None) -> Outcome:
    """The task's link again, to the agency's addresses or to one address given."""
    row = _task(session, task_id, version)
    address = (address or "").strip().lower() or None
    if address is not None and (not EMAIL_PATTERN.match(address) or len(address) > 200):
        raise NhiemvuError(f"«{address}» không phải địa chỉ thư")
    payload = {"to": address} if address else {}
    _audit(session, row, actor, now, "resend", f"Gửi lại liên kết tới {address}" if address
           else "Gửi lại liên kết")
    queue(session, [notice(f"link_resent:{row.id}:{now.isoformat()}", "link_resent", row.id,
                           row.agency_code, "agency", payload, now)])
    return Outcome(task_id, f"đã gửi lại liên kết{' tới ' + address if address else ''}")


def reassign(session: Session, task_id: int, to_agency: str, actor: Actor, now: datetime,
             reason: str | None, version: int | None = None) -> Outcome:
    """The task goes to another agency of the committee: the new one is told it has a
    task, the old one that it no longer does."""
    row = _task(session, task_id, version)
    words = _reason(reason, "giao lại")
    if row.state not in OWED_STATES:
        raise NhiemvuError(f"nhiệm vụ {task_id} đã có báo cáo hoặc đã kết thúc")
    target = session.get(AgencyRow, to_agency)
    source = session.get(AgencyRow, row.agency_code)
    if target is None or not target.active or target.valid_until is not None \
            or (source is not None and target.committee_code != source.committee_code):
        raise NhiemvuError("hãy chọn một cơ quan đang hoạt động của Ban")
    if target.code == row.agency_code:
        raise NhiemvuError("nhiệm vụ đã thuộc cơ quan này")
    taken = session.scalar(select(TaskRow.id).where(
        TaskRow.directive_code == row.directive_code, TaskRow.spec_code == row.spec_code,
        TaskRow.period == row.period, TaskRow.agency_code == target.code))
    if taken is not None:
        raise NhiemvuError(f"{target.name} đã có nhiệm vụ này")
    old = row.agency_code
    why = f"Giao cho {target.name} (trước: {source.name if source else old}). Lý do: {words}"
    queue(session, [notice(f"task_reassigned:{row.id}:{row.version}", "task_reassigned",
                           row.id, old, "agency", {"reason": why}, now)])
    row.agency_code = target.code
    row.version += 1
    row.updated_at = now
    session.add(row)
    _audit(session, row, actor, now, "reassign", why)
    session.flush()
    queue(session, [notice(f"tasks_assigned:{row.directive_code}:{row.year}:{target.code}:"
                           f"giao-lai-{row.id}-{row.version}", "tasks_assigned", None,
                           target.code, "agency",
                           {"directive": row.directive_code, "year": row.year}, now)])
    return Outcome(task_id, f"đã giao cho {target.name}")


def run_bulk(session: Session, items: list[tuple[int, int]], operation: str, actor: Actor,
             now: datetime, *, reason: str | None = None, new_due: date | None = None,
             to_agency: str | None = None) -> list[Outcome]:
    """One operation on many tasks, each at the version the preview showed, in the
    caller's transaction: any refusal or conflict undoes them all."""
    if operation not in OPERATIONS:
        raise NhiemvuError("hãy chọn một thao tác")
    if not items:
        raise NhiemvuError("chưa chọn nhiệm vụ nào")
    done: list[Outcome] = []
    for task_id, version in items:
        if operation == "cancel":
            done.append(cancel(session, task_id, actor, now, reason, version))
        elif operation == "remind":
            done.append(remind(session, task_id, actor, now, version))
        elif operation == "resend":
            done.append(resend_link(session, task_id, actor, now, None, version))
        elif operation == "deadline":
            if new_due is None:
                raise NhiemvuError("hãy ghi hạn mới (ngày/tháng/năm)")
            done.append(change_deadline(session, task_id, new_due, actor, now, reason,
                                        version))
        else:
            done.append(reassign(session, task_id, to_agency or "", actor, now, reason,
                                 version))
    return done
