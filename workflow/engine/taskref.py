"""Naming task instances: numeric ids for machines, readable keys for people."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from workflow.errors import NotFoundError
from workflow.storage.models import TaskRow


def task_key(row: TaskRow) -> str:
    return f"{row.directive_code}/{row.spec_code}/{row.agency_code}/{row.period}"


def find_task(session: Session, ref: str | int) -> TaskRow:
    """By id ('42' or '#42') or by key 'directive/spec/agency/period'."""
    text = str(ref).strip().lstrip("#")
    if text.isdigit():
        row = session.get(TaskRow, int(text))
    else:
        parts = text.split("/")
        row = None
        if len(parts) == 4:
            row = session.scalars(select(TaskRow).where(
                TaskRow.directive_code == parts[0], TaskRow.spec_code == parts[1],
                TaskRow.agency_code == parts[2], TaskRow.period == parts[3])).first()
    if row is None:
        raise NotFoundError("task", ref)
    return row
