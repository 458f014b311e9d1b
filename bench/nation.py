"""Benchmark: a whole country's year, worst case: every commune's bodies owe one plan and
nobody reports, so every deadline runs its whole ladder and every week's digests list it.

    .venv/bin/python bench/nation.py                          # 3,321 communes, PostgreSQL
    .venv/bin/python bench/nation.py --communes 100 --bodies 20
    .venv/bin/python bench/nation.py --communes 5 --send-seconds 5 --check   # CI size

Setup (not timed): a top committee, `--communes` commune committees of `--bodies` bodies
each (the commune's Phòng Văn hóa - Xã hội is its secretariat, its Ủy ban its chair), and
one plan of `--tasks` task rows per body (one 6-month + annual report, the rest fixed
deadlines through the year) given to a group holding every body.

Timed, each in a process of its own so that its peak RSS is its own:
- the year: the scheduler's tick every day at 08:00 from 2 January to 31 December
  (instantiation, reminders, overdue marking, escalations, weekly digests, the 1 January
  re-check of the next year), as `nhiemvu tick` runs it; no mail is sent here;
- the sender: `send_due` delivering that queue to a local SMTP sink for `--send-seconds`,
  then stopped: messages per second and the sender's peak RSS (VmHWM), which must not
  depend on the backlog (the whole year's mail is queued when it starts).

Baseline: the rows the year left (tasks, audit, outbox, marks) written again by one
INSERT ... SELECT per table into copies with the same indexes, in one transaction: the
floor of writing what the year writes. The ratio says how far above that floor the year
runs, spread over 365 ticks. The PostgreSQL settings that matter at this size (autovacuum,
shared_buffers, work_mem, max_wal_size) are printed beside the figures; deploy/README.md
says what to set.

Goals (issue 19): the year in at most 10 minutes at the country's size (the goal is
scaled linearly for smaller runs), every process at most 1 GiB, no message over 100 KB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import sys
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.province import BODIES as PROVINCE_BODIES
from bench.province import CALENDAR, sink
from bench.scratch import peak_kib, scratch_database
from notifier.config import MailSettings
from notifier.sender import _build, send_due
from notifier.templating import environment
from notifier.transport import Smtp
from notifier.wire import wire_bytes
from tests.smtpserver import free_port
from workflow.clock import LOCAL_TZ
from workflow.definitions.loader import load_definitions
from workflow.definitions.specs import (
    Agency,
    AgencyGroup,
    Committee,
    DefinitionSet,
    Directive,
    FixedDue,
    PeriodDue,
    Registry,
    TaskSpec,
    YearlyDue,
)
from workflow.definitions.store import save_definitions
from workflow.schedule.sweep import run_due
from workflow.storage.db import make_engine, write_session

YEAR = 2026
COUNTRY = 3321
BODIES = [code for code, _ in PROVINCE_BODIES]  # a commune's bodies, as in bench/province
TOP = "tw"
GROUP = "tw.moi-co-quan"
PLAN = "tw-2026"
MAIL_FROM = "Ban VSTBPN <nhiemvu@mau.example.vn>"
GOAL_SECONDS = 600.0
GOAL_RSS_MIB = 1024.0
GOAL_MESSAGE_BYTES = 100_000
FIXED_SECONDS = 10.0  # 364 ticks over next to nothing (5 communes: 3.3 s)
TABLES = ("task", "audit", "outbox", "sweep_mark")


def body_codes(bodies: int) -> list[str]:
    """The commune's named bodies first, then villages (thôn) up to `bodies`."""
    named = BODIES[:bodies]
    return named + [f"thon-{v:02d}" for v in range(bodies - len(named))]


def commune(n: int) -> str:
    return f"x{n:04d}"


