"""The status workbook (openpyxl): the agencies x tasks matrix coloured by state with a
frozen header, the overdue tasks, and the reports' texts and figures."""

from __future__ import annotations

from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from exports.collect import StatusReport
from workflow.dates import format_date, format_datetime
from workflow.labels import STATE_LABELS

FILLS = {"assigned": "E8EEF9", "reported": "FFF4CC", "returned": "FFE0CC",
         "verified": "D9F2DF", "cancelled": "EEEEEE"}
OVERDUE = "C62828"
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
THIN = Side(style="thin", color="BBBBBB")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
RED_EDGE = Side(style="medium", color=OVERDUE)


def write_xlsx(report: StatusReport, out: IO[bytes]) -> None:
    book = Workbook()
    _matrix_sheet(book.active, report)
    _overdue_sheet(book.create_sheet("Quá hạn"), report)
    _reports_sheet(book.create_sheet("Báo cáo"), report)
    book.properties.title = f"Tình trạng {report.document} năm {report.year}"
    book.properties.creator = "nhiemvu"
    book.save(out)


def _matrix_sheet(sheet: Worksheet, report: StatusReport) -> None:
    sheet.title = "Tình trạng"
    grid = report.matrix
    sheet["A1"] = f"{report.document} — năm {report.year} — tình trạng lúc " \
                  f"{format_datetime(report.now)}"
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.cell(row=2, column=1, value="Cơ quan").font = BOLD
    for index, column in enumerate(grid.columns, start=2):
        cell = sheet.cell(row=2, column=index,
                          value=f"{column['number']}. {column['title']} "
                                f"({column['period_label']})")
        cell.font, cell.alignment, cell.border = BOLD, CENTER, GRID
        sheet.column_dimensions[get_column_letter(index)].width = 16
    done_column = len(grid.columns) + 2
    sheet.cell(row=2, column=done_column, value="Đã báo cáo").font = BOLD
    sheet.row_dimensions[2].height = 120
    for row_index, row in enumerate(grid.rows, start=3):
        sheet.cell(row=row_index, column=1, value=row["agency"].name).alignment = WRAP
        for col_index, cell_data in enumerate(row["cells"], start=2):
            if cell_data is None:
                continue
            task = cell_data["task"]
            label = STATE_LABELS[task.state]
            if cell_data["overdue"]:
                label += f" (quá hạn {cell_data['days']} ngày)"
            cell = sheet.cell(row=row_index, column=col_index, value=label)
            cell.fill = PatternFill("solid", fgColor=FILLS[task.state])
            cell.alignment = CENTER
            cell.border = Border(left=RED_EDGE, right=RED_EDGE, top=RED_EDGE,
                                 bottom=RED_EDGE) if cell_data["overdue"] else GRID
        sheet.cell(row=row_index, column=done_column, value=f"{row['done']}/{row['total']}")
    sheet.column_dimensions["A"].width = 42
    sheet.freeze_panes = "B3"  # agency names and the header stay in view
    legend = len(grid.rows) + 5
    sheet.cell(row=legend, column=1, value="Chú thích").font = BOLD
    for offset, (state, label) in enumerate(STATE_LABELS.items(), start=1):
        cell = sheet.cell(row=legend + offset, column=1,
                          value=f"{label}: {grid.counts.get(state, 0)}")
        cell.fill = PatternFill("solid", fgColor=FILLS[state])
    sheet.cell(row=legend + len(STATE_LABELS) + 1, column=1,
               value=f"Quá hạn (viền đỏ): {grid.counts.get('overdue', 0)}")


def _table(sheet: Worksheet, headers: list[str], widths: list[int],
           rows: list[list[object]]) -> None:
    for index, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font, cell.border = BOLD, GRID
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row_index, values in enumerate(rows, start=2):
        for col_index, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_index, column=col_index, value=value)
            cell.alignment, cell.border = WRAP, GRID
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"


def _overdue_sheet(sheet: Worksheet, report: StatusReport) -> None:
    _table(sheet, ["Số ngày quá hạn", "Cấp báo cáo", "Cơ quan", "Nhiệm vụ", "Kỳ", "Hạn",
                   "Trạng thái"], [12, 10, 40, 60, 22, 12, 18],
           [[line.overdue_days, line.task.escalation_level, line.agency.name, line.title,
             line.period, format_date(line.task.due_on), STATE_LABELS[line.task.state]]
            for line in report.overdue])


def _reports_sheet(sheet: Worksheet, report: StatusReport) -> None:
    rows = []
    for line in report.lines:
        rep = line.report
        rows.append([line.agency.name, line.title, line.period,
                     STATE_LABELS[line.task.state],
                     format_datetime(rep.submitted_at) if rep else "",
                     rep.text if rep else "",
                     "\n".join(f"{f['label']}: {f['value']}" for f in rep.figures or [])
                     if rep else "", "\n".join(line.files)])
    _table(sheet, ["Cơ quan", "Nhiệm vụ", "Kỳ", "Trạng thái", "Ngày báo cáo",
                   "Nội dung báo cáo", "Số liệu", "Tệp đính kèm"],
           [36, 44, 20, 16, 16, 70, 30, 28], rows)
