"""What every request handler needs, built once per app."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import Engine
from starlette.requests import Request

from web.config import WebSettings
from web.render import Pages
from workflow.access.linkkeys import CachedKeyRing, KeyRing
from workflow.access.links import LinkMaker, LinkSigner
from workflow.access.logins import LoginLimits
from workflow.clock import Clock
from workflow.storage.attachments import AttachmentStore
from workflow.storage.db import is_sqlite

P = ParamSpec("P")
# Threads that run short reads on PostgreSQL at once: fewer than the connection pool
# holds (5). With a thread per waiting request (up to 40), a page under 16 connections
# was slower: the threads only contended for the GIL and for pooled connections.
SHORT_READERS = 4
T = TypeVar("T")


@dataclass
class WebContext:
    engine: Engine
    clock: Clock
    settings: WebSettings
    keys: CachedKeyRing
    pages: Pages
    store: AttachmentStore
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    _signer: tuple[KeyRing, LinkSigner] | None = field(default=None, repr=False)
    _readers: tuple[asyncio.AbstractEventLoop, anyio.CapacityLimiter] | None = field(
        default=None, repr=False)

    async def short_read(self, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A read of a few rows by key. On SQLite it runs right here: the read is
        in-process, never waits on the network or a lock (WAL), and takes less time than
        handing it to a worker thread and back. On PostgreSQL it waits on the network, so
        it goes to a worker thread, at most SHORT_READERS at once."""
        if is_sqlite(self.engine):
            return read(*args, **kwargs)
        loop = asyncio.get_running_loop()
        if self._readers is None or self._readers[0] is not loop:  # one per event loop
            self._readers = (loop, anyio.CapacityLimiter(SHORT_READERS))
        return await anyio.to_thread.run_sync(functools.partial(read, *args, **kwargs),
                                              limiter=self._readers[1])

    def now(self) -> datetime:
        return self.clock.now()

    def ring(self) -> KeyRing:
        return self.keys.get(self.clock.now())

    def signer(self) -> LinkSigner:
        """The link signer of the current ring, made once per ring (every link page
        reads a token)."""
        ring = self.ring()
        if self._signer is None or self._signer[0] is not ring:
            self._signer = (ring, LinkSigner(ring))
        return self._signer[1]

    def links(self) -> LinkMaker:
        return LinkMaker(self.ring(), self.settings.base_url, self.clock.now())


def context_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx
