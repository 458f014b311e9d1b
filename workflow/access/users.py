"""Secretariat users of the dashboard; passwords hashed with Argon2 (argon2-cffi)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlmodel import Session

from workflow.access.sessions import end_user_sessions
from workflow.errors import NhiemvuError, NotFoundError
from workflow.storage.models import CommitteeRow, UserRow

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verifying an unknown user still costs one hash, so timing does not reveal user names.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


# secretariat: acts on its committee's tasks; leader: reads all of it (the chair);
# admin: also manages users and keys.
ROLES = {"secretariat": "thường trực", "leader": "lãnh đạo", "admin": "quản trị"}


def add_user(session: Session, username: str, password: str, display_name: str | None,
             now: datetime, committee: str | None = None, role: str = "secretariat"
             ) -> UserRow:
    """`committee` None: a user of the whole deployment (every committee)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,79}", username):
        raise NhiemvuError(f"user name '{username}': use 2-80 lower-case letters, digits, "
                           "'.', '_' or '-'")
    _check_password(password)
    if find_user(session, username) is not None:
        raise NhiemvuError(f"user '{username}' already exists")
    if role not in ROLES:
        raise NhiemvuError(f"vai trò '{role}' không có (chọn một trong: {', '.join(ROLES)})")
    if committee is not None and session.get(CommitteeRow, committee) is None:
        raise NotFoundError("committee", committee)
    row = UserRow(username=username, display_name=display_name or username,
                  password_hash=_hasher.hash(password), created_at=now,
                  committee_code=committee, role=role)
    session.add(row)
    session.flush()
    return row


def set_password(session: Session, username: str, password: str) -> UserRow:
    row = _existing(session, username)
    _check_password(password)
    row.password_hash = _hasher.hash(password)
    session.add(row)
    # Whoever held a session (or a copied cookie) must sign in with the new password.
    end_user_sessions(session, row.id or 0, datetime.now(UTC))
    return row


def set_active(session: Session, username: str, active: bool) -> UserRow:
    row = _existing(session, username)
    row.active = active
    session.add(row)
    if not active:
        end_user_sessions(session, row.id or 0, datetime.now(UTC))
    return row


def find_user(session: Session, username: str) -> UserRow | None:
    return session.scalars(select(UserRow).where(UserRow.username == username)).first()


def authenticate(session: Session, username: str, password: str, now: datetime
                 ) -> UserRow | None:
    """The active user with this password, or None; rehashes old parameters on login."""
    row = find_user(session, username.strip().lower())
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row.active:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    row.last_login_at = now
    session.add(row)
    return row


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise NhiemvuError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")


def _existing(session: Session, username: str) -> UserRow:
    row = find_user(session, username)
    if row is None:
        raise NotFoundError("user", f"'{username}'")
    return row
