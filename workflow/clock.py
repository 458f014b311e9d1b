"""The one source of 'now': engine code takes a Clock (or a `now` argument) and never
calls datetime.now() itself, so a whole year can be simulated in seconds."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from workflow.errors import DateFormatError

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


class FileClock:
    """The time written in a file, read again whenever the file changes: several
    processes of a trial or a test (web workers, schedulers, senders) share one simulated
    time that the operator moves by rewriting the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[float, datetime] | None = None

    def now(self) -> datetime:
        changed = self.path.stat().st_mtime
        if self._seen is None or self._seen[0] != changed:
            self._seen = (changed, parse_instant(self.path.read_text(encoding="utf-8").strip()))
        return self._seen[1]


def clock_from_env(environ: Mapping[str, str] | None = None) -> Clock:
    """NHIEMVU_NOW pins the clock; NHIEMVU_CLOCK_FILE follows a file; else the real time."""
    env = os.environ if environ is None else environ
    if pinned := env.get("NHIEMVU_NOW"):
        return FixedClock(parse_instant(pinned))
    if path := env.get("NHIEMVU_CLOCK_FILE"):
        return FileClock(Path(path))
    return SystemClock()


def parse_instant(text: str) -> datetime:
    """An operator's instant: 'dd/mm/yyyy', 'dd/mm/yyyy HH:MM' or ISO, local time."""
    text = text.strip()
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise DateFormatError(
            f"'{text}' is not an instant (expected dd/mm/yyyy [HH:MM] or yyyy-mm-dd HH:MM)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)
