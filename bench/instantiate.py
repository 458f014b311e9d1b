"""Benchmark: instantiate N task rows, next to a raw bulk insert of the same rows.

    python bench/instantiate.py --rows 100000 --db sqlite:///bench.db
    python bench/instantiate.py --rows 100000 --db postgresql://postgres@127.0.0.1:5432/test

Each measurement runs in its own child process on an emptied schema, so its peak memory
(max RSS growth) is its own. The SQLite file is recreated; on PostgreSQL a scratch
database is created beside the one named in the URL and dropped afterwards.

Ours writes, in one transaction, N task rows plus N 'assign' audit rows plus one
notification request per agency. The baselines write the same task rows with the
driver's fastest bulk path (sqlite3 executemany / psycopg COPY), then the same audit rows
with one INSERT ... SELECT.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.scratch import rss_kib, scratch_database
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
        created = raw_insert(engine, rows, with_audit=job == "raw+audit")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite:///bench.db")
    args = parser.parse_args()
    with scratch_database(args.db, "bench") as url:
        prepare(url, args.rows)
        print(f"database: {make_url(url).render_as_string(hide_password=True)}  "
              f"rows: {args.rows:,}  ({math.ceil(args.rows / SPECS):,} agencies x {SPECS} "
              "task specs)")
        print(f"{'job':<42} {'rows':>9} {'seconds':>8} {'rows/s':>10} {'peak MiB':>9}")
        labels = {"raw": "raw bulk insert (tasks)",
                  "raw+audit": "raw bulk insert (tasks + audit)",
                  "ours": "nhiemvu instantiate (tasks+audit+outbox)"}
        for job in ("raw", "raw+audit", "ours"):
            created, seconds, peak = run_job(job, url, args.rows)
            print(f"{labels[job]:<42} {created:>9,} {seconds:>8.2f} {created / seconds:>10,.0f} "
                  f"{peak / 1024:>9.1f}")


if __name__ == "__main__":
    main()
