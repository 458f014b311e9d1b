"""A draft compiled report (báo cáo tổng hợp) in the layout of a Vietnamese administrative
document (python-docx): issuer and national motto, Số/ký hiệu, place and date, title,
one section per task, the agencies that have not reported, Nơi nhận and the signer.
It is a draft for a person to complete and sign, not a finished document."""

from __future__ import annotations

import re
from collections import Counter
from typing import IO, Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tc
from docx.shared import Cm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from exports.collect import StatusReport, TaskLine
from workflow.clock import to_local
from workflow.dates import format_date
from workflow.views.labels import STATE_LABELS, issued_label
from workflow.views.ontime import AgencyTimeliness, rate_label
from workflow.views.timeliness import timeliness

FONT = "Times New Roman"
SUMMARY_CHARS = 700
# A draft a person reads and completes: past these, the document counts the rest and
# points to the workbook, which lists every task (a province's 50,000 tasks made a
# 620 MiB, 27 s build of a document nobody could read).
LISTED_REPORTS = 50  # report summaries per task
LISTED_MISSING = 30  # agency names in a task's "Chưa báo cáo" line
LISTED_OVERDUE = 100  # rows of the table of overdue tasks
WORKBOOK = "Bảng tình trạng (XLSX)"
ROMAN = ["I", "II", "III", "IV", "V", "VI"]


def report_number(directive_number: str) -> str:
    """'864/KH-UBND' -> '     /BC-UBND': the same issuer's sign, the number left blank."""
    issuer_sign = directive_number.split("-", 1)[1] if "-" in directive_number else "UBND"
    return f"Số:       /BC-{issuer_sign}"


def place_of(issuer: str) -> str:
    """'Ủy ban nhân dân huyện Hà Quảng' -> 'Hà Quảng'."""
    match = re.search(r"(?:huyện|tỉnh|thành phố|quận|thị xã|xã|phường)\s+(.+)$", issuer)
    return match.group(1) if match else issuer


def signer_lines(signer: str | None) -> tuple[list[str], str]:
    """'KT. Chủ tịch, Phó Chủ tịch Nguyễn Thị Phương' ->
    (['KT. CHỦ TỊCH', 'PHÓ CHỦ TỊCH'], 'Nguyễn Thị Phương'); the name is taken as the last
    three words, which a person checks in the draft."""
    if not signer:
        return [], ""
    parts = [p.strip() for p in signer.split(",") if p.strip()]
    words = parts[-1].split()
    name = " ".join(words[-3:]) if len(words) > 3 else ""
    title = " ".join(words[:-3]) if name else parts[-1]
    return [p.upper() for p in parts[:-1]] + ([title.upper()] if title else []), name


def write_docx(report: StatusReport, out: IO[bytes], place: str | None = None) -> None:
    document = Document()
    _page(document)
    directive = report.directive
    _header(document, directive.issuer, report_number(directive.number),
            place or place_of(directive.issuer), report.now)
    _centered(document, "BÁO CÁO", bold=True, size=14, space_before=12)
    _centered(document, f"Kết quả thực hiện {report.document} năm {report.year}", bold=True)
    _centered(document, f"về {directive.title}", bold=True)
    _centered(document, "______", bold=False)
    intro = (f"Thực hiện {report.document} {issued_label(directive)} của {directive.issuer} về "
             f"{directive.title}; trên cơ sở báo cáo của các cơ quan, đơn vị đến ngày "
             f"{format_date(report.now)}, kết quả thực hiện như sau:")
    _body(document, intro)
    _heading(document, f"{ROMAN[0]}. TÌNH HÌNH BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ")
    counts = report.matrix.counts
    total = sum(counts.get(s, 0) for s in STATE_LABELS)
    _body(document, f"Tổng số nhiệm vụ giao năm {report.year}: {total}; đã báo cáo "
                    f"{counts.get('reported', 0) + counts.get('verified', 0)} (đã xác nhận "
                    f"{counts.get('verified', 0)}); trả lại để bổ sung "
                    f"{counts.get('returned', 0)}; chưa báo cáo "
                    f"{counts.get('assigned', 0)}, trong đó quá hạn "
                    f"{counts.get('overdue', 0)}.")
    overall = AgencyTimeliness("", Counter(timeliness(line.task, report.now)
                                           for line in report.lines))
    c = overall.counts
    _body(document, f"Theo thời hạn (kể cả hạn đã gia hạn): hoàn thành đúng hạn "
                    f"{c['on_time']}; hoàn thành trễ hạn {c['late']}; đang thực hiện trong "
                    f"hạn {c['open']}; quá hạn {c['overdue']}; tỉ lệ đúng hạn "
                    f"{rate_label(overall.rate)}.")
    _heading(document, f"{ROMAN[1]}. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ")
    for number, spec in enumerate(report.specs, start=1):
        _heading(document, f"{number}. {spec.title}", level=2)
        reported = [line for line in spec.lines if line.report]
        for line in reported[:LISTED_REPORTS]:
            _summary(document, line)
        if len(reported) > LISTED_REPORTS:
            _body(document, f"- Và {len(reported) - LISTED_REPORTS} báo cáo khác (xem trang "
                            f"«Báo cáo» của {WORKBOOK}).", italic=True)
        missing = [line for line in spec.lines if not line.report
                   and line.task.state != "cancelled"]
        if missing:
            several_periods = len({x.task.period for x in spec.lines}) > 1
            names = "; ".join(line.agency.name + (f" ({line.period})" if several_periods
                                                  else "")
                              for line in missing[:LISTED_MISSING])
            if len(missing) > LISTED_MISSING:
                names += f" và {len(missing) - LISTED_MISSING} cơ quan, đơn vị khác"
                names = f"{len(missing)} cơ quan, đơn vị: {names}"
            _body(document, f"- Chưa báo cáo: {names}.", italic=True)
        if spec.totals:
            totals = "; ".join(f"{label}: {_number(value)}" for label, value in
                               spec.totals.items())
            _body(document, f"- Số liệu tổng hợp: {totals}.")
    sections = iter(ROMAN[2:])
    if report.communes:
        _heading(document, f"{next(sections)}. TỔNG HỢP THEO XÃ")
        _communes_table(document, report)
    _heading(document, f"{next(sections)}. CÁC CƠ QUAN, ĐƠN VỊ CHƯA BÁO CÁO ĐÚNG HẠN")
    _missing_table(document, report.overdue)
    _heading(document, f"{next(sections)}. ĐỀ XUẤT, KIẾN NGHỊ")
    _body(document, "(Bộ phận thường trực bổ sung nội dung đề xuất, kiến nghị.)", italic=True)
    _footer(document, report)
    document.core_properties.title = f"Báo cáo kết quả thực hiện {report.document}"
    document.core_properties.author = "nhiemvu"
    document.save(out)


