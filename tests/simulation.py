"""The simulated committee years used by the scheduler tests: the shipped definitions,
the clock advanced day by day at 08:00, and what the scheduler left in the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, select

from tests.conftest import DEFINITIONS
from workflow.clock import LOCAL_TZ
from workflow.definitions.loader import load_definitions
from workflow.definitions.store import save_definitions
from workflow.engine.bulk import insert_tasks
from workflow.schedule.sweep import run_due
from workflow.storage.db import read_session, write_session
from workflow.storage.models import AgencyRow, AuditRow, OutboxRow, TaskRow

START = datetime(2022, 1, 1, 8, 0, tzinfo=LOCAL_TZ)
END = datetime(2023, 12, 31, 8, 0, tzinfo=LOCAL_TZ)
SCHEDULER_TRIGGERS = ("mark_overdue", "remind", "notify_overdue", "escalate", "open")


def load_shipped(engine: Engine, at: datetime = START - timedelta(days=30)) -> None:
    with write_session(engine) as session:
        save_definitions(session, load_definitions([DEFINITIONS]), at)


def days(start: datetime, end: datetime, step: timedelta = timedelta(days=1)) -> list[datetime]:
    result = [start]
    while result[-1] + step <= end:
        result.append(result[-1] + step)
    return result


def simulate(engine: Engine, start: datetime = START, end: datetime = END,
             on_day: Callable[[datetime], None] | None = None) -> list[str]:
    """Ticks every day at 08:00; `on_day` lets agencies act before the day's tick."""
    lines = []
    for now in days(start, end):
        if on_day:
            on_day(now)
        lines.extend(run_due(engine, now).lines())
    return lines


def outbox_keys(engine: Engine, kinds: tuple[str, ...] | None = None) -> set[str]:
    with read_session(engine) as session:
        query = select(OutboxRow.key)
        if kinds:
            query = query.where(OutboxRow.kind.in_(kinds))  # type: ignore[attr-defined]
        return set(session.scalars(query))


def scheduler_audit(engine: Engine) -> list[tuple[int, str, str | None]]:
    """(task, trigger, step) of every scheduler audit row, duplicates kept."""
    with read_session(engine) as session:
        return sorted(session.execute(
            select(AuditRow.task_id, AuditRow.trigger, AuditRow.reason)
            .where(AuditRow.trigger.in_(SCHEDULER_TRIGGERS))).all())  # type: ignore[attr-defined]


def task_id(engine: Engine, key: str) -> int:
    directive, spec, agency, period = key.split("/")
    with read_session(engine) as session:
        return session.scalars(select(TaskRow.id).where(
            TaskRow.directive_code == directive, TaskRow.spec_code == spec,
            TaskRow.agency_code == agency, TaskRow.period == period)).one()


def tasks_due(engine: Engine, deadline: date) -> list[TaskRow]:
    from workflow.dates import deadline_instant

    with read_session(engine) as session:
        return list(session.scalars(select(TaskRow).where(
            TaskRow.due_at == deadline_instant(deadline))))


def count(engine: Engine, model: type, *where: object) -> int:
    with read_session(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def add_communes_owing(engine: Engine, communes: int, made: datetime) -> None:
    """`communes` more communes ("Ủy ban nhân dân xã Thử 000"…, codes xa-thu-000…), each
    owing the Hà Quảng plan's report due 05/06/2022: a backlog of a province's size."""
    with write_session(engine) as session:
        owed = session.scalars(select(TaskRow).where(
            TaskRow.directive_code == "hq-2022", TaskRow.due_on == date(2022, 6, 5))).first()
        assert owed is not None
        session.add_all(AgencyRow(code=f"xa-thu-{i:03d}", name=f"Ủy ban nhân dân xã Thử {i:03d}",
                                  level="xa", emails=[f"xa{i}@ha-quang.example"])
                        for i in range(communes))
        session.flush()
        insert_tasks(session, [(owed.directive_code, owed.spec_code, f"xa-thu-{i:03d}", "lead",
                                owed.year, owed.period, "assigned", owed.due_on, owed.due_at,
                                0, 1, made, made) for i in range(communes)])
