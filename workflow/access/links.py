"""Signed links for agencies: a task link lets one agency report on one task; an agency
link shows one agency its open tasks. A link carries its scope and expiry, signed with
the key ring (itsdangerous): no login, nothing stored per link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature

from workflow.access.linkkeys import KeyRing
from workflow.access.signing import serializer, well_formed

TASK = "t"
AGENCY = "a"
TASK_LINK_GRACE = timedelta(days=90)  # after the deadline, for late reports
AGENCY_LINK_LIFETIME = timedelta(days=60)
NO_DEADLINE_LIFETIME = timedelta(days=400)
SALT = "nhiemvu.link"
# No link the product issues outlives this: a deadline up to the end of the next year,
# plus the grace period. A claim beyond it is a forgery or a bug, refused as invalid.
MAX_LINK_LIFETIME = timedelta(days=2 * 366) + TASK_LINK_GRACE
MAX_ID = 2**31 - 1  # the INTEGER primary keys of both databases
AGENCY_CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")


class LinkError(Exception):
    """Why a link was refused: 'invalid' (tampered, revoked key, malformed), 'expired', or
    'scope' (a link for another task, agency or page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkClaims:
    kind: str
    agency_code: str
    task_id: int | None
    expires_at: datetime


class LinkSigner:
    def __init__(self, ring: KeyRing) -> None:
        self._serializer = serializer(ring.secrets, SALT)

    def task_token(self, task_id: int, agency_code: str, expires_at: datetime) -> str:
        return str(self._serializer.dumps({"k": TASK, "i": task_id, "a": agency_code,
                                           "e": int(expires_at.timestamp())}))

    def agency_token(self, agency_code: str, expires_at: datetime) -> str:
        return str(self._serializer.dumps({"k": AGENCY, "a": agency_code,
                                           "e": int(expires_at.timestamp())}))

    def read(self, token: str, kind: str, now: datetime) -> LinkClaims:
        """The claims of a token spelled exactly as issued, each within its bounds."""
        if not well_formed(token):
            raise LinkError("invalid")
        try:
            data = self._serializer.loads(token)
        except (BadSignature, ValueError, TypeError):
            raise LinkError("invalid") from None
        claims = _claims(data, now)
        if claims is None:
            raise LinkError("invalid")
        if claims.kind != kind:
            raise LinkError("scope")
        if now >= claims.expires_at:
            raise LinkError("expired")
        return claims


def _claims(data: object, now: datetime) -> LinkClaims | None:
    """Signed data is still checked: a key leak or an old bug must not reach a 500."""
    if not isinstance(data, dict):
        return None
    kind, code, task_id, expiry = data.get("k"), data.get("a"), data.get("i"), data.get("e")
    if kind not in {TASK, AGENCY} or not isinstance(code, str) \
            or not AGENCY_CODE.fullmatch(code):
        return None
    if kind == TASK and not _bounded_int(task_id, 1, MAX_ID):
        return None
    if kind == AGENCY and task_id is not None:
        return None
    latest = int((now + MAX_LINK_LIFETIME).timestamp())
    if not _bounded_int(expiry, 0, latest):
        return None
    return LinkClaims(kind, code, task_id, datetime.fromtimestamp(expiry, UTC))


def _bounded_int(value: object, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def task_link_expiry(due_at: datetime | None, now: datetime) -> datetime:
    """Valid until 90 days after the deadline (or after now, for a late reminder)."""
    if due_at is None:
        return now + NO_DEADLINE_LIFETIME
    return max(due_at, now) + TASK_LINK_GRACE


def task_url(base_url: str, task_id: int, token: str) -> str:
    return f"{base_url}/bao-cao/{task_id}/{token}"


def agency_url(base_url: str, agency_code: str, token: str) -> str:
    return f"{base_url}/co-quan/{agency_code}/{token}"


def dashboard_task_url(base_url: str, task_id: int) -> str:
    return f"{base_url}/quan-ly/nhiem-vu/{task_id}"


class LinkMaker:
    """Builds the signed URLs for one batch of messages."""

    def __init__(self, ring: KeyRing, base_url: str, now: datetime) -> None:
        self.signer = LinkSigner(ring)
        self.base_url = base_url.rstrip("/")
        self.now = now

    def task(self, task_id: int, agency_code: str, due_at: datetime | None) -> str:
        token = self.signer.task_token(task_id, agency_code, task_link_expiry(due_at, self.now))
        return task_url(self.base_url, task_id, token)

    def agency(self, agency_code: str) -> str:
        token = self.signer.agency_token(agency_code, self.now + AGENCY_LINK_LIFETIME)
        return agency_url(self.base_url, agency_code, token)

    def dashboard_task(self, task_id: int) -> str:
        return dashboard_task_url(self.base_url, task_id)
