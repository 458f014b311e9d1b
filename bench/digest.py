"""Benchmark: render and deliver personalised weekly digests to a local SMTP server, next
to a bare aiosmtplib loop sending the same pre-rendered messages to the same server.

    python bench/digest.py --recipients 10000
    python bench/digest.py --recipients 10000 --db postgresql://postgres@127.0.0.1:5432/test

The server is aiosmtpd's Sink handler in its own process on a loopback port. Setup (not
timed): N agencies with two overdue tasks each and one digest request per agency. Timed:
  1. nhiemvu send: claim, build every digest from one query, render (jinja2, text+HTML),
     deliver over a pool of connections, record;
  2. render only: the same without SMTP (messages kept in memory);
  3. the baseline: a bare aiosmtplib loop sending the same pre-rendered messages over as
     many connections as nhiemvu uses, each message's outbox row updated (state, sent_at,
     lease) and committed right after its delivery, by one recording thread: the same
     writes the product does.

Steps 1 and 3 run `--rounds` times (3), alternated, each from a requeued outbox, and the
best rate of each side is compared: on a shared machine one run a side swung the ratio
from 0.72x to 1.21x between runs of the same code. It prints both rates, the ratio and the
peak RSS; `--check` exits 1 when the product is under GOAL times the baseline (issue 19).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosmtplib
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from bench.scratch import scratch_database
from bench.synthetic import add_agencies, agency_code, bench_definitions, task_spec
from notifier.config import MailSettings
from notifier.sender import send_due
from notifier.transport import OnOutcome, Outcome, Smtp
from workflow.clock import LOCAL_TZ
from workflow.dates import deadline_instant
from workflow.definitions.store import save_definitions
from workflow.engine.bulk import insert_tasks
from workflow.schedule.sweep import digest_recipients, queue_digests
from workflow.storage.db import is_sqlite, make_engine, write_session
from workflow.storage.models import OutboxRow

DUE = date(2024, 3, 5)
NOW = datetime(2024, 3, 11, 8, 30, tzinfo=LOCAL_TZ)


class Keep:
    """A transport that keeps the messages: rendering without delivery."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def send(self, messages: list[EmailMessage], on_outcome: OnOutcome | None = None
             ) -> list[Outcome]:
        self.messages.extend(messages)
        return [Outcome("sent") for _ in messages]


def populate(url: str, recipients: int) -> None:
    engine = make_engine(url)
    specs = (task_spec("t0", "Báo cáo sơ kết công tác bình đẳng giới quý I", DUE),
             task_spec("t1", "Báo cáo kết quả kiện toàn Ban vì sự tiến bộ của phụ nữ", DUE))
    loaded = datetime(2024, 1, 2, tzinfo=UTC)
    with write_session(engine) as session:
        save_definitions(session, bench_definitions(specs, 1), loaded)
        add_agencies(session, 1, recipients)
        insert_tasks(session, [("bench", spec.code, agency_code(i), "lead", 2024, "2024",
                                "assigned", DUE, deadline_instant(DUE), 0, 1, loaded, loaded)
                               for spec in specs for i in range(recipients)])
    with write_session(engine) as session:
        queue_digests(session, digest_recipients(session, None, NOW), "2024-W11", NOW)
    engine.dispose()


def requeue(url: str) -> None:
    engine = make_engine(url)
    with write_session(engine) as session:
        session.execute(update(OutboxRow).values(state="queued", attempts=0, sent_at=None,
                                                 next_attempt_at=NOW))
    engine.dispose()


def sink(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                                f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the SMTP sink did not start")


GOAL = 0.8


async def bare_loop(messages: list[EmailMessage], port: int, connections: int,
                    record: Callable[[str], None]) -> None:
    """Each message sent, then its row recorded, before that connection sends again."""
    loop = asyncio.get_running_loop()
    recorder = ThreadPoolExecutor(max_workers=1)

    async def worker(part: list[EmailMessage]) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        for message in part:
            await client.send_message(message)
            await loop.run_in_executor(recorder, record, str(message["X-Nhiemvu-Key"]))
        await client.quit()

    try:
        await asyncio.gather(*(worker(messages[i::connections]) for i in range(connections)))
    finally:
        recorder.shutdown()


def recorder(url: str) -> tuple[Callable[[str], None], Callable[[], None]]:
    """Marks one outbox row sent in a transaction of its own (the product's writes)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        ids = dict(connection.execute(select(OutboxRow.key, OutboxRow.id)).all())
    writer = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) \
        else engine
    statement = text("UPDATE outbox SET state = 'sent', sent_at = :now, lease_until = NULL, "
                     "last_error = NULL WHERE id = :id")
    stamp = NOW.astimezone(UTC).replace(tzinfo=None) if is_sqlite(engine) else NOW

    def record(key: str) -> None:
        with writer.begin() as connection:
            connection.execute(statement, {"now": stamp, "id": ids[" ".join(key.split())]})

    return record, engine.dispose


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--db", default="sqlite:///digest-bench.db")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternated runs of each side; the best of each is compared")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args()
    missed = False
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = sink(port)
    try:
        with scratch_database(args.db, "digest") as url:
            populate(url, args.recipients)
            engine = make_engine(url)
            settings = replace(MailSettings(smtp_host="127.0.0.1", smtp_port=port,
                                            mail_from="Ban VSTBPN <bvstbpn@bench.example>"),
                               batch=500)
            print(f"database: {make_url(url).render_as_string(hide_password=True)}  "
                  f"recipients: {args.recipients:,}  SMTP: aiosmtpd Sink on 127.0.0.1:{port}  "
                  f"connections: {settings.concurrency}")
            print(f"{'job':<52} {'messages':>9} {'seconds':>8} {'msg/s':>8}")

            def row(label: str, count: int, seconds: float) -> None:
                print(f"{label:<52} {count:>9,} {seconds:>8.2f} {count / seconds:>8,.0f}")

            products: list[float] = []
            baselines: list[float] = []
            keep = Keep()
            for number in range(args.rounds):  # alternated: noise hits both sides
                requeue(url)
                started = time.perf_counter()
                report = send_due(engine, Smtp(settings), settings, NOW)
                products.append(report.sent / (time.perf_counter() - started))
                row("nhiemvu send (query, render, deliver, record)", report.sent,
                    time.perf_counter() - started)
                assert report.sent == args.recipients and not report.errors, report.errors[:3]
                if number == 0:
                    requeue(url)
                    started = time.perf_counter()
                    rendered = send_due(engine, keep, settings, NOW)  # type: ignore[arg-type]
                    row("nhiemvu render only (no SMTP)", rendered.sent,
                        time.perf_counter() - started)
                    size = sum(len(m.as_bytes()) for m in keep.messages) / len(keep.messages)
                requeue(url)
                record, close = recorder(url)
                started = time.perf_counter()
                asyncio.run(bare_loop(keep.messages, port, settings.concurrency, record))
                baselines.append(len(keep.messages) / (time.perf_counter() - started))
                close()
                row(f"baseline: aiosmtplib, pre-rendered, {settings.concurrency} connections, "
                    f"record", len(keep.messages), time.perf_counter() - started)
            product, baseline = max(products), max(baselines)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            ratio = product / baseline
            print(f"best of {args.rounds} alternated runs a side: "
                  f"product {product:,.0f} msg/s, baseline {baseline:,.0f} msg/s, ratio "
                  f"{ratio:.2f}x (goal >= {GOAL}x); average message {size / 1024:.1f} KiB; "
                  f"peak RSS of this process {peak:.0f} MiB")
            missed = ratio < GOAL
            engine.dispose()
    finally:
        server.terminate()
        server.wait()
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
