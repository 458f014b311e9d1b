"""Draining the outbox: claim due rows, render, deliver, record, each batch at least once.

A claim is a lease: the rows are held for `lease_seconds` of wall-clock time and their
attempt count goes up, in one short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so
several senders take disjoint rows). The lease is in real time, not the engine's clock:
a simulation that moves the clock by days must not let a second sender take a row the
first is still delivering.

Delivery is at least once. Each message is recorded as sent in its own transaction right
after the server accepted it, before that connection sends the next one, so a sender
killed mid-batch resends at most the message each connection had in hand (one with
NHIEMVU_SMTP_CONCURRENCY=1); the stable Message-ID marks a resent copy. The unsent rows
of the batch come due again when the lease ends: nothing is lost.

Anything but a permanent refusal (5xx) is retried: a database or template error while
building a message, DNS, a refused connection, a 4xx answer. The wait doubles up to
`retry_max_minutes`; a message still undelivered `retry_hours` after its first attempt
is failed, with the error kept for `nhiemvu outbox`, whose `retry` queues it again.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import Message
from functools import lru_cache
from typing import Any

import jinja2
from sqlalchemy import Engine, bindparam, func, literal, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from notifier.config import MailSettings
from notifier.context import ContextBuilder
from notifier.message import build
from notifier.templating import environment, render
from notifier.transport import Outcome, Transport
from workflow.access.linkkeys import load_ring
from workflow.access.links import LinkMaker
from workflow.clock import SystemClock
from workflow.storage.db import is_sqlite, read_session, write_session
from workflow.storage.dbtypes import UTCDateTime
from workflow.storage.models import OutboxRow

BACKOFF_BASE = timedelta(minutes=1)
OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retry += other.retry
        self.failed += other.failed
        self.errors += other.errors

    def line(self) -> str:
        return f"sent {self.sent}, to retry {self.retry}, failed {self.failed}"


def backoff(attempts: int, settings: MailSettings) -> timedelta:
    cap = timedelta(minutes=settings.retry_max_minutes)
    return min(BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), 30)), cap)


def claim(engine: Engine, now: datetime, limit: int, lease: timedelta) -> list[int]:
    wall = SystemClock().now()  # leases measure real time (see the module docstring)
    with write_session(engine) as session:
        query = (select(OutboxRow.id)
                 .where(OutboxRow.state == "queued",
                        OutboxRow.next_attempt_at <= now,  # type: ignore[operator]
                        or_(OutboxRow.lease_until.is_(None),  # type: ignore[union-attr]
                            OutboxRow.lease_until <= wall))  # type: ignore[operator]
                 .order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if ids:
            session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids))  # type: ignore[union-attr]
                            .values(attempts=OutboxRow.attempts + 1,
                                    lease_until=wall + lease,
                                    first_attempt_at=func.coalesce(
                                        OutboxRow.first_attempt_at,
                                        literal(now, UTCDateTime())))
                            .execution_options(synchronize_session=False))
        return ids


@dataclass(frozen=True)
class _Claimed:
    """What deciding a row's next state needs, read once with the batch."""

    key: str
    attempts: int
    first_attempt_at: datetime | None


@dataclass
class _Batch:
    """A claimed batch, built into messages, ready to deliver."""

    messages: list[Message]
    targets: list[int]  # the outbox row of each message
    early: dict[int, Outcome]  # rows whose message could not be built
    claimed: dict[int, _Claimed]


def _prepare(engine: Engine, settings: MailSettings, now: datetime, env: jinja2.Environment
             ) -> _Batch | None:
    ids = claim(engine, now, settings.batch, timedelta(seconds=settings.lease_seconds))
    return _Batch(*_build(engine, ids, env, settings, now)) if ids else None


def _deliver(engine: Engine, transport: Transport, settings: MailSettings, now: datetime,
             batch: _Batch) -> SendReport:
    report = SendReport()
    lock = threading.Lock()
    recorded: set[int] = set()
    writer = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) \
        else engine
    claimed, targets = batch.claimed, batch.targets

    def record(outcomes: dict[int, Outcome]) -> None:
        """One short transaction of UPDATEs by id (SQLAlchemy Core: a record follows every
        message, so it must cost little), nothing read back."""
        with lock:
            changes = [(row_id, _record(claimed.get(row_id), outcome, settings, now, report))
                       for row_id, outcome in outcomes.items()]
        groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for row_id, values in changes:
            groups.setdefault(tuple(sorted(values)), []).append({"row_id": row_id, **values})
        with writer.begin() as connection:
            for names, params in groups.items():  # one executemany per kind of outcome
                connection.execute(_update_statement(names), params)
        with lock:
            recorded.update(outcomes)

    if batch.early:
        record(batch.early)  # messages that could not be built wait for their retry
    final = transport.send(batch.messages, lambda delivered: record(
        {targets[index]: outcome for index, outcome in delivered}))
    rest = {row_id: outcome for row_id, outcome in zip(targets, final, strict=True)
            if row_id not in recorded}
    if rest:
        record(rest)
    return report


