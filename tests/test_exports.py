"""Exports from a simulated year of the Hà Quảng plan, on SQLite and PostgreSQL: the XLSX
and DOCX are opened and their cells and paragraphs checked; the charts' series agree with
the database; the DOCX is rendered to PDF (LibreOffice) and PNG (pdftoppm) where those
are installed (.ci/run installs them), and the PNG is kept as an artifact."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from exports.collect import as_rows, as_table, collect, csv_bytes, figure_number
from exports.docx import place_of, report_number, signer_lines, write_docx
from exports.progress import by_agency, timeline
from exports.xlsx import write_xlsx
from tests.simulation import START, days, task_id
from tests.test_cli import run, workdir  # noqa: F401  (fixture)
from tests.tools import require_tool, to_pdf
from workflow.clock import LOCAL_TZ
from workflow.engine.actions import fire
from workflow.engine.actors import Actor
from workflow.engine.instantiate import instantiate
from workflow.engine.machine import OWED_STATES
from workflow.engine.reports import submit_report
from workflow.schedule.sweep import run_due
from workflow.storage.attachments import StoredFile
from workflow.storage.db import read_session
from workflow.storage.models import DirectiveRow, TaskRow
from workflow.views.status import matrix

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
AS_OF = datetime(2022, 12, 20, 9, 0, tzinfo=LOCAL_TZ)
POLICE = "hq-2022/v.bao-cao/hq.cong-an/2022-h1"
WOMEN = "hq-2022/v.bao-cao/hq.hlhpn/2022-h1"
SECRETARIAT = Actor("thuky", "secretariat", "web")
PDF = StoredFile("Báo cáo 6 tháng.pdf", "ab" * 32 + ".pdf", "application/pdf", 1200)


def agency(code: str) -> Actor:
    return Actor(code, "agency", "link", code)


@pytest.fixture
def year(loaded: Engine) -> Engine:
    """2022 ticked every Saturday at 08:00; the police report, are returned, report again and are
    verified; the women's union reports with a figure written with a thousands dot."""
    def on_day(now: datetime) -> None:
        day = now.date().isoformat()
        if day == "2022-05-28":
            submit_report(loaded, task_id(loaded, POLICE), agency("hq.cong-an"), now,
                          "Đã tuyên truyền tại 21 xã.", [{"label": "Số vụ việc",
                                                           "value": "10"}], [])
            submit_report(loaded, task_id(loaded, WOMEN), agency("hq.hlhpn"), now,
                          "Hội LHPN đã tổ chức 42 buổi sinh hoạt chuyên đề về bình đẳng "
                          "giới.", [{"label": "Số vụ việc", "value": "1.250"}], [])
        elif day == "2022-06-04":
            fire(loaded, task_id(loaded, POLICE), "return", SECRETARIAT, now,
                 reason="Thiếu số liệu theo xã")
        elif day == "2022-06-11":
            submit_report(loaded, task_id(loaded, POLICE), agency("hq.cong-an"), now,
                          "Bổ sung: 12 vụ việc, chi tiết theo từng xã.",
                          [{"label": "Số vụ việc", "value": "12"}], [PDF])
        elif day == "2022-06-18":
            fire(loaded, task_id(loaded, POLICE), "verify", SECRETARIAT, now)

    for now in days(START, AS_OF, timedelta(days=7)):  # weekly: the sweep catches up
        on_day(now)
        run_due(loaded, now)
    run_due(loaded, AS_OF)
    return loaded


def overdue_count(engine: Engine) -> int:
    with read_session(engine) as session:
        return session.scalar(select(func.count()).select_from(TaskRow).where(
            TaskRow.directive_code == "hq-2022", TaskRow.state.in_(OWED_STATES),
            TaskRow.due_at <= AS_OF)) or 0


