"""Drafts in the database: brought in from a document or written from scratch, saved
with a version so that two secretaries editing one draft cannot overwrite each other,
checked and published exactly as `nhiemvu load` + `instantiate` would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from importer.build import Hints, build_draft
from importer.source import read_lines
from workflow.clock import to_local
from workflow.definitions.loader import load_definitions
from workflow.definitions.specs import Directive
from workflow.definitions.store import load_calendars, load_registry, save_definitions
from workflow.engine.instantiate import InstantiationResult, instantiate_in, plan_instances
from workflow.errors import DefinitionError, NhiemvuError, Problem
from workflow.intake.directory import directory_of
from workflow.intake.document import imported_document
from workflow.storage.models import DirectiveDraftRow, DirectiveRow

MAX_SOURCE_LINES = 20_000


class StaleDraft(NhiemvuError):
    """The draft changed since the page was opened."""


@dataclass(frozen=True)
class Preview:
    directive: Directive | None
    problems: list[Problem]
    year: int | None
    tasks: int
    emails: int


def source_text(lines: list[tuple[int, str]]) -> str:
    """The document's lines as stored beside the draft: 'N<TAB>text' per line."""
    return "\n".join(f"{number}\t{text}" for number, text in lines[:MAX_SOURCE_LINES])


def source_lines(text: str | None) -> list[tuple[int, str]]:
    lines = []
    for raw in (text or "").split("\n"):
        number, _, body = raw.partition("\t")
        if number.isdigit():
            lines.append((int(number), body))
    return lines


def import_file(session: Session, path: Path, display_name: str, committee: str | None,
                actor: str, now: datetime, hints: Hints | None = None) -> DirectiveDraftRow:
    """The importer on an uploaded file (matched against the committee's registry in the
    database), saved as a draft; ImportProblem when there is nothing to draft."""
    directory = directory_of(session, committee)
    draft = build_draft(path, directory, hints=hints)
    document, notes = imported_document(draft)
    if committee:
        document["committee"] = committee
    lines = [(line.number, line.text) for line in read_lines(path)]
    return create_draft(session, document, notes, display_name, source_text(lines),
                        committee, actor, now)


def create_draft(session: Session, document: dict[str, Any], notes: list[dict[str, Any]],
                 source_name: str | None, source: str | None, committee: str | None,
                 actor: str, now: datetime) -> DirectiveDraftRow:
    row = DirectiveDraftRow(committee_code=committee, document=document, notes=notes,
                            source_name=source_name, source_text=source, version=1,
                            created_by=actor, created_at=now, updated_by=actor,
                            updated_at=now)
    session.add(row)
    session.flush()
    return row


def open_draft(session: Session, draft_id: int, expected_version: int | None
               ) -> DirectiveDraftRow:
    row = session.get(DirectiveDraftRow, draft_id, with_for_update=True)
    if row is None:
        raise NhiemvuError("không có dự thảo này")
    if row.published_code:
        raise NhiemvuError(f"dự thảo đã ban hành thành văn bản {row.published_code}")
    if expected_version is not None and row.version != expected_version:
        raise StaleDraft(f"dự thảo vừa được {row.updated_by} sửa; trang đã được tải lại với "
                         "bản mới nhất, hãy sửa lại phần của bạn")
    return row


def save_draft(session: Session, row: DirectiveDraftRow, document: dict[str, Any],
               notes: list[dict[str, Any]], actor: str, now: datetime) -> DirectiveDraftRow:
    row.document, row.notes = document, notes
    row.version += 1
    row.updated_by, row.updated_at = actor, now
    session.add(row)
    session.flush()
    return row


def publish_year(directive: Directive, now: datetime) -> int:
    """The year whose tasks publishing creates: this year, within the directive's span."""
    return min(max(to_local(now).year, directive.year), directive.until_year)


def check_document(session: Session, document: dict[str, Any], new: bool = True
                   ) -> tuple[Directive | None, list[Problem]]:
    """Exactly `nhiemvu load --check` on the document, with the database's registry and
    calendars; a new directive may not take an existing code."""
    code = str(document.get("code") or "")
    problems: list[Problem] = []
    if new and code and session.get(DirectiveRow, code) is not None:
        problems.append(Problem("", None, "code", f"duplicate directive code '{code}'"))
    try:
        loaded = load_definitions((), load_registry(session), load_calendars(session),
                                  texts=[(f"{code or 'du-thao'}.yaml", document)])
    except DefinitionError as exc:
        return None, problems + list(exc.problems)
    directive = next(iter(loaded.directives.values()), None)
    return (directive if not problems else None), problems


def preview(session: Session, document: dict[str, Any], now: datetime, new: bool = True
            ) -> Preview:
    """What publishing would do: the problems, or the tasks and e-mails it creates."""
    directive, problems = check_document(session, document, new)
    if directive is None:
        return Preview(None, problems, None, 0, 0)
    year = publish_year(directive, now)
    _, calendar = _calendar(session, directive)
    instances = plan_instances(directive, calendar, load_registry(session), year)
    return Preview(directive, [], year, len(instances), len({i.agency_code for i in instances}))


def _calendar(session: Session, directive: Directive) -> tuple[str, Any]:
    calendars = load_calendars(session)
    return directive.calendar, calendars[directive.calendar]


def publish(session: Session, row: DirectiveDraftRow, actor: str, now: datetime
            ) -> tuple[Directive, InstantiationResult]:
    """Store the draft's directive and create its tasks for the year, in the caller's
    transaction; DefinitionError with every problem when it does not load."""
    code = str(row.document.get("code") or "")
    if code and session.get(DirectiveRow, code) is not None:
        raise DefinitionError([Problem("", None, "code",
                                       f"duplicate directive code '{code}'")])
    loaded = load_definitions((), load_registry(session), load_calendars(session),
                              texts=[(f"{code or 'du-thao'}.yaml", row.document)])
    directive = next(iter(loaded.directives.values()))
    save_definitions(session, loaded, now, actor,
                     f"Ban hành từ dự thảo {row.source_name or 'soạn trên trang quản lý'}")
    result = instantiate_in(session, directive.code, publish_year(directive, now), now)
    row.published_code, row.published_at = directive.code, now
    row.updated_by, row.updated_at = actor, now
    row.version += 1
    session.add(row)
    return directive, result
