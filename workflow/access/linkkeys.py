"""The key ring that signs links and sessions, kept in the database so every process
(web workers, senders) shares it without copying secrets around."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import Session

from workflow.errors import NhiemvuError
from workflow.storage.db import read_session, write_session
from workflow.storage.models import LinkKeyRow


@dataclass(frozen=True)
class KeyRing:
    """Active secrets, oldest first: the last one signs, all of them verify."""

    secrets: tuple[str, ...]

    @property
    def signing(self) -> str:
        return self.secrets[-1]


def active_keys(session: Session) -> list[LinkKeyRow]:
    query = select(LinkKeyRow).where(LinkKeyRow.revoked_at.is_(None))  # type: ignore[union-attr]
    return list(session.scalars(query.order_by(LinkKeyRow.id)))  # type: ignore[arg-type]


def ensure_key(session: Session, now: datetime) -> KeyRing:
    """The ring, creating its first key if there is none (a fresh database)."""
    keys = active_keys(session) or [rotate(session, now)]
    return KeyRing(tuple(k.secret for k in keys))


def rotate(session: Session, now: datetime) -> LinkKeyRow:
    """Adds a new signing key; links signed with older keys stay valid until revoked."""
    row = LinkKeyRow(secret=secrets.token_urlsafe(48), created_at=now)
    session.add(row)
    session.flush()
    return row


def revoke(session: Session, key_id: int, now: datetime) -> LinkKeyRow:
    """Every link and session signed with this key stops working at once."""
    row = session.get(LinkKeyRow, key_id)
    if row is None:
        raise NhiemvuError(f"không tìm thấy khóa ký liên kết {key_id}")
    if row.revoked_at is not None:
        raise NhiemvuError(f"link key {key_id} is already revoked")
    if len(active_keys(session)) == 1:
        raise NhiemvuError(f"link key {key_id} is the only active key; "
                           "run `nhiemvu keys rotate` first")
    row.revoked_at = now
    session.add(row)
    return row


def load_ring(engine: Engine, now: datetime) -> KeyRing:
    """The ring; a write transaction only on a database that has no key yet."""
    with read_session(engine) as session:
        keys = active_keys(session)
    if keys:
        return KeyRing(tuple(k.secret for k in keys))
    with write_session(engine) as session:
        return ensure_key(session, now)


class CachedKeyRing:
    """Reads the ring at most every `ttl` seconds, so a rotation or revocation made by the
    CLI reaches running web workers within that time without a query per request."""

    def __init__(self, engine: Engine, ttl: float = 30.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self._ring: KeyRing | None = None
        self._read_at = 0.0

    def get(self, now: datetime) -> KeyRing:
        if self._ring is None or time.monotonic() - self._read_at > self.ttl:
            self._ring = load_ring(self.engine, now)
            self._read_at = time.monotonic()
        return self._ring

    def refresh(self) -> None:
        self._ring = None