def test_workbook_cells_states_and_text(year: Engine) -> None:
    with read_session(year) as session:
        report = collect(session, "hq-2022", 2022, AS_OF)
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.sheetnames == ["Tình trạng", "Quá hạn", "Báo cáo", "Đúng hạn"]
    sheet = book["Tình trạng"]
    assert sheet.freeze_panes == "B3"
    assert sheet["A1"].value.startswith("Kế hoạch số /KH-UBND — năm 2022")
    headers = {sheet.cell(row=2, column=c).value: c for c in range(2, sheet.max_column + 1)}
    h1 = next(c for h, c in headers.items()
              if h and "Báo cáo định kỳ 6 tháng" in h and "6 tháng đầu năm 2022" in h)
    rows = {sheet.cell(row=r, column=1).value: r for r in range(3, sheet.max_row + 1)}
    police = sheet.cell(row=rows["Công an huyện Hà Quảng"], column=h1)
    assert police.value == "Đã xác nhận" and police.fill.fgColor.rgb.endswith("D9F2DF")
    women = sheet.cell(row=rows["Hội Liên hiệp Phụ nữ huyện Hà Quảng"], column=h1)
    assert women.value == "Đã báo cáo"
    late = sheet.cell(row=rows["Phòng Nội vụ huyện Hà Quảng"], column=h1)
    assert late.value.startswith("Đã giao (quá hạn ") and late.border.left.color.rgb.endswith(
        "C62828")
    overdue = book["Quá hạn"]
    days = [overdue.cell(row=r, column=1).value for r in range(2, overdue.max_row + 1)]
    assert len(days) == overdue_count(year) and days == sorted(days, reverse=True)
    reports = book["Báo cáo"]
    texts = {reports.cell(row=r, column=1).value + "|" + reports.cell(row=r, column=3).value:
             [reports.cell(row=r, column=c).value for c in range(4, 9)]
             for r in range(2, reports.max_row + 1)
             if reports.cell(row=r, column=2).value.startswith("Báo cáo định kỳ")}
    police_row = texts["Công an huyện Hà Quảng|6 tháng đầu năm 2022"]
    assert police_row[0] == "Đã xác nhận" and police_row[1] == "11/06/2022 08:00"
    assert police_row[2] == "Bổ sung: 12 vụ việc, chi tiết theo từng xã."
    assert police_row[3] == "Số vụ việc: 12" and police_row[4] == "Báo cáo 6 tháng.pdf"


def test_compiled_report_draft(year: Engine) -> None:
    with read_session(year) as session:
        report = collect(session, "hq-2022", 2022, AS_OF)
    buffer = io.BytesIO()
    write_docx(report, buffer)
    document = Document(io.BytesIO(buffer.getvalue()))
    header = [p.text for cell in document.tables[0].rows[0].cells for p in cell.paragraphs]
    assert header == ["ỦY BAN NHÂN DÂN HUYỆN HÀ QUẢNG", "______", "Số:       /BC-UBND",
                      "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                      "Hà Quảng, ngày      tháng      năm 2022"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO\nKết quả thực hiện Kế hoạch số /KH-UBND năm 2022" in text
    assert "I. TÌNH HÌNH BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ" in text
    assert "- Công an huyện Hà Quảng (6 tháng đầu năm 2022, đã xác nhận): Bổ sung: 12 vụ " \
           "việc, chi tiết theo từng xã. Số liệu: Số vụ việc: 12." in text
    assert "Số liệu tổng hợp: Số vụ việc: 1.262." in text  # 12 + 1.250
    assert "III. CÁC CƠ QUAN, ĐƠN VỊ CHƯA BÁO CÁO ĐÚNG HẠN" in text
    missing = document.tables[1]
    assert [c.text for c in missing.rows[0].cells] == ["STT", "Cơ quan, đơn vị", "Nhiệm vụ",
                                                       "Hạn báo cáo", "Số ngày quá hạn"]
    assert len(missing.rows) == overdue_count(year) + 1
    footer = [p.text for cell in document.tables[2].rows[0].cells for p in cell.paragraphs]
    assert footer[:2] == ["Nơi nhận:", "- Ủy ban nhân dân tỉnh Cao Bằng;"]
    assert "- Lưu: VT." in footer and "KT. CHỦ TỊCH" in footer and "PHÓ CHỦ TỊCH" in footer
    assert footer[-1] == "Nguyễn Thị Phương"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bao-cao-tong-hop.docx").write_bytes(buffer.getvalue())


def test_chart_series_agree_with_the_database(year: Engine) -> None:
    with read_session(year) as session:
        line = timeline(session, "hq-2022", 2022, AS_OF)
        rows = by_agency(session, "hq-2022", 2022, AS_OF)
        states = dict(session.execute(select(TaskRow.state, func.count()).where(
            TaskRow.directive_code == "hq-2022").group_by(TaskRow.state)).all())
    assert line.days[-1] == AS_OF.date()
    assert line.reported[-1] == states.get("reported", 0) + states.get("verified", 0) == 2
    assert line.verified[-1] == states.get("verified", 0) == 1
    assert line.overdue[-1] == overdue_count(year)
    on = {day: i for i, day in enumerate(line.days)}
    june = datetime(2022, 6, 5).date()
    assert line.reported[on[june - timedelta(days=1)]] == 1  # the police report was returned
    assert line.reported[on[june + timedelta(days=6)]] == 2  # ...and came back on 11/06
    assert line.verified[on[june + timedelta(days=13)]] == 1
    assert line.overdue[on[june - timedelta(days=1)]] < line.overdue[on[june]]
    assert sum(sum(r.counts.values()) for r in rows) == sum(
        n for s, n in states.items() if s != "cancelled")
    assert sum(r.counts["overdue"] for r in rows) == overdue_count(year)


def test_figures_and_document_helpers() -> None:
    assert [figure_number(v) for v in ("12", "1.250", "3,5 %", "1 250 người", "khoảng 12",
                                       "")] == [12, 1250, 3.5, 1250, None, None]
    assert report_number("864/KH-UBND") == "Số:       /BC-UBND"
    assert report_number("12/CTr-BVSTBPN") == "Số:       /BC-BVSTBPN"
    assert place_of("Ủy ban nhân dân huyện Hà Quảng") == "Hà Quảng"
    assert place_of("Ban Vì sự tiến bộ của phụ nữ thành phố Hải Phòng") == "Hải Phòng"
    assert signer_lines("KT. Chủ tịch, Phó Chủ tịch Nguyễn Thị Phương") == (
        ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], "Nguyễn Thị Phương")
    assert signer_lines("Phó Chủ tịch Ủy ban nhân dân Lê Khắc Nam") == (
        ["PHÓ CHỦ TỊCH ỦY BAN NHÂN DÂN"], "Lê Khắc Nam")


