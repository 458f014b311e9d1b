"""Amending a published directive: add a task (its instances for the year created at
once), change a task's deadline for every agency (an audit row per task and a notice to
each agency), withdraw a task (its open instances cancelled with the reason). Each is
one transaction and a new version of the directive, validated by the loader."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow.definitions.loader import load_definitions
from workflow.definitions.specs import Directive
from workflow.definitions.store import (
    load_calendars,
    load_directive,
    load_registry,
    save_definitions,
)
from workflow.definitions.yamlwriter import directive_document
from workflow.engine.actions import apply_transition, plan_transition
from workflow.engine.actors import Actor
from workflow.engine.instantiate import InstantiationResult, instantiate_in, plan_instances
from workflow.engine.machine import OWED_STATES
from workflow.engine.operations import reschedule
from workflow.errors import NhiemvuError
from workflow.storage.models import TaskRow, TaskSpecRow

OPEN_STATES = (*OWED_STATES, "reported")


def current_document(session: Session, code: str) -> dict[str, Any]:
    directive, _ = load_directive(session, code)
    return directive_document(directive)


def _amend(session: Session, code: str, change: Callable[[dict[str, Any]], None],
           summary: str, actor: Actor, now: datetime) -> Directive:
    """The directive's document changed by `change`, loaded as `nhiemvu load` would and
    stored as its next version; DefinitionError with the problems otherwise."""
    document = copy.deepcopy(current_document(session, code))
    change(document)
    loaded = load_definitions((), load_registry(session), load_calendars(session),
                              texts=[(f"{code}.yaml", document)])
    save_definitions(session, loaded, now, actor.name, summary)
    return loaded.directives[code]


def add_task(session: Session, code: str, task: dict[str, Any], year: int, actor: Actor,
             now: datetime) -> InstantiationResult:
    def change(document: dict[str, Any]) -> None:
        if any(t["code"] == task.get("code") for t in document["tasks"]):
            raise NhiemvuError(f"văn bản đã có nhiệm vụ mã «{task.get('code')}»")
        document["tasks"].append(task)

    _amend(session, code, change, f"Thêm nhiệm vụ {task.get('code')}: {task.get('title')}",
           actor, now)
    return instantiate_in(session, code, year, now)


def change_deadline(session: Session, code: str, task_code: str, due: dict[str, Any],
                    year: int, reason: str, actor: Actor, now: datetime) -> int:
    """`due` holds the task's new 'due' or 'recurs'; the open instances of `year` move to
    the new deadline. Returns how many tasks moved."""
    reason = " ".join(reason.split())
    if not reason:
        raise NhiemvuError("hãy ghi lý do đổi hạn để các cơ quan biết")

    def change(document: dict[str, Any]) -> None:
        task = _task(document, task_code)
        task.pop("due", None)
        task.pop("recurs", None)
        task.update(due)

    directive = _amend(session, code, change, f"Đổi hạn nhiệm vụ {task_code}: {reason}",
                       actor, now)
    calendar = load_calendars(session)[directive.calendar]
    planned = {(i.agency_code, i.period): i.due_on
               for i in plan_instances(directive, calendar, load_registry(session), year)
               if i.spec_code == task_code}
    tasks = session.scalars(select(TaskRow).where(
        TaskRow.directive_code == code, TaskRow.spec_code == task_code,
        TaskRow.year == year, TaskRow.state.in_(OPEN_STATES))).all()  # type: ignore[attr-defined]
    moved = 0
    for row in tasks:
        new_due = planned.get((row.agency_code, row.period))
        if new_due is not None and reschedule(session, row, new_due, reason, actor, now):
            moved += 1
    return moved


def withdraw_task(session: Session, code: str, task_code: str, reason: str, actor: Actor,
                  now: datetime) -> int:
    """The task leaves the directive (kept for its history); open instances are cancelled
    with the reason, each with its audit row and notice. Returns how many."""
    reason = " ".join(reason.split())
    if not reason:
        raise NhiemvuError("hãy ghi lý do rút nhiệm vụ")
    spec = session.scalars(select(TaskSpecRow).where(
        TaskSpecRow.directive_code == code, TaskSpecRow.code == task_code,
        TaskSpecRow.withdrawn_at.is_(None))).first()  # type: ignore[union-attr]
    if spec is None:
        raise NhiemvuError(f"văn bản không có nhiệm vụ «{task_code}» đang thực hiện")
    document = current_document(session, code)
    if len(document["tasks"]) <= 1:
        raise NhiemvuError("không rút được nhiệm vụ duy nhất của văn bản")
    spec.withdrawn_at, spec.withdrawn_reason = now, reason
    session.add(spec)
    session.flush()

    def change(document: dict[str, Any]) -> None:
        document["tasks"] = [t for t in document["tasks"] if t["code"] != task_code]

    _amend(session, code, change, f"Rút nhiệm vụ {task_code}: {reason}", actor, now)
    ids = session.scalars(select(TaskRow.id).where(
        TaskRow.directive_code == code, TaskRow.spec_code == task_code,
        TaskRow.state.in_(OPEN_STATES))).all()  # type: ignore[attr-defined]
    for task_id in ids:
        assert task_id is not None
        apply_transition(session, plan_transition(session, task_id, "cancel", actor, now,
                                                  reason=f"Rút khỏi văn bản: {reason}"))
    return len(ids)


def _task(document: dict[str, Any], code: str) -> dict[str, Any]:
    for task in document["tasks"]:
        if task["code"] == code:
            return task
    raise NhiemvuError(f"văn bản không có nhiệm vụ «{code}»")
