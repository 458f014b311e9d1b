"""The task state machine on both databases: every legal and illegal transition, guards,
the audit log, outbox rows, and concurrent triggers (exactly one wins)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from tests.conftest import NOW
from workflow.engine.actions import apply_transition, fire, plan_transition
from workflow.engine.actors import Actor
from workflow.engine.instantiate import instantiate
from workflow.engine.machine import STATES, TRIGGERS, allowed_triggers
from workflow.errors import (
    ConflictError,
    IllegalTransitionError,
    MissingReasonError,
    NhiemvuError,
    NotFoundError,
    PermissionDeniedError,
)
from workflow.storage.db import read_session, write_session
from workflow.storage.models import AuditRow, OutboxRow, TaskRow
from workflow.views.queries import history, is_late, is_overdue

SECRETARIAT = Actor("Nguyễn Văn Thư", "secretariat", "cli")
NOI_VU = Actor("Phòng Nội vụ", "agency", "link", agency_code="hq.noi-vu")
KEY = "hq-2022/v.bao-cao/hq.noi-vu/2022-h1"

# Every (state, trigger) pair and where it leads; None means illegal.
EXPECTED = {
    ("assigned", "report"): "reported", ("assigned", "verify"): None,
    ("assigned", "return"): None, ("assigned", "cancel"): "cancelled",
    ("reported", "report"): None, ("reported", "verify"): "verified",
    ("reported", "return"): "returned", ("reported", "cancel"): "cancelled",
    ("returned", "report"): "reported", ("returned", "verify"): None,
    ("returned", "return"): None, ("returned", "cancel"): "cancelled",
    ("verified", "report"): None, ("verified", "verify"): None,
    ("verified", "return"): None, ("verified", "cancel"): None,
    ("cancelled", "report"): None, ("cancelled", "verify"): None,
    ("cancelled", "return"): None, ("cancelled", "cancel"): None,
    ("assigned", "close"): "not_done", ("returned", "close"): "not_done",
    ("reported", "close"): None, ("verified", "close"): None, ("cancelled", "close"): None,
    ("not_done", "report"): None, ("not_done", "verify"): None,
    ("not_done", "return"): None, ("not_done", "cancel"): None, ("not_done", "close"): None,
}
PATH_TO = {"assigned": [], "reported": ["report"], "returned": ["report", "return"],
           "verified": ["report", "verify"], "cancelled": ["cancel"], "not_done": ["close"]}


@pytest.fixture
def tasks(loaded: Engine) -> Engine:
    instantiate(loaded, "hq-2022", 2022, NOW)
    return loaded


def step(engine: Engine, trigger: str, ref: str = KEY, at_minutes: int = 0) -> TaskRow:
    actor = NOI_VU if trigger == "report" else SECRETARIAT
    return fire(engine, ref, trigger, actor, NOW + timedelta(minutes=at_minutes),
                text="Đã triển khai đầy đủ." if trigger == "report" else None,
                reason="Thiếu số liệu." if trigger in {"return", "cancel", "close"} else None)


def test_expectation_table_covers_the_machine() -> None:
    assert {(s, t) for s in STATES for t in TRIGGERS} == set(EXPECTED)
    for state in STATES:
        assert sorted(allowed_triggers(state)) == sorted(
            t for t in TRIGGERS if EXPECTED[(state, t)] is not None)


@pytest.mark.parametrize(("state", "trigger"), sorted(EXPECTED))
def test_every_transition(tasks: Engine, state: str, trigger: str) -> None:
    for index, move in enumerate(PATH_TO[state]):
        step(tasks, move, at_minutes=index)
    target = EXPECTED[(state, trigger)]
    if target is None:
        with pytest.raises(IllegalTransitionError) as info:
            step(tasks, trigger, at_minutes=10)
        assert f"cannot '{trigger}' in state '{state}'" in str(info.value)
        assert KEY in str(info.value)
        assert info.value.allowed == tuple(allowed_triggers(state))
        with read_session(tasks) as session:
            row = session.scalars(select(TaskRow).where(TaskRow.period == "2022-h1",
                                                        TaskRow.agency_code == "hq.noi-vu")).one()
            assert row.state == state and row.version == 1 + len(PATH_TO[state])
    else:
        row = step(tasks, trigger, at_minutes=10)
        assert row.state == target
        assert row.version == 2 + len(PATH_TO[state])


def test_full_cycle_records_time_facts_and_audit(tasks: Engine) -> None:
    reported = step(tasks, "report", at_minutes=1)
    assert reported.reported_at == NOW + timedelta(minutes=1)
    assert reported.report_text == "Đã triển khai đầy đủ."
    returned = step(tasks, "return", at_minutes=2)
    assert returned.last_reason == "Thiếu số liệu."
    step(tasks, "report", at_minutes=3)
    verified = step(tasks, "verify", at_minutes=4)
    assert verified.verified_at == verified.closed_at == NOW + timedelta(minutes=4)
    with read_session(tasks) as session:
        assert verified.id is not None
        entries = history(session, verified.id)
        assert [(e.trigger, e.from_state, e.to_state) for e in entries] == [
            ("assign", None, "assigned"), ("report", "assigned", "reported"),
            ("return", "reported", "returned"), ("report", "returned", "reported"),
            ("verify", "reported", "verified")]
        assert [e.task_version for e in entries] == [1, 2, 3, 4, 5]
        assert entries[1].actor == "Phòng Nội vụ" and entries[1].channel == "link"
        assert entries[2].reason == "Thiếu số liệu." and entries[2].role == "secretariat"
        outbox = session.scalars(select(OutboxRow).where(OutboxRow.task_id == verified.id)
                                 .order_by(OutboxRow.id)).all()
        assert [(o.kind, o.recipient_role, o.agency_code) for o in outbox] == [
            ("task_reported", "secretariat", "hq.ldtbxh"),
            ("task_returned", "agency", "hq.noi-vu"),
            ("task_reported", "secretariat", "hq.ldtbxh"),
            ("task_verified", "agency", "hq.noi-vu")]
        assert outbox[1].payload["reason"] == "Thiếu số liệu."


def test_late_report_and_overdue_are_distinct_facts(tasks: Engine) -> None:
    with read_session(tasks) as session:
        row = session.scalars(select(TaskRow).where(TaskRow.period == "2022-h1",
                                                    TaskRow.agency_code == "hq.noi-vu")).one()
    assert row.due_at is not None
    assert not is_overdue(row, row.due_at - timedelta(seconds=1))
    assert is_overdue(row, row.due_at)
    late = fire(tasks, KEY, "report", NOI_VU, row.due_at + timedelta(days=2), text="Muộn")
    assert is_late(late) and not is_overdue(late, row.due_at + timedelta(days=3))
    returned = fire(tasks, KEY, "return", SECRETARIAT, row.due_at + timedelta(days=4),
                    reason="Bổ sung")
    assert is_overdue(returned, row.due_at + timedelta(days=4))


def test_guards(tasks: Engine) -> None:
    other = Actor("Phòng Tư pháp", "agency", "link", agency_code="hq.tu-phap")
    with pytest.raises(PermissionDeniedError, match=r"belongs to hq\.noi-vu, not hq\.tu-phap"):
        fire(tasks, KEY, "report", other, NOW, text="x")
    with pytest.raises(PermissionDeniedError, match="needs the role secretariat"):
        fire(tasks, KEY, "cancel", NOI_VU, NOW, reason="x")
    with pytest.raises(MissingReasonError, match="'cancel' needs a non-empty reason"):
        fire(tasks, KEY, "cancel", SECRETARIAT, NOW, reason="   ")
    with pytest.raises(NhiemvuError, match="needs a non-empty text"):
        fire(tasks, KEY, "report", NOI_VU, NOW, text="")
    with pytest.raises(NhiemvuError, match="unknown trigger 'approve'"):
        fire(tasks, KEY, "approve", SECRETARIAT, NOW)
    with pytest.raises(NotFoundError):
        fire(tasks, "hq-2022/v.bao-cao/hq.noi-vu/2031-h1", "report", NOI_VU, NOW, text="x")
    with read_session(tasks) as session:
        assert session.scalar(select(func.count()).select_from(AuditRow)
                              .where(AuditRow.trigger != "assign")) == 0
        assert session.scalar(select(func.count()).select_from(OutboxRow)
                              .where(OutboxRow.kind != "tasks_assigned")) == 0


def test_stale_expected_version_is_a_conflict(tasks: Engine) -> None:
    step(tasks, "report")
    with pytest.raises(ConflictError, match="expected version 1, now 2, state 'reported'"):
        fire(tasks, KEY, "cancel", SECRETARIAT, NOW, reason="x", expected_version=1)


def test_interleaved_double_report_one_wins(tasks: Engine) -> None:
    """Two sessions read the same version; the second write is refused, nothing half-done."""
    first, second = Session(tasks), Session(tasks)
    try:
        plan_a = plan_transition(first, KEY, "report", NOI_VU, NOW, text="A")
        plan_b = plan_transition(second, KEY, "report", NOI_VU, NOW, text="B")
        apply_transition(first, plan_a)
        first.commit()
        with pytest.raises(ConflictError) as info:
            apply_transition(second, plan_b)
        second.rollback()
        assert (info.value.expected, info.value.actual) == (1, 2)
    finally:
        first.close()
        second.close()
    with read_session(tasks) as session:
        row = session.scalars(select(TaskRow).where(TaskRow.period == "2022-h1",
                                                    TaskRow.agency_code == "hq.noi-vu")).one()
        assert (row.state, row.report_text, row.version) == ("reported", "A", 2)
        assert session.scalar(select(func.count()).select_from(AuditRow)
                              .where(AuditRow.trigger == "report")) == 1


@pytest.mark.parametrize("rounds", [8])
def test_concurrent_reports_from_threads(tasks: Engine, rounds: int) -> None:
    """Many tasks, two submitters each that saw version 1: one success per task."""
    with read_session(tasks) as session:
        ids = list(session.scalars(select(TaskRow.id).where(
            TaskRow.agency_code == "hq.noi-vu").limit(rounds)))
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(task_id: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            fire(tasks, task_id, "report", NOI_VU, NOW, text="x", expected_version=1)
            result = "ok"
        except ConflictError:
            result = "conflict"
        with lock:
            outcomes.append(result)

    for task_id in ids:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=submit, args=(task_id, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert outcomes.count("ok") == len(ids) and outcomes.count("conflict") == len(ids)


def test_transition_and_its_rows_roll_back_together(tasks: Engine) -> None:
    """A failure after the state change leaves neither the change nor its audit row."""
    with pytest.raises(RuntimeError), write_session(tasks, immediate=False) as session:
        plan = plan_transition(session, KEY, "report", NOI_VU, NOW, text="x")
        apply_transition(session, plan)
        raise RuntimeError("crash before commit")
    with read_session(tasks) as session:
        row = session.scalars(select(TaskRow).where(TaskRow.period == "2022-h1",
                                                    TaskRow.agency_code == "hq.noi-vu")).one()
        assert row.state == "assigned" and row.version == 1
        assert session.scalar(select(func.count()).select_from(AuditRow)
                              .where(AuditRow.trigger == "report")) == 0
        assert session.scalar(select(func.count()).select_from(OutboxRow)
                              .where(OutboxRow.kind == "task_reported")) == 0
