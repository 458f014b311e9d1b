"""Each task classified as Vietnamese task-tracking systems report it: done on time, done
late, in progress within its deadline, overdue (and the two ends that are neither)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workflow.engine.machine import OWED_STATES

TIMELINESS_LABELS = {
    "on_time": "Hoàn thành đúng hạn",
    "late": "Hoàn thành trễ hạn",
    "open": "Đang thực hiện – trong hạn",
    "overdue": "Quá hạn",
    "cancelled": "Đã hủy",
    "not_done": "Không hoàn thành",
}
TIMELINESS = tuple(TIMELINESS_LABELS)


def timeliness(task: Any, now: datetime) -> str:
    """One of TIMELINESS for a task row (reported counts as done: the report is in)."""
    if task.state in {"cancelled", "not_done"}:
        return str(task.state)
    if task.state in OWED_STATES:
        return "overdue" if task.due_at is not None and task.due_at <= now else "open"
    if task.due_at is None or task.reported_at is None or task.reported_at <= task.due_at:
        return "on_time"
    return "late"
