"""The long-running scheduler: APScheduler only keeps time; the work is `run_due`, an
idempotent sweep, so a missed or doubled run changes nothing."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from workflow.clock import Clock
from workflow.schedule.sweep import SweepReport, run_due

log = logging.getLogger("nhiemvu.scheduler")


def run_scheduler(engine: Engine, clock: Clock, interval_minutes: float,
                  on_report: Callable[[SweepReport], None]) -> None:
    """Sweeps now and then every `interval_minutes` until SIGTERM or SIGINT; the sweep in
    progress is finished before the process exits."""
    scheduler = BackgroundScheduler(timezone=UTC)
    stopping = threading.Event()

    def sweep() -> None:
        try:
            on_report(run_due(engine, clock.now()))
        except Exception:  # keep the scheduler alive; the next sweep retries the work
            log.exception("sweep failed")

    scheduler.add_job(sweep, IntervalTrigger(minutes=interval_minutes, timezone=UTC),
                      id="sweep", next_run_time=datetime.now(UTC), max_instances=1,
                      coalesce=True, misfire_grace_time=None)

    def stop(signum: int, _frame: FrameType | None) -> None:
        # Only a flag: shutting the scheduler down inside the handler ran re-entrantly in
        # the middle of its own job loop and could fail ("No job by the id of sweep").
        log.info("signal %s: finishing the current sweep, then stopping", signum)
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
        stopping.wait()
        scheduler.shutdown(wait=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
