"""A commune plan that implements its province's directive, drafted from the province
tasks that fall on the commune's agencies: each becomes a commune task with the same
text and deadlines, serving the province task. The draft is YAML in the schema
`nhiemvu load` reads, so the browser and the IT officer's files take one path."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from workflow.dates import parse_partial_date
from workflow.definitions.loader import load_definitions
from workflow.definitions.specs import DefinitionSet, Directive, Reference, TaskSpec
from workflow.definitions.store import (
    load_calendars,
    load_directive,
    load_registry,
    save_definitions,
)
from workflow.definitions.yamlwriter import directive_document, dump
from workflow.engine.instantiate import InstantiationResult, instantiate_in
from workflow.errors import NhiemvuError
from workflow.storage.models import AgencyRow, DirectiveRow
from workflow.views.labels import DOCUMENT_LABELS, issued_label


def implementation_code(committee: str, upper: str) -> str:
    return f"{committee}.{upper}"[:80]


def draft_implementation(session: Session, upper_code: str, committee_code: str, *,
                         number: str, issued: str, code: str | None = None,
                         title: str | None = None) -> Directive:
    """The commune's plan: every province task with work for the commune's agencies."""
    upper, _calendar = load_directive(session, upper_code)
    registry = load_registry(session)
    committee = registry.committees.get(committee_code)
    if committee is None:
        raise NhiemvuError(f"không có Ban «{committee_code}»")
    if committee.parent is None or committee.parent != upper.committee:
        raise NhiemvuError(f"văn bản {upper_code} không phải của Ban cấp trên của "
                           f"{committee.name}: không triển khai được")
    ended = set(session.scalars(select(AgencyRow.code).where(
        AgencyRow.valid_until.is_not(None))))  # type: ignore[union-attr]
    members = {a.code for a in registry.agencies.values()
               if a.committee == committee_code and a.code not in ended}
    tasks: list[TaskSpec] = []
    for spec in upper.tasks:
        lead = [c for c in registry.expand(spec.lead, upper.committee) if c in members]
        coordinating = [c for c in registry.expand(spec.coordinating, upper.committee)
                        if c in members and c not in lead]
        if not lead and not coordinating:
            continue
        tasks.append(TaskSpec(spec.code, spec.title, spec.text, tuple(lead or coordinating),
                              tuple(coordinating if lead else ()), spec.due, spec.recurs,
                              spec.source, f"{upper.code}/{spec.code}"))
    if not tasks:
        raise NhiemvuError(f"văn bản {upper_code} không giao nhiệm vụ nào cho cơ quan của "
                           f"{committee.name}")
    try:
        issued_on, precision = parse_partial_date(issued.strip())
    except ValueError as exc:
        raise NhiemvuError(f"ngày ban hành «{issued}»: {exc}") from None
    kind = DOCUMENT_LABELS.get(upper.kind, upper.kind)
    reference = Reference(upper.kind, upper.number,
                          upper.issued_on if upper.date_precision == "day" else None,
                          upper.issuer, upper.title)
    directive = Directive(
        code=code or implementation_code(committee_code, upper_code), kind="ke-hoach",
        number=number.strip(), issued_on=issued_on, date_precision=precision,
        issuer=committee.name,
        title=title or f"Triển khai {kind} số {upper.number} {issued_label(upper)} của "
                       f"{upper.issuer}",
        year=upper.year, until_year=upper.until_year, implements=(reference,),
        tasks=tuple(tasks), secretariat=committee.secretariat, calendar=upper.calendar,
        chair=committee.chair, committee=committee_code)
    if directive.issued_on.year > directive.year:
        directive = replace(directive, year=directive.issued_on.year,
                            until_year=max(directive.until_year, directive.issued_on.year))
    return directive


def implementation_yaml(directive: Directive) -> str:
    return dump(directive_document(directive),
                header="Kế hoạch của Ban cấp xã triển khai văn bản của Ban cấp trên.\n"
                       "Mỗi nhiệm vụ có 'serves': nhiệm vụ cấp trên mà nó thực hiện.")


def publish_implementation(session: Session, directive: Directive, now: datetime,
                           year: int) -> tuple[DefinitionSet, InstantiationResult]:
    """Validate the draft exactly as `nhiemvu load` does, store it and create its tasks
    for `year`, in the caller's transaction."""
    if session.get(DirectiveRow, directive.code) is not None:
        raise NhiemvuError(f"đã có văn bản mã «{directive.code}»; hãy chọn mã khác")
    text = implementation_yaml(directive)
    definitions = load_definitions((), load_registry(session), load_calendars(session),
                                   texts=[(f"{directive.code}.yaml", text)])
    save_definitions(session, definitions, now)
    return definitions, instantiate_in(session, directive.code, year, now)
