"""Cascade and roll-up (issue 14, step 4), through the real web app over HTTP on both
databases: a province with three communes through a simulated 2026. The province plan
reaches each commune as incoming work; each commune implements it with its own plan;
the commune's bodies report through their links, the commune verifies, composes its
report and sends it up; the province's roll-up equals the sum of the communes' figures.
A commune user is refused every other commune's page, export, download and POST."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from tests.conftest import DEFINITIONS
from tests.simulation import days
from tests.test_cli import run
from tests.test_committees import PROVINCE, signed_in
from tests.test_web import PASSWORD, PDF, csrf_of, report, snapshot
from tests.webserver import LiveApp, live_app
from workflow.access.users import add_user
from workflow.clock import LOCAL_TZ, FixedClock
from workflow.definitions.loader import load_definitions
from workflow.definitions.store import save_definitions
from workflow.errors import DefinitionError
from workflow.schedule.sweep import run_due
from workflow.storage.db import read_session, write_session
from workflow.storage.models import (
    AttachmentRow,
    AuditRow,
    OutboxRow,
    ReportRow,
    TaskRow,
    TaskSpecRow,
)

JANUARY = datetime(2026, 1, 20, 8, 0, tzinfo=LOCAL_TZ)
COMMUNES = ("xm1", "xm2", "xm3")
# What each commune's bodies report on the 6-month report (task 2, lead: its VH-XH
# office) and on domestic violence (task 1, its police and VH-XH office).
FIGURES = {"xm1": ("Số lớp tập huấn: 3", "Số vụ được hòa giải: 2"),
           "xm2": ("Số lớp tập huấn: 1.250", "Số vụ được hòa giải: 5"),
           "xm3": ("Số lớp tập huấn: 4", "Số vụ được hòa giải: 0")}


def load_province(engine: Engine) -> None:
    with write_session(engine) as session:
        save_definitions(session, load_definitions([DEFINITIONS / "calendar.yaml", PROVINCE]),
                         JANUARY - timedelta(days=10))
        add_user(session, "thuky.tm", PASSWORD, "Thư ký Ban tỉnh", JANUARY, "tm")
        for commune in COMMUNES:
            add_user(session, f"thuky.{commune}", PASSWORD, f"Thư ký {commune}", JANUARY,
                     commune)


@pytest.fixture
def province(engine: Engine, tmp_path: Path) -> Iterator[LiveApp]:
    load_province(engine)
    clock = FixedClock(JANUARY)
    run_due(engine, JANUARY)  # the scheduler gives the province plan its 2026 tasks
    with live_app(engine, clock, tmp_path / "attachments") as app:
        yield app


def tick(app: LiveApp, start: datetime, end: datetime) -> None:
    assert isinstance(app.clock, FixedClock)
    for now in days(start, end):
        app.clock.set(now)
        run_due(app.engine, now)


def tasks(engine: Engine, directive: str, **where: str) -> list[TaskRow]:
    with read_session(engine) as session:
        query = select(TaskRow).where(TaskRow.directive_code == directive)
        for column, value in where.items():
            query = query.where(getattr(TaskRow, column) == value)
        return list(session.scalars(query.order_by(TaskRow.id)))


def implement(client: httpx.Client, commune: str) -> httpx.Response:
    incoming = client.get("/quan-ly/viec-cap-tren")
    assert incoming.status_code == 200 and "Triển khai văn bản này" in incoming.text
    assert "Phòng, chống bạo lực gia đình ở cơ sở" in incoming.text
    form = client.get("/quan-ly/trien-khai/tm-2026")
    assert form.status_code == 200
    # Publishing says beforehand what it will create: 4 tasks, 2 agencies told.
    assert "<strong>4</strong> nhiệm vụ năm 2026" in form.text
    assert "<strong>2</strong> thư giao việc" in form.text
    return client.post("/quan-ly/trien-khai/tm-2026", data={
        "csrf": csrf_of(form.text), "number": f"0{COMMUNES.index(commune) + 1}/KH-UBND",
        "issued": "25/01/2026", "title": "", "code": f"{commune}.tm-2026"})


def test_a_province_year_rolls_up_from_its_communes(province: LiveApp) -> None:
    app = province
    assert len(tasks(app.engine, "tm-2026")) == 14  # 3 communes x 4 + the province police x 2
    for commune in COMMUNES:
        with signed_in(app, f"thuky.{commune}") as client:
            created = implement(client, commune)
            assert created.status_code == 303
            assert created.headers["location"] == f"/quan-ly/ma-tran/{commune}.tm-2026/2026"
            own = tasks(app.engine, f"{commune}.tm-2026")
            assert len(own) == 4 and {t.agency_code for t in own} == {
                f"{commune}.vhxh", f"{commune}.cong-an"}
            again = client.get("/quan-ly/viec-cap-tren").text
            assert f"/quan-ly/ma-tran/{commune}.tm-2026/2026" in again  # implemented
            assert "Triển khai văn bản này" not in again
    with read_session(app.engine) as session:
        assert session.scalar(select(TaskSpecRow.serves_directive).where(
            TaskSpecRow.directive_code == "xm1.tm-2026", TaskSpecRow.code == "2")) == "tm-2026"
    tick(app, JANUARY, datetime(2026, 5, 29, 8, 0, tzinfo=LOCAL_TZ))
    # The ladder runs for commune plans too: a week before 05/06 their offices were told.
    reminded = tasks(app.engine, "xm1.tm-2026", agency_code="xm1.vhxh", period="2026-h1")[0]
    with read_session(app.engine) as session:
        assert session.scalars(select(AuditRow.trigger).where(
            AuditRow.task_id == reminded.id, AuditRow.trigger == "remind")).first()
    # Each commune's bodies report on its own plan through their links.
    for commune in COMMUNES:
        for task in tasks(app.engine, f"{commune}.tm-2026"):
            if task.period not in {"2026-h1", "2026"}:
                continue
            url = app.links().task(task.id or 0, task.agency_code, task.due_at)
            figures = "\n".join(FIGURES[commune]) if task.spec_code == "2" else \
                FIGURES[commune][1]
            with httpx.Client(base_url=app.url) as agency:
                sent = report(agency, url, f"{task.agency_code}: đã thực hiện.",
                              files=[("ket-qua.pdf", PDF)] if task.spec_code == "2" else None,
                              figures=figures)
                assert sent.status_code == 303, sent.text
    six_months = {}
    for commune in COMMUNES:
        upper = tasks(app.engine, "tm-2026", agency_code=f"{commune}.vhxh", period="2026-h1")[0]
        six_months[commune] = upper.id
        with signed_in(app, f"thuky.{commune}") as client:
            waiting = client.get(f"/quan-ly/tong-hop/{upper.id}")
            assert waiting.status_code == 200
            assert "Chưa đưa vào tổng hợp: báo cáo chưa được xác nhận." in waiting.text
            for task in tasks(app.engine, f"{commune}.tm-2026", state="reported"):
                page = client.get(f"/quan-ly/nhiem-vu/{task.id}").text
                assert client.post(f"/quan-ly/nhiem-vu/{task.id}/xac-nhan", data={
                    "csrf": csrf_of(page), "version": task.version}).status_code == 303
            task_page = client.get(f"/quan-ly/nhiem-vu/{upper.id}").text
            assert "Tổng hợp báo cáo của xã" in task_page  # incoming: readable, not verifiable
            assert "Xác nhận báo cáo" not in task_page
            draft = client.get(f"/quan-ly/tong-hop/{upper.id}")
            labour = FIGURES[commune][0].split(": ")[1]
            assert f"Số lớp tập huấn: {labour}" in draft.text
            assert "ket-qua.pdf" in draft.text
            sent = client.post(f"/quan-ly/tong-hop/{upper.id}", data={
                "csrf": csrf_of(draft.text), "text": re.search(
                    r'<textarea id="text" name="text" rows="12">([^<]*)</textarea>',
                    draft.text).group(1).replace("&#34;", '"'),  # type: ignore[union-attr]
                "figures": "\n".join(FIGURES[commune])})
            assert sent.status_code == 303, sent.text
    with read_session(app.engine) as session:
        for commune, ident in six_months.items():
            row = session.get(TaskRow, ident)
            assert row is not None and row.state == "reported"
            audit = session.scalars(select(AuditRow).where(
                AuditRow.task_id == ident, AuditRow.trigger == "report")).one()
            assert (audit.actor, audit.role, audit.channel) == (f"thuky.{commune}", "agency",
                                                               "rollup")
            report_row = session.scalars(select(ReportRow).where(
                ReportRow.task_id == ident)).one()
            assert "Phòng Văn hóa - Xã hội" in report_row.text
            files = session.scalars(select(AttachmentRow.filename).where(
                AttachmentRow.task_id == ident)).all()
            assert files == ["ket-qua.pdf"]  # carried up from the office's report
            assert session.scalars(select(OutboxRow.kind).where(
                OutboxRow.task_id == ident, OutboxRow.kind == "task_reported")).one()
    # The province reads each commune and the sums.
    with signed_in(app, "thuky.tm") as client:
        matrix = client.get("/quan-ly/ma-tran/tm-2026/2026").text
        assert "Tình hình từng xã (3 xã)" in matrix
        page = client.get("/quan-ly/theo-xa/tm-2026/2026")
        assert page.status_code == 200
        assert "Số lớp tập huấn: 1.257" in page.text  # 3 + 1.250 + 4
        assert "Số vụ được hòa giải: 7" in page.text
        detail = client.get("/quan-ly/theo-xa/tm-2026/2026/xm2")
        assert detail.status_code == 200 and "xm2.cong-an: đã thực hiện." in detail.text
        assert "Việc của xã thực hiện nhiệm vụ này" in detail.text
        workbook = client.get("/quan-ly/xuat/tm-2026/2026/tinh-trang.xlsx")
        sheet = load_workbook(io.BytesIO(workbook.content))["Theo xã"]
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        header = rows[0]
        total = rows[-1]
        assert total[0] == "Cộng 3 xã"
        assert total[header.index("Số lớp tập huấn")] == 1257
        assert total[header.index("Số vụ được hòa giải")] == 7
        assert sum(r[header.index("Số lớp tập huấn")] for r in rows[1:-1]) == 1257
        docx = client.get("/quan-ly/xuat/tm-2026/2026/bao-cao.docx").content
        assert b"word/document.xml" in docx
    # The rest of the year: the annual reports nobody sent are overdue, per commune.
    tick(app, datetime(2026, 6, 2, 8, 0, tzinfo=LOCAL_TZ),
         datetime(2026, 12, 10, 8, 0, tzinfo=LOCAL_TZ))
    with signed_in(app, "thuky.tm") as client:
        page = client.get("/quan-ly/theo-xa/tm-2026/2026").text
        row = page.split('href="/quan-ly/theo-xa/tm-2026/2026/xm1"')[1].split("</tr>")[0]
        cells = re.findall(r'<td data-label="[^"]+">([^<]*)</td>', row)
        assert cells[:5] == ["4", "1", "0", "0", "3"]  # tasks, on time, late, open, overdue


def test_a_commune_is_refused_every_other_communes_cascade(province: LiveApp) -> None:
    app = province
    with signed_in(app, "thuky.xm1") as client:
        assert implement(client, "xm1").status_code == 303
    own = tasks(app.engine, "xm1.tm-2026", agency_code="xm1.vhxh", period="2026-h1")[0]
    url = app.links().task(own.id or 0, own.agency_code, own.due_at)
    with httpx.Client(base_url=app.url) as agency:
        assert report(agency, url, files=[("bao-cao.pdf", PDF)]).status_code == 303
    upper = tasks(app.engine, "tm-2026", agency_code="xm1.vhxh", period="2026-h1")[0]
    with read_session(app.engine) as session:
        attachment = session.scalars(select(AttachmentRow.id)).one()
    paths = [f"/quan-ly/tong-hop/{upper.id}", f"/quan-ly/nhiem-vu/{upper.id}",
             f"/quan-ly/nhiem-vu/{own.id}", "/quan-ly/ma-tran/xm1.tm-2026/2026",
             f"/quan-ly/tep/{attachment}", "/quan-ly/xuat/xm1.tm-2026/2026/tinh-trang.xlsx",
             "/quan-ly/xuat/xm1.tm-2026/2026/bao-cao.docx",
             "/quan-ly/theo-xa/tm-2026/2026", "/quan-ly/theo-xa/tm-2026/2026/xm1",
             "/quan-ly/xuat/tm-2026/2026/du-lieu.csv"]
    before = snapshot(app.engine, upper.id or 0), snapshot(app.engine, own.id or 0)
    with signed_in(app, "thuky.xm2") as other:
        for path in paths:
            response = other.get(path)
            assert response.status_code == 403, path
            assert "thuộc Ban khác" in response.text and "Mẫu 1" not in response.text, path
        assert "xm1" not in other.get("/quan-ly/viec-cap-tren").text
        csrf = csrf_of(other.get("/quan-ly").text)
        refused = [other.post(f"/quan-ly/tong-hop/{upper.id}", data={
                       "csrf": csrf, "text": "Giả mạo", "figures": ""}),
                   other.post(f"/quan-ly/nhiem-vu/{own.id}/xac-nhan",
                              data={"csrf": csrf, "version": own.version + 1})]
        assert [r.status_code for r in refused] == [403, 403]
    with signed_in(app, "thuky.tm") as upper_user:  # the province reads, does not act
        assert upper_user.get("/quan-ly/theo-xa/tm-2026/2026/xm1").status_code == 200
        page = upper_user.get("/quan-ly").text
        assert upper_user.post(f"/quan-ly/tong-hop/{upper.id}", data={
            "csrf": csrf_of(page), "text": "Giả mạo", "figures": ""}).status_code == 403
        assert upper_user.get(f"/quan-ly/tong-hop/{upper.id}").status_code == 403
    assert (snapshot(app.engine, upper.id or 0), snapshot(app.engine, own.id or 0)) == before
    with signed_in(app, "thuky.xm1") as client:  # her own: readable and, once verified, composable
        for path in paths[:7]:
            assert client.get(path).status_code == 200, path


def test_composing_needs_verified_reports_and_an_owed_task(province: LiveApp) -> None:
    app = province
    with signed_in(app, "thuky.xm3") as client:
        assert implement(client, "xm3").status_code == 303
        upper = tasks(app.engine, "tm-2026", agency_code="xm3.vhxh", period="2026-h1")[0]
        page = client.get(f"/quan-ly/tong-hop/{upper.id}")
        assert page.status_code == 200 and "Gửi báo cáo lên Ban cấp trên" not in page.text
        before = snapshot(app.engine, upper.id or 0)
        refused = client.post(f"/quan-ly/tong-hop/{upper.id}", data={
            "csrf": csrf_of(page.text), "text": "Báo cáo", "figures": ""})
        assert refused.status_code == 400
        assert "Chưa có báo cáo nào đã xác nhận" in refused.text
        bad = client.post(f"/quan-ly/tong-hop/{upper.id}", data={
            "csrf": csrf_of(page.text), "text": "Báo cáo", "figures": "không có dấu hai chấm"})
        assert bad.status_code == 400 and "Số liệu, dòng 1" in bad.text
        assert snapshot(app.engine, upper.id or 0) == before
        again = client.post("/quan-ly/trien-khai/tm-2026", data={
            "csrf": csrf_of(page.text), "number": "09/KH-UBND", "issued": "31/02/2026",
            "title": "", "code": "xm3.khac"})
        assert again.status_code == 400 and "31/02/2026" in again.text
        assert not tasks(app.engine, "xm3.khac")  # nothing half-written


@pytest.mark.parametrize("serves,message", [
    ("tm-2026/9", "directive 'tm-2026' has no task '9'"),
    ("hq-2022/v.bao-cao", "belongs to committee 'hq', not to the parent"),
    ("tm-2026", "is not a task of an upper directive"),
])
def test_serving_a_task_the_parent_did_not_give_is_a_problem(tmp_path: Path, serves: str,
                                                             message: str) -> None:
    plan = tmp_path / "xm1-plan.yaml"
    plan.write_text(f"""kind: directive