@lru_cache(maxsize=32)
def _update_statement(names: tuple[str, ...]) -> Any:
    """UPDATE outbox SET <names> WHERE id = :row_id, built once per set of columns."""
    return OUTBOX.update().where(OUTBOX.c.id == bindparam("row_id")).values(
        {name: bindparam(name) for name in names})


def _build(engine: Engine, ids: list[int], env: jinja2.Environment, settings: MailSettings,
           now: datetime
           ) -> tuple[list[Message], list[int], dict[int, Outcome], dict[int, _Claimed]]:
    """The claimed rows as messages; a row whose message cannot be built (its data
    unreadable for now, a template error) gets a retry outcome instead."""
    messages: list[Message] = []
    targets: list[int] = []
    early: dict[int, Outcome] = {}
    claimed: dict[int, _Claimed] = {}
    try:
        ring = load_ring(engine, now)
        with read_session(engine) as session:
            rows = list(session.scalars(select(OutboxRow).where(
                OutboxRow.id.in_(ids)).order_by(OutboxRow.id)))  # type: ignore[union-attr]
            claimed = {r.id or 0: _Claimed(r.key, r.attempts, r.first_attempt_at) for r in rows}
            builder = ContextBuilder(session, LinkMaker(ring, settings.base_url, now))
            for row, envelope in builder.envelopes(rows, now):
                if isinstance(envelope, Exception):
                    early[row.id or 0] = Outcome("retry", _describe(envelope))
                    continue
                try:
                    subject, text, html = render(env, envelope.template, envelope.context)
                except Exception as exc:  # a template error: keep the row, retry after a fix
                    early[row.id or 0] = Outcome("retry", _describe(exc))
                    continue
                messages.append(build(envelope, subject, text, html, settings.mail_from, now,
                                      settings.reply_to))
                targets.append(row.id or 0)
    except SQLAlchemyError as exc:  # the database went away while reading: all retry
        return [], [], {row_id: Outcome("retry", _describe(exc)) for row_id in ids}, claimed
    return messages, targets, early, claimed


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:2000]


def _record(row: _Claimed | None, outcome: Outcome, settings: MailSettings, now: datetime,
            report: SendReport) -> dict[str, object]:
    """The row's new values for this outcome, counted in `report`."""
    if row is None:  # the batch could not even be read: a claim of one attempt, retried
        row = _Claimed("?", 1, now)
    values: dict[str, object] = {"lease_until": None}
    if outcome.status == "sent":
        values.update(state="sent", sent_at=now, last_error=outcome.detail
                      if outcome.detail and outcome.detail.startswith("refused") else None)
        report.sent += 1
        return values
    report.errors.append(f"{row.key}: {outcome.detail}")
    if outcome.status == "retry" and _within_window(row, settings, now):
        values.update(next_attempt_at=now + backoff(row.attempts, settings),
                      last_error=outcome.detail)
        report.retry += 1
    else:
        values.update(state="failed", last_error=outcome.detail if outcome.status == "failed"
                      else f"{outcome.detail} (hết {settings.retry_hours:g} giờ thử lại)")
        report.failed += 1
    return values


def _within_window(row: _Claimed, settings: MailSettings, now: datetime) -> bool:
    """The next attempt would still fall inside the window opened by the first one."""
    first = row.first_attempt_at or now
    return now + backoff(row.attempts, settings) <= first + timedelta(hours=settings.retry_hours)


def send_due(engine: Engine, transport: Transport, settings: MailSettings, now: datetime
             ) -> SendReport:
    """Every row due as of `now`, batch after batch (rows retried later are not due). The
    next batch is claimed and built while the previous one is delivered, in a thread of
    its own: building takes about a quarter of the time of delivering, and doing both at
    once is most of the difference from a bare SMTP loop (bench/digest.py)."""
    total = SendReport()
    env = environment(settings.templates)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="deliver") as delivery:
        in_flight: Future[SendReport] | None = None
        while True:
            batch = _prepare(engine, settings, now, env)
            if in_flight is not None:
                total.add(in_flight.result())
                in_flight = None
            if batch is None:
                return total
            in_flight = delivery.submit(_deliver, engine, transport, settings, now, batch)
