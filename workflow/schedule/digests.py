"""Which overdue tasks the weekly digest lists; shared by the sweep that queues digests
and the notifier that writes them, so both count the same tasks."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlmodel import Session

from workflow.definitions.specs import ReminderPolicy
from workflow.definitions.store import load_calendars
from workflow.engine.machine import OWED_STATES
from workflow.storage.models import DirectiveRow, TaskRow


def digest_window(session: Session, now: datetime) -> ColumnElement[bool]:
    """The overdue tasks a digest lists: owed, past their deadline, and not more than the
    calendar's `digest.stop_after_days` past it (a forgotten old year falls silent)."""
    by_days: dict[int, list[str]] = defaultdict(list)
    calendars = load_calendars(session)
    for code, calendar in session.execute(select(DirectiveRow.code, DirectiveRow.calendar_code)):
        days = calendars[calendar].policy.digest_stop_after_days if calendar in calendars \
            else ReminderPolicy.digest_stop_after_days
        by_days[days].append(code)
    recent = [and_(TaskRow.directive_code.in_(codes),  # type: ignore[attr-defined]
                   TaskRow.due_at > now - timedelta(days=days))  # type: ignore[operator]
              for days, codes in sorted(by_days.items())]
    return and_(TaskRow.state.in_(OWED_STATES), TaskRow.due_at <= now,  # type: ignore[attr-defined]
                or_(false(), *recent))
