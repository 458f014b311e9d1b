"""An agency's report: the `report` transition plus the report's text, figures and
attachments, in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from workflow.engine.actions import apply_transition, plan_transition
from workflow.engine.actors import Actor
from workflow.storage.attachments import StoredFile
from workflow.storage.db import write_session
from workflow.storage.models import AttachmentRow, ReportRow, TaskRow

Figures = list[dict[str, str]]
REPORT_INSERT = insert(ReportRow.__table__)  # type: ignore[attr-defined]


class FiguresError(ValueError):
    """A figures line that is not 'label: value'; the message is shown to the agency."""


def parse_figures(text: str) -> Figures:
    """One figure per line, 'Chỉ tiêu: giá trị' (e.g. 'Số lớp tập huấn: 12')."""
    figures: Figures = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, value = line.partition(":")
        if not sep or not label.strip() or not value.strip():
            raise FiguresError(f"Số liệu, dòng {number}: cần dạng «tên chỉ tiêu: giá trị», "
                               f"nhận được «{line.strip()[:80]}».")
        figures.append({"label": label.strip()[:200], "value": value.strip()[:200]})
    return figures


def submit_report(engine: Engine, task_id: int, actor: Actor, now: datetime, text: str,
                  figures: Figures, files: list[StoredFile]) -> tuple[TaskRow, ReportRow]:
    with write_session(engine) as session:
        return record_report(session, task_id, actor, now, text, figures, files)


def record_report(session: Session, ref: int | str, actor: Actor, now: datetime, text: str,
                  figures: Figures, files: list[StoredFile],
                  expected_version: int | None = None) -> tuple[TaskRow, ReportRow]:
    """The `report` transition and its report row, in the caller's transaction: the one
    path of every report (link, dashboard, CLI, roll-up), so every export has it."""
    plan = plan_transition(session, ref, "report", actor, now, text=text,
                           expected_version=expected_version)
    task = apply_transition(session, plan)
    task_id = task.id or 0
    values = {"task_id": task_id, "submitted_at": now, "actor": actor.name,
              "channel": actor.channel, "text": text.strip(), "figures": figures or None,
              "task_version": task.version}
    # A Core INSERT, then the row joins the session as already persistent: the ORM's
    # flush of one new object cost more than the statement.
    report_id = session.connection().execute(REPORT_INSERT, values).inserted_primary_key[0]
    report = ReportRow(id=report_id, **values)
    make_transient_to_detached(report)
    session.add(report)
    for stored in files:
        session.add(AttachmentRow(report_id=report.id, task_id=task_id,
                                  filename=stored.filename, stored_name=stored.stored_name,
                                  content_type=stored.content_type, size=stored.size,
                                  uploaded_at=now))
    return task, report


def newest_reports(session: Session, task_ids: list[int]) -> dict[int, ReportRow]:
    """Each task's newest report (a returned task has several), in chunks of ids."""
    found: dict[int, ReportRow] = {}
    for start in range(0, len(task_ids), 500):
        chunk = task_ids[start:start + 500]
        newest = (select(func.max(ReportRow.id))
                  .where(ReportRow.task_id.in_(chunk))  # type: ignore[attr-defined]
                  .group_by(ReportRow.task_id))
        found.update((r.task_id, r) for r in session.scalars(
            select(ReportRow).where(ReportRow.id.in_(newest))))  # type: ignore[union-attr]
    return found


def reports_of(session: Session, task_id: int) -> list[tuple[ReportRow, list[AttachmentRow]]]:
    """Every report of a task, oldest first, with its attachments."""
    reports = list(session.scalars(select(ReportRow).where(ReportRow.task_id == task_id)
                                   .order_by(ReportRow.id)))  # type: ignore[arg-type]
    if not reports:
        return []
    files: dict[int, list[AttachmentRow]] = {}
    for row in session.scalars(select(AttachmentRow).where(AttachmentRow.task_id == task_id)
                               .order_by(AttachmentRow.id)):  # type: ignore[arg-type]
        files.setdefault(row.report_id, []).append(row)
    return [(report, files.get(report.id or 0, [])) for report in reports]
