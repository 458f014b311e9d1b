"""Draining the outbox: claim due rows, render, deliver, record, each batch at least once.

A claim is a lease: the rows are held for `lease_seconds` of wall-clock time and their
attempt count goes up, in one short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so
several senders take disjoint rows). The lease is in real time, not the engine's clock:
a simulation that moves the clock by days must not let a second sender take a row the
first is still delivering. A sender killed mid-batch leaves its rows to come due again
when the lease ends: nothing is lost, and the stable Message-ID marks a resent copy.
Failures retry with exponential backoff up to a cap, then the row is parked as failed
with the error kept for `nhiemvu outbox`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jinja2
from sqlalchemy import Engine, or_, select, update
from sqlmodel import Session

from notifier.config import MailSettings
from notifier.context import ContextBuilder, DigestData
from notifier.message import build
from notifier.templating import environment, render
from notifier.transport import Outcome, Transport
from workflow.access.linkkeys import load_ring
from workflow.access.links import LinkMaker
from workflow.clock import SystemClock
from workflow.storage.db import read_session, write_session
from workflow.storage.models import OutboxRow

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)


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


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


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
                                    lease_until=wall + lease)
                            .execution_options(synchronize_session=False))
        return ids


def send_batch(engine: Engine, transport: Transport, settings: MailSettings, now: datetime,
               env: jinja2.Environment | None = None,
               digests: dict[str, DigestData] | None = None) -> SendReport:
    """One claimed batch; `env` and `digests` let a run reuse templates and digest data."""
    ids = claim(engine, now, settings.batch, timedelta(seconds=settings.lease_seconds))
    report = SendReport()
    if not ids:
        return report
    env = env or environment(settings.templates)
    ring = load_ring(engine, now)
    with read_session(engine) as session:
        rows = list(session.scalars(select(OutboxRow).where(
            OutboxRow.id.in_(ids)).order_by(OutboxRow.id)))  # type: ignore[union-attr]
        builder = ContextBuilder(session, LinkMaker(ring, settings.base_url, now), digests)
        messages, targets, outcomes = [], [], {}
        for row, envelope in builder.envelopes(rows, now):
            if isinstance(envelope, Exception):
                outcomes[row.id] = Outcome("failed", f"{type(envelope).__name__}: {envelope}")
                continue
            try:
                subject, text, html = render(env, envelope.template, envelope.context)
            except Exception as exc:  # a template error: keep the row, retry after a fix
                outcomes[row.id] = Outcome("retry", str(exc))
                continue
            messages.append(build(envelope, subject, text, html, settings.mail_from, now,
                                  settings.reply_to))
            targets.append(row.id)
    for row_id, outcome in zip(targets, transport.send(messages), strict=True):
        outcomes[row_id] = outcome
    with write_session(engine) as session:
        for row in session.scalars(select(OutboxRow).where(OutboxRow.id.in_(ids))):  # type: ignore[union-attr]
            _record(session, row, outcomes[row.id], settings, now, report)
    return report


def _record(session: Session, row: OutboxRow, outcome: Outcome, settings: MailSettings,
            now: datetime, report: SendReport) -> None:
    row.lease_until = None
    if outcome.status == "sent":
        row.state, row.sent_at, row.last_error = "sent", now, outcome.detail \
            if outcome.detail and outcome.detail.startswith("refused") else None
        report.sent += 1
    elif outcome.status == "retry" and row.attempts < settings.max_attempts:
        row.next_attempt_at, row.last_error = now + backoff(row.attempts), outcome.detail
        report.retry += 1
        report.errors.append(f"{row.key}: {outcome.detail}")
    else:
        row.state, row.last_error = "failed", outcome.detail
        report.failed += 1
        report.errors.append(f"{row.key}: {outcome.detail}")
    session.add(row)


def send_due(engine: Engine, transport: Transport, settings: MailSettings, now: datetime
             ) -> SendReport:
    """Every row due as of `now`, batch after batch (rows retried later are not due)."""
    total = SendReport()
    env = environment(settings.templates)
    digests: dict[str, DigestData] = {}
    while True:
        report = send_batch(engine, transport, settings, now, env, digests)
        total.add(report)
        if report.sent + report.retry + report.failed == 0:
            return total
