"""Definitions into the database (one transaction per load) and back out as specs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlmodel import Session

from workflow.definitions.codec import (
    calendar_from_dict,
    calendar_to_dict,
    due_from_dict,
    due_to_dict,
    recurs_from_list,
    recurs_to_list,
    reference_from_dict,
    reference_to_dict,
)
from workflow.definitions.loader import serving_problem
from workflow.definitions.specs import (
    Agency,
    AgencyGroup,
    Calendar,
    Committee,
    DefinitionSet,
    Directive,
    Registry,
    TaskSpec,
)
from workflow.definitions.versions import record_version
from workflow.errors import DefinitionError, NhiemvuError, NotFoundError, Problem
from workflow.storage.models import (
    AgencyGroupMemberRow,
    AgencyGroupRow,
    AgencyRow,
    CalendarRow,
    CommitteeRow,
    DirectiveRow,
    TaskRow,
    TaskSpecRow,
)


@dataclass(frozen=True)
class LoadSummary:
    agencies: int
    groups: int
    calendars: int
    directives: int
    task_specs: int


def save_definitions(session: Session, source: DefinitionSet, now: datetime,
                     actor: str = "nhiemvu load", summary: str | None = None) -> LoadSummary:
    """Upsert what the files defined (already validated against the database); each
    directive whose document changed gets a new version by `actor`."""
    for committee in _parents_first(source.registry.committees):
        session.merge(CommitteeRow(code=committee.code, name=committee.name,
                                   level=committee.level, locality=committee.locality,
                                   parent_code=committee.parent,
                                   secretariat=committee.secretariat, chair=committee.chair))
        session.flush()
    for agency in source.registry.agencies.values():
        # The day an agency ended is the engine's record (`nhiemvu agency …`), not the file's.
        existing = session.get(AgencyRow, agency.code)
        # So is being disabled in the browser.
        session.merge(AgencyRow(valid_until=existing.valid_until if existing else None,
                                active=existing.active if existing else True,
                                phone=agency.phone or (existing.phone if existing else None),
                                code=agency.code, name=agency.name, short_name=agency.short_name,
                                level=agency.level, emails=list(agency.emails),
                                head_name=agency.head_name, head_email=agency.head_email,
                                head_title=agency.head_title,
                                head_salutation=agency.head_salutation,
                                committee_code=agency.committee, function=agency.function))
    session.flush()
    for group in source.registry.groups.values():
        session.merge(AgencyGroupRow(code=group.code, name=group.name))
        session.flush()
        session.execute(delete(AgencyGroupMemberRow).where(
            AgencyGroupMemberRow.group_code == group.code))  # type: ignore[arg-type]
        session.add_all(AgencyGroupMemberRow(group_code=group.code, agency_code=member,
                                             position=index)
                        for index, member in enumerate(group.members))
    for calendar in source.calendars.values():
        session.merge(CalendarRow(code=calendar.code, body=calendar_to_dict(calendar)))
    session.flush()
    specs = 0
    for directive in source.directives.values():
        _save_directive(session, directive, now)
        specs += len(directive.tasks)
        session.flush()
        stored, _ = load_directive(session, directive.code)
        record_version(session, stored, actor,
                       summary or f"Nạp từ tệp {directive.source_file or directive.code}", now)
    session.flush()
    _check_serving(session, source)
    return LoadSummary(len(source.registry.agencies), len(source.registry.groups),
                       len(source.calendars), len(source.directives), specs)


def _save_directive(session: Session, directive: Directive, now: datetime) -> None:
    session.merge(DirectiveRow(
        code=directive.code, kind=directive.kind, number=directive.number,
        issued_on=directive.issued_on, date_precision=directive.date_precision,
        issuer=directive.issuer, title=directive.title, year=directive.year,
        until_year=directive.until_year, signer=directive.signer,
        secretariat=directive.secretariat, chair=directive.chair,
        calendar_code=directive.calendar, committee_code=directive.committee,
        implements=[reference_to_dict(r) for r in directive.implements],
        source_file=directive.source_file, loaded_at=now))
    session.flush()
    existing = {row.code: row for row in session.scalars(
        select(TaskSpecRow).where(TaskSpecRow.directive_code == directive.code))}
    for position, spec in enumerate(directive.tasks):
        row = existing.pop(spec.code, None) or TaskSpecRow(directive_code=directive.code,
                                                           code=spec.code, position=position,
                                                           title="", text="", lead=[],
                                                           coordinating=[], recurs=[])
        row.position, row.title, row.text, row.source = position, spec.title, spec.text, \
            spec.source
        row.lead, row.coordinating = list(spec.lead), list(spec.coordinating)
        row.due, row.recurs = due_to_dict(spec.due), recurs_to_list(spec.recurs)
        row.serves_directive, row.serves_task = spec.served or (None, None)
        row.withdrawn_at = row.withdrawn_reason = None  # named again: no longer withdrawn
        session.add(row)
    for stale in existing.values():  # specs removed from the definition
        if stale.withdrawn_at is not None:
            continue  # withdrawn by an amendment: its tasks' history keeps it
        used = session.scalar(select(func.count()).select_from(TaskRow).where(
            TaskRow.directive_code == directive.code, TaskRow.spec_code == stale.code))
        if used:
            raise NhiemvuError(
                f"{directive.source_file}: task '{stale.code}' of directive {directive.code} "
                f"was removed but has {used} task instances; keep it in the file (the "
                "secretariat can cancel its tasks) so their history stays readable")
        session.delete(stale)


def _check_serving(session: Session, source: DefinitionSet) -> None:
    """Tasks serving an upper directive already in the database (the loader checked those
    loaded with them): refused with the file's field, and nothing of the load is kept."""
    committees: dict[str, Committee] | None = None
    problems: list[Problem] = []
    for directive in source.directives.values():
        for index, spec in enumerate(directive.tasks):
            if spec.served is None:
                continue
            if committees is None:
                committees = load_committees(session)
            upper = session.get(DirectiveRow, spec.served[0])
            where = f"tasks[{index}].serves"
            if upper is None:
                problems.append(Problem(directive.source_file or directive.code, None, where,
                                        f"unknown directive '{spec.served[0]}' (expected a "
                                        "directive of the parent committee, loaded first)"))
                continue
            tasks = set(session.scalars(select(TaskSpecRow.code).where(
                TaskSpecRow.directive_code == upper.code)))
            message = serving_problem(directive.committee, committees, spec.served,
                                      upper.committee_code, tasks)
            if message:
                problems.append(Problem(directive.source_file or directive.code, None, where,
                                        message))
    if problems:
        raise DefinitionError(problems)


