"""The outbox as the secretariat reads it: every message with its kind, recipient, task,
state (waiting, sent, failed with the server's answer), attempts and times, filtered and
searched, limited to the messages about her committee's work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session

from workflow.storage.models import AgencyRow, DirectiveRow, OutboxRow, TaskRow, TaskSpecRow

KIND_LABELS = {
    "tasks_assigned": "Giao nhiệm vụ", "reminder": "Nhắc hạn", "overdue_notice": "Quá hạn",
    "escalation": "Báo cáo lãnh đạo", "task_reported": "Đã nhận báo cáo",
    "task_returned": "Trả lại", "task_verified": "Đã xác nhận", "task_cancelled": "Hủy",
    "weekly_digest": "Tổng hợp tuần", "action_month_opening": "Mở tháng hành động",
    "deadline_changed": "Đổi hạn", "task_reassigned": "Giao cơ quan khác",
    "link_resent": "Gửi lại liên kết", "extension_requested": "Đề nghị gia hạn",
    "extension_refused": "Không đồng ý gia hạn"}
STATE_LABELS = {"queued": "Đang chờ gửi", "sent": "Đã gửi", "failed": "Gửi lỗi"}
PAGE = 100


@dataclass(frozen=True)
class MailRow:
    row: OutboxRow
    agency: str | None
    task_title: str | None


def _scoped(query: Any, committee: str | None) -> Any:
    query = (query.outerjoin(TaskRow, TaskRow.id == OutboxRow.task_id)
             .outerjoin(DirectiveRow, DirectiveRow.code == TaskRow.directive_code)
             .outerjoin(AgencyRow, AgencyRow.code == OutboxRow.agency_code))
    if committee is not None:
        query = query.where(or_(DirectiveRow.committee_code == committee,
                                AgencyRow.committee_code == committee))
    return query


def mail_list(session: Session, committee: str | None, state: str | None = None,
              kind: str | None = None, search: str = "", task_id: int | None = None,
              agency: str | None = None, page: int = 0) -> tuple[list[MailRow], int]:
    query = _scoped(select(OutboxRow, AgencyRow.name, TaskSpecRow.title), committee) \
        .outerjoin(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                   & (TaskSpecRow.code == TaskRow.spec_code))
    counting = _scoped(select(func.count(OutboxRow.id)), committee)
    where: list[Any] = []
    if state in STATE_LABELS:
        where.append(OutboxRow.state == state)
    if kind in KIND_LABELS:
        where.append(OutboxRow.kind == kind)
    if task_id is not None:
        where.append(OutboxRow.task_id == task_id)
    if agency:
        where.append(OutboxRow.agency_code == agency)
    if search:
        like = f"%{search.lower()}%"
        where.append(or_(func.lower(AgencyRow.name).like(like),
                         func.lower(OutboxRow.key).like(like),
                         func.lower(OutboxRow.last_error).like(like)))
    total = int(session.scalar(counting.where(*where)) or 0)
    rows = session.execute(query.where(*where).order_by(OutboxRow.id.desc())  # type: ignore[union-attr]
                           .offset(page * PAGE).limit(PAGE)).all()
    return [MailRow(r, name, title) for r, name, title in rows], total


def mail_row(session: Session, committee: str | None, outbox_id: int) -> OutboxRow | None:
    """One message, if it concerns the committee's work."""
    return session.scalars(_scoped(select(OutboxRow), committee)
                           .where(OutboxRow.id == outbox_id)).first()


def retry(session: Session, row: OutboxRow, now: datetime) -> None:
    """A failed message queued again now; its last error stays until the next attempt."""
    row.state, row.next_attempt_at, row.lease_until = "queued", now, None
    row.attempts, row.first_attempt_at = 0, None  # a whole new retry window
    session.add(row)
