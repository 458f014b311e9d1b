"""The status workbook (openpyxl): the agencies x tasks matrix coloured by state with a
frozen header, the overdue tasks, and the reports' texts and figures. Written in
openpyxl's write-only mode, row by row, so memory stays flat for a national directive."""

from __future__ import annotations

from copy import copy
from typing import IO, Any
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from exports.cells import is_formula_like
from exports.collect import StatusReport
from workflow.dates import format_date, format_datetime
from workflow.views.labels import STATE_LABELS
from workflow.views.ontime import by_agency as on_time_by_agency
from workflow.views.ontime import rate_label
from workflow.views.timeliness import TIMELINESS_LABELS

FILLS = {state: PatternFill("solid", fgColor=colour) for state, colour in {
    "assigned": "E8EEF9", "reported": "FFF4CC", "returned": "FFE0CC", "verified": "D9F2DF",
    "cancelled": "EEEEEE", "not_done": "F4D6D6"}.items()}
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=12)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
THIN = Side(style="thin", color="BBBBBB")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
RED_EDGE = Side(style="medium", color="C62828")
OVERDUE = Border(left=RED_EDGE, right=RED_EDGE, top=RED_EDGE, bottom=RED_EDGE)


def write_xlsx(report: StatusReport, out: IO[bytes]) -> None:
    book = Workbook(write_only=True)
    _matrix_sheet(book.create_sheet("Tình trạng"), report)
    _overdue_sheet(book.create_sheet("Quá hạn"), report)
    _reports_sheet(book.create_sheet("Báo cáo"), report)
    _on_time_sheet(book.create_sheet("Đúng hạn"), report)
    if report.communes:
        _communes_sheet(book.create_sheet("Theo xã"), report)
    book.properties.title = f"Tình trạng {report.document} năm {report.year}"
    book.properties.creator = "nhiemvu"
    book.save(out)


# Each workbook's resolved style combinations. Setting a style on a cell hashes the whole
# style object to find its index in the workbook (half the export's time at 50,000
# tasks); a combination is resolved once and its index array copied to later cells, as
# openpyxl's own named styles do.
_RESOLVED: WeakKeyDictionary[Workbook, dict[tuple[tuple[str, int], ...], StyleArray]] = \
    WeakKeyDictionary()


