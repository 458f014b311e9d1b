"""Firing a trigger on a task: the transition, its audit row and its outbox rows are one
database transaction, guarded by an optimistic lock on the task's version.

`plan_transition` reads and decides; `apply_transition` writes only if nobody changed the
task since the plan was made. `fire` does both in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from workflow.engine.actors import Actor
from workflow.engine.closing import is_closed
from workflow.engine.machine import (
    NEEDS_REASON,
    TRIGGER_ROLES,
    TRIGGERS,
    TaskFlow,
    allowed_triggers,
    run_trigger,
)
from workflow.engine.taskref import find_task, task_key
from workflow.errors import (
    ConflictError,
    IllegalTransitionError,
    MissingReasonError,
    NhiemvuError,
    PermissionDeniedError,
)
from workflow.storage.db import write_session
from workflow.storage.models import AuditRow, DirectiveRow, OutboxRow, TaskRow

# Which notification each trigger asks for, and whom it goes to.
NOTIFY: dict[str, tuple[str, str]] = {
    "report": ("task_reported", "secretariat"),
    "verify": ("task_verified", "agency"),
    "return": ("task_returned", "agency"),
    "cancel": ("task_cancelled", "agency"),
}


SECRETARIAT = select(DirectiveRow.secretariat).where(
    DirectiveRow.code == bindparam("code"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Plan:
    task_id: int
    key: str
    trigger: str
    actor: Actor
    now: datetime
    from_state: str
    read_version: int
    flow: TaskFlow
    reason: str | None
    # The row as read, held so that the session's identity map (weakly referencing) keeps
    # it until the transition is applied: otherwise it was read a second time.
    row: TaskRow | None = field(default=None, compare=False, repr=False)


def plan_transition(session: Session, ref: str | int, trigger: str, actor: Actor,
                    now: datetime, *, text: str | None = None, reason: str | None = None,
                    expected_version: int | None = None) -> Plan:
    if trigger not in TRIGGERS:
        raise NhiemvuError(f"unknown trigger '{trigger}' (expected one of: {', '.join(TRIGGERS)})")
    row = find_task(session, ref)
    key = task_key(row)
    if expected_version is not None and expected_version != row.version:
        raise ConflictError(key, expected_version, row.version, row.state)
    _check_actor(row, key, trigger, actor)
    reason = (reason or "").strip() or None
    if trigger in NEEDS_REASON and reason is None:
        raise MissingReasonError(key, trigger)
    if trigger == "report" and not (text or "").strip():
        raise NhiemvuError(f"task {key}: a report needs a non-empty text")
    if trigger == "return" and is_closed(session, row.directive_code, row.year):
        raise NhiemvuError(f"task {key}: năm {row.year} đã kết thúc, không trả lại báo cáo "
                           f"được nữa (chỉ xác nhận)")
    allowed = allowed_triggers(row.state)
    if trigger not in allowed:
        raise IllegalTransitionError(key, trigger, row.state, allowed)
    flow = TaskFlow(row.state, row.reported_at, row.verified_at, row.closed_at, row.report_text,
                    row.last_reason)
    run_trigger(flow, trigger, now=now, text=(text or "").strip() or None, reason=reason)
    assert row.id is not None
    return Plan(row.id, key, trigger, actor, now, row.state, row.version, flow, reason, row)


def _check_actor(row: TaskRow, key: str, trigger: str, actor: Actor) -> None:
    if actor.role not in TRIGGER_ROLES[trigger]:
        roles = " or ".join(sorted(TRIGGER_ROLES[trigger]))
        raise PermissionDeniedError(key, trigger, actor.name, f"needs the role {roles}, "
                                                              f"not {actor.role}")
    if actor.role == "agency" and actor.agency_code != row.agency_code:
        raise PermissionDeniedError(key, trigger, actor.name,
                                    f"the task belongs to {row.agency_code}, "
                                    f"not {actor.agency_code}")


def apply_transition(session: Session, plan: Plan) -> TaskRow:
    """Writes the plan if the task is still at the version it was read at."""
    flow = plan.flow
    written = {"state": flow.state, "reported_at": flow.reported_at,
               "verified_at": flow.verified_at, "closed_at": flow.closed_at,
               "report_text": flow.report_text, "last_reason": flow.last_reason,
               "version": plan.read_version + 1, "updated_at": plan.now}
    # Core statements on the session's connection: built once, they skip the ORM's
    # statement handling, which cost more than the statements (a report POST spent most
    # of its time there). Nothing reads the written rows back through the ORM.
    connection = session.connection()
    try:
        result = connection.execute(TASK_UPDATE, {**written, "task_id": plan.task_id,
                                                  "read_version": plan.read_version})
    except OperationalError as exc:  # SQLite: our read snapshot is stale, someone wrote
        if "locked" not in str(exc) and "busy" not in str(exc).lower():
            raise
        session.rollback()
        current = session.get(TaskRow, plan.task_id, populate_existing=True)
        assert current is not None
        raise ConflictError(plan.key, plan.read_version, current.version, current.state) from None
    if result.rowcount != 1:
        current = session.get(TaskRow, plan.task_id, populate_existing=True)
        assert current is not None
        raise ConflictError(plan.key, plan.read_version, current.version, current.state)
    new_version = plan.read_version + 1
    connection.execute(AUDIT_INSERT, {
        "task_id": plan.task_id, "at": plan.now, "actor": plan.actor.name,
        "role": plan.actor.role, "channel": plan.actor.channel, "trigger": plan.trigger,
        "from_state": plan.from_state, "to_state": flow.state, "reason": plan.reason,
        "task_version": new_version})
    row = plan.row if plan.row is not None else session.get(TaskRow, plan.task_id)
    assert row is not None
    for name, value in written.items():  # what the UPDATE wrote, without reading it back
        set_committed_value(row, name, value)
    if plan.trigger in NOTIFY:  # a task closed as not done is not announced
        connection.execute(OUTBOX_INSERT, _notification(connection, row, plan, new_version))
    return row


TASK = TaskRow.__table__  # type: ignore[attr-defined]
TASK_UPDATE = (update(TASK)
               .where(TASK.c.id == bindparam("task_id"),
                      TASK.c.version == bindparam("read_version"))
               .values({name: bindparam(name) for name in (
                   "state", "reported_at", "verified_at", "closed_at", "report_text",
                   "last_reason", "version", "updated_at")}))
AUDIT_INSERT = insert(AuditRow.__table__)  # type: ignore[attr-defined]
OUTBOX_INSERT = insert(OutboxRow.__table__)  # type: ignore[attr-defined]


def _notification(connection: Connection, row: TaskRow, plan: Plan, version: int
                  ) -> dict[str, Any]:
    kind, recipient = NOTIFY[plan.trigger]
    agency = row.agency_code
    if recipient == "secretariat":
        agency = connection.scalar(SECRETARIAT, {"code": row.directive_code})
    payload: dict[str, Any] = {"task_id": plan.task_id, "task": plan.key,
                               "from": plan.from_state, "to": row.state,
                               "actor": plan.actor.name}
    if plan.reason:
        payload["reason"] = plan.reason
    return {"key": f"{kind}:{plan.task_id}:{version}", "kind": kind, "task_id": plan.task_id,
            "agency_code": agency, "recipient_role": recipient, "payload": payload,
            "state": "queued", "created_at": plan.now, "attempts": 0,
            "next_attempt_at": plan.now}


def fire(engine: Engine, ref: str | int, trigger: str, actor: Actor, now: datetime, *,
         text: str | None = None, reason: str | None = None,
         expected_version: int | None = None) -> TaskRow:
    """One trigger, one transaction: state, audit row and outbox row commit together. A
    report also writes its report row (`record_report`), whoever fires it."""
    with write_session(engine) as session:
        if trigger == "report":
            from workflow.engine.reports import record_report  # reports builds on this module

            return record_report(session, ref, actor, now, text or "", [], [],
                                 expected_version)[0]
        plan = plan_transition(session, ref, trigger, actor, now, text=text, reason=reason,
                               expected_version=expected_version)
        return apply_transition(session, plan)
