"""Bulk insertion of task instances with each driver's fast path, skipping existing keys.

SQLite: one executemany of INSERT OR IGNORE. PostgreSQL: COPY into a temporary table,
then one INSERT ... SELECT ... ON CONFLICT DO NOTHING. Either way no per-row round trip.
Both run on the session's connection, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

TASK_COLUMNS = ("directive_code", "spec_code", "agency_code", "role", "year", "period",
                "state", "due_on", "due_at", "escalation_level", "version", "created_at",
                "updated_at")
_COLUMNS = ", ".join(TASK_COLUMNS)


def insert_tasks(session: Session, rows: Sequence[tuple[Any, ...]],
                 audit: tuple[datetime, str] | None = None) -> tuple[set[str], int]:
    """Inserts rows (in TASK_COLUMNS order) not already present; returns the agencies that
    received at least one new row and how many rows were new. With `audit` (when, who),
    each new row gets its 'assign' audit row in the same step, from the ids the insert
    produced: never an anti-join against `audit`, which PostgreSQL plans as a nested loop
    rescanning the table the same statement fills (quadratic on a first instantiate)."""
    if not rows:
        return set(), 0
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _insert_postgresql(session, rows, audit)
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    # SQLite writes are serialised (BEGIN IMMEDIATE) and a new rowid is above every
    # existing one, so the rows this call adds are exactly those above the current maximum.
    newest = cursor.execute("SELECT coalesce(max(id), 0) FROM task").fetchone()[0]
    placeholders = ", ".join("?" * len(TASK_COLUMNS))
    before = raw.total_changes
    cursor.executemany(f"INSERT OR IGNORE INTO task ({_COLUMNS}) VALUES ({placeholders})",
                       [_sqlite_row(row) for row in rows])
    created = raw.total_changes - before
    if not created:
        return set(), 0
    if audit is not None:
        cursor.execute(f"INSERT INTO audit ({_AUDIT_COLUMNS}) SELECT id, ?, ?, {_AUDIT_VALUES} "
                       "FROM task WHERE id > ?", (_utc_naive(audit[0]), audit[1], newest))
    agencies = {a for (a,) in cursor.execute(
        "SELECT DISTINCT agency_code FROM task WHERE id > ?", (newest,))}
    return agencies, created


_AUDIT_COLUMNS = ("task_id, at, actor, role, channel, trigger, from_state, to_state, "
                  "task_version")
_AUDIT_VALUES = "'system', 'cli', 'assign', NULL, 'assigned', 1"


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Dates and datetimes as the exact text SQLAlchemy writes, so SQL comparisons and
    ORM reads agree with rows the ORM wrote itself."""
    return tuple(_as_text(value) if isinstance(value, date) else value for value in row)


@lru_cache(maxsize=4096)
def _as_text(value: date) -> str:
    """Cached: a million rows share a few deadlines and one creation instant."""
    return _utc_naive(value) if isinstance(value, datetime) else value.isoformat()


def _utc_naive(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert_postgresql(session: Session, rows: Sequence[tuple[Any, ...]],
                       audit: tuple[datetime, str] | None) -> tuple[set[str], int]:
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    if audit is not None:
        return _copy_new_rows(session, raw, rows, audit)
    session.execute(text(
        f"CREATE TEMP TABLE IF NOT EXISTS task_incoming ON COMMIT DROP AS "
        f"SELECT {_COLUMNS} FROM task WITH NO DATA"))
    session.execute(text("TRUNCATE task_incoming"))
    with raw.cursor() as cursor, cursor.copy(f"COPY task_incoming ({_COLUMNS}) FROM STDIN") \
            as copy:
        for row in rows:
            copy.write_row(row)
    found = session.execute(text(
        f"INSERT INTO task ({_COLUMNS}) SELECT {_COLUMNS} FROM task_incoming "
        "ON CONFLICT (directive_code, spec_code, agency_code, period) DO NOTHING "
        "RETURNING agency_code"))
    agencies = [agency for (agency,) in found]
    return set(agencies), len(agencies)


def lock_directive_year(session: Session, directive_code: str, year: int) -> None:
    """Instantiating one directive's year is serialised (a transaction-scoped advisory lock
    on PostgreSQL; SQLite's write lock already is), so the rows found missing are still
    missing when they are written, and COPY can write them straight into `task`."""
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"instantiate:{directive_code}:{year}"})


def _copy_new_rows(session: Session, raw: Any, rows: Sequence[tuple[Any, ...]],
                   audit: tuple[datetime, str]) -> tuple[set[str], int]:
    """Rows of one directive and year known to be missing (`lock_directive_year` held):
    COPY straight into `task`, then their audit rows by id, with no anti-join and no
    temporary table."""
    directive_code, year = rows[0][0], rows[0][4]
    newest = session.execute(text("SELECT coalesce(max(id), 0) FROM task WHERE "
                                  "directive_code = :d AND year = :y"),
                             {"d": directive_code, "y": year}).scalar_one()
    with raw.cursor() as cursor, cursor.copy(f"COPY task ({_COLUMNS}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    session.execute(text(
        f"INSERT INTO audit ({_AUDIT_COLUMNS}) SELECT id, :now, :actor, {_AUDIT_VALUES} "
        "FROM task WHERE directive_code = :d AND year = :y AND id > :newest"),
        {"now": audit[0], "actor": audit[1], "d": directive_code, "y": year,
         "newest": newest})
    return {row[2] for row in rows}, len(rows)


ANALYZE_AFTER_ROWS = 1_000


def refresh_statistics(session: Session) -> None:
    """Fresh planner statistics after a bulk load. Without them SQLite picks the
    (directive, year) index for the scheduler's per-deadline queries and scans every task
    of the directive instead of the few due that day."""
    session.execute(text("ANALYZE task"))