def test_export_commands(workdir: Path) -> None:  # noqa: F811
    run(["export", "xlsx", "--directive", "hq-2022", "--year", "2022", "-o", "out/s.xlsx"],
        workdir)
    assert load_workbook(workdir / "out" / "s.xlsx").sheetnames[0] == "Tình trạng"
    run(["export", "docx", "--directive", "hq-2022", "--year", "2022", "-o", "b.docx"],
        workdir)
    assert Document(str(workdir / "b.docx")).paragraphs[0].text == "BÁO CÁO"
    data = json.loads(run(["export", "data", "--directive", "hq-2022", "--year", "2022",
                           "--format", "json"], workdir).stdout)
    assert len(data) == 188 and {"state", "due_on", "report_text"} <= set(data[0])
    run(["export", "data", "--directive", "hq-2022", "--year", "2022", "-o", "d.csv"],
        workdir)
    people = list(csv.DictReader(io.StringIO((workdir / "d.csv").read_text(
        encoding="utf-8-sig"))))
    assert list(people[0])[:4] == ["Số TT", "Mã nhiệm vụ", "Văn bản", "Năm"]
    assert {r["Trạng thái"] for r in people} <= {"Đã giao", "Đã báo cáo", "Đã xác nhận",
                                                 "Trả lại để bổ sung", "Đã hủy"}
    assert {r["Vai trò"] for r in people} == {"chủ trì", "phối hợp"}
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", r["Hạn"]) for r in people if r["Hạn"])
    assert "Phòng Lao động - Thương binh và Xã hội huyện Hà Quảng" in {r["Cơ quan"]
                                                                     for r in people}
    assert not {"assigned", "lead", "task_id"} & {v for r in people for v in r.values()}
    run(["export", "data", "--directive", "hq-2022", "--year", "2022", "--format",
         "csv-codes", "-o", "m.csv"], workdir)
    codes = list(csv.DictReader(io.StringIO((workdir / "m.csv").read_text(
        encoding="utf-8-sig"))))
    assert next(iter(codes[0])) == "task_id" and {r["role"] for r in codes} == {"lead",
                                                                            "coordinating"}
    for name, by in (("p.png", "time"), ("a.svg", "agency")):
        run(["export", "chart", "--directive", "hq-2022", "--year", "2022", "--by", by,
             "-o", name], workdir)
    assert (workdir / "p.png").read_bytes().startswith(b"\x89PNG")
    assert "Quá hạn" in (workdir / "a.svg").read_text(encoding="utf-8")
    failed = run(["export", "xlsx", "--directive", "khong-co", "--year", "2022", "-o",
                  "x.xlsx"], workdir, ok=False)
    assert failed.returncode == 1 and "không tìm thấy văn bản khong-co" in failed.stderr
    assert not (workdir / "x.xlsx").exists() and not list(workdir.glob(".x.xlsx*"))
    empty = run(["export", "docx", "--directive", "hq-2022", "--year", "2030", "-o",
                 "y.docx"], workdir, ok=False)
    assert "no tasks for 2030" in empty.stderr and not (workdir / "y.docx").exists()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_docx_renders_to_pdf_and_png(year: Engine, tmp_path: Path) -> None:
    pdftoppm = require_tool("pdftoppm")
    pdftotext = require_tool("pdftotext")
    with read_session(year) as session:
        report = collect(session, "hq-2022", 2022, AS_OF)
    source = tmp_path / "bao-cao.docx"
    with source.open("wb") as out:
        write_docx(report, out)
    pdf = to_pdf(source, tmp_path)
    text = subprocess.run([pdftotext, str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    text = " ".join(text.split())  # a line may wrap where the fonts are wider than Word's
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Công an huyện Hà Quảng" in text
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run([pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf),
                    str(ARTIFACTS / "bao-cao-tong-hop")], check=True, timeout=60)
    png = next(ARTIFACTS.glob("bao-cao-tong-hop*.png"))
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 20_000
    assert as_rows(report)[0]["directive"] == "hq-2022"


def test_action_months_read_as_written_and_in_date_order(loaded: Engine) -> None:
    """A task recurring in June and November: labelled as people write the action months,
    with their windows, and listed June first in the matrix and the XLSX."""
    instantiate(loaded, "th-2023", 2023, datetime(2023, 5, 1, 9, 0, tzinfo=LOCAL_TZ))
    with read_session(loaded) as session:
        grid = matrix(session, session.get(DirectiveRow, "th-2023"), 2023, AS_OF, None, None)
        report = collect(session, "th-2023", 2023, AS_OF)
    labels = [c["period_label"] for c in grid.columns if c["spec"] == "1.4"]
    assert labels == [
        "Tháng hành động phòng, chống bạo lực gia đình năm 2023 (01/06–30/06/2023)",
        "Tháng hành động vì bình đẳng giới năm 2023 (15/11–15/12/2023)"]
    out = io.BytesIO()
    write_xlsx(report, out)
    header = [c.value for c in load_workbook(out)["Tình trạng"][2] if c.value]
    columns = [h for h in header if "Kế hoạch và triển khai hai Tháng hành động" in str(h)]
    assert [("01/06" in h, "15/11" in h) for h in columns] == [(True, False), (False, True)]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_workbook_prints_landscape_one_page_wide(year: Engine, tmp_path: Path) -> None:
    """Printed through LibreOffice, the status sheet is landscape A4, one page wide, with the
    header row on every page; before, it ran to 38 portrait pages, one column each."""
    pdfinfo = require_tool("pdfinfo")
    pdftotext = require_tool("pdftotext")
    with read_session(year) as session:
        report = collect(session, "hq-2022", 2022, AS_OF)
    source = tmp_path / "tinh-trang.xlsx"
    with source.open("wb") as out:
        write_xlsx(report, out)
    book = load_workbook(source)
    status = book["Tình trạng"]
    assert status.page_setup.orientation == "landscape" and status.page_setup.paperSize == 9
    assert status.sheet_properties.pageSetUpPr.fitToPage and status.page_setup.fitToWidth == 1
    assert status.print_title_rows == "$2:$2" and status.print_title_cols == "$A:$A"
    assert book["Quá hạn"].print_title_rows == "$1:$1"
    del book["Quá hạn"], book["Báo cáo"]  # print the matrix alone
    book.save(source)
    pdf = to_pdf(source, tmp_path)
    info = subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    width, height = (float(v) for v in next(
        line for line in info.splitlines() if line.startswith("Page size:")).split()[2:5:2])
    assert width > height and round(width) == 842  # A4 landscape, in points
    assert pages <= 3
    for page in range(1, pages + 1):  # every page repeats the header and the agency column
        text = subprocess.run([pdftotext, "-f", str(page), "-l", str(page),
                               str(pdf), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert "Cơ quan" in text


def test_report_text_stays_text_in_csv_and_xlsx(loaded: Engine) -> None:
    """Text an agency typed that a spreadsheet would run as a formula stays text."""
    instantiate(loaded, "hq-2022", 2022, START)
    texts = ["=HYPERLINK(\"http://x.example\",\"Bấm\")", "- Đã tuyên truyền tại 21 xã",
             "@SUM(A1)"]
    for text, key in zip(texts, (POLICE, WOMEN, "hq-2022/v.bao-cao/hq.noi-vu/2022-h1"),
                         strict=True):
        submit_report(loaded, task_id(loaded, key), agency(key.split("/")[2]), START, text,
                      [{"label": "Số vụ", "value": "+1"}], [])
    with read_session(loaded) as session:
        report = collect(session, "hq-2022", 2022, AS_OF)
    rows = list(csv.DictReader(io.StringIO(csv_bytes(as_table(report)).decode("utf-8-sig"))))
    assert {"'" + t for t in texts} <= {r["Nội dung báo cáo"] for r in rows}
    assert "'Số vụ: +1" not in {r["Số liệu"] for r in rows}  # only leading characters count
    out = io.BytesIO()
    write_xlsx(report, out)
    book = load_workbook(out)
    cells = [c for row in book["Báo cáo"].iter_rows() for c in row if c.value in texts]
    assert len(cells) == 3 and {c.data_type for c in cells} == {"s"}


def test_a_province_sized_report_draft_stays_readable(loaded: Engine) -> None:
    """Issue 19: 50,000 tasks made a 620 MiB, 27 s DOCX nobody could read. Past a few
    dozen, a task lists its first report summaries and counts the rest, the "Chưa báo cáo"
    line names the first agencies and counts the others, and the overdue table holds the
    most overdue; the workbook keeps every row."""
    from exports.docx import LISTED_MISSING, LISTED_OVERDUE, LISTED_REPORTS
    from tests.simulation import add_communes_owing

    made = datetime(2022, 1, 5, 8, 0, tzinfo=LOCAL_TZ)
    instantiate(loaded, "hq-2022", 2022, made)
    add_communes_owing(loaded, 250, made)
    with read_session(loaded) as session:
        owing = list(session.scalars(select(TaskRow.id).where(
            TaskRow.agency_code.like("xa-thu-%")).order_by(TaskRow.id)))  # type: ignore[attr-defined]
    for ident in owing[:LISTED_REPORTS + 20]:
        code = f"xa-thu-{owing.index(ident):03d}"
        submit_report(loaded, ident, agency(code), datetime(2022, 6, 1, 9, tzinfo=LOCAL_TZ),
                      "Đã tổ chức tuyên truyền.", [{"label": "Số buổi", "value": "2"}], [])
    with read_session(loaded) as session:
        report = collect(session, "hq-2022", 2022, AS_OF)
    buffer = io.BytesIO()
    write_docx(report, buffer)
    document = Document(io.BytesIO(buffer.getvalue()))
    text = "\n".join(p.text for p in document.paragraphs)
    spec = next(s for s in report.specs if sum(1 for x in s.lines if x.report) > LISTED_REPORTS)
    reported = sum(1 for x in spec.lines if x.report)
    assert text.count("- Ủy ban nhân dân xã Thử") == LISTED_REPORTS
    assert f"- Và {reported - LISTED_REPORTS} báo cáo khác (xem trang «Báo cáo»" in text
    missing = [x for x in spec.lines if not x.report and x.task.state != "cancelled"]
    assert f"- Chưa báo cáo: {len(missing)} cơ quan, đơn vị: " in text
    assert f" và {len(missing) - LISTED_MISSING} cơ quan, đơn vị khác." in text
    overdue = document.tables[1]
    assert len(overdue.rows) == LISTED_OVERDUE + 1 < len(report.overdue)
    assert f"{LISTED_OVERDUE} nhiệm vụ quá hạn lâu nhất trong tổng số {len(report.overdue)}" \
        in text
    days_listed = [int(r.cells[4].text) for r in overdue.rows[1:]]
    assert days_listed == sorted(days_listed, reverse=True)
    assert days_listed[0] == report.overdue[0].overdue_days
    workbook = io.BytesIO()
    write_xlsx(report, workbook)
    assert load_workbook(workbook)["Quá hạn"].max_row == len(report.overdue) + 1
