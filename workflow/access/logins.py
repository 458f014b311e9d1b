"""Login throttling kept in the database, so that every web worker counts the same
failures. An account and an address are throttled separately, with their own limits:
guessing at other names from one office's address cannot lock a real user out, and
spraying one password over many names from one address is still slowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlmodel import Session

from workflow.storage.models import LoginFailureRow


@dataclass(frozen=True)
class LoginLimits:
    account: int = 5  # failures for one user name
    address: int = 30  # failures from one address, whatever the names
    window: timedelta = timedelta(minutes=15)


def wall_clock() -> datetime:
    """Real time: a simulation may move the engine's clock by days, not a guesser's wait."""
    return datetime.now(UTC)


def _account_key(username: str) -> str:
    return f"user:{username.strip().lower()[:150]}"


def _keys(username: str, address: str) -> tuple[str, str]:
    return _account_key(username), f"ip:{address[:150]}"


def blocked(session: Session, username: str, address: str, limits: LoginLimits,
            now: datetime) -> str | None:
    """'account' or 'address' when further attempts are refused for now, else None."""
    account, ip = _keys(username, address)
    since = now - limits.window
    counts = dict(session.execute(
        select(LoginFailureRow.key, func.count()).where(
            LoginFailureRow.key.in_((account, ip)),  # type: ignore[attr-defined]
            LoginFailureRow.at > since).group_by(LoginFailureRow.key)).all())
    if counts.get(account, 0) >= limits.account:
        return "account"
    if counts.get(ip, 0) >= limits.address:
        return "address"
    return None


def record_failure(session: Session, username: str, address: str, limits: LoginLimits,
                   now: datetime) -> None:
    """One row per key; rows older than the window are pruned on the way."""
    session.execute(delete(LoginFailureRow).where(LoginFailureRow.at <= now - limits.window))
    session.add_all([LoginFailureRow(key=key, at=now) for key in _keys(username, address)])


def record_success(session: Session, username: str) -> None:
    """A correct password clears the account's failures (not the address's)."""
    session.execute(delete(LoginFailureRow).where(
        LoginFailureRow.key == _account_key(username)))


def unlock(session: Session, username: str) -> int:
    """Forgets the account's failures (`nhiemvu user unlock`); returns how many."""
    key = _account_key(username)
    count = session.scalar(select(func.count()).select_from(LoginFailureRow)
                           .where(LoginFailureRow.key == key)) or 0
    session.execute(delete(LoginFailureRow).where(LoginFailureRow.key == key))
    return count
