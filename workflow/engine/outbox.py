"""Queueing notification requests: outbox rows whose unique key makes each exist once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from workflow.storage.db import write_session
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


PRUNE_CHUNK = 5_000


def prune_sent(engine: Engine, now: datetime, keep_days: float, limit: int | None = None
               ) -> int:
    """Deletes messages sent more than `keep_days` ago, oldest first, PRUNE_CHUNK rows per
    transaction (short locks, whatever the backlog), at most `limit` rows (None: all);
    how many. A country's year queues ~9 million messages: kept for ever they would be
    most of the database. What happened stays in `audit`; queued and failed messages are
    never touched."""
    before = now - timedelta(days=keep_days)
    pruned = 0
    while limit is None or pruned < limit:
        size = PRUNE_CHUNK if limit is None else min(PRUNE_CHUNK, limit - pruned)
        with write_session(engine) as session:
            ids = select(OutboxRow.id).where(  # type: ignore[call-overload]
                OutboxRow.state == "sent", OutboxRow.sent_at < before  # type: ignore[operator]
            ).order_by(OutboxRow.sent_at).limit(size)
            done = int(session.execute(delete(OutboxRow).where(
                OutboxRow.id.in_(ids.scalar_subquery()))  # type: ignore[union-attr]
                .execution_options(synchronize_session=False)).rowcount or 0)  # type: ignore[attr-defined]
        pruned += done
        if done < size:
            break
    return pruned