def plan(tasks: int) -> Directive:
    """One report due twice (6 months, year) plus tasks-2 fixed deadlines, all to GROUP."""
    specs = [TaskSpec("1", "Báo cáo kết quả thực hiện công tác bình đẳng giới", "Báo cáo.",
                      (GROUP,), (), None, (PeriodDue("h1", YearlyDue(5, 6)),
                                           PeriodDue("year", YearlyDue(5, 12))))]
    for k in range(max(tasks - 2, 0)):
        due = date(YEAR, 2 + k % 11, 5 + (k * 7) % 20)
        specs.append(TaskSpec(str(k + 2), f"Nhiệm vụ {k + 2}", "Thực hiện.", (GROUP,), (),
                              FixedDue(due)))
    return Directive(PLAN, "ke-hoach", "1/KH-BVSTBPN", date(YEAR, 1, 5), "day",
                     "Ban Vì sự tiến bộ của phụ nữ (mô phỏng cả nước)",
                     "Kế hoạch thực hiện công tác bình đẳng giới năm 2026", YEAR, YEAR, (),
                     tuple(specs), secretariat="tw.bo-noi-vu", chair="tw.chu-tich",
                     committee=TOP)


def populate(url: str, communes: int, bodies: int, tasks: int) -> int:
    """The registry and the plan; the communes' bodies go in with one executemany (the
    loader's path is per row and would be most of the setup at this size)."""
    engine = make_engine(url)
    now = datetime(YEAR, 1, 2, 7, tzinfo=LOCAL_TZ)
    committees = {TOP: Committee(TOP, "Ban chỉ đạo thử (dữ liệu mẫu)", "province",
                                 "Cả nước (mô phỏng)", None, "tw.bo-noi-vu", "tw.chu-tich")}
    national = {code: Agency(code, name, "trung-uong", (f"{code}@tw.example.vn",),
                             committee=TOP)
                for code, name in (("tw.bo-noi-vu", "Bộ Nội vụ (thử)"),
                                   ("tw.chu-tich", "Trưởng Ban chỉ đạo (thử)"))}
    codes = body_codes(bodies)
    for n in range(communes):
        c = commune(n)
        committees[c] = Committee(c, f"Ban Vì sự tiến bộ của phụ nữ xã Thử {n}", "commune",
                                  f"Xã Thử {n}", TOP, f"{c}.{codes[min(1, bodies - 1)]}",
                                  f"{c}.{codes[0]}")
    calendars = load_definitions([CALENDAR]).calendars
    with write_session(engine) as session:
        save_definitions(session, DefinitionSet(Registry(national, {}, committees), calendars,
                                                {}), now)
    members = [f"{commune(n)}.{code}" for n in range(communes) for code in codes]
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO agency (code, name, level, emails, committee_code, active) "
                 "VALUES (:code, :name, 'xa', :emails, :committee, true)"),
            [{"code": m, "name": f"{m.split('.', 1)[1]} xã Thử {m[1:5]}",
              "emails": f'["{m.replace(".", "@")}.example.vn"]', "committee": m[:5]}
             for m in members])
    registry = Registry(national, {GROUP: AgencyGroup(GROUP, "Mọi cơ quan", tuple(members))},
                        committees)
    with write_session(engine) as session:
        save_definitions(session, DefinitionSet(registry, calendars, {PLAN: plan(tasks)}), now)
    engine.dispose()
    return len(members)


def year_process(url: str, results: Any) -> None:
    """Child: the year's 364 ticks; seconds, the slowest tick and its day, peak RSS."""
    engine = make_engine(url)
    day = datetime(YEAR, 1, 2, 8, 0, tzinfo=LOCAL_TZ)
    slowest, slowest_day, total = 0.0, day, 0.0
    while day.year == YEAR:
        started = time.perf_counter()
        run_due(engine, day)
        spent = time.perf_counter() - started
        total += spent
        if spent > slowest:
            slowest, slowest_day = spent, day
        day += timedelta(days=1)
    engine.dispose()
    results.put((total, slowest, slowest_day.strftime("%d/%m"), peak_kib() / 1024))


