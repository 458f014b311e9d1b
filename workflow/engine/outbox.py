"""Queueing notification requests: outbox rows whose unique key makes each exist once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from workflow.storage.models import OutboxRow


def dialect_insert(session: Session) -> Callable[..., Any]:
    """INSERT with ON CONFLICT support for the session's database."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def notice(key: str, kind: str, task_id: int | None, agency: str | None, role: str,
           payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One queued request, due at once."""
    return {"key": key, "kind": kind, "task_id": task_id, "agency_code": agency,
            "recipient_role": role, "payload": dict(payload), "state": "queued",
            "created_at": now, "attempts": 0, "next_attempt_at": now}


def queue(session: Session, notices: list[dict[str, Any]]) -> None:
    """Inserts the requests; one whose key already exists is left as it is."""
    if notices:
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        session.execute(dialect_insert(session)(table).on_conflict_do_nothing(
            index_elements=["key"]), notices)


def requeue_failed(session: Session, now: datetime, ids: list[int] | None = None,
                   kind: str | None = None, agency: str | None = None) -> int:
    """Failed messages queued again now with a new retry window (after an outage longer
    than the window, or once an address is corrected); how many. Only failed ones: a sent
    message is never sent twice by this."""
    query = update(OutboxRow).where(OutboxRow.state == "failed")
    if ids is not None:
        query = query.where(OutboxRow.id.in_(ids))  # type: ignore[union-attr]
    if kind:
        query = query.where(OutboxRow.kind == kind)
    if agency:
        query = query.where(OutboxRow.agency_code == agency)
    result = session.execute(query.values(state="queued", next_attempt_at=now, attempts=0,
                                          lease_until=None, first_attempt_at=None)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