code: xm1-plan
document: ke-hoach
number: 01/KH-UBND
date: "20/01/2026"
issuer: Ủy ban nhân dân xã Mẫu 1
title: Triển khai kế hoạch của tỉnh
year: 2026
secretariat: xm1.vhxh
tasks:
  - code: "1"
    title: Tuyên truyền
    lead: [xm1.vhxh]
    due: "30/06/2026"
    serves: {serves}
""", encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        load_definitions([DEFINITIONS, PROVINCE, plan])
    found = [p for p in raised.value.problems if "serves" in p.field]
    assert found and message in found[0].message and found[0].line == 15, raised.value.problems


def test_serving_is_checked_against_the_database_too(engine: Engine, tmp_path: Path) -> None:
    load_province(engine)
    plan = tmp_path / "xm1-plan.yaml"
    plan.write_text("""kind: directive
code: xm1-plan
document: ke-hoach
number: 01/KH-UBND
date: "20/01/2026"
issuer: Ủy ban nhân dân xã Mẫu 1
title: Triển khai
year: 2026
secretariat: xm1.vhxh
tasks:
  - {code: "1", title: Tuyên truyền, lead: [xm1.vhxh], due: "30/06/2026", serves: tm-2026/7}
""", encoding="utf-8")
    from workflow.definitions.store import load_calendars, load_registry

    with read_session(engine) as session:
        definitions = load_definitions([plan], load_registry(session), load_calendars(session))
    with pytest.raises(DefinitionError, match="has no task '7'"), \
            write_session(engine) as session:
        save_definitions(session, definitions, JANUARY)
    with read_session(engine) as session:
        assert session.scalar(select(TaskSpecRow.id).where(
            TaskSpecRow.directive_code == "xm1-plan")) is None  # nothing stored


def test_implement_and_rollup_commands(tmp_path: Path) -> None:
    env = {"NHIEMVU_NOW": "10/02/2026 09:00"}

    def cli(*args: str) -> str:
        return run(list(args), tmp_path, env).stdout

    cli("init")
    cli("load", str(DEFINITIONS / "calendar.yaml"), str(PROVINCE))
    cli("instantiate", "tm-2026")
    out = tmp_path / "xm2-plan.yaml"
    said = cli("implement", "tm-2026", "--committee", "xm2", "--number", "07/KH-UBND",
               "--date", "02/2026", "--out", str(out))
    assert "2 nhiệm vụ thực hiện tm-2026" in said
    text = out.read_text(encoding="utf-8")
    assert "serves: tm-2026/2" in text and "date: 02/2026" in text
    cli("load", str(out))
    cli("instantiate", "xm2.tm-2026")
    own = next(t for t in json.loads(cli("tasks", "--directive", "xm2.tm-2026", "--json"))
               if t["agency"] == "xm2.vhxh" and t["period"] == "2026-h1")
    cli("report", str(own["id"]), "--text", "Đã tổ chức 2 lớp.")
    cli("verify", str(own["id"]))
    upper = next(t for t in json.loads(cli("tasks", "--directive", "tm-2026", "--json"))
                 if t["agency"] == "xm2.vhxh" and t["period"] == "2026-h1")
    composed = cli("rollup", str(upper["id"]), "--submit")
    assert "Đã tổ chức 2 lớp." in composed and "Đã gửi báo cáo của Ban" in composed
    assert "Đã báo cáo" in cli("show", str(upper["id"]))
    assert "tổng hợp từ báo cáo của Ban cấp dưới" in cli("history", str(upper["id"]))