def sender_process(url: str, port: int) -> None:
    """Child: the sender over the whole year's queue (stopped from outside)."""
    engine = make_engine(url)
    mail = replace(MailSettings(smtp_host="127.0.0.1", smtp_port=port, mail_from=MAIL_FROM),
                   concurrency=4)
    send_due(engine, Smtp(mail), mail, datetime(YEAR, 12, 31, 20, tzinfo=LOCAL_TZ))


def count(engine: Any, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar() or 0)


def send_sample(url: str, seconds: float) -> tuple[int, float, float]:
    """(messages delivered, seconds, sender's peak RSS MiB) for a sender stopped after
    `seconds`; what it delivered is read from the outbox."""
    engine = make_engine(url)
    port = free_port()
    smtp = sink(port)
    context = multiprocessing.get_context("spawn")
    try:
        before = count(engine, "SELECT count(*) FROM outbox WHERE state = 'sent'")
        process = context.Process(target=sender_process, args=(url, port))
        started = time.perf_counter()
        process.start()
        hwm = 0.0
        while process.is_alive() and time.perf_counter() - started < seconds:
            time.sleep(0.2)
            hwm = max(hwm, peak_kib(process.pid or 0) / 1024)
        elapsed = time.perf_counter() - started
        if process.is_alive():
            process.terminate()
        process.join()
        sent = count(engine, "SELECT count(*) FROM outbox WHERE state = 'sent'") - before
    finally:
        smtp.terminate()
        smtp.wait(timeout=10)
        engine.dispose()
    return sent, elapsed, hwm


def baseline(url: str) -> float:
    """Seconds to write the year's rows again with one INSERT ... SELECT per table into
    copies with the same indexes, one commit."""
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in TABLES:
            if engine.dialect.name == "sqlite":
                for sql in sqlite_copy(connection, table):
                    connection.execute(text(sql))
            else:
                connection.execute(text(
                    f"CREATE TABLE base_{table} (LIKE {table} INCLUDING ALL)"))
    started = time.perf_counter()
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(text(f"INSERT INTO base_{table} SELECT * FROM {table}"))
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(text(f"DROP TABLE base_{table}"))
    engine.dispose()
    return seconds


def sqlite_copy(connection: Any, table: str) -> list[str]:
    """SQLite has no CREATE TABLE ... LIKE: the table's and its indexes' own statements,
    renamed to base_<name>."""
    statements = []
    for kind, name, sql in connection.execute(text(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = :t AND sql IS NOT NULL "
            "ORDER BY type DESC"), {"t": table}):
        if kind == "table":
            statements.append(re.sub(rf'^CREATE TABLE "?{table}"?', f"CREATE TABLE base_{table}",
                                     sql))
        else:
            statements.append(re.sub(
                rf'^CREATE (UNIQUE )?INDEX "?{name}"? ON "?{table}"?',
                lambda m, n=name: f"CREATE {m.group(1) or ''}INDEX base_{n} ON base_{table}",
                sql))
    return statements


def settings(url: str) -> dict[str, str]:
    engine = make_engine(url)
    names = ("autovacuum", "shared_buffers", "work_mem", "max_wal_size")
    with engine.connect() as connection:
        if engine.dialect.name != "postgresql":
            return {}
        shown = {name: str(connection.execute(text(f"SHOW {name}")).scalar()) for name in names}
    engine.dispose()
    return shown


