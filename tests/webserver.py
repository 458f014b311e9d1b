"""The real web app on a loopback port, served by uvicorn in a thread, for HTTP and
browser tests; the test moves its clock and reads the same database."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import uvicorn
from sqlalchemy import Engine

from web.app import create_app
from web.config import WebSettings
from web.server import uvicorn_options
from workflow.access.linkkeys import load_ring
from workflow.access.links import LinkMaker
from workflow.clock import FixedClock


@dataclass
class LiveApp:
    url: str
    engine: Engine
    clock: FixedClock
    settings: WebSettings

    def links(self, now: datetime | None = None) -> LinkMaker:
        return LinkMaker(load_ring(self.engine, self.clock.now()), self.url,
                         now or self.clock.now())


@contextmanager
def live_app(engine: Engine, clock: FixedClock, attachments: Path,
             **changes: object) -> Iterator[LiveApp]:
    # IPPROTO_TCP named, as `listening_socket` gets it from getaddrinfo: asyncio sets
    # TCP_NODELAY only on sockets whose proto says TCP, and without it every keep-alive
    # request waits 40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = replace(WebSettings(base_url=url, attachments_dir=attachments,
                                   key_cache_seconds=0.0), **changes)  # type: ignore[arg-type]
    server = uvicorn.Server(uvicorn.Config(create_app(engine, clock, settings),
                                           log_level="warning", access_log=False,
                                           lifespan="off", **uvicorn_options(settings)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.02)
    try:
        yield LiveApp(url, engine, clock, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
