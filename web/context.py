"""What every request handler needs, built once per app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from starlette.requests import Request

from web.config import WebSettings
from web.render import Pages
from workflow.access.linkkeys import CachedKeyRing, KeyRing
from workflow.access.links import LinkMaker, LinkSigner
from workflow.access.logins import LoginLimits
from workflow.clock import Clock
from workflow.storage.attachments import AttachmentStore


@dataclass
class WebContext:
    engine: Engine
    clock: Clock
    settings: WebSettings
    keys: CachedKeyRing
    pages: Pages
    store: AttachmentStore
    login_limits: LoginLimits = field(default_factory=LoginLimits)

    def now(self) -> datetime:
        return self.clock.now()

    def ring(self) -> KeyRing:
        return self.keys.get(self.clock.now())

    def signer(self) -> LinkSigner:
        return LinkSigner(self.ring())

    def links(self) -> LinkMaker:
        return LinkMaker(self.ring(), self.settings.base_url, self.clock.now())


def context_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx
