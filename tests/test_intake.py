"""Bringing directives in and keeping agencies from the browser, over HTTP against the
real app on both databases: upload → review → publish equals `nhiemvu load` +
`instantiate`; concurrent edits; problems at their field; amendments with their audit
and outbox rows; the YAML export; ad-hoc tasks; the agency registry; authorization."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from cli import cli
from tests.conftest import DEFINITIONS, NOW
from tests.test_web import PASSWORD, csrf_of, login
from tests.webserver import LiveApp, live_app
from workflow.access.users import add_user
from workflow.clock import FixedClock
from workflow.definitions.loader import load_definitions
from workflow.definitions.store import save_definitions
from workflow.storage.db import make_engine, read_session, write_session
from workflow.storage.migrate import upgrade
from workflow.storage.models import (
    AgencyGroupMemberRow,
    AgencyRow,
    AuditRow,
    DirectiveDraftRow,
    DirectiveRow,
    DirectiveVersionRow,
    OutboxRow,
    TaskRow,
    TaskTransferRow,
)

DATA = Path(__file__).parent / "data" / "directives"
PLAN = DATA / "ha-quang-2022-ke-hoach.txt"


def registry_only(engine: Engine) -> None:
    with write_session(engine) as session:
        save_definitions(session, load_definitions([DEFINITIONS / "agencies",
                                                    DEFINITIONS / "calendar.yaml"]), NOW)
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", NOW, committee="hq")
        add_user(session, "haiphong", PASSWORD, "Trần Văn Hải", NOW, committee="hp")
        add_user(session, "xem", PASSWORD, "Người xem", NOW, committee="hq", role="leader")


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> Iterator[LiveApp]:
    registry_only(engine)
    with live_app(engine, FixedClock(NOW), tmp_path / "attachments") as live:
        yield live


@pytest.fixture
def client(app: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=60) as http:
        assert login(http).status_code == 303
        yield http


def count(engine: Engine, model: Any, *where: Any) -> int:
    with read_session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def form_of(page: str, form_action: str) -> dict[str, list[str]]:
    """The fields a browser would send from the form posting to `form_action`."""
    start = page.index(f'action="{form_action}"')
    body = page[start:page.index("</form>", start)]
    fields: dict[str, list[str]] = {}
    for match in re.finditer(r"<input ([^>]*)>", body):
        attributes = dict(re.findall(r'([\w.-]+)="([^"]*)"', match.group(1)))
        if "name" not in attributes or attributes.get("type") == "file":
            continue
        if attributes.get("type") == "checkbox" and " checked" not in match.group(0):
            continue
        fields.setdefault(attributes["name"], []).append(html.unescape(
            attributes.get("value", "")))
    for match in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        fields[match.group(1)] = [html.unescape(match.group(2))]
    for match in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', match.group(2)) or \
            re.search(r'<option value="([^"]*)"', match.group(2))
        fields[match.group(1)] = [html.unescape(chosen.group(1)) if chosen else ""]
    return fields


def upload(client: httpx.Client, name: str, data: bytes) -> str:
    page = client.get("/quan-ly/nhap-van-ban")
    response = client.post("/quan-ly/nhap-van-ban", data={"csrf": csrf_of(page.text)},
                           files={"file": (name, data)})
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def review(client: httpx.Client, draft: str, changes: dict[str, str], action: str
           ) -> httpx.Response:
    page = client.get(draft)
    assert page.status_code == 200
    fields = form_of(page.text, draft)
    for name, value in changes.items():
        fields[name] = [value]
    fields["action"] = [action]
    return client.post(draft, data=fields)


def tasks_of(engine: Engine, code: str) -> set[tuple[Any, ...]]:
    with read_session(engine) as session:
        return {(t.spec_code, t.agency_code, t.role, t.period, t.due_on, t.state)
                for t in session.scalars(select(TaskRow).where(TaskRow.directive_code == code))}


def assignment_mail(engine: Engine, code: str) -> set[str | None]:
    with read_session(engine) as session:
        return {r.agency_code for r in session.scalars(select(OutboxRow).where(
            OutboxRow.kind == "tasks_assigned")) if r.payload.get("directive") == code}


FIXES = {"number": "38/KH-UBND", "date": "12/04/2022"}


def assert_cli_agrees(engine: Engine, code: str, exported: str, tmp_path: Path) -> None:
    """The exported YAML through the IT officer's commands, into a database of its own,
    makes the same tasks and the same assignment e-mails as publishing did."""
    path = tmp_path / f"{code}.yaml"
    path.write_text(exported, encoding="utf-8")
    other = tmp_path / "cli.db"
    upgrade(make_engine(f"sqlite:///{other}"))
    env = {"NHIEMVU_DATABASE_URL": f"sqlite:///{other}", "NHIEMVU_NOW": NOW.isoformat()}
    runner = CliRunner()
    loaded = runner.invoke(cli, ["load", str(DEFINITIONS / "agencies"),
                                 str(DEFINITIONS / "calendar.yaml"), str(path)], env=env)
    assert loaded.exit_code == 0, loaded.output
    made = runner.invoke(cli, ["instantiate", code, "--year", "2022"], env=env)
    assert made.exit_code == 0, made.output
    cli_engine = make_engine(f"sqlite:///{other}")
    assert tasks_of(cli_engine, code) == tasks_of(engine, code)
    assert assignment_mail(cli_engine, code) == assignment_mail(engine, code)
    cli_engine.dispose()


def publish_draft(client: httpx.Client, draft: str, fixes: dict[str, str]) -> str:
    confirm = review(client, draft, fixes, "publish")
    assert confirm.status_code == 200, re.findall(r"<li>.*?</li>", confirm.text)[:5]
    assert "Ban hành sẽ tạo" in confirm.text
    published = client.post(f"{draft}/ban-hanh", data=form_of(confirm.text,
                                                               f"{draft}/ban-hanh"))
    assert published.status_code == 303
    return str(published.headers["location"]).split("/van-ban/")[1].split("?")[0]


def test_an_uploaded_plan_publishes_exactly_like_load_and_instantiate(
        app: LiveApp, client: httpx.Client, tmp_path: Path) -> None:
    draft = upload(client, "ke-hoach.txt", PLAN.read_bytes())
    page = client.get(draft).text
    # The document beside the draft, the importer's review items at their place.
    assert 'id="dong-3"' in page and "Cần xem lại" in page
    assert "văn bản để trống số" in page
    assert count(app.engine, DirectiveDraftRow) == 1 and count(app.engine, DirectiveRow) == 0
    confirm = review(client, draft, FIXES, "publish")
    planned = int(re.search(r'id="so-nhiem-vu">(\d+)<', confirm.text).group(1))  # type: ignore[union-attr]
    mails = int(re.search(r'id="so-thu">(\d+)<', confirm.text).group(1))  # type: ignore[union-attr]
    assert count(app.engine, TaskRow) == 0  # nothing is created before confirming
    code = publish_draft(client, draft, FIXES)
    assert len(tasks_of(app.engine, code)) == planned
    assert len(assignment_mail(app.engine, code)) == mails
    exported = client.get(f"/quan-ly/van-ban/{code}/yaml")
    assert exported.status_code == 200 and "attachment" in exported.headers[
        "content-disposition"]
    assert_cli_agrees(app.engine, code, exported.text, tmp_path)
    # `nhiemvu export-yaml` writes the very same file.
    env = {"NHIEMVU_DATABASE_URL": app.engine.url.render_as_string(hide_password=False)}
    printed = CliRunner().invoke(cli, ["export-yaml", code], env=env)
    assert printed.exit_code == 0 and printed.output == exported.text
    with read_session(app.engine) as session:
        versions = list(session.scalars(select(DirectiveVersionRow)))
        assert [(v.number, v.actor) for v in versions] == [(1, "thuky")]
        assert session.get(DirectiveDraftRow, 1).published_code == code  # type: ignore[union-attr]


def test_two_secretaries_cannot_overwrite_each_other(app: LiveApp, client: httpx.Client
                                                     ) -> None:
    draft = upload(client, "ke-hoach.txt", PLAN.read_bytes())
    first, second = client.get(draft).text, client.get(draft).text
    saved = client.post(draft, data={**form_of(first, draft), "number": ["1/KH"],
                                     "action": ["save"]})
    assert saved.status_code == 303
    stale = client.post(draft, data={**form_of(second, draft), "number": ["2/KH"],
                                     "action": ["save"]})
    assert stale.status_code == 409 and "vừa được thuky sửa" in stale.text
    with read_session(app.engine) as session:
        assert session.get(DirectiveDraftRow, 1).document["number"] == "1/KH"  # type: ignore[union-attr]


def test_publishing_shows_every_problem_at_its_field(app: LiveApp, client: httpx.Client
                                                     ) -> None:
    page = client.get("/quan-ly/van-ban")
    response = client.post("/quan-ly/soan-van-ban", data={"csrf": csrf_of(page.text)})
    draft = str(response.headers["location"])
    result = review(client, draft, {"number": "5/KH-BVSTBPN", "date": "31/02/2022",
                                    "title": "Kế hoạch thử", "t0.title": "Tuyên truyền",
                                    "t0.due_kind": "date", "t0.due_date": "05/13/2022"},
                    "publish")
    assert result.status_code == 400
    assert 'id="f-date-loi"' in result.text and "không phải ngày có thật" in result.text
    assert 'id="f-t0-lead-loi"' in result.text and "cần ít nhất một cơ quan" in result.text
    assert 'id="f-t0-due_kind-loi"' in result.text
    assert "expected" not in result.text  # Vietnamese only
    typo = review(client, draft, {"t0.lead_add": "Không có cơ quan này"}, "save")
    assert typo.status_code == 400 and "không có «Không có cơ quan này»" in typo.text
    assert count(app.engine, DirectiveRow) == 0 and count(app.engine, TaskRow) == 0


def test_tasks_are_added_split_merged_and_deleted(app: LiveApp, client: httpx.Client) -> None:
    draft = upload(client, "ke-hoach.txt", PLAN.read_bytes())

    def codes() -> list[str]:
        with read_session(app.engine) as session:
            row = session.get(DirectiveDraftRow, 1)
            assert row is not None
            return [t["code"] for t in row.document["tasks"]]

    before = codes()
    assert review(client, draft, {}, "add").status_code == 303
    assert len(codes()) == len(before) + 1
    assert review(client, draft, {}, "split:0").status_code == 303
    assert codes()[1] == f"{before[0]}-b"
    assert review(client, draft, {}, "merge:0").status_code == 303
    assert codes()[:2] == [before[0], before[1]]
    assert review(client, draft, {}, "delete:0").status_code == 303
    assert codes()[0] == before[1]


def _published(client: httpx.Client) -> tuple[str, str]:
    code = publish_draft(client, upload(client, "ke-hoach.txt", PLAN.read_bytes()), FIXES)
    return code, client.get(f"/quan-ly/van-ban/{code}").text


def test_amendments_add_move_and_withdraw_with_audit_and_notices(
        app: LiveApp, client: httpx.Client) -> None:
    code, page = _published(client)
    action = f"/quan-ly/van-ban/{code}/them-nhiem-vu"
    fields = form_of(page, action)
    fields.update({"t0.title": ["Báo cáo nhanh số vụ bạo lực gia đình"],
                   "t0.lead_add": ["Công an huyện Hà Quảng"], "t0.due_kind": ["date"],
                   "t0.due_date": ["30/05/2022"], "t0.ad_hoc_report": ["1"]})
    added = client.post(action, data=fields)
    assert added.status_code == 303
    with read_session(app.engine) as session:
        task = session.scalars(select(TaskRow).where(
            TaskRow.directive_code == code, TaskRow.agency_code == "hq.cong-an")
            .order_by(TaskRow.id.desc())).first()  # type: ignore[union-attr]
        assert task is not None and str(task.due_on) == "2022-05-30"
        new_code = task.spec_code
    # The page the deadline form came from is now stale: refused, nothing moves.
    stale = client.post(f"/quan-ly/van-ban/{code}/doi-han", data={
        **form_of(page, f"/quan-ly/van-ban/{code}/doi-han"), "task": new_code,
        "t1.due_kind": "date", "t1.due_date": "10/06/2022", "reason": "Chờ số liệu"})
    assert stale.status_code == 409
    page = client.get(f"/quan-ly/van-ban/{code}").text
    moved = client.post(f"/quan-ly/van-ban/{code}/doi-han", data={
        **form_of(page, f"/quan-ly/van-ban/{code}/doi-han"), "task": new_code,
        "t1.due_kind": "date", "t1.due_date": "10/06/2022", "reason": "Chờ số liệu tháng 5"})
    assert moved.status_code == 303
    with read_session(app.engine) as session:
        row = session.get(TaskRow, task.id)
        assert row is not None and str(row.due_on) == "2022-06-10"
    assert count(app.engine, AuditRow, AuditRow.task_id == task.id,
                 AuditRow.trigger == "reschedule") == 1
    assert count(app.engine, OutboxRow, OutboxRow.task_id == task.id,
                 OutboxRow.kind == "deadline_changed") == 1
    page = client.get(f"/quan-ly/van-ban/{code}").text
    withdrawn = client.post(f"/quan-ly/van-ban/{code}/rut", data={
        "csrf": csrf_of(page), "version": re.search(  # type: ignore[union-attr]
            r'name="version" value="(\d+)"', page).group(1), "task": new_code,
        "reason": "Trùng với nhiệm vụ khác"})
    assert withdrawn.status_code == 303
    with read_session(app.engine) as session:
        row = session.get(TaskRow, task.id)
        assert row is not None and row.state == "cancelled"
        versions = session.scalars(select(DirectiveVersionRow).where(
            DirectiveVersionRow.directive_code == code).order_by(
            DirectiveVersionRow.number)).all()
        assert [v.number for v in versions] == [1, 2, 3, 4]
        assert all(v.actor == "thuky" for v in versions)
        assert new_code not in {t["code"] for t in versions[-1].document["tasks"]}
    assert count(app.engine, OutboxRow, OutboxRow.task_id == task.id,
                 OutboxRow.kind == "task_cancelled") == 1
    final = client.get(f"/quan-ly/van-ban/{code}").text
    assert "Rút nhiệm vụ" in final and "Phiên bản 4" in final
    assert client.get(f"/quan-ly/van-ban/{code}/phien-ban/2").status_code == 200


def test_an_ad_hoc_report_to_a_group(app: LiveApp, client: httpx.Client) -> None:
    page = client.get("/quan-ly/giao-viec-dot-xuat").text
    group = re.search(r'<option value="(Ủy ban nhân dân các xã[^"]*)"', page)
    assert group, "the group is offered by its name"
    response = client.post("/quan-ly/giao-viec-dot-xuat", data={
        "csrf": csrf_of(page), "t0.title": "Tình hình bạo lực gia đình quý II",
        "t0.lead_add": html.unescape(group.group(1)), "t0.due_kind": "date",
        "t0.due_date": "15/05/2022", "t0.ad_hoc_report": "1"})
    assert response.status_code == 303
    code = str(response.headers["location"]).split("/van-ban/")[1].split("?")[0]
    with read_session(app.engine) as session:
        members = set(session.scalars(select(AgencyGroupMemberRow.agency_code).where(
            AgencyGroupMemberRow.group_code == "hq.xa-thi-tran")))
        tasks = session.scalars(select(TaskRow).where(TaskRow.directive_code == code)).all()
        directive = session.get(DirectiveRow, code)
        assert directive is not None and directive.committee_code == "hq"
    assert {t.agency_code for t in tasks} == members
    assert {str(t.due_on) for t in tasks} == {"2022-05-15"}
    assert assignment_mail(app.engine, code) == members
    assert "Báo cáo đột xuất" in client.get(f"/quan-ly/van-ban/{code}").text


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


CONTACTS = [["DANH SÁCH CƠ QUAN"],
            ["Tên cơ quan", "Email", "Lãnh đạo", "Điện thoại"],
            ["Phòng Văn hóa - Xã hội xã Mẫu", "vhxh@xa-mau.example", "Lê Thị Hoa",
             "0206 3861 234"],
            ["Công an huyện Hà Quảng", "conganmoi@ha-quang.example", "", ""]]


def test_contact_list_import_refuses_a_bad_row_and_stores_nothing(
        app: LiveApp, client: httpx.Client) -> None:
    page = client.get("/quan-ly/co-quan").text
    before = count(app.engine, AgencyRow)
    bad = client.post("/quan-ly/co-quan/nhap", data={"csrf": csrf_of(page), "level": "xa"},
                      files={"file": ("danh-sach.xlsx", _xlsx(
                          [*CONTACTS, ["Thôn Nà Mạ", "khong-phai-thu", "", ""]]))})
    assert bad.status_code == 400
    assert "dòng 5, cột Email: «khong-phai-thu» không phải địa chỉ thư" in bad.text
    assert "xac-nhan" not in bad.text and count(app.engine, AgencyRow) == before
    good = client.post("/quan-ly/co-quan/nhap", data={"csrf": csrf_of(page), "level": "xa"},
                       files={"file": ("danh-sach.xlsx", _xlsx(CONTACTS))})
    assert good.status_code == 200
    assert re.search(r'id="so-them">1<', good.text) and re.search(r'id="so-sua">1<', good.text)
    assert count(app.engine, AgencyRow) == before  # a preview stores nothing
    tampered = form_of(good.text, "/quan-ly/co-quan/nhap/xac-nhan")
    tampered["payload"] = [tampered["payload"][0][:-3] + "abc"]
    assert client.post("/quan-ly/co-quan/nhap/xac-nhan", data=tampered).status_code == 400
    done = client.post("/quan-ly/co-quan/nhap/xac-nhan",
                       data=form_of(good.text, "/quan-ly/co-quan/nhap/xac-nhan"))
    assert done.status_code == 303
    with read_session(app.engine) as session:
        police = session.get(AgencyRow, "hq.cong-an")
        assert police is not None and police.emails == ["conganmoi@ha-quang.example"]
        added = session.scalars(select(AgencyRow).where(
            AgencyRow.name == "Phòng Văn hóa - Xã hội xã Mẫu")).one()
        assert added.committee_code == "hq" and added.phone == "0206 3861 234"
        assert added.head_name == "Lê Thị Hoa" and added.level == "xa"


def test_agencies_and_groups_are_kept_from_the_registry_page(
        app: LiveApp, client: httpx.Client) -> None:
    page = client.get("/quan-ly/co-quan/moi").text
    refused = client.post("/quan-ly/co-quan/moi", data={
        "csrf": csrf_of(page), "name": "Thôn Nà Mạ", "level": "xa", "emails": "sai"})
    assert refused.status_code == 400 and "không phải địa chỉ thư" in refused.text
    made = client.post("/quan-ly/co-quan/moi", data={
        "csrf": csrf_of(page), "name": "Thôn Nà Mạ", "level": "xa",
        "emails": "nama@ha-quang.example; truongthon@ha-quang.example"})
    assert made.status_code == 303
    with read_session(app.engine) as session:
        row = session.scalars(select(AgencyRow).where(AgencyRow.name == "Thôn Nà Mạ")).one()
    edit = client.get(f"/quan-ly/co-quan/{row.code}/sua").text
    fields = form_of(edit, f"/quan-ly/co-quan/{row.code}/sua")
    fields.update({"emails": ["moi@ha-quang.example"], "active": ["0"]})
    assert client.post(f"/quan-ly/co-quan/{row.code}/sua", data=fields).status_code == 303
    with read_session(app.engine) as session:
        changed = session.get(AgencyRow, row.code)
        assert changed is not None and changed.emails == ["moi@ha-quang.example"]
        assert not changed.active
    group_page = client.get("/quan-ly/nhom/moi").text
    group = client.post("/quan-ly/nhom/moi", data={
        "csrf": csrf_of(group_page), "name": "Các thôn", "members": [row.code, "hq.hlhpn"]})
    assert group.status_code == 303
    listing = client.get("/quan-ly/co-quan?q=Nà").text
    assert "Thôn Nà Mạ" in listing and "Phòng Nội vụ" not in listing.split("Nhóm cơ quan")[0]
    assert "Các thôn" in listing


def test_a_merge_from_the_registry_page_moves_the_open_tasks(
        app: LiveApp, client: httpx.Client) -> None:
    code, _ = _published(client)
    owned = count(app.engine, TaskRow, TaskRow.agency_code == "hq.noi-vu")
    assert owned > 0
    page = client.get("/quan-ly/co-quan/hq.noi-vu/thay-doi").text
    assert page.count('href="/quan-ly/nhiem-vu/') == owned  # the preview lists them
    response = client.post("/quan-ly/co-quan/hq.noi-vu/thay-doi", data={
        "csrf": csrf_of(page), "kind": "merge", "on": "01/05/2022",
        "targets": "hq.ldtbxh", "reason": "Quyết định 12/QĐ-UBND"})
    assert response.status_code == 200
    moved = re.search(r"(\d+) nhiệm vụ chuyển giao, (\d+) nhiệm vụ hủy", response.text)
    assert moved and int(moved.group(1)) + int(moved.group(2)) == owned
    assert count(app.engine, TaskRow, TaskRow.agency_code == "hq.noi-vu",
                 TaskRow.state.in_(["assigned", "returned", "reported"])) == 0  # type: ignore[attr-defined]
    assert count(app.engine, TaskTransferRow) == int(moved.group(1)) > 0
    assert code


NEW_POSTS = ["/quan-ly/nhap-van-ban", "/quan-ly/soan-van-ban", "/quan-ly/du-thao/1",
             "/quan-ly/du-thao/1/ban-hanh", "/quan-ly/du-thao/1/xoa",
             "/quan-ly/giao-viec-dot-xuat", "/quan-ly/van-ban/CODE/them-nhiem-vu",
             "/quan-ly/van-ban/CODE/doi-han", "/quan-ly/van-ban/CODE/rut",
             "/quan-ly/co-quan/moi", "/quan-ly/co-quan/nhap", "/quan-ly/co-quan/nhap/xac-nhan",
             "/quan-ly/co-quan/hq.cong-an/sua", "/quan-ly/co-quan/hq.cong-an/thay-doi",
             "/quan-ly/nhom/moi", "/quan-ly/nhom/hq.xa-thi-tran"]
NEW_GETS = ["/quan-ly/van-ban", "/quan-ly/nhap-van-ban", "/quan-ly/du-thao/1",
            "/quan-ly/giao-viec-dot-xuat", "/quan-ly/van-ban/CODE",
            "/quan-ly/van-ban/CODE/yaml", "/quan-ly/van-ban/CODE/phien-ban/1",
            "/quan-ly/co-quan", "/quan-ly/co-quan/moi", "/quan-ly/co-quan/hq.cong-an/sua",
            "/quan-ly/co-quan/hq.cong-an/thay-doi", "/quan-ly/nhom/moi",
            "/quan-ly/nhom/hq.xa-thi-tran"]


def test_every_new_route_is_refused_without_a_session_another_committee_or_csrf(
        app: LiveApp, client: httpx.Client) -> None:
    from web.directives import ROUTES as DIRECTIVE_ROUTES
    from web.intake import ROUTES as INTAKE_ROUTES
    from web.registry import ROUTES as REGISTRY_ROUTES

    routes = [*INTAKE_ROUTES, *DIRECTIVE_ROUTES, *REGISTRY_ROUTES]
    enumerated = sum(len((r.methods or set()) - {"HEAD"}) for r in routes)
    assert enumerated == len(NEW_POSTS) + len(NEW_GETS)
    code, _page = _published(client)
    upload(client, "ke-hoach.txt", PLAN.read_bytes())  # draft 2 stays a draft
    snapshot = (count(app.engine, TaskRow), count(app.engine, AuditRow),
                count(app.engine, DirectiveVersionRow), count(app.engine, DirectiveDraftRow),
                count(app.engine, AgencyRow))
    stranger = httpx.Client(base_url=app.url, follow_redirects=False, timeout=30)
    other = httpx.Client(base_url=app.url, follow_redirects=False, timeout=30)
    viewer = httpx.Client(base_url=app.url, follow_redirects=False, timeout=30)
    assert login(other, username="haiphong").status_code == 303
    assert login(viewer, username="xem").status_code == 303
    other_csrf = csrf_of(other.get("/quan-ly/van-ban").text)
    for path in NEW_GETS:
        path = path.replace("CODE", code)
        assert stranger.get(path).status_code == 303, path
        if path not in {"/quan-ly/van-ban", "/quan-ly/co-quan", "/quan-ly/nhap-van-ban",
                        "/quan-ly/giao-viec-dot-xuat", "/quan-ly/co-quan/moi",
                        "/quan-ly/nhom/moi"}:
            refused = other.get(path)
            assert refused.status_code == 403, path
            assert "38/KH-UBND" not in refused.text and "Công an huyện" not in refused.text
    assert code not in other.get("/quan-ly/van-ban").text
    assert "Công an huyện Hà Quảng" not in other.get("/quan-ly/co-quan").text
    for path in NEW_POSTS:
        path = path.replace("CODE", code).replace("du-thao/1", "du-thao/2")
        data = {"csrf": other_csrf, "reason": "x", "name": "X", "level": "xa",
                "emails": "x@y.example", "kind": "dissolve", "on": "01/05/2022",
                "version": "1", "task": "1", "t0.title": "X", "action": "save"}
        assert stranger.post(path, data=data).status_code == 403, path
        assert client.post(path, data={**data, "csrf": "gia-mao"}).status_code == 403, path
        if path not in {"/quan-ly/nhap-van-ban", "/quan-ly/soan-van-ban",
                        "/quan-ly/giao-viec-dot-xuat", "/quan-ly/co-quan/moi",
                        "/quan-ly/nhom/moi", "/quan-ly/co-quan/nhap",
                        "/quan-ly/co-quan/nhap/xac-nhan"}:
            assert other.post(path, data=data).status_code == 403, path
        viewer_csrf = csrf_of(viewer.get("/quan-ly/van-ban").text)
        assert viewer.post(path, data={**data, "csrf": viewer_csrf}).status_code == 403, path
    assert snapshot == (count(app.engine, TaskRow), count(app.engine, AuditRow),
                        count(app.engine, DirectiveVersionRow),
                        count(app.engine, DirectiveDraftRow), count(app.engine, AgencyRow))
    for http in (stranger, other, viewer):
        http.close()


def test_a_changed_email_takes_effect_for_the_next_message_and_old_links_still_work(
        app: LiveApp, client: httpx.Client) -> None:
    from notifier.sender import send_due
    from notifier.transport import Smtp
    from tests.smtpserver import smtp_server
    from tests.test_notifier import smtp

    code, _ = _published(client)
    with smtp_server() as (recorder, port):
        settings = smtp(port, base_url=app.url)
        send_due(app.engine, Smtp(settings), settings, NOW)
        first = [m for m in recorder.messages  # type: ignore[attr-defined]
                 if "cong-an" in str(m["To"]) or "congan" in str(m["To"])]
        assert first, [str(m["To"]) for m in recorder.messages]  # type: ignore[attr-defined]
        old_link = re.search(r"Báo cáo: (http\S+/bao-cao/\S+)",
                             first[0].get_body(("plain",)).get_content())
        assert old_link
        edit = client.get("/quan-ly/co-quan/hq.cong-an/sua").text
        fields = form_of(edit, "/quan-ly/co-quan/hq.cong-an/sua")
        fields["emails"] = ["doimoi@ha-quang.example"]
        assert client.post("/quan-ly/co-quan/hq.cong-an/sua", data=fields).status_code == 303
        later = NOW + timedelta(hours=2)
        app.clock.set(later)
        page = client.get(f"/quan-ly/van-ban/{code}").text
        action = f"/quan-ly/van-ban/{code}/them-nhiem-vu"
        added = client.post(action, data={**form_of(page, action),
                                          "t0.title": "Báo cáo số vụ việc",
                                          "t0.lead_add": "Công an huyện Hà Quảng",
                                          "t0.due_kind": "date", "t0.due_date": "30/05/2022"})
        assert added.status_code == 303
        before = len(recorder.messages)  # type: ignore[attr-defined]
        send_due(app.engine, Smtp(settings), settings, later)
        new = recorder.messages[before:]  # type: ignore[attr-defined]
        assert [str(m["To"]) for m in new] == ["doimoi@ha-quang.example"]
    assert httpx.get(old_link.group(1), timeout=30).status_code == 200


def test_hostile_and_broken_uploads_are_refused_and_leave_no_file(
        app: LiveApp, client: httpx.Client) -> None:
    import tempfile
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "0" * (60 * 1024 * 1024))
    cases = [("bom.docx", bomb.getvalue(), "giải nén ra quá lớn"),
             ("hong.docx", b"PK\x03\x04" + b"\x00" * 200, "không phải"),
             ("anh.png", b"\x89PNG\r\n", "Chỉ nhận tệp"),
             ("rong.txt", b"   ", "tệp rỗng"),
             ("nhi-phan.txt", b"\x00\x01\x02" * 100, "nhị phân")]
    before = set(Path(tempfile.gettempdir()).glob("nhiemvu-nhap-*"))
    for name, data, words in cases:
        page = client.get("/quan-ly/nhap-van-ban")
        response = client.post("/quan-ly/nhap-van-ban", data={"csrf": csrf_of(page.text)},
                               files={"file": (name, data)})
        assert response.status_code in {400, 413}, name
        assert words in response.text, (name, re.findall(r"<li>.*?</li>", response.text))
    assert set(Path(tempfile.gettempdir()).glob("nhiemvu-nhap-*")) == before
    assert count(app.engine, DirectiveDraftRow) == 0
    bad = client.post("/quan-ly/co-quan/nhap", data={
        "csrf": csrf_of(client.get("/quan-ly/co-quan").text), "level": "xa"},
        files={"file": ("bom.xlsx", bomb.getvalue())})
    assert bad.status_code == 400 and "giải nén ra quá lớn" in bad.text


def test_a_pasted_letter_without_header_takes_what_the_secretary_knows(
        app: LiveApp, client: httpx.Client) -> None:
    """A letter copied from an e-mail from "Kính gửi" on: the year, issuer, kind and date
    typed in the form fill what the text lacks; a wrong one is shown at its field and
    nothing is saved."""
    text = (Path(__file__).parent / "data" / "corpus" /
            "20-phuong-tan-dinh-2025-cong-van.txt").read_text(encoding="utf-8")
    page = client.get("/quan-ly/nhap-van-ban")
    assert 'name="nam"' in page.text and 'name="loai"' in page.text
    refused = client.post("/quan-ly/nhap-van-ban", data={
        "csrf": csrf_of(page.text), "text": text, "nam": "1800", "co_quan": "Phường X"})
    assert refused.status_code == 400
    assert 'id="nam" name="nam"' in refused.text and 'aria-invalid="true"' in refused.text
    assert "Năm 1800: cần một năm từ 1990 đến 2100" in refused.text
    assert 'value="Phường X"' in refused.text  # what she typed is kept
    assert count(app.engine, DirectiveDraftRow) == 0
    response = client.post("/quan-ly/nhap-van-ban", data={
        "csrf": csrf_of(page.text), "text": text, "nam": "2025",
        "co_quan": "Ủy ban nhân dân phường Tân Định", "loai": "cong-van", "ngay": "05/11/2025"})
    assert response.status_code == 303, re.findall(r"<li>.*?</li>", response.text)
    with read_session(app.engine) as session:
        row = session.scalars(select(DirectiveDraftRow)).one()
        document, notes = row.document, row.notes
    assert (document["year"], document["issuer"], document["date"], document["document"]) == \
        (2025, "Ủy ban nhân dân phường Tân Định", "05/11/2025", "cong-van")
    assert len(document["tasks"]) == 3
    # the collective recipient is proposed as a group of the commune level
    assert any("là tên chung của nhiều cơ quan (cấp xã)" in (n["text"] or "") for n in notes)
