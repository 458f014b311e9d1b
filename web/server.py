"""`nhiemvu serve`: uvicorn for the web app, optionally with the scheduler and the sender
running in background threads of the same process (the one-machine default)."""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
from collections.abc import Callable
from datetime import UTC, datetime

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from uvicorn.supervisors import Multiprocess

from notifier.config import MailSettings
from web.app import create_app
from web.config import WebSettings
from workflow.clock import Clock
from workflow.errors import NhiemvuError
from workflow.schedule.sweep import run_due

log = logging.getLogger("nhiemvu.serve")


class BackgroundWork:
    """Sweeps every `sweep_minutes` and delivers mail every `send_seconds`; each job is
    idempotent and never runs twice at once, as in the separate processes."""

    def __init__(self, engine: Engine, clock: Clock, mail: MailSettings, sweep_minutes: float,
                 send_seconds: float, echo: Callable[[str], None]) -> None:
        from notifier.transport import transport_for

        self.engine, self.clock, self.mail, self.echo = engine, clock, mail, echo
        self.transport = transport_for(mail)
        self.scheduler = BackgroundScheduler(timezone=UTC)
        # A delivery run longer than the interval just skips a tick; not worth a warning.
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
        start = datetime.now(UTC)
        for job, seconds in ((self._sweep, sweep_minutes * 60), (self._send, send_seconds)):
            self.scheduler.add_job(job, IntervalTrigger(seconds=seconds, timezone=UTC),
                                   next_run_time=start, max_instances=1, coalesce=True,
                                   misfire_grace_time=None)

    def _sweep(self) -> None:
        try:
            for line in run_due(self.engine, self.clock.now()).lines():
                self.echo(line)
        except Exception:  # the next sweep retries; the web app keeps serving
            log.exception("sweep failed")

    def _send(self) -> None:
        from notifier.sender import send_due

        try:
            report = send_due(self.engine, self.transport, self.mail, self.clock.now())
            if report.sent or report.retry or report.failed:
                self.echo(report.line())
        except Exception:
            log.exception("sending failed")

    @property
    def started(self) -> bool:
        return bool(self.scheduler.running)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything else starts: when the port is taken the
    command stops here, and no sweep or delivery runs for a server that never served."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        raise NhiemvuError(f"không dùng được địa chỉ {host}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = "cổng đang được một chương trình khác dùng" \
            if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        raise NhiemvuError(f"không mở được cổng {port} trên {host}: {reason}; "
                           f"không có gì được chạy") from None
    sock.set_inheritable(True)
    return sock


def uvicorn_options(settings: WebSettings) -> dict[str, object]:
    """What every uvicorn of the app runs with. Forwarded headers are believed only from
    the configured proxies (uvicorn's own default trusts 127.0.0.1, so that anyone on the
    host could pick the address the login throttle counts); no Server header."""
    return {"proxy_headers": bool(settings.trusted_proxies),
            "forwarded_allow_ips": ",".join(settings.trusted_proxies) or "",
            "server_header": False}


def serve(engine: Engine, database_url: str, clock: Clock, sock: socket.socket,
          workers: int, background: BackgroundWork | None, access_log: bool) -> None:
    """Serves on `sock` (from `listening_socket`) until SIGTERM/SIGINT; requests in flight
    and the background job in hand finish first. Access logs are off by default: request
    paths carry link tokens."""
    host, port = sock.getsockname()[:2]
    # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, with the handler that
    # was in place before it started: this one, so the background work is stopped too and
    # the process exits 0.
    previous = {sig: signal.signal(sig, lambda *_: None)
                for sig in (signal.SIGTERM, signal.SIGINT)}
    settings = WebSettings.from_env()
    try:
        if workers > 1:
            os.environ["NHIEMVU_DATABASE_URL"] = database_url
            config = uvicorn.Config("web.app:app_from_env", factory=True, host=host,
                                    port=port, workers=workers, access_log=access_log,
                                    log_level="info", **uvicorn_options(settings))
            if background is not None:
                background.start()
            Multiprocess(config, sockets=[sock]).run()
        else:
            config = uvicorn.Config(create_app(engine, clock, settings),
                                    host=host, port=port, access_log=access_log,
                                    log_level="info", **uvicorn_options(settings))
            server = uvicorn.Server(config)
            if background is not None:
                background.start()
            server.run(sockets=[sock])
    finally:
        if background is not None and background.started:
            background.stop()
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
