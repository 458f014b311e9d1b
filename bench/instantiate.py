"""Benchmark: instantiate N task rows, next to a raw bulk insert of the same rows.

    python bench/instantiate.py --rows 100000 --db sqlite:///bench.db
    python bench/instantiate.py --rows 100000 --db postgresql://postgres@127.0.0.1:5432/test

Each measurement runs in its own child process on an emptied schema, so its peak memory
(max RSS growth) is its own. The SQLite file is recreated; on PostgreSQL a scratch
database is created beside the one named in the URL and dropped afterwards.

Ours writes, in one transaction, N task rows plus N 'assign' audit rows plus one
notification request per agency. The baseline writes the same rows in one transaction:
the task rows with the driver's fastest bulk path (sqlite3 executemany / psycopg COPY),
then the audit rows and the per-agency outbox rows with one INSERT ... SELECT each.
It prints both, the ratio and the peak RSS; `--check` exits 1 when the ratio is over
1.5 or the peak over 300 MiB.

`--communes N` also instantiates a province plan (bench/province.py: 30 tasks over the
communes' bodies by function) at N/2 and N communes, each on a fresh database, and prints
the cost per task at both sizes: a first instantiate must stay linear (the audit rows of
new tasks once came from an anti-join PostgreSQL planned as a nested loop over the table
it was filling). `--check` exits 1 when the cost per task grows by more than 1.3x.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.goals import verdict
from bench.scratch import peak_kib, rss_kib, scratch_database
from bench.synthetic import YEAR, bench_definitions, task_spec
from workflow.definitions.specs import (
    DefinitionSet,
)
from workflow.definitions.store import save_definitions
from workflow.engine.instantiate import instantiate
from workflow.storage.db import make_engine, write_session

SPECS = 10
NOW = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)
TABLES = "outbox, audit, task"


def synthetic(rows: int) -> DefinitionSet:
    """One directive with SPECS tasks for a group of rows/SPECS agencies."""
    specs = tuple(task_spec(f"t{k}", f"Nhiệm vụ {k}", date(YEAR, 6, 5)) for k in range(SPECS))
    return bench_definitions(specs, math.ceil(rows / SPECS))


def measured(job: str, url: str, rows: int, queue: Any) -> None:
    """Child process: run one job, report seconds and peak RSS growth."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DELETE FROM {'outbox'}"))
        connection.execute(text("DELETE FROM audit"))
        connection.execute(text("DELETE FROM task"))
    start_rss = rss_kib()
    started = time.perf_counter()
    if job == "ours":
        created = instantiate(engine, "bench", YEAR, NOW).created
    else:
        created = raw_insert(engine, rows, with_audit=job == "raw+all")
    seconds = time.perf_counter() - started
    peak = peak_kib() - start_rss
    queue.put((created, seconds, max(peak, 0)))


def raw_rows(rows: int) -> list[tuple[Any, ...]]:
    due_at = datetime(2024, 6, 4, 17, 0)
    count = math.ceil(rows / SPECS)
    return [("bench", f"t{k}", f"b.{i:07d}", "lead", YEAR, str(YEAR), "assigned",
             date(2024, 6, 5), due_at, 0, 1, NOW.replace(tzinfo=None), NOW.replace(tzinfo=None))
            for k in range(SPECS) for i in range(count)][:rows]


COLUMNS = ("directive_code, spec_code, agency_code, role, year, period, state, due_on, due_at, "
           "escalation_level, version, created_at, updated_at")
AUDIT_SELECT = ("INSERT INTO audit (task_id, at, actor, role, channel, trigger, to_state, "
                "task_version) SELECT id, created_at, 'raw', 'system', 'cli', 'assign', "
                "'assigned', 1 FROM task")
OUTBOX_SELECT = ("INSERT INTO outbox (key, kind, agency_code, recipient_role, payload, state, "
                 "created_at, attempts, next_attempt_at) SELECT 'raw:' || agency_code, "
                 "'tasks_assigned', agency_code, 'agency', '{}', 'queued', min(created_at), 0, "
                 "min(created_at) FROM task GROUP BY agency_code")
