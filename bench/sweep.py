"""Benchmark: one scheduler sweep over N task rows of which 1% fall due, next to
hand-written SQL doing the same writes (UPDATE + audit rows + outbox rows, committed), in
the same run.

    python bench/sweep.py --rows 1000000 --db sqlite:///sweep.db
    python bench/sweep.py --rows 1000000 --db postgresql://postgres@127.0.0.1:5432/test

Setup (not timed): one directive with 100 task specs for N/100 agencies, rows bulk-loaded;
the first spec (1% of the rows) is due on 05/03/2024, the others from June. A sweep just
before that deadline does the reminders and digests that come first. Timed, in order:
  1. baseline: the 1% marked overdue, an audit row and an overdue notice each, committed
     (then undone, untimed, so the sweep finds the same work);
  2. ours: the sweep at the overdue step of that deadline (marks the 1%, writes their
     audit rows, queues their overdue notices);
  3. baseline: the 1% escalated to level 1, an audit row and a notice to the head each,
     committed, then undone;
  4. ours: the sweep at escalation level 1 (updates, audit rows, notices);
  5. ours: a sweep with nothing due (the steady-state cost of a sweep).
Each pair prints both times and the ratio; the peak RSS of the process closes the table.
`--check` exits 1 when a sweep takes more than MAX_RATIO times its baseline.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.goals import verdict
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


MAX_RATIO = 2.0
OWED = "state IN ('assigned', 'returned')"


def baseline_writes(url: str, where: str, update: str, kind: str, role: str,
                    triggers: tuple[str, ...], params: dict[str, object]) -> tuple[int, float]:
    """What the sweep writes, by hand: the picked tasks updated, an audit row per trigger
    (the overdue step records the mark and the notice) and an outbox row each, in one
    committed transaction. Then undone (untimed)."""
    engine = make_engine(url)
    audits = [("INSERT INTO audit (task_id, at, actor, role, channel, trigger, from_state, "
               "to_state, task_version) SELECT id, :now, 'baseline', 'scheduler', "
               f"'scheduler', '{trigger}', state, state, version FROM __SOURCE__")
              for trigger in triggers]
    payload = "CAST('{}' AS JSONB)" if engine.dialect.name == "postgresql" else "'{}'"
    outbox = ("INSERT INTO outbox (key, kind, task_id, agency_code, recipient_role, payload, "
              "state, created_at, attempts, next_attempt_at) SELECT 'baseline:' || "
              f"CAST(id AS TEXT), '{kind}', id, agency_code, '{role}', {payload}, 'queued', "
              f":now, 0, :now FROM __SOURCE__")
    with engine.connect() as connection:
        started = time.perf_counter()
        with connection.begin():
            if engine.dialect.name == "postgresql":
                audited = "".join(f"a{n} AS ({audit.replace('__SOURCE__', 'picked')}), "
                                  for n, audit in enumerate(audits))
                noticed = outbox.replace("__SOURCE__", "picked")
                count = connection.execute(text(
                    f"WITH picked AS (UPDATE task SET {update} WHERE {where} RETURNING id, "
                    f"agency_code, state, version), {audited}"
                    f"o AS ({noticed}) SELECT count(*) FROM picked"), params).scalar_one()
            else:
                source = f"(SELECT * FROM task WHERE {where})"
                for audit in audits:
                    connection.execute(text(audit.replace("__SOURCE__", source)), params)
                connection.execute(text(outbox.replace("__SOURCE__", source)), params)
                count = connection.execute(text(f"UPDATE task SET {update} WHERE {where}"),
                                           params).rowcount
        seconds = time.perf_counter() - started
        with connection.begin():  # undone, so the sweep finds the same work
            undo = "overdue_since = NULL" if "overdue_since" in update else \
                "escalation_level = 0"
            connection.execute(text(f"UPDATE task SET {undo} WHERE id IN (SELECT task_id FROM "
                                    "audit WHERE actor = 'baseline')"))
            connection.execute(text("DELETE FROM audit WHERE actor = 'baseline'"))
            connection.execute(text("DELETE FROM outbox WHERE key LIKE 'baseline:%'"))
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite:///sweep.db")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    ladder = Ladder.from_policy(ReminderPolicy())
    steps = {s.code: s for s in ReminderPolicy().steps}
    overdue_at = ladder.step_instant(steps["overdue"], FIRST_DEADLINE)
    escalate_at = ladder.step_instant(steps["escalation-1"], FIRST_DEADLINE)
    assert overdue_at and escalate_at
    missed: list[str] = []
    with scratch_database(args.db, "sweep") as url:
        started = time.perf_counter()
        populate(url, args.rows)
        engine = make_engine(url)
        bind = lambda at: _bind(engine, at)  # noqa: E731
        print(f"database: {make_url(url).render_as_string(hide_password=True)}  rows: "
              f"{args.rows:,}  falling due: {args.rows // SPECS:,}  "
              f"(setup {time.perf_counter() - started:.0f} s)")
        print(f"{'job':<50} {'rows':>7} {'seconds':>8}  detail")
        pairs = [("overdue step", overdue_at,
                  (f"overdue_since IS NULL AND {OWED} AND due_at <= :now",
                   "overdue_since = due_at", "overdue_notice", "agency",
                   ("mark_overdue", "overdue"),
                   {"now": bind(overdue_at)})),
                 ("escalation level 1", escalate_at,
                  (f"due_at = :due AND {OWED} AND escalation_level < 1",
                   "escalation_level = 1", "escalation", "head", ("escalate",),
                   {"due": bind(deadline_instant(FIRST_DEADLINE)), "now": bind(escalate_at)}))]
        for name, at, (where, update, kind, role, triggers, params) in pairs:
            count, base = baseline_writes(url, where, update, kind, role, triggers, params)
            print(f"{'baseline: hand-written SQL, ' + name:<50} {count:>7,} {base:>8.3f}  "
                  "update + audit + outbox, committed")
            count, ours, what = timed_sweep(url, at)
            print(f"{'nhiemvu sweep at the ' + name:<50} {count:>7,} {ours:>8.3f}  {what}")
            ratio = ours / base
            print(f"{'ratio':<50} {'':>7} {ratio:>7.2f}x  goal <= {MAX_RATIO}")
            if ratio > MAX_RATIO:
                missed.append(f"{name} {ratio:.2f}x")
        count, seconds, what = timed_sweep(url, escalate_at.replace(minute=30))
        print(f"{'nhiemvu sweep with nothing due':<50} {count:>7,} {seconds:>8.3f}  {what}")
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")
    return verdict(missed, args.check)


if __name__ == "__main__":
    sys.exit(main())