def _parents_first(committees: dict[str, Committee]) -> list[Committee]:
    """A parent stored before its children (its row is their foreign key); the loader
    keeps the tree one level deep: provinces, then communes and districts."""
    return sorted(committees.values(), key=lambda c: (c.parent is not None, c.code))


def load_committees(session: Session) -> dict[str, Committee]:
    return {row.code: Committee(row.code, row.name, row.level, row.locality,
                                row.parent_code, row.secretariat, row.chair)
            for row in session.scalars(select(CommitteeRow))}


def load_registry(session: Session) -> Registry:
    """The registry as specs. Columns, not ORM objects: a country's 66,000 agencies would
    otherwise stay in the session's identity map for the whole transaction."""
    columns = (AgencyRow.code, AgencyRow.name, AgencyRow.level, AgencyRow.emails,
               AgencyRow.head_name, AgencyRow.head_email, AgencyRow.short_name,
               AgencyRow.head_title, AgencyRow.head_salutation, AgencyRow.committee_code,
               AgencyRow.function, AgencyRow.phone)
    agencies = {row[0]: Agency(row[0], row[1], row[2], tuple(row[3] or ()), *row[4:])
                for row in session.execute(select(*columns))}
    committees = load_committees(session)
    members: dict[str, list[str]] = {}
    for group_code, agency_code in session.execute(
            select(AgencyGroupMemberRow.group_code, AgencyGroupMemberRow.agency_code)
            .order_by(AgencyGroupMemberRow.group_code, AgencyGroupMemberRow.position)):
        members.setdefault(group_code, []).append(agency_code)
    groups = {row.code: AgencyGroup(row.code, row.name, tuple(members.get(row.code, ())))
              for row in session.scalars(select(AgencyGroupRow))}
    return Registry(agencies, groups, committees)


def load_calendars(session: Session) -> dict[str, Calendar]:
    return {row.code: calendar_from_dict(row.code, row.body)
            for row in session.scalars(select(CalendarRow))}


def load_directive(session: Session, code: str) -> tuple[Directive, Calendar]:
    row = session.get(DirectiveRow, code)
    if row is None:
        raise NotFoundError("directive", code)
    specs = session.scalars(select(TaskSpecRow).where(
        TaskSpecRow.directive_code == code,
        TaskSpecRow.withdrawn_at.is_(None))  # type: ignore[union-attr]
        .order_by(TaskSpecRow.position))
    tasks = tuple(TaskSpec(s.code, s.title, s.text, tuple(s.lead), tuple(s.coordinating),
                           due_from_dict(s.due), recurs_from_list(s.recurs), s.source,
                           f"{s.serves_directive}/{s.serves_task}" if s.serves_directive
                           else None)
                  for s in specs)
    directive = Directive(
        code=row.code, kind=row.kind, number=row.number, issued_on=row.issued_on,
        date_precision=row.date_precision, issuer=row.issuer, title=row.title, year=row.year,
        until_year=row.until_year, implements=tuple(reference_from_dict(r)
                                                    for r in row.implements),
        tasks=tasks, signer=row.signer, secretariat=row.secretariat,
        source_file=row.source_file, calendar=row.calendar_code, chair=row.chair,
        committee=row.committee_code)
    calendar_row = session.get(CalendarRow, row.calendar_code)
    assert calendar_row is not None
    return directive, calendar_from_dict(calendar_row.code, calendar_row.body)
