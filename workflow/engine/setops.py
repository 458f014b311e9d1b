"""Set-based scheduler writes: pick tasks by a predicate, optionally change them, queue a
notice per task and an audit row per task, without carrying rows through Python.

PostgreSQL does it in one statement (data-modifying CTEs), so the notice and audit rows
match the very rows picked even while agencies report concurrently. SQLite has no such
CTEs, but its write transactions are serialised (BEGIN IMMEDIATE), so the same predicate
run statement after statement sees the same rows.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from workflow.storage.dbtypes import UTCDateTime

OWED_SQL = "t.state IN ('assigned', 'returned')"


@dataclass(frozen=True)
class TaskNotice:
    """One outbox row per picked task: key = prefix + task id + suffix."""

    kind: str
    key_prefix: str
    key_suffix: str
    role: str  # "agency" | "head"
    payload: dict[str, Any]


@dataclass(frozen=True)
class SetOperation:
    where: str  # SQL over alias t
    params: dict[str, Any]
    audit_trigger: str
    audit_reason: str | None
    actor: str
    update: str | None = None  # "SET" assignments for alias-less task columns
    notice: TaskNotice | None = None


def apply(session: Session, op: SetOperation, now: datetime) -> dict[str, int]:
    """Runs the operation; returns how many tasks it touched per directive."""
    params = {**op.params, "now": now, "actor": op.actor, "trigger": op.audit_trigger,
              "reason": op.audit_reason}
    if op.notice:
        params.update(kind=op.notice.kind, prefix=op.notice.key_prefix,
                      suffix=op.notice.key_suffix, role=op.notice.role,
                      payload=json.dumps(op.notice.payload, ensure_ascii=False))
    postgres = session.get_bind().dialect.name == "postgresql"
    runner = _postgresql if postgres else _sqlite
    return runner(session, op, params)


def _outbox_insert(source: str, postgres: bool) -> str:
    payload = "CAST(:payload AS JSONB)" if postgres else ":payload"
    return ("INSERT INTO outbox (key, kind, task_id, agency_code, recipient_role, payload, "
            "state, created_at, attempts, next_attempt_at) "
            "SELECT CAST(:prefix AS TEXT) || CAST(p.id AS TEXT) || CAST(:suffix AS TEXT), "
            f":kind, p.id, p.agency_code, :role, {payload}, 'queued', :now, 0, :now "
            f"FROM {source} WHERE TRUE ON CONFLICT (key) DO NOTHING")


def _audit_insert(source: str) -> str:
    return ("INSERT INTO audit (task_id, at, actor, role, channel, trigger, from_state, "
            "to_state, reason, task_version) SELECT p.id, :now, :actor, 'scheduler', "
            "'scheduler', :trigger, p.state, p.state, :reason, p.version "
            f"FROM {source} WHERE TRUE")


def _postgresql(session: Session, op: SetOperation, params: dict[str, Any]) -> dict[str, int]:
    columns = "t.id, t.agency_code, t.directive_code, t.state, t.version"
    if op.update:
        picked = f"UPDATE task t SET {op.update} WHERE {op.where} RETURNING {columns}"
    else:
        picked = f"SELECT {columns} FROM task t WHERE {op.where}"
    parts = [f"picked AS ({picked})", f"audited AS ({_audit_insert('picked p')})"]
    if op.notice:
        parts.append(f"noticed AS ({_outbox_insert('picked p', postgres=True)})")
    sql = (f"WITH {', '.join(parts)} SELECT directive_code, count(*) FROM picked "
           "GROUP BY directive_code")
    return dict(session.execute(_typed(sql, params), params).all())  # type: ignore[arg-type]


def _sqlite(session: Session, op: SetOperation, params: dict[str, Any]) -> dict[str, int]:
    source = f"(SELECT * FROM task t WHERE {op.where}) p"
    # Counted here, not with GROUP BY: SQLite would walk the (directive, year) index to
    # group and so read every task instead of the few the predicate picks.
    counts = Counter(session.scalars(_typed(
        f"SELECT t.directive_code FROM task t WHERE {op.where}", params), params))
    if not counts:
        return {}
    session.execute(_typed(_audit_insert(source), params), params)
    if op.notice:
        session.execute(_typed(_outbox_insert(source, postgres=False), params), params)
    if op.update:
        session.execute(_typed(f"UPDATE task AS t SET {op.update} WHERE {op.where}", params),
                        params)
    return dict(counts)


def _typed(sql: str, params: dict[str, Any]) -> Any:
    """Datetimes go through the UTC column type; lists expand into IN (...)."""
    statement = text(sql)
    binds = [bindparam(name, type_=UTCDateTime()) for name, value in params.items()
             if isinstance(value, datetime) and f":{name}" in sql]
    binds += [bindparam(name, expanding=True) for name, value in params.items()
              if isinstance(value, list | tuple) and f":{name}" in sql]
    return statement.bindparams(*binds)


__all__ = ["OWED_SQL", "SetOperation", "TaskNotice", "apply"]
