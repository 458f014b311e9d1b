"""Queueing notification requests: outbox rows whose unique key makes each exist once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

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
