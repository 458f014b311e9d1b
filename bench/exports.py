"""Exports for a large directive: N task rows (5 task specs, N/5 agencies, a fifth of them
reported with a text and figures), each export in its own process with its time and peak
memory, next to baselines measured in the same run: the bare SELECT of the same rows and
an unstyled openpyxl write-only workbook with the same cells (matrix, overdue, reports
and on-time sheets). `--check` exits 1 when the XLSX takes over 1.5x that baseline or an
export's peak RSS growth is over 300 MiB.

    .venv/bin/python bench/exports.py --rows 50000 --db sqlite:///exports-bench.db
    .venv/bin/python bench/exports.py --rows 50000 --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bench.scratch import peak_kib, rss_kib, scratch_database
from bench.synthetic import YEAR, bench_definitions, task_spec
from workflow.definitions.store import save_definitions
from workflow.engine.instantiate import instantiate
from workflow.storage.db import make_engine, read_session, write_session
from workflow.storage.models import ReportRow, TaskRow

SPECS = 5
NOW = datetime(YEAR, 12, 20, 2, 0, tzinfo=UTC)


def populate(url: str, rows: int) -> None:
    engine = make_engine(url)
    specs = tuple(task_spec(f"t{n}", f"Nhiệm vụ thử số {n}", date(YEAR, 6, 5))
                  for n in range(SPECS))
    with write_session(engine) as session:
        save_definitions(session, bench_definitions(specs, rows // SPECS),
                         datetime(YEAR, 1, 3, tzinfo=UTC))
    instantiate(engine, "bench", YEAR, datetime(YEAR, 1, 3, tzinfo=UTC))
    with write_session(engine) as session:
        ids = list(session.scalars(select(TaskRow.id).order_by(TaskRow.id)))[::5]
        session.execute(text("UPDATE task SET state = 'reported', reported_at = :at, "
                             "version = 2 WHERE id % 5 = 0"), {"at": datetime(YEAR, 6, 1)})
        session.add_all(ReportRow(task_id=i, submitted_at=datetime(YEAR, 6, 1, tzinfo=UTC),
                                  actor="bench", channel="link", task_version=2,
                                  text="Đã tổ chức 12 buổi tuyên truyền, 640 lượt người "
                                       "tham dự; lồng ghép giới trong sinh hoạt chi hội.",
                                  figures=[{"label": "Số buổi", "value": "12"}])
                        for i in ids)
    engine.dispose()


def job(name: str, url: str) -> tuple[int, float, int]:
    engine = make_engine(url)
    start_rss = rss_kib()
    started = time.perf_counter()
    size = 0
    with read_session(engine) as session:
        if name == "select":
            size = len(session.execute(text(
                "SELECT t.*, r.text FROM task t LEFT JOIN report r ON r.task_id = t.id "
                "WHERE t.directive_code = 'bench'")).all())
        elif name == "raw-xlsx":
            # The same three sheets with the same cells, unstyled, from one SELECT.
            from openpyxl import Workbook
            rows = session.execute(text(
                "SELECT a.name, s.title, t.period, t.state, t.due_on, t.escalation_level, "
                "r.submitted_at, r.text FROM task t JOIN agency a ON a.code = t.agency_code "
                "JOIN task_spec s ON s.directive_code = t.directive_code AND s.code = "
                "t.spec_code LEFT JOIN report r ON r.task_id = t.id "
                "WHERE t.directive_code = 'bench' ORDER BY a.name, s.position")).all()
            book = Workbook(write_only=True)
            matrix, overdue, reports, on_time = (book.create_sheet() for _ in range(4))
            by_agency: dict[str, list[str]] = {}
            for agency, title, period, state, due_on, level, at, body in rows:
                by_agency.setdefault(agency, []).append(state)
                if state == "assigned":
                    overdue.append([1, level, agency, title, period, str(due_on), state])
                reports.append([agency, title, period, state, str(at) if at else None,
                                body, None, None])
            for agency, states in by_agency.items():
                matrix.append([agency, *states])
                # The on-time sheet: one row of counts per agency.
                on_time.append([agency, len(states), states.count("reported"), 0,
                                states.count("assigned"), 0, 0, "0%"])
            buffer = io.BytesIO()
            book.save(buffer)
            size = len(buffer.getvalue())
        else:
            from exports.collect import collect
            report = collect(session, "bench", YEAR, NOW)
            buffer = io.BytesIO()
            if name == "xlsx":
                from exports.xlsx import write_xlsx
                write_xlsx(report, buffer)
            elif name == "docx":
                from exports.docx import write_docx
                write_docx(report, buffer)
            elif name == "collect":
                pass
            size = len(buffer.getvalue())
        if name == "chart":
            from exports.chart import timeline_chart
            from exports.progress import timeline
            size = len(timeline_chart(timeline(session, "bench", YEAR, NOW), "bench", "png"))
    seconds = time.perf_counter() - started
    peak = peak_kib() - start_rss
    engine.dispose()
    return size, seconds, max(peak, 0)


def _child(name: str, url: str, queue: Any) -> None:
    queue.put(job(name, url))


def run(name: str, url: str) -> tuple[int, float, int]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(name, url, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


JOBS = [("select", "baseline: SELECT tasks + reports"),
        ("raw-xlsx", "baseline: same cells, unstyled XLSX"),
        ("collect", "nhiemvu collect (read model only)"),
        ("xlsx", "nhiemvu export xlsx"),
        ("docx", "nhiemvu export docx"),
        ("chart", "nhiemvu export chart (timeline PNG)")]


MAX_XLSX_RATIO = 1.5
MAX_PEAK_MIB = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--db", default="sqlite:///exports-bench.db")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    results: dict[str, tuple[float, float]] = {}
    with scratch_database(args.db, "exports") as url:
        started = time.perf_counter()
        populate(url, args.rows)
        print(f"database: {make_url(url).render_as_string(hide_password=True)}  tasks: "
              f"{args.rows:,}  agencies: {args.rows // SPECS:,}  "
              f"(setup {time.perf_counter() - started:.0f} s)")
        print(f"{'job':<40} {'seconds':>8} {'output':>10} {'peak RSS':>10}")
        for name, label in JOBS:
            size, seconds, peak = run(name, url)
            output = f"{size / 1024:,.0f} KiB" if name != "select" else f"{size:,} rows"
            print(f"{label:<40} {seconds:>8.2f} {output:>10} {peak / 1024:>7.1f} MiB",
                  flush=True)
            results[name] = (seconds, peak / 1024)
    ratio = results["xlsx"][0] / results["raw-xlsx"][0]
    print(f"XLSX: {ratio:.2f}x the unstyled write of the same cells (goal <= "
          f"{MAX_XLSX_RATIO}); peak RSS growth XLSX {results['xlsx'][1]:.0f} MiB, DOCX "
          f"{results['docx'][1]:.0f} MiB (goal <= {MAX_PEAK_MIB})")
    missed = [f"XLSX ratio {ratio:.2f}x"] if ratio > MAX_XLSX_RATIO else []
    missed += [f"{name} peak {results[name][1]:.0f} MiB" for name in ("xlsx", "docx")
               if results[name][1] > MAX_PEAK_MIB]
    print("goals: " + ("all met" if not missed else "missed: " + ", ".join(missed)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
