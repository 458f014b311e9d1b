"""The commune's report to its province, composed from the reports its own bodies made
on the tasks serving the province task and the commune secretariat verified: their
texts in turn, figures summed by label, attachments carried along. Submitted in one
step as the commune's report on the province task, with the same audit trail as a
report through the link (role agency, channel "rollup")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import Session

from workflow.cascade.serving import is_incoming, serving_tasks
from workflow.engine.actors import Actor
from workflow.engine.reports import Figures, newest_reports, record_report
from workflow.errors import NhiemvuError, NotFoundError
from workflow.storage.attachments import StoredFile
from workflow.storage.db import write_session
from workflow.storage.models import (
    AttachmentRow,
    CommitteeRow,
    ReportRow,
    TaskRow,
    TaskSpecRow,
)
from workflow.views.figures import format_number, sum_figures
from workflow.views.labels import ROLE_LABELS


@dataclass
class Source:
    """One commune task serving the province task, with its newest report."""

    task: TaskRow
    title: str
    agency: str
    report: ReportRow | None
    files: list[AttachmentRow] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The newest report's text; a report entered in the CLI has only the task's."""
        return (self.report.text if self.report else self.task.report_text or "").strip()

    @property
    def usable(self) -> bool:
        return self.task.state == "verified" and bool(self.text)


@dataclass
class Composition:
    upper: TaskRow
    upper_title: str
    commune: CommitteeRow
    sources: list[Source]
    text: str
    figures: Figures
    skipped_figures: list[str]

    @property
    def used(self) -> list[Source]:
        return [s for s in self.sources if s.usable]

    @property
    def waiting(self) -> list[Source]:
        """Serving tasks not verified yet: left out of the draft, and shown as such."""
        return [s for s in self.sources if not s.usable and s.task.state != "cancelled"]

    @property
    def attachments(self) -> list[AttachmentRow]:
        return [f for s in self.used for f in s.files]


def compose(session: Session, upper_id: int) -> Composition:
    upper = session.get(TaskRow, upper_id)
    if upper is None:
        raise NotFoundError("task", upper_id)
    commune_code = is_incoming(session, upper)
    if commune_code is None:
        raise NhiemvuError(f"nhiệm vụ #{upper_id} không phải việc Ban cấp trên giao cho một "
                           "Ban cấp xã: không có gì để tổng hợp")
    commune = session.get(CommitteeRow, commune_code)
    assert commune is not None
    upper_title = session.scalar(select(TaskSpecRow.title).where(
        TaskSpecRow.directive_code == upper.directive_code,
        TaskSpecRow.code == upper.spec_code)) or upper.spec_code
    sources = [Source(task, title, name, None) for task, title, name
               in serving_tasks(session, upper, commune_code)]
    _attach_reports(session, sources)
    used = [s for s in sources if s.usable]
    totals, skipped = sum_figures(s.report.figures for s in used if s.report)
    figures = [{"label": label, "value": format_number(value)} for label, value in totals.items()]
    return Composition(upper, upper_title, commune, sources, _draft_text(commune, upper_title,
                                                                         used), figures, skipped)


def _attach_reports(session: Session, sources: list[Source]) -> None:
    reports = newest_reports(session, [s.task.id for s in sources if s.task.id is not None])
    if not reports:
        return
    files: dict[int, list[AttachmentRow]] = {}
    report_ids = [r.id for r in reports.values()]
    for row in session.scalars(select(AttachmentRow).where(
            AttachmentRow.report_id.in_(report_ids)).order_by(AttachmentRow.id)):  # type: ignore[attr-defined]
        files.setdefault(row.report_id, []).append(row)
    for source in sources:
        source.report = reports.get(source.task.id or 0)
        source.files = files.get(source.report.id or 0, []) if source.report else []


def _draft_text(commune: CommitteeRow, title: str, used: list[Source]) -> str:
    if not used:
        return ""
    lines = [f"{commune.name} báo cáo kết quả thực hiện nhiệm vụ «{title}» như sau:", ""]
    for number, source in enumerate(used, start=1):
        role = ROLE_LABELS.get(source.task.role, source.task.role)
        lines.append(f"{number}. {source.agency} ({role}): {source.text}")
    files = [f.filename for s in used for f in s.files]
    if files:
        lines += ["", "Tài liệu kèm theo: " + "; ".join(files) + "."]
    return "\n".join(lines)


def submit_composition(engine: Engine, upper_id: int, actor_name: str, now: datetime,
                       text: str, figures: Figures) -> tuple[TaskRow, ReportRow]:
    """The commune's report on the province task, in one transaction: the `report`
    transition, its audit row and outbox row, and the verified sources' attachments."""
    with write_session(engine) as session:
        composition = compose(session, upper_id)
        if not composition.used:
            raise NhiemvuError("chưa có báo cáo nào đã xác nhận để tổng hợp; hãy xác nhận "
                               "báo cáo của các cơ quan trước")
        if not text.strip():
            raise NhiemvuError("nội dung báo cáo không được để trống")
        actor = Actor(actor_name, "agency", "rollup", composition.upper.agency_code)
        files = [StoredFile(f.filename, f.stored_name, f.content_type, f.size)
                 for f in composition.attachments]
        return record_report(session, upper_id, actor, now, text, figures, files)