def _page(document: Document) -> None:  # type: ignore[valid-type]
    section = document.sections[0]  # type: ignore[attr-defined]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    style = document.styles["Normal"]  # type: ignore[attr-defined]
    style.font.name, style.font.size = FONT, Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    style.paragraph_format.space_after = Pt(3)


def _run(paragraph: Paragraph, text: str, bold: bool = False, italic: bool = False,
         size: float | None = None, underline: bool = False) -> None:
    """A run with only the formatting it changes (the Normal style sets the font)."""
    run = paragraph.add_run(text)
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if underline:
        run.underline = True
    if size and size != 13:
        run.font.size = Pt(size)


def _cell_lines(cell: _Cell, lines: list[tuple[str, dict[str, object]]]) -> None:
    cell.paragraphs[0].text = ""
    for index, (text, style) in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        _run(paragraph, text, **style)  # type: ignore[arg-type]


def _header(document: Document, issuer: str, number: str, place: str,  # type: ignore[valid-type]
            now: object) -> None:
    table = document.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, [6.5, 9.5])
    left, right = table.rows[0].cells
    _cell_lines(left, [(issuer.upper(), {"bold": True, "size": 12}), ("______", {}),
                       (number, {"size": 13})])
    day = to_local(now)  # type: ignore[arg-type]
    _cell_lines(right, [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"bold": True, "size": 12}),
                        ("Độc lập - Tự do - Hạnh phúc", {"bold": True, "size": 13,
                                                         "underline": True}),
                        (f"{place}, ngày      tháng      năm {day.year}",
                         {"italic": True, "size": 13})])


def _centered(document: Document, text: str, bold: bool, size: float = 13,  # type: ignore[valid-type]
              space_before: float = 0) -> None:
    paragraph = _add_paragraph(document)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(space_before)
    paragraph.paragraph_format.space_after = Pt(0)
    _run(paragraph, text, bold=bold, size=size)


def _body(document: Document, text: str, italic: bool = False) -> None:  # type: ignore[valid-type]
    paragraph = _add_paragraph(document)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1)
    _run(paragraph, text, italic=italic)


def _heading(document: Document, text: str, level: int = 1) -> None:  # type: ignore[valid-type]
    paragraph = _add_paragraph(document)
    paragraph.paragraph_format.first_line_indent = Cm(1)
    paragraph.paragraph_format.space_before = Pt(6)
    _run(paragraph, text, bold=True, italic=level > 1)


def _summary(document: Document, line: TaskLine) -> None:  # type: ignore[valid-type]
    assert line.report is not None
    text = " ".join(line.report.text.split())
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    state = STATE_LABELS[line.task.state].lower()
    paragraph = _add_paragraph(document)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1)
    _run(paragraph, f"- {line.agency.name}", bold=True)
    _run(paragraph, f" ({line.period}, {state}): {text}")
    if line.report.figures:
        figures = "; ".join(f"{f['label']}: {f['value']}" for f in line.report.figures)
        _run(paragraph, f" Số liệu: {figures}.", italic=True)


