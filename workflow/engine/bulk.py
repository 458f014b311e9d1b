"""Bulk insertion of task instances with each driver's fast path, skipping existing keys.

SQLite: one executemany of INSERT OR IGNORE. PostgreSQL: COPY into a temporary table,
then one INSERT ... SELECT ... ON CONFLICT DO NOTHING. Either way no per-row round trip.
Both run on the session's connection, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

TASK_COLUMNS = ("directive_code", "spec_code", "agency_code", "role", "year", "period",
                "state", "due_on", "due_at", "escalation_level", "version", "created_at",
                "updated_at")
_COLUMNS = ", ".join(TASK_COLUMNS)


def insert_tasks(session: Session, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Inserts rows (in TASK_COLUMNS order) not already present; returns the agencies that
    received at least one new row."""
    if not rows:
        return set()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _insert_postgresql(session, rows)
    placeholders = ", ".join("?" * len(TASK_COLUMNS))
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    before = connection.connection.dbapi_connection.total_changes  # type: ignore[union-attr]
    cursor.executemany(f"INSERT OR IGNORE INTO task ({_COLUMNS}) VALUES ({placeholders})",
                       [_sqlite_row(row) for row in rows])
    after = connection.connection.dbapi_connection.total_changes  # type: ignore[union-attr]
    # SQLite writes are serialised (BEGIN IMMEDIATE), so every row was new unless the
    # caller passed an existing key, which it filtered out beforehand.
    return {row[2] for row in rows} if after - before else set()


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Dates and datetimes as the exact text SQLAlchemy writes, so SQL comparisons and
    ORM reads agree with rows the ORM wrote itself."""
    return tuple(_utc_naive(value) if isinstance(value, datetime)
                 else value.isoformat() if isinstance(value, date) else value for value in row)


def _utc_naive(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert_postgresql(session: Session, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    session.execute(text(
        f"CREATE TEMP TABLE IF NOT EXISTS task_incoming ON COMMIT DROP AS "
        f"SELECT {_COLUMNS} FROM task WITH NO DATA"))
    session.execute(text("TRUNCATE task_incoming"))
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY task_incoming ({_COLUMNS}) FROM STDIN") \
            as copy:
        for row in rows:
            copy.write_row(row)
    inserted = session.execute(text(
        f"INSERT INTO task ({_COLUMNS}) SELECT {_COLUMNS} FROM task_incoming "
        "ON CONFLICT (directive_code, spec_code, agency_code, period) DO NOTHING "
        "RETURNING agency_code"))
    return {agency for (agency,) in inserted}


def audit_new_tasks(session: Session, directive_code: str, year: int, now: datetime,
                    actor: str) -> int:
    """One 'assign' audit row for every task of the directive and year that has none."""
    result = session.execute(text(
        "INSERT INTO audit (task_id, at, actor, role, channel, trigger, from_state, to_state, "
        "task_version) SELECT t.id, :now, :actor, 'system', 'cli', 'assign', NULL, "
        "'assigned', 1 FROM task t WHERE t.directive_code = :directive AND t.year = :year "
        "AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.task_id = t.id)"),
        {"now": _utc_naive(now) if session.connection().dialect.name == "sqlite" else now,
         "actor": actor, "directive": directive_code, "year": year})
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


ANALYZE_AFTER_ROWS = 1_000


def refresh_statistics(session: Session) -> None:
    """Fresh planner statistics after a bulk load. Without them SQLite picks the
    (directive, year) index for the scheduler's per-deadline queries and scans every task
    of the directive instead of the few due that day."""
    session.execute(text("ANALYZE task"))
