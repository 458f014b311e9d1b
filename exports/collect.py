"""Everything an export shows about one directive and year, read in one transaction."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from exports.cells import neutralise
from workflow.cascade.communes import CommuneLine, by_commune
from workflow.clock import to_local
from workflow.dates import format_date, format_datetime
from workflow.errors import NhiemvuError, NotFoundError
from workflow.storage.models import (
    AgencyRow,
    AttachmentRow,
    DirectiveRow,
    ReportRow,
    TaskRow,
    TaskSpecRow,
)
from workflow.views.figures import figure_number
from workflow.views.labels import ROLE_LABELS, STATE_LABELS, document_label
from workflow.views.status import Matrix, matrix
from workflow.views.timeliness import TIMELINESS_LABELS, timeliness


@dataclass
class TaskLine:
    """One task with its latest report, as the exports list it (plain rows, not ORM
    objects: the attributes are TaskRow's, AgencyRow's and ReportRow's)."""

    task: Any
    title: str
    agency: Any
    period: str
    overdue_days: int
    report: Any
    files: list[str] = field(default_factory=list)


@dataclass
class SpecSummary:
    code: str
    title: str
    text: str
    lines: list[TaskLine] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=dict)  # numeric figures summed


@dataclass
class StatusReport:
    directive: DirectiveRow
    year: int
    now: datetime
    matrix: Matrix
    specs: list[SpecSummary]
    secretariat: AgencyRow | None
    # A province directive: each commune's tasks and summed figures, and the totals.
    communes: list[CommuneLine] = field(default_factory=list)
    commune_total: CommuneLine | None = None

    @property
    def document(self) -> str:
        return document_label(self.directive)

    @property
    def lines(self) -> list[TaskLine]:
        return [line for spec in self.specs for line in spec.lines]

    @property
    def overdue(self) -> list[TaskLine]:
        late = [line for line in self.lines if line.overdue_days > 0]
        return sorted(late, key=lambda x: (-x.overdue_days, -x.task.escalation_level,
                                           x.agency.name))


def collect(session: Session, directive_code: str, year: int, now: datetime
            ) -> StatusReport:
    directive = session.get(DirectiveRow, directive_code)
    if directive is None:
        raise NotFoundError("directive", directive_code)
    count = session.scalar(select(func.count()).select_from(TaskRow).where(
        TaskRow.directive_code == directive_code, TaskRow.year == year)) or 0
    if count == 0:
        raise NhiemvuError(f"directive {directive_code} has no tasks for {year}; run "
                           f"`nhiemvu instantiate {directive_code} --year {year}` first")
    grid = matrix(session, directive, year, now, None, None)
    latest = _latest_reports(session, directive_code, year)
    files = _attachment_names(session, [r.id for r in latest.values()])
    specs: dict[str, SpecSummary] = {}
    for code, title, text in session.execute(
            select(TaskSpecRow.code, TaskSpecRow.title, TaskSpecRow.text)
            .where(TaskSpecRow.directive_code == directive_code)
            .order_by(TaskSpecRow.position)):
        specs[code] = SpecSummary(code, title, text)
    # The matrix's columns are (spec, period) in document order and its rows the agencies
    # in registry order: walking it gives every task once, in the order a report lists them.
    for index, column in enumerate(grid.columns):
        summary = specs[column["spec"]]
        for row in grid.rows:
            cell = row["cells"][index]
            if cell is None:
                continue
            task = cell["task"]
            report = latest.get(task.id)
            summary.lines.append(TaskLine(task, summary.title, row["agency"],
                                          column["period_label"], cell["days"], report,
                                          files.get(report.id, []) if report else []))
            for figure in (report.figures or []) if report else []:
                number = figure_number(figure["value"])
                if number is not None:
                    summary.totals[figure["label"]] = summary.totals.get(
                        figure["label"], 0) + number
    secretariat = session.get(AgencyRow, directive.secretariat) \
        if directive.secretariat else None
    communes, commune_total = by_commune(session, directive, year, now)
    return StatusReport(directive, year, now, grid, [s for s in specs.values() if s.lines],
                        secretariat, communes, commune_total if communes else None)


