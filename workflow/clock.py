"""The one source of 'now': engine code takes a Clock (or a `now` argument) and never
calls datetime.now() itself, so a whole year can be simulated in seconds."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, `nhiemvu tick --at`)."""

    def __init__(self, at: datetime) -> None:
        self._at = ensure_aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = ensure_aware(at)


def ensure_aware(at: datetime) -> datetime:
    """Naive datetimes are read as local (Asia/Ho_Chi_Minh) wall time."""
    return at.replace(tzinfo=LOCAL_TZ) if at.tzinfo is None else at


def to_local(at: datetime) -> datetime:
    return ensure_aware(at).astimezone(LOCAL_TZ)
