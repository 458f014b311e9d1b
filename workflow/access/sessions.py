"""Server-side sessions of the dashboard. The cookie holds a random token signed with the
key ring; the database holds its hash, the CSRF secret and whether it was revoked. A
copied cookie stops working at logout, password change or disable, in every worker."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session

from workflow.storage.models import UserRow, WebSessionRow

TOKEN_BYTES = 32


@dataclass(frozen=True)
class Opened:
    token: str  # goes in the cookie, never stored
    csrf: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def open_session(session: Session, user_id: int, now: datetime, lifetime: timedelta
                 ) -> Opened:
    token, csrf = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(24)
    session.add(WebSessionRow(token_hash=token_hash(token), user_id=user_id, csrf=csrf,
                              created_at=now, expires_at=now + lifetime))
    session.flush()
    return Opened(token, csrf)


def find_session(session: Session, token: str, now: datetime
                 ) -> tuple[WebSessionRow, UserRow] | None:
    """The live session of an active user, in one query."""
    found = session.execute(
        select(WebSessionRow, UserRow).join(UserRow, UserRow.id == WebSessionRow.user_id)
        .where(WebSessionRow.token_hash == token_hash(token),
               WebSessionRow.revoked_at.is_(None),  # type: ignore[union-attr]
               WebSessionRow.expires_at > now,  # type: ignore[operator]
               UserRow.active.is_(True))).first()  # type: ignore[attr-defined]
    return (found[0], found[1]) if found else None


def end_session(session: Session, token: str, now: datetime) -> None:
    session.execute(update(WebSessionRow)
                    .where(WebSessionRow.token_hash == token_hash(token),
                           WebSessionRow.revoked_at.is_(None))  # type: ignore[union-attr]
                    .values(revoked_at=now).execution_options(synchronize_session=False))


def end_user_sessions(session: Session, user_id: int, now: datetime) -> int:
    """Every session of a user: her password changed or she was disabled."""
    result = session.execute(update(WebSessionRow)
                             .where(WebSessionRow.user_id == user_id,
                                    WebSessionRow.revoked_at.is_(None))  # type: ignore[union-attr]
                             .values(revoked_at=now)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def prune_sessions(session: Session, now: datetime, keep: timedelta) -> None:
    """Sessions ended or expired longer than `keep` ago are of no use to anybody."""
    session.execute(delete(WebSessionRow).where(or_(
        WebSessionRow.expires_at < now - keep,  # type: ignore[operator]
        WebSessionRow.revoked_at < now - keep)))  # type: ignore[operator]
