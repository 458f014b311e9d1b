"""Invitation and reset links for dashboard users: signed with the link key ring, valid
48 hours, and bound to the password they replace, so a link works once: setting the
password changes the hash it was bound to."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from itsdangerous import BadSignature
from sqlmodel import Session

from workflow.access.linkkeys import KeyRing
from workflow.access.signing import timed_serializer, well_formed
from workflow.storage.models import UserRow

VALID_HOURS = 48
SALT = "nhiemvu.invite"


def _fingerprint(user: UserRow) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def invitation(ring: KeyRing, user: UserRow) -> str:
    serializer = timed_serializer(ring.secrets, SALT)
    return str(serializer.dumps({"u": user.id, "h": _fingerprint(user)}))


def invited_user(ring: KeyRing, session: Session, token: str, now: datetime
                 ) -> UserRow | None:
    """The user a link is for, if it is genuine, recent and not used yet."""
    if not well_formed(token) or len(token) > 400:
        return None
    serializer = timed_serializer(ring.secrets, SALT)
    try:
        data, signed_at = serializer.loads(token, max_age=VALID_HOURS * 3600,
                                           return_timestamp=True)
        ident, fingerprint = data["u"], str(data["h"])
        if type(ident) is not int:
            return None
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
        return None
    if (now - signed_at).total_seconds() > VALID_HOURS * 3600:
        return None  # the engine's clock, not only the wall clock
    user = session.get(UserRow, ident) if 0 < ident < 2**31 else None
    if user is None or not user.active or _fingerprint(user) != fingerprint:
        return None
    return user


def unusable_password() -> str:
    """The password of an invited user until she sets hers: nobody knows it."""
    return secrets.token_urlsafe(32)