def largest_message(url: str) -> tuple[int, int]:
    """(messages built, largest in bytes) over the messages most likely to be big: every
    one to a secretariat or a chair, and the agencies' with the longest payloads, built
    exactly as the sender builds them (the sink does not keep what it receives)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        ids = sorted(set(connection.execute(text(
            "SELECT id FROM outbox WHERE recipient_role <> 'agency' ORDER BY id LIMIT 400"
        )).scalars()) | set(connection.execute(text(
            "SELECT id FROM outbox ORDER BY length(CAST(payload AS TEXT)) DESC LIMIT 100"
        )).scalars()))
    mail = MailSettings(smtp_host="127.0.0.1", smtp_port=25, mail_from=MAIL_FROM)
    now = datetime(YEAR, 12, 31, 20, tzinfo=LOCAL_TZ)
    messages, _, _, _ = _build(engine, ids, environment(mail.templates), mail, now)
    engine.dispose()
    return len(messages), max((len(wire_bytes(m)) for m in messages), default=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--communes", type=int, default=COUNTRY)
    parser.add_argument("--bodies", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=22, help="task rows per body")
    parser.add_argument("--send-seconds", type=float, default=30.0)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if not (1 <= args.communes <= 10_000 and 2 <= args.bodies <= 100 and 3 <= args.tasks <= 60):
        parser.error("communes 1-10000, bodies 2-100, tasks 3-60")
    context = multiprocessing.get_context("spawn")
    with scratch_database(args.db, "nation") as url:
        started = time.perf_counter()
        bodies = populate(url, args.communes, args.bodies, args.tasks)
        print(f"nation: {args.communes:,} communes x {args.bodies} bodies = {bodies:,} bodies; "
              f"database {make_url(url).get_backend_name()}; setup "
              f"{time.perf_counter() - started:.0f} s (not timed)")
        shown = settings(url)
        if shown:
            print("PostgreSQL: " + ", ".join(f"{k} {v}" for k, v in shown.items()))
        results = context.Queue()
        process = context.Process(target=year_process, args=(url, results))
        process.start()
        year_seconds, slowest, slowest_day, year_rss = results.get()
        process.join()
        engine = make_engine(url)
        rows = {table: count(engine, f"SELECT count(*) FROM {table}") for table in TABLES}
        size = (count(engine, "SELECT pg_database_size(current_database())")
                if engine.dialect.name == "postgresql" else
                os.path.getsize(make_url(url).database or ""))
        engine.dispose()
        tasks = rows["task"]
        print(f"year (364 daily ticks, no sending): {year_seconds:.1f} s for {tasks:,} tasks "
              f"({year_seconds / max(tasks, 1) * 1000:.3f} ms per task); slowest tick "
              f"{slowest:.1f} s on {slowest_day}; peak RSS {year_rss:.0f} MiB")
        print("rows left: " + ", ".join(f"{t} {n:,}" for t, n in rows.items())
              + f"; database {size / 2**20:,.0f} MiB")
        floor = baseline(url)
        print(f"baseline (the same rows, one INSERT ... SELECT per table, one commit): "
              f"{floor:.1f} s; ratio {year_seconds / floor:.1f}x")
        built, biggest = largest_message(url)
        sent, seconds, send_rss = send_sample(url, args.send_seconds)
        print(f"sender over the year's queue: {sent:,} messages in {seconds:.1f} s "
              f"({sent / seconds:,.0f}/s); peak RSS {send_rss:.0f} MiB")
        print(f"largest message of {built} to secretariats, chairs and the longest "
              f"agency payloads: {biggest:,} bytes")
    goal = GOAL_SECONDS * args.communes / COUNTRY * args.bodies / 20 + FIXED_SECONDS
    scaled = f"year within {goal:.0f} s (10 min scaled to this size + {FIXED_SECONDS:.0f} s)"
    goals = {scaled: year_seconds <= goal,
             "year process within 1 GiB": year_rss <= GOAL_RSS_MIB,
             "sender within 1 GiB": send_rss <= GOAL_RSS_MIB,
             "sender delivered mail": sent > 0,
             "no message over 100 KB": biggest <= GOAL_MESSAGE_BYTES}
    if shown and shown.get("autovacuum") != "on":
        print("warning: autovacuum is off on this server; deploy/README.md asks for it on "
              "(a year leaves millions of dead task rows)")
    missed = [name for name, ok in goals.items() if not ok]
    print("goals: " + ("all met" if not missed else "missed: " + "; ".join(missed)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
