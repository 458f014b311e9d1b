"""Specs to task instances: one row per (task spec, agency, period), created in bulk.

Idempotent: instances are keyed by (directive, spec, agency, period); existing keys are
skipped and the insert itself ignores conflicts, so a rerun, or two runs at once, create
each instance exactly once. Each new instance gets its 'assign' audit row, and each
agency that received new tasks gets one notification request, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from workflow.dates import deadline_instant
from workflow.db import write_session
from workflow.deadlines import due_date
from workflow.errors import InstantiationError
from workflow.models import AuditRow, OutboxRow, TaskRow
from workflow.specs import Calendar, Directive, DueRule, Registry
from workflow.store import load_directive, load_registry

CHUNK = 5_000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Instance:
    spec_code: str
    agency_code: str
    role: str
    period: str
    due_on: date | None


@dataclass(frozen=True)
class InstantiationResult:
    directive: str
    year: int
    planned: int
    created: int

    @property
    def existing(self) -> int:
        return self.planned - self.created


def plan_instances(directive: Directive, calendar: Calendar, registry: Registry, year: int
                   ) -> list[Instance]:
    """Every instance the directive asks for in `year`, in definition order."""
    if not directive.year <= year <= directive.until_year:
        span = str(directive.year) if directive.year == directive.until_year else \
            f"{directive.year}-{directive.until_year}"
        raise InstantiationError(f"directive {directive.code} covers {span}, not {year}")
    instances: list[Instance] = []
    for spec in directive.tasks:
        periods: list[tuple[str, DueRule | None]] = (
            [(f"{year}-{p.period}", p.due) for p in spec.recurs] if spec.recurs
            else [(str(year), spec.due)])
        lead = registry.expand(spec.lead)
        coordinating = [c for c in registry.expand(spec.coordinating) if c not in lead]
        for period, rule in periods:
            due_on = due_date(rule, year, calendar) if rule is not None else None
            instances.extend(Instance(spec.code, agency, "lead", period, due_on)
                             for agency in lead)
            instances.extend(Instance(spec.code, agency, "coordinating", period, due_on)
                             for agency in coordinating)
    return instances


def instantiate(engine: Engine, directive_code: str, year: int, now: datetime,
                progress: Progress | None = None) -> InstantiationResult:
    """Creates the missing instances of one directive and year in one transaction."""
    with write_session(engine) as session:
        directive, calendar = load_directive(session, directive_code)
        instances = plan_instances(directive, calendar, load_registry(session), year)
        existing = _existing_keys(session, directive_code, year)
        missing = [i for i in instances if (i.spec_code, i.agency_code, i.period) not in existing]
        if progress:
            progress(len(instances) - len(missing))
        created = 0
        agencies: dict[str, None] = {}
        for chunk in _chunks(missing, CHUNK):
            rows = [{
                "directive_code": directive_code, "spec_code": i.spec_code,
                "agency_code": i.agency_code, "role": i.role, "year": year, "period": i.period,
                "state": "assigned", "due_on": i.due_on,
                "due_at": deadline_instant(i.due_on) if i.due_on else None,
                "escalation_level": 0, "version": 1, "created_at": now, "updated_at": now,
            } for i in chunk]
            ids = _insert_ignoring_conflicts(session, rows)
            if ids:
                _audit_assignments(session, ids, now)
            created += len(ids)
            agencies.update(dict.fromkeys(i.agency_code for i in chunk))
            if progress:
                progress(len(chunk))
        _request_assignment_notices(session, directive_code, year, list(agencies), now)
        return InstantiationResult(directive_code, year, len(instances), created)


def _audit_assignments(session: Session, ids: list[int], now: datetime) -> None:
    session.execute(AuditRow.__table__.insert(), [  # type: ignore[attr-defined]
        {"task_id": task_id, "at": now, "actor": "nhiemvu instantiate", "role": "system",
         "channel": "cli", "trigger": "assign", "from_state": None, "to_state": "assigned",
         "reason": None, "task_version": 1}
        for task_id in ids])


def _existing_keys(session: Session, directive_code: str, year: int
                   ) -> set[tuple[str, str, str]]:
    query = select(TaskRow.spec_code, TaskRow.agency_code, TaskRow.period).where(
        TaskRow.directive_code == directive_code, TaskRow.year == year)
    return {(s, a, p) for s, a, p in session.execute(query)}


def _insert_ignoring_conflicts(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    table = TaskRow.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).on_conflict_do_nothing(
        index_elements=["directive_code", "spec_code", "agency_code", "period"]
    ).returning(table.c.id)
    return [row[0] for row in session.execute(statement, rows)]


def _request_assignment_notices(session: Session, directive_code: str, year: int,
                                agencies: list[str], now: datetime) -> None:
    """One 'you have new tasks' request per agency, not one e-mail per task."""
    if not agencies:
        return
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [{"key": f"tasks_assigned:{directive_code}:{year}:{agency}", "kind": "tasks_assigned",
             "task_id": None, "agency_code": agency, "recipient_role": "agency",
             "payload": {"directive": directive_code, "year": year}, "state": "queued",
             "created_at": now, "attempts": 0, "next_attempt_at": now}
            for agency in agencies]
    for chunk in _chunks(rows, CHUNK):
        session.execute(insert(table).on_conflict_do_nothing(index_elements=["key"]), chunk)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
