"""Closing a directive's year: what is still owed ends as not done ("không hoàn thành"),
with a reason and an audit row per task, and nothing more is sent for that year. Without
it a 2023 plan would send weekly digests for ever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, insert, select, update
from sqlmodel import Session

from workflow.engine.actors import Actor
from workflow.engine.machine import OWED_STATES, TRIGGER_ROLES
from workflow.errors import NhiemvuError, NotFoundError
from workflow.storage.db import write_session
from workflow.storage.models import AuditRow, ClosedYearRow, DirectiveRow, OutboxRow, TaskRow

MAX_REASON = 2000


@dataclass(frozen=True)
class ClosingResult:
    directive: str
    year: int
    not_done: int  # owed tasks ended as not done
    awaiting: int  # reported tasks left for the secretariat to verify
    dropped: int  # queued messages about the closed tasks that will not be sent


def is_closed(session: Session, directive_code: str, year: int) -> bool:
    return session.get(ClosedYearRow, (directive_code, year)) is not None


def closing_preview(session: Session, directive_code: str, year: int) -> ClosingResult:
    """What closing would do, without doing it (the dashboard's confirmation)."""
    _check_open(session, directive_code, year)
    counts = dict(session.execute(
        select(TaskRow.state, func.count()).where(
            TaskRow.directive_code == directive_code, TaskRow.year == year)
        .group_by(TaskRow.state)).all())
    owed = sum(counts.get(s, 0) for s in OWED_STATES)
    return ClosingResult(directive_code, year, owed, counts.get("reported", 0), 0)


def close_year(engine: Engine, directive_code: str, year: int, actor: Actor, now: datetime,
               reason: str) -> ClosingResult:
    """One transaction: the closed-year record, every owed task moved to not_done with its
    audit row, and the queued messages about those tasks dropped."""
    reason = " ".join(reason.split())
    if not reason:
        raise NhiemvuError("Kết thúc năm cần lý do (--reason).")
    if len(reason) > MAX_REASON:
        raise NhiemvuError(f"Lý do dài quá {MAX_REASON} ký tự.")
    if actor.role not in TRIGGER_ROLES["close"]:
        raise NhiemvuError("Chỉ Thường trực Ban được kết thúc năm của một văn bản.")
    with write_session(engine) as session:
        preview = closing_preview(session, directive_code, year)
        session.add(ClosedYearRow(directive_code=directive_code, year=year, closed_at=now,
                                  actor=actor.name, reason=reason))
        owed = session.execute(
            select(TaskRow.id, TaskRow.state, TaskRow.version).where(
                TaskRow.directive_code == directive_code, TaskRow.year == year,
                TaskRow.state.in_(OWED_STATES))).all()  # type: ignore[attr-defined]
        if owed:
            session.execute(update(TaskRow).where(
                TaskRow.directive_code == directive_code, TaskRow.year == year,
                TaskRow.state.in_(OWED_STATES))  # type: ignore[attr-defined]
                .values(state="not_done", closed_at=now, last_reason=reason,
                        version=TaskRow.version + 1, updated_at=now)
                .execution_options(synchronize_session=False))
            session.execute(insert(AuditRow), [
                {"task_id": task_id, "at": now, "actor": actor.name, "role": actor.role,
                 "channel": actor.channel, "trigger": "close", "from_state": state,
                 "to_state": "not_done", "reason": reason, "task_version": version + 1}
                for task_id, state, version in owed])
        dropped = session.execute(
            update(OutboxRow).where(
                OutboxRow.state == "queued",
                OutboxRow.task_id.in_(select(TaskRow.id).where(  # type: ignore[union-attr]
                    TaskRow.directive_code == directive_code, TaskRow.year == year,
                    TaskRow.state == "not_done")))
            .values(state="dropped", last_error=f"Năm {year} đã kết thúc")
            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        return ClosingResult(directive_code, year, len(owed), preview.awaiting, dropped or 0)


def _check_open(session: Session, directive_code: str, year: int) -> None:
    if session.get(DirectiveRow, directive_code) is None:
        raise NotFoundError("directive", directive_code)
    if is_closed(session, directive_code, year):
        raise NhiemvuError(f"Năm {year} của văn bản {directive_code} đã kết thúc trước đó.")
    if not session.scalar(select(func.count()).select_from(TaskRow).where(
            TaskRow.directive_code == directive_code, TaskRow.year == year)):
        raise NhiemvuError(f"Văn bản {directive_code} không có nhiệm vụ năm {year}.")
