"""Extension requests (gia hạn): an agency asks for more time through its link, with a
date and a reason; the secretariat approves (possibly with another date) or refuses with
a reason. An approval moves the deadline like any reschedule, so the reminder ladder and
the classification follow the extended deadline while the original one is kept."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from workflow.dates import format_date
from workflow.engine.actors import Actor
from workflow.engine.machine import OWED_STATES
from workflow.engine.operations import reschedule
from workflow.engine.outbox import notice, queue
from workflow.errors import NhiemvuError
from workflow.storage.models import AuditRow, DirectiveRow, ExtensionRequestRow, TaskRow

MAX_DAYS = 366


def pending_request(session: Session, task_id: int) -> ExtensionRequestRow | None:
    return session.scalars(select(ExtensionRequestRow).where(
        ExtensionRequestRow.task_id == task_id,
        ExtensionRequestRow.state == "pending")).first()


def requests_of(session: Session, task_id: int) -> list[ExtensionRequestRow]:
    return list(session.scalars(select(ExtensionRequestRow).where(
        ExtensionRequestRow.task_id == task_id).order_by(ExtensionRequestRow.id)))


def _audit(session: Session, row: TaskRow, actor: Actor, now: datetime, trigger: str,
           reason: str) -> None:
    session.add(AuditRow(task_id=row.id or 0, at=now, actor=actor.name, role=actor.role,
                         channel=actor.channel, trigger=trigger, from_state=row.state,
                         to_state=row.state, reason=reason, task_version=row.version))


def _check_date(row: TaskRow, proposed: date) -> None:
    if row.due_on is None:
        raise NhiemvuError("nhiệm vụ không có hạn nên không cần gia hạn")
    if proposed <= row.due_on:
        raise NhiemvuError(f"ngày đề nghị phải sau hạn hiện tại ({format_date(row.due_on)})")
    if (proposed - row.due_on).days > MAX_DAYS:
        raise NhiemvuError("chỉ gia hạn được tối đa một năm")


def request_extension(session: Session, task_id: int, actor: Actor, proposed: date,
                      reason: str, now: datetime) -> ExtensionRequestRow:
    """The agency's request, one waiting at a time; the secretariat is told by e-mail."""
    row = session.get(TaskRow, task_id, with_for_update=True)
    if row is None or row.agency_code != actor.agency_code:
        raise NhiemvuError("không có nhiệm vụ này")
    if row.state not in OWED_STATES:
        raise NhiemvuError("nhiệm vụ đã có báo cáo hoặc đã kết thúc")
    words = " ".join(reason.split())[:2000]
    if not words:
        raise NhiemvuError("hãy ghi lý do xin gia hạn")
    _check_date(row, proposed)
    if pending_request(session, task_id) is not None:
        raise NhiemvuError("đã có một đề nghị gia hạn đang chờ Thường trực xem xét")
    request = ExtensionRequestRow(task_id=task_id, requested_at=now, proposed_on=proposed,
                                  reason=words, state="pending")
    session.add(request)
    _audit(session, row, actor, now, "request_extension",
           f"Đề nghị gia hạn đến trước ngày {format_date(proposed)}: {words}")
    session.flush()
    directive = session.get(DirectiveRow, row.directive_code)
    if directive is not None and directive.secretariat:
        queue(session, [notice(f"extension_requested:{request.id}", "extension_requested",
                               row.id, directive.secretariat, "secretariat",
                               {"reason": f"Đề nghị gia hạn đến trước ngày "
                                          f"{format_date(proposed)}. Lý do: {words}"}, now)])
    return request


def decide_extension(session: Session, request_id: int, approve: bool, actor: Actor,
                     now: datetime, granted_on: date | None = None, reason: str = ""
                     ) -> ExtensionRequestRow:
    request = session.get(ExtensionRequestRow, request_id, with_for_update=True)
    if request is None or request.state != "pending":
        raise NhiemvuError("đề nghị này đã được xử lý hoặc không còn")
    row = session.get(TaskRow, request.task_id, with_for_update=True)
    assert row is not None
    words = " ".join(reason.split())[:2000]
    request.decided_at, request.decided_by = now, actor.name
    request.decision_reason = words or None
    if approve:
        granted = granted_on or request.proposed_on
        _check_date(row, granted)
        request.state, request.granted_on = "approved", granted
        reschedule(session, row, granted, words, actor, now,
                   f"Đồng ý gia hạn: hạn mới trước ngày {format_date(granted)} (hạn cũ: "
                   f"{format_date(row.due_on) if row.due_on else 'không có'})"
                   + (f". {words}" if words else ""))
    else:
        if not words:
            raise NhiemvuError("hãy ghi lý do không đồng ý gia hạn")
        request.state = "refused"
        _audit(session, row, actor, now, "refuse_extension", f"Không đồng ý gia hạn: {words}")
        queue(session, [notice(f"extension_refused:{request.id}", "extension_refused", row.id,
                               row.agency_code, "agency",
                               {"reason": f"Không đồng ý gia hạn. Lý do: {words}"}, now)])
    session.add(request)
    session.flush()
    return request
