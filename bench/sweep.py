"""Benchmark: one scheduler sweep over N task rows of which 1% fall due, next to the
hand-written SQL UPDATE that does the same marking, in the same run.

    python bench/sweep.py --rows 1000000 --db sqlite:///sweep.db
    python bench/sweep.py --rows 1000000 --db postgresql://postgres@127.0.0.1:5432/test

Setup (not timed): one directive with 100 task specs for N/100 agencies, rows bulk-loaded;
the first spec (1% of the rows) is due on 05/03/2024, the others from June. A sweep just
before that deadline does the reminders and digests that come first. Timed, in order:
  1. baseline: UPDATE ... SET overdue_since marking the 1%, rolled back;
  2. ours: the sweep at the overdue step of that deadline (marks the 1%, writes their
     audit rows, queues their overdue notices);
  3. baseline: UPDATE ... SET escalation_level = 1 for the 1%, rolled back;
  4. ours: the sweep at escalation level 1 (updates, audit rows, notices);
  5. ours: a sweep with nothing due (the steady-state cost of a sweep).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.scratch import scratch_database
from bench.synthetic import YEAR, add_agencies, agency_code, bench_definitions, task_spec
from workflow.clock import LOCAL_TZ
from workflow.dates import deadline_instant
from workflow.definitions.specs import (
    ReminderPolicy,
)
from workflow.definitions.store import save_definitions
from workflow.engine.bulk import insert_tasks, refresh_statistics
from workflow.schedule.ladder import Ladder
from workflow.schedule.sweep import run_due
from workflow.storage.db import make_engine, write_session

SPECS = 100
FIRST_DEADLINE = date(2024, 3, 5)
LOADED = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)


def deadline(k: int) -> date:
    """The first spec falls due in March; the others from June, two days apart."""
    return FIRST_DEADLINE if k == 0 else date.fromordinal(date(2024, 6, 1).toordinal() + 2 * k)


def populate(url: str, rows: int) -> None:
    """Agencies and task rows through the bulk paths; a sweep claims the year's units."""
    engine = make_engine(url)
    agencies = rows // SPECS
    with write_session(engine) as session:
        specs = tuple(task_spec(f"t{k:03d}", f"Nhiệm vụ {k}", deadline(k))
                      for k in range(SPECS))
        save_definitions(session, bench_definitions(specs, 1), LOADED)
        add_agencies(session, 1, agencies)
    for k in range(SPECS):
        due = deadline(k)
        with write_session(engine) as session:
            insert_tasks(session, [("bench", f"t{k:03d}", agency_code(i), "lead", YEAR, str(YEAR),
                                    "assigned", due, deadline_instant(due), 0, 1, LOADED,
                                    LOADED) for i in range(agencies)])
    with write_session(engine) as session:
        refresh_statistics(session)  # as instantiate does after a bulk load
        session.execute(text("INSERT INTO sweep_mark (kind, key, done_at) VALUES "
                             "('instantiate', 'bench:2024', :at)"), {"at": _bind(engine, LOADED)})
    # Everything due before the deadline (reminders, digests) is done before timing.
    run_due(engine, datetime.combine(FIRST_DEADLINE, datetime.min.time(), tzinfo=LOCAL_TZ)
            .replace(hour=0) - timedelta(hours=1))
    engine.dispose()


def _bind(engine: object, at: datetime) -> object:
    dialect = engine.dialect.name
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else at


def timed_sql(url: str, sql: str, params: dict[str, object]) -> tuple[int, float]:
    engine = make_engine(url)
    with engine.connect() as connection:
        transaction = connection.begin()
        started = time.perf_counter()
        count = connection.execute(text(sql), params).rowcount
        seconds = time.perf_counter() - started
        transaction.rollback()
    engine.dispose()
    return count, seconds


def timed_sweep(url: str, now: datetime) -> tuple[int, float, str]:
    engine = make_engine(url)
    started = time.perf_counter()
    report = run_due(engine, now)
    seconds = time.perf_counter() - started
    engine.dispose()
    touched = report.marked_overdue + sum(d.count for d in report.done)
    what = ", ".join(f"{d.what} {d.count}" for d in report.done if d.what != "superseded") \
        or "nothing due"
    if report.marked_overdue:
        what = f"marked {report.marked_overdue}, {what}"
    return touched, seconds, what


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite:///sweep.db")
    args = parser.parse_args()
    ladder = Ladder.from_policy(ReminderPolicy())
    steps = {s.code: s for s in ReminderPolicy().steps}
    overdue_at = ladder.step_instant(steps["overdue"], FIRST_DEADLINE)
    escalate_at = ladder.step_instant(steps["escalation-1"], FIRST_DEADLINE)
    assert overdue_at and escalate_at
    with scratch_database(args.db, "sweep") as url:
        started = time.perf_counter()
        populate(url, args.rows)
        engine = make_engine(url)
        bind = lambda at: _bind(engine, at)  # noqa: E731
        print(f"database: {make_url(url).render_as_string(hide_password=True)}  rows: "
              f"{args.rows:,}  falling due: {args.rows // SPECS:,}  "
              f"(setup {time.perf_counter() - started:.0f} s)")
        print(f"{'job':<44} {'rows':>7} {'seconds':>8}  detail")
        mark_sql = ("UPDATE task SET overdue_since = due_at WHERE overdue_since IS NULL AND "
                    "state IN ('assigned', 'returned') AND due_at <= :now")
        count, seconds = timed_sql(url, mark_sql, {"now": bind(overdue_at)})
        print(f"{'hand-written UPDATE: mark overdue':<44} {count:>7,} {seconds:>8.3f}")
        count, seconds, what = timed_sweep(url, overdue_at)
        print(f"{'nhiemvu sweep at the overdue step':<44} {count:>7,} {seconds:>8.3f}  {what}")
        escalate_sql = ("UPDATE task SET escalation_level = 1 WHERE due_at = :due AND "
                        "state IN ('assigned', 'returned') AND escalation_level < 1")
        count, seconds = timed_sql(url, escalate_sql,
                                   {"due": bind(deadline_instant(FIRST_DEADLINE))})
        print(f"{'hand-written UPDATE: escalate to level 1':<44} {count:>7,} {seconds:>8.3f}")
        count, seconds, what = timed_sweep(url, escalate_at)
        print(f"{'nhiemvu sweep at escalation level 1':<44} {count:>7,} {seconds:>8.3f}  {what}")
        count, seconds, what = timed_sweep(url, escalate_at.replace(minute=30))
        print(f"{'nhiemvu sweep with nothing due':<44} {count:>7,} {seconds:>8.3f}  {what}")
        engine.dispose()


if __name__ == "__main__":
    main()
