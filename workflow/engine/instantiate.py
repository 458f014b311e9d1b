"""Specs to task instances: one row per (task spec, agency, period), created in bulk.

Idempotent: instances are keyed by (directive, spec, agency, period); existing keys are
skipped and the insert itself ignores conflicts, so a rerun, or two runs at once, create
each instance exactly once. Each new instance gets its 'assign' audit row, and each
agency that received new tasks gets one notification request, in the same transaction.
Rows go in with the driver's bulk path (workflow.engine.bulk), in chunks, never one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from itertools import islice
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlmodel import Session

from workflow.clock import to_local
from workflow.dates import deadline_instant
from workflow.definitions.deadlines import due_date
from workflow.definitions.specs import Calendar, Directive, DueRule, Registry
from workflow.definitions.store import load_directive, load_registry
from workflow.engine.bulk import (
    ANALYZE_AFTER_ROWS,
    insert_tasks,
    lock_directive_year,
    refresh_statistics,
)
from workflow.engine.outbox import notice, queue
from workflow.errors import InstantiationError
from workflow.storage.db import write_session
from workflow.storage.models import AgencyRow, ClosedYearRow, TaskRow

CHUNK = 20_000
Progress = Callable[[int, int], None]  # (rows just handled, rows in all)


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
    closed: bool = False  # the year was closed: nothing was created

    @property
    def existing(self) -> int:
        return self.planned - self.created


def plan_instances(directive: Directive, calendar: Calendar, registry: Registry, year: int
                   ) -> list[Instance]:
    """Every instance the directive asks for in `year`, in definition order."""
    return list(iter_instances(directive, calendar, registry, year))


def iter_instances(directive: Directive, calendar: Calendar, registry: Registry, year: int,
                   skip: frozenset[str] = frozenset()) -> Iterator[Instance]:
    """The same one by one, without agencies in `skip`: a country's plan is millions of
    instances, and instantiating never holds them all."""
    for spec, periods, lead, coordinating in _groups(directive, calendar, registry, year,
                                                      skip):
        for period, due_on in periods:
            for agency in lead:
                yield Instance(spec.code, agency, "lead", period, due_on)
            for agency in coordinating:
                yield Instance(spec.code, agency, "coordinating", period, due_on)


def count_instances(directive: Directive, calendar: Calendar, registry: Registry, year: int,
                    skip: frozenset[str] = frozenset()) -> int:
    return sum(len(periods) * (len(lead) + len(coordinating)) for _, periods, lead,
               coordinating in _groups(directive, calendar, registry, year, skip))


def _groups(directive: Directive, calendar: Calendar, registry: Registry, year: int,
            skip: frozenset[str]) -> Iterator[tuple[Any, list[tuple[str, date | None]],
                                                    list[str], list[str]]]:
    """Per task spec: its periods with their deadlines, its lead and coordinating
    agencies."""
    if not directive.year <= year <= directive.until_year:
        span = str(directive.year) if directive.year == directive.until_year else \
            f"{directive.year}-{directive.until_year}"
        raise InstantiationError(f"directive {directive.code} covers {span}, not {year}")
    for spec in directive.tasks:
        rules: list[tuple[str, DueRule | None]] = (
            [(f"{year}-{p.period}", p.due) for p in spec.recurs] if spec.recurs
            else [(str(year), spec.due)])
        periods = [(period, due_date(rule, year, calendar) if rule is not None else None)
                   for period, rule in rules]
        lead = [a for a in registry.expand(spec.lead, directive.committee) if a not in skip]
        coordinating = [c for c in registry.expand(spec.coordinating, directive.committee)
                        if c not in lead and c not in skip]
        yield spec, periods, lead, coordinating


def instantiate(engine: Engine, directive_code: str, year: int, now: datetime,
                progress: Progress | None = None) -> InstantiationResult:
    """Creates the missing instances of one directive and year in one transaction."""
    with write_session(engine) as session:
        return instantiate_in(session, directive_code, year, now, progress)


def instantiate_in(session: Session, directive_code: str, year: int, now: datetime,
                   progress: Progress | None = None, created_at: datetime | None = None
                   ) -> InstantiationResult:
    """The same inside a caller's transaction (the scheduler claims its unit first).

    `created_at` dates the tasks when they should have appeared, if the scheduler creates
    them late after downtime; the audit row still says when it really happened.
    """
    created_at = created_at or now
    directive, calendar = load_directive(session, directive_code)
    registry = load_registry(session)
    if session.get(ClosedYearRow, (directive_code, year)) is not None:
        return InstantiationResult(directive_code, year,
                                   count_instances(directive, calendar, registry, year), 0,
                                   closed=True)
    # An agency that has ended (dissolved, merged, split) gets no new task.
    ended = frozenset(session.scalars(select(AgencyRow.code).where(or_(
        AgencyRow.valid_until < to_local(now).date(),  # type: ignore[operator]
        AgencyRow.active.is_(False)))))  # type: ignore[attr-defined]
    planned = count_instances(directive, calendar, registry, year, ended)
    lock_directive_year(session, directive_code, year)
    existing = _existing_keys(session, directive_code, year)
    if progress:
        progress(len(existing), planned)
    missing = (i for i in iter_instances(directive, calendar, registry, year, ended)
               if (i.spec_code, i.agency_code, i.period) not in existing)
    agencies: set[str] = set()
    created = 0
    for chunk in _chunks(missing, CHUNK):
        new_agencies, new_rows = insert_tasks(
            session, [_task_tuple(directive_code, year, i, created_at) for i in chunk],
            audit=(now, "nhiemvu instantiate"))
        agencies |= new_agencies
        created += new_rows
        if progress:
            progress(len(chunk), planned)
    if created >= ANALYZE_AFTER_ROWS:
        refresh_statistics(session)
    _request_assignment_notices(session, directive_code, year, sorted(agencies), now)
    return InstantiationResult(directive_code, year, planned, created)


def _task_tuple(directive_code: str, year: int, instance: Instance, now: datetime
                ) -> tuple[Any, ...]:
    due_at = _deadline(instance.due_on) if instance.due_on else None
    return (directive_code, instance.spec_code, instance.agency_code, instance.role, year,
            instance.period, "assigned", instance.due_on, due_at, 0, 1, now, now)


@lru_cache(maxsize=4096)
def _deadline(day: date) -> datetime:
    return deadline_instant(day)


def _existing_keys(session: Session, directive_code: str, year: int
                   ) -> set[tuple[str, str, str]]:
    query = select(TaskRow.spec_code, TaskRow.agency_code, TaskRow.period).where(
        TaskRow.directive_code == directive_code, TaskRow.year == year)
    return {(s, a, p) for s, a, p in session.execute(query)}


def _request_assignment_notices(session: Session, directive_code: str, year: int,
                                agencies: list[str], now: datetime) -> None:
    """One 'you have new tasks' request per agency and run, not one e-mail per task."""
    if not agencies:
        return
    batch = now.isoformat()
    for chunk in _chunks(agencies, CHUNK):  # built chunk by chunk: a country has 66,000
        queue(session, [notice(f"tasks_assigned:{directive_code}:{year}:{agency}:{batch}",
                               "tasks_assigned", None, agency, "agency",
                               {"directive": directive_code, "year": year}, now)
                        for agency in chunk])


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
