"""Versions of a stored directive: its whole document (the schema `nhiemvu load` reads)
after each change, who made it and what changed, so the directive page can say how it
came to read as it does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from workflow.definitions.specs import Directive
from workflow.definitions.yamlwriter import directive_document
from workflow.storage.models import DirectiveVersionRow


def record_version(session: Session, directive: Directive, actor: str, summary: str,
                   now: datetime) -> DirectiveVersionRow | None:
    """A new version when the document differs from the newest one; None otherwise."""
    document = directive_document(directive)
    latest = latest_version(session, directive.code)
    if latest is not None and latest.document == document:
        return None
    number = (latest.number if latest else 0) + 1
    row = DirectiveVersionRow(directive_code=directive.code, number=number, at=now,
                              actor=actor, summary=summary, document=document)
    session.add(row)
    session.flush()
    return row


def latest_version(session: Session, code: str) -> DirectiveVersionRow | None:
    newest = select(func.max(DirectiveVersionRow.number)).where(
        DirectiveVersionRow.directive_code == code).scalar_subquery()
    return session.scalars(select(DirectiveVersionRow).where(
        DirectiveVersionRow.directive_code == code,
        DirectiveVersionRow.number == newest)).first()


def versions_of(session: Session, code: str) -> list[DirectiveVersionRow]:
    return list(session.scalars(select(DirectiveVersionRow).where(
        DirectiveVersionRow.directive_code == code).order_by(
        DirectiveVersionRow.number.desc())))  # type: ignore[attr-defined]


def version_document(session: Session, code: str, number: int) -> dict[str, Any] | None:
    row = session.scalars(select(DirectiveVersionRow).where(
        DirectiveVersionRow.directive_code == code,
        DirectiveVersionRow.number == number)).first()
    return row.document if row else None