def _communes_table(document: Document, report: StatusReport) -> None:  # type: ignore[valid-type]
    """Each commune's tasks on time, late and overdue, and its figures summed by label."""
    table = document.add_table(rows=1, cols=5)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    _widths(table, [4.4, 1.8, 1.8, 1.8, 6.6])
    widths = [column.w for column in table._tbl.tblGrid.gridCol_lst]
    for cell, title in zip(table.rows[0].cells, ["Xã", "Đúng hạn", "Trễ hạn", "Quá hạn",
                                                 "Số liệu (cộng)"], strict=True):
        cell.paragraphs[0].text = ""
        _run(cell.paragraphs[0], title, bold=True, size=12)
    lines = [*report.communes, report.commune_total]
    for line in lines:
        assert line is not None
        name = line.committee.name if line.committee else f"Cộng {len(report.communes)} xã"
        figures = "; ".join(f"{label}: {_number(value)}" for label, value in line.totals.items())
        values = [name, str(line.timeliness["on_time"]), str(line.timeliness["late"]),
                  str(line.timeliness["overdue"]), figures or "—"]
        for cell, value in zip(_append_row(table, widths), values, strict=True):
            _run(cell.paragraphs[0], value, bold=line.committee is None, size=12)


def _missing_table(document: Document, lines: list[TaskLine]) -> None:  # type: ignore[valid-type]
    if not lines:
        _body(document, "Tất cả các cơ quan, đơn vị đã báo cáo đúng hạn.")
        return
    table = document.add_table(rows=1, cols=5)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    _widths(table, [1.2, 5, 6, 2.4, 1.8])
    widths = [column.w for column in table._tbl.tblGrid.gridCol_lst]
    for cell, title in zip(table.rows[0].cells, ["STT", "Cơ quan, đơn vị", "Nhiệm vụ",
                                                 "Hạn báo cáo", "Số ngày quá hạn"],
                           strict=True):
        cell.paragraphs[0].text = ""
        _run(cell.paragraphs[0], title, bold=True, size=12)
    for number, line in enumerate(lines[:LISTED_OVERDUE], start=1):
        values = [str(number), line.agency.name, f"{line.title} ({line.period})",
                  format_date(line.task.due_on), str(line.overdue_days)]
        for cell, value in zip(_append_row(table, widths), values, strict=True):
            _run(cell.paragraphs[0], value, size=12)
    if len(lines) > LISTED_OVERDUE:
        _body(document, f"Bảng trên liệt kê {LISTED_OVERDUE} nhiệm vụ quá hạn lâu nhất trong "
                        f"tổng số {len(lines)}; danh sách đầy đủ ở trang «Quá hạn» của "
                        f"{WORKBOOK}.", italic=True)


def _footer(document: Document, report: StatusReport) -> None:  # type: ignore[valid-type]
    _add_paragraph(document)
    table = document.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    _widths(table, [7.5, 8.5])
    left, right = table.rows[0].cells
    recipients = [f"- {ref.get('issuer')};"
                  for ref in report.directive.implements if ref.get("issuer")]
    if report.secretariat:
        recipients.append(f"- {report.secretariat.name};")
    recipients.append("- Lưu: VT.")
    left.paragraphs[0].text = ""
    _run(left.paragraphs[0], "Nơi nhận:", bold=True, italic=True, size=12)
    for text in recipients:
        paragraph = left.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        _run(paragraph, text, size=11)
    titles, name = signer_lines(report.directive.signer)
    _cell_lines(right, [(t, {"bold": True, "size": 13}) for t in titles or ["NGƯỜI KÝ"]]
                + [("(Ký, ghi rõ họ tên, đóng dấu)", {"italic": True, "size": 12}),
                   ("", {}), ("", {}), ("", {}), (name, {"bold": True, "size": 13})])


def _add_paragraph(document: Any) -> Paragraph:
    """A new last paragraph in constant time. python-docx's add_paragraph looks the
    section properties up among all the body's children for every paragraph, which makes
    a report of thousands of agencies quadratic; the element is found once here."""
    sect_pr = getattr(document, "_nhiemvu_sect_pr", None)
    if sect_pr is None:
        sect_pr = document.element.body.sectPr
        document._nhiemvu_sect_pr = sect_pr
    element = OxmlElement("w:p")
    sect_pr.addprevious(element)
    return Paragraph(element, document._body)


def _append_row(table: Any, widths: list[Any]) -> list[_Cell]:
    """A new last row in constant time. python-docx's add_row and `_Row.cells` look
    through the whole table for every row, which makes a long table quadratic."""
    row = OxmlElement("w:tr")
    table._tbl.append(row)
    cells = []
    for width in widths:
        cell = CT_Tc.new()
        cell.width = width
        row.append(cell)
        cells.append(_Cell(cell, table))
    return cells


def _widths(table: object, centimetres: list[float]) -> None:
    """Fixed column widths: Word reads the cells', LibreOffice the grid's."""
    table.autofit = False  # type: ignore[attr-defined]
    for column, width in zip(table.columns, centimetres, strict=True):  # type: ignore[attr-defined]
        column.width = Cm(width)
    for row in table.rows:  # type: ignore[attr-defined]
        for cell, width in zip(row.cells, centimetres, strict=True):
            cell.width = Cm(width)


def _number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