MAX_RATIO = 1.5
MAX_PEAK_MIB = 300
MAX_GROWTH = 1.3


def raw_insert(engine: Any, rows: int, with_audit: bool) -> int:
    data = raw_rows(rows)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(f"INSERT INTO task ({COLUMNS}) VALUES "
                               f"({', '.join('?' * 13)})", data)
        else:
            with cursor.copy(f"COPY task ({COLUMNS}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        if with_audit:
            cursor.execute(AUDIT_SELECT)
            cursor.execute(OUTBOX_SELECT)
        if engine.dialect.name == "sqlite":
            cursor.execute("COMMIT")
        else:
            raw.commit()
    finally:
        raw.close()
    return len(data)


def prepare(url: str, rows: int) -> None:
    """The synthetic definitions in the scratch database."""
    engine = make_engine(url)
    with write_session(engine) as session:
        save_definitions(session, synthetic(rows), NOW)
    engine.dispose()


def run_job(job: str, url: str, rows: int) -> tuple[int, float, int]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=measured, args=(job, url, rows, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def province_cost(url: str, communes: int) -> tuple[int, float]:
    """A first instantiate of the province plan on a fresh database: tasks, seconds."""
    from bench.province import YEAR as PROVINCE_YEAR
    from bench.province import populate

    with scratch_database(url, "bench_province") as scratch:
        populate(scratch, communes)
        engine = make_engine(scratch)
        started = time.perf_counter()
        created = instantiate(engine, "bt-2026", PROVINCE_YEAR,
                              datetime(PROVINCE_YEAR, 1, 5, 1, tzinfo=UTC)).created
        seconds = time.perf_counter() - started
        engine.dispose()
    return created, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite:///bench.db")
    parser.add_argument("--communes", type=int, default=0,
                        help="also measure a province plan at N/2 and N communes")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    missed: list[str] = []
    with scratch_database(args.db, "bench") as url:
        prepare(url, args.rows)
        print(f"database: {make_url(url).render_as_string(hide_password=True)}  "
              f"rows: {args.rows:,}  ({math.ceil(args.rows / SPECS):,} agencies x {SPECS} "
              "task specs)")
        print(f"{'job':<46} {'rows':>9} {'seconds':>8} {'rows/s':>10} {'peak MiB':>9}")
        labels = {"raw": "baseline: tasks only (bulk path)",
                  "raw+all": "baseline: tasks + audit + outbox, one commit",
                  "ours": "nhiemvu instantiate (tasks + audit + outbox)"}
        results = {}
        for job in ("raw", "raw+all", "ours"):
            created, seconds, peak = run_job(job, url, args.rows)
            results[job] = (seconds, peak / 1024)
            print(f"{labels[job]:<46} {created:>9,} {seconds:>8.2f} {created / seconds:>10,.0f} "
                  f"{peak / 1024:>9.1f}")
    ratio = results["ours"][0] / results["raw+all"][0]
    peak = results["ours"][1]
    print(f"ratio to the baseline doing the same writes: {ratio:.2f}x (goal <= {MAX_RATIO}); "
          f"peak RSS growth {peak:.0f} MiB (goal <= {MAX_PEAK_MIB})")
    if ratio > MAX_RATIO:
        missed.append(f"ratio {ratio:.2f}x")
    if peak > MAX_PEAK_MIB:
        missed.append(f"peak {peak:.0f} MiB")
    if args.communes:
        costs = []
        for communes in (args.communes // 2, args.communes):
            created, seconds = province_cost(args.db, communes)
            costs.append(seconds / created)
            print(f"province plan, first instantiate, {communes:>5} communes: {created:>8,} "
                  f"tasks in {seconds:6.2f} s ({seconds / created * 1e6:6.1f} us per task)")
        growth = costs[1] / costs[0]
        print(f"cost per task grows {growth:.2f}x when the province doubles "
              f"(goal <= {MAX_GROWTH}: linear)")
        if growth > MAX_GROWTH:
            missed.append(f"growth {growth:.2f}x")
    return verdict(missed, args.check)


if __name__ == "__main__":
    sys.exit(main())