def _latest_reports(session: Session, directive_code: str, year: int) -> dict[int, Any]:
    """Each task's newest report, as plain rows (id, task_id, submitted_at, text, figures)."""
    newest = (select(func.max(ReportRow.id)).join(TaskRow, TaskRow.id == ReportRow.task_id)
              .where(TaskRow.directive_code == directive_code, TaskRow.year == year)
              .group_by(ReportRow.task_id))
    rows = session.execute(select(ReportRow.id, ReportRow.task_id, ReportRow.submitted_at,
                                  ReportRow.text, ReportRow.figures)
                           .where(ReportRow.id.in_(newest)))  # type: ignore[union-attr]
    return {row.task_id: row for row in rows}


def _attachment_names(session: Session, report_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    if report_ids:
        for report_id, filename in session.execute(
                select(AttachmentRow.report_id, AttachmentRow.filename)
                .where(AttachmentRow.report_id.in_(report_ids))  # type: ignore[attr-defined]
                .order_by(AttachmentRow.id)):
            names[report_id].append(filename)
    return names


def as_rows(report: StatusReport) -> list[dict[str, Any]]:
    """One flat row per task with stable codes and ISO dates, for scripts (JSON and the
    machine-readable CSV)."""
    rows = []
    for line in report.lines:
        task, rep = line.task, line.report
        rows.append({
            "task_id": task.id, "directive": task.directive_code, "year": task.year,
            "spec": task.spec_code, "title": line.title, "agency": task.agency_code,
            "agency_name": line.agency.name, "role": task.role, "period": task.period,
            "state": task.state, "due_on": task.due_on.isoformat() if task.due_on else None,
            "overdue_days": line.overdue_days, "escalation_level": task.escalation_level,
            "reported_at": _iso(task.reported_at), "verified_at": _iso(task.verified_at),
            "report_text": rep.text if rep else None,
            "figures": "; ".join(f"{f['label']}: {f['value']}" for f in rep.figures or [])
            if rep else None,
            "attachments": "; ".join(line.files) or None})
    return rows


def as_table(report: StatusReport) -> list[dict[str, Any]]:
    """One row per task as a secretariat reads it: Vietnamese headers, labels and
    dd/mm/yyyy dates, for the CSV she opens in Excel."""
    rows = []
    for line in report.lines:
        task, rep = line.task, line.report
        rows.append({
            "Số TT": len(rows) + 1, "Mã nhiệm vụ": f"#{task.id}",
            "Văn bản": report.document, "Năm": task.year, "Nhiệm vụ": line.title,
            "Cơ quan": line.agency.name, "Vai trò": ROLE_LABELS.get(task.role, task.role),
            "Kỳ": line.period, "Trạng thái": STATE_LABELS.get(task.state, task.state),
            "Hạn": format_date(task.due_on) if task.due_on else "",
            "Số ngày quá hạn": line.overdue_days or "",
            "Cấp báo cáo quá hạn": task.escalation_level or "",
            "Ngày báo cáo": format_datetime(task.reported_at) if task.reported_at else "",
            "Ngày xác nhận": format_datetime(task.verified_at) if task.verified_at else "",
            "Nội dung báo cáo": rep.text if rep else "",
            "Số liệu": "; ".join(f"{f['label']}: {f['value']}" for f in rep.figures or [])
            if rep else "",
            "Tệp đính kèm": "; ".join(line.files),
            "Phân loại": TIMELINESS_LABELS[timeliness(task, report.now)],
            "Hạn gốc": format_date(task.original_due_on) if task.original_due_on else ""})
    return rows


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="minutes") if value else None


def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Vietnamese text correctly."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: neutralise(v) for k, v in row.items()} for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