def _cell(sheet: WriteOnlyWorksheet, value: Any, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"  # typed text that looks like a formula stays text
    if style:
        resolved = _RESOLVED.setdefault(sheet.parent, {})
        key = tuple((name, id(setting)) for name, setting in style.items())
        array = resolved.get(key)
        if array is None:
            for name, setting in style.items():
                setattr(cell, name, setting)
            resolved[key] = copy(cell._style)
        else:
            cell._style = copy(array)
    return cell


def _matrix_sheet(sheet: WriteOnlyWorksheet, report: StatusReport) -> None:
    grid = report.matrix
    sheet.freeze_panes = "B3"  # agency names and the header stay in view
    sheet.column_dimensions["A"].width = 42
    for index in range(2, len(grid.columns) + 3):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.row_dimensions[2].height = 120
    _print_setup(sheet, title_rows="2:2", title_cols="A:A")
    sheet.append([_cell(sheet, f"{report.document} — năm {report.year} — tình trạng lúc "
                               f"{format_datetime(report.now)}", font=TITLE)])
    sheet.append([_cell(sheet, "Cơ quan", font=BOLD)]
                 + [_cell(sheet, f"{c['number']}. {c['title']} ({c['period_label']})",
                          font=BOLD, alignment=CENTER, border=GRID) for c in grid.columns]
                 + [_cell(sheet, "Đã báo cáo", font=BOLD)])
    for row in grid.rows:
        values: list[Any] = [_cell(sheet, row["agency"].name, alignment=WRAP, border=GRID)]
        for cell_data in row["cells"]:
            if cell_data is None:
                values.append(None)
                continue
            state = cell_data["task"].state
            label = STATE_LABELS[state]
            if cell_data["overdue"]:
                label += f" (quá hạn {cell_data['days']} ngày)"
            values.append(_cell(sheet, label, fill=FILLS[state], alignment=CENTER,
                                border=OVERDUE if cell_data["overdue"] else GRID))
        values.append(f"{row['done']}/{row['total']}")
        sheet.append(values)
    sheet.append([])
    sheet.append([])
    sheet.append([_cell(sheet, "Chú thích", font=BOLD)])
    for state, label in STATE_LABELS.items():
        sheet.append([_cell(sheet, f"{label}: {grid.counts.get(state, 0)}",
                            fill=FILLS[state])])
    sheet.append([f"Quá hạn (viền đỏ): {grid.counts.get('overdue', 0)}"])


def _print_setup(sheet: WriteOnlyWorksheet, title_rows: str, title_cols: str | None = None
                 ) -> None:
    """Print on landscape A4 as wide as one page, as many pages down as it takes, with the
    header row (and the agency column) repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = False
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.print_title_rows = title_rows
    if title_cols:
        sheet.print_title_cols = title_cols


def _table(sheet: WriteOnlyWorksheet, headers: list[str], widths: list[int],
           rows: list[list[Any]], wrapped: frozenset[int] = frozenset()) -> None:
    """A header, then plain rows: styling every cell costs more than the rest of the
    export, so only the long-text columns (`wrapped`) get a style."""
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    _print_setup(sheet, title_rows="1:1")
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    sheet.append([_cell(sheet, h, font=BOLD, border=GRID, fill=HEADER_FILL) for h in headers])
    for values in rows:
        sheet.append([_cell(sheet, v, alignment=WRAP) if i in wrapped and v
                      else _cell(sheet, v) if is_formula_like(v) else v
                      for i, v in enumerate(values)])


def _overdue_sheet(sheet: WriteOnlyWorksheet, report: StatusReport) -> None:
    _table(sheet, ["Số ngày quá hạn", "Cấp báo cáo", "Cơ quan", "Nhiệm vụ", "Kỳ", "Hạn",
                   "Trạng thái"], [12, 10, 40, 60, 22, 12, 18],
           [[line.overdue_days, line.task.escalation_level, line.agency.name, line.title,
             line.period, format_date(line.task.due_on), STATE_LABELS[line.task.state]]
            for line in report.overdue])


def _reports_sheet(sheet: WriteOnlyWorksheet, report: StatusReport) -> None:
    rows = []
    for line in report.lines:
        rep = line.report
        # An empty cell is left out (None), not written as an empty string.
        rows.append([line.agency.name, line.title, line.period,
                     STATE_LABELS[line.task.state],
                     format_datetime(rep.submitted_at) if rep else None,
                     rep.text if rep else None,
                     "\n".join(f"{f['label']}: {f['value']}" for f in rep.figures or [])
                     if rep and rep.figures else None, "\n".join(line.files) or None])
    _table(sheet, ["Cơ quan", "Nhiệm vụ", "Kỳ", "Trạng thái", "Ngày báo cáo",
                   "Nội dung báo cáo", "Số liệu", "Tệp đính kèm"],
           [36, 44, 20, 16, 16, 70, 30, 28], rows, frozenset({5, 6}))


def _on_time_sheet(sheet: WriteOnlyWorksheet, report: StatusReport) -> None:
    """Each agency's tasks classified against their (extended) deadline, with its
    on-time rate."""
    kinds = ("on_time", "late", "open", "overdue", "not_done")
    lines = on_time_by_agency(((line.task, line.agency) for line in report.lines),
                              report.now)
    _table(sheet, ["Cơ quan", "Số nhiệm vụ", *(TIMELINESS_LABELS[k] for k in kinds),
                   "Tỉ lệ đúng hạn"], [40, 12, 14, 14, 16, 12, 14, 14],
           [[line.name, line.tasks, *(line.counts[k] for k in kinds), rate_label(line.rate)]
            for line in lines])


def _communes_sheet(sheet: WriteOnlyWorksheet, report: StatusReport) -> None:
    """One row per commune: tasks, timeliness, and every figure summed by its label (a
    column per label, so the totals row adds up what the communes reported)."""
    labels: dict[str, None] = {}
    for line in report.communes:
        labels.update(dict.fromkeys(line.totals))
    kinds = ("on_time", "late", "open", "overdue")
    rows = []
    lines = [*report.communes, report.commune_total]
    for line in lines:
        assert line is not None
        name = line.committee.name if line.committee else f"Cộng {len(report.communes)} xã"
        rows.append([name, line.tasks, *(line.timeliness[k] for k in kinds),
                     *(line.totals.get(label) for label in labels)])
    _table(sheet, ["Ban cấp xã", "Nhiệm vụ", *(TIMELINESS_LABELS[k] for k in kinds),
                   *labels], [40, 10, 14, 14, 16, 10, *(16 for _ in labels)], rows)
