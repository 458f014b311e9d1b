"""The secretariat's task operations from the dashboard, over HTTP against the real app
on both databases: each single operation with its audit and outbox rows, the mail they
queue delivered to the real SMTP test server, bulk operations from the overdue list and
the matrix as one transaction, closing a year, and every new route's authorization."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.simulation import task_id
from tests.test_intake import form_of
from tests.test_web import NOW, PASSWORD, POLICE, WOMEN_UNION, csrf_of, login
from tests.webserver import LiveApp, live_app
from workflow.access.users import add_user
from workflow.clock import FixedClock
from workflow.engine.instantiate import instantiate
from workflow.storage.db import read_session, write_session
from workflow.storage.models import AuditRow, OutboxRow, ReportRow, TaskRow


@pytest.fixture
def app(loaded: Engine, tmp_path: Path) -> Iterator[LiveApp]:
    instantiate(loaded, "hq-2022", 2022, NOW)
    with write_session(loaded) as session:
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", NOW, committee="hq")
        add_user(session, "haiphong", PASSWORD, "Trần Văn Hải", NOW, committee="hp")
    with live_app(loaded, FixedClock(NOW), tmp_path / "attachments") as live:
        yield live


@pytest.fixture
def client(app: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=60) as http:
        assert login(http).status_code == 303
        yield http


def free_agency(engine: Engine, ident: int) -> str:
    """An active agency of the task's committee that has no such task yet."""
    from workflow.storage.models import AgencyRow

    with read_session(engine) as session:
        row = session.get(TaskRow, ident)
        assert row is not None
        holders = set(session.scalars(select(TaskRow.agency_code).where(
            TaskRow.directive_code == row.directive_code, TaskRow.spec_code == row.spec_code,
            TaskRow.period == row.period)))
        return sorted(a for a in session.scalars(select(AgencyRow.code).where(
            AgencyRow.committee_code == "hq")) if a not in holders)[0]


def count(engine: Engine, model: Any, *where: Any) -> int:
    with read_session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def task(engine: Engine, ident: int) -> TaskRow:
    with read_session(engine) as session:
        row = session.get(TaskRow, ident)
        assert row is not None
        return row


def operate(client: httpx.Client, ident: int, op: str, **fields: str) -> httpx.Response:
    page = client.get(f"/quan-ly/nhiem-vu/{ident}").text
    data = {**form_of(page, f"/quan-ly/nhiem-vu/{ident}/thao-tac"), "op": [op]}
    data.update({k: [v] for k, v in fields.items()})
    return client.post(f"/quan-ly/nhiem-vu/{ident}/thao-tac", data=data)


def test_each_operation_on_one_task_writes_its_audit_and_notice(
        app: LiveApp, client: httpx.Client) -> None:
    police = task_id(app.engine, POLICE)
    page = client.get(f"/quan-ly/nhiem-vu/{police}").text
    assert "/bao-cao/" in re.search(r'id="lien-ket" readonly value="([^"]+)"',  # type: ignore[union-attr]
                                    page).group(1)
    assert operate(client, police, "remind").status_code == 303
    assert count(app.engine, OutboxRow, OutboxRow.task_id == police,
                 OutboxRow.kind == "reminder") == 1
    resent = operate(client, police, "resend", address="ca.truc@ha-quang.example")
    assert resent.status_code == 303
    with read_session(app.engine) as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.kind == "link_resent")).one()
        assert row.payload == {"to": "ca.truc@ha-quang.example"}
    assert operate(client, police, "resend", address="khong-phai-thu").status_code == 400
    before = task(app.engine, police)
    assert operate(client, police, "deadline", due="20/06/2022",
                   reason="Chờ số liệu").status_code == 303
    after = task(app.engine, police)
    assert str(after.due_on) == "2022-06-20" and after.version == before.version + 1
    assert count(app.engine, OutboxRow, OutboxRow.task_id == police,
                 OutboxRow.kind == "deadline_changed") == 1
    assert operate(client, police, "deadline", due="31/02/2022",
                   reason="x").status_code == 400
    refused = operate(client, police, "cancel")
    assert refused.status_code == 400 and "lý do hủy" in refused.text
    union = task_id(app.engine, WOMEN_UNION)
    target = free_agency(app.engine, union)
    taken = operate(client, union, "reassign", agency="hq.cong-an", reason="x")
    assert taken.status_code == 400 and "đã có nhiệm vụ này" in taken.text
    moved = operate(client, union, "reassign", agency=target, reason="Đúng chức năng")
    assert moved.status_code == 303 and task(app.engine, union).agency_code == target
    with read_session(app.engine) as session:
        kinds = {(r.kind, r.agency_code) for r in session.scalars(select(OutboxRow).where(
            OutboxRow.created_at == NOW, OutboxRow.kind.in_(  # type: ignore[attr-defined]
                ["task_reassigned", "tasks_assigned"]), OutboxRow.key.like("%giao-lai%")
            | (OutboxRow.kind == "task_reassigned")))}
        assert kinds == {("task_reassigned", "hq.hlhpn"), ("tasks_assigned", target)}
    triggers = [a.trigger for a in _audit(app.engine, police)]
    assert triggers[-3:] == ["remind", "resend", "reschedule"]
    assert operate(client, police, "cancel", reason="Trùng nhiệm vụ").status_code == 303
    assert task(app.engine, police).state == "cancelled"
    shown = client.get(f"/quan-ly/nhiem-vu/{police}?xong=cancel").text
    assert "Đã thực hiện: hủy nhiệm vụ" in shown and "Đổi hạn" in shown


def _audit(engine: Engine, ident: int) -> list[AuditRow]:
    with read_session(engine) as session:
        return list(session.scalars(select(AuditRow).where(AuditRow.task_id == ident)
                                    .order_by(AuditRow.id)))


def test_a_report_received_on_paper_is_entered_for_the_agency(
        app: LiveApp, client: httpx.Client) -> None:
    police = task_id(app.engine, POLICE)
    page = client.get(f"/quan-ly/nhiem-vu/{police}").text
    action = f"/quan-ly/nhiem-vu/{police}/nhap-bao-cao"
    empty = client.post(action, data={**form_of(page, action), "text": ""})
    assert empty.status_code == 400 and count(app.engine, ReportRow) == 0
    response = client.post(action, data={
        **form_of(page, action), "channel": "document", "reference": "Công văn 12/CA ngày "
        "18/05/2022", "text": "Đã tuyên truyền tại 5 xã.", "figures": "Số buổi: 5"},
        files={"files": ("bao-cao.pdf", b"%PDF-1.4\n%%EOF\n")})
    assert response.status_code == 303, response.text
    row = task(app.engine, police)
    assert row.state == "reported"
    with read_session(app.engine) as session:
        report = session.scalars(select(ReportRow).where(ReportRow.task_id == police)).one()
        assert report.channel == "document" and report.figures == [
            {"label": "Số buổi", "value": "5"}]
        assert report.text.startswith("[Nhận qua công văn: Công văn 12/CA ngày 18/05/2022]")
    audit = _audit(app.engine, police)[-1]
    assert (audit.trigger, audit.actor, audit.channel) == ("report", "thuky", "document")
    assert "công văn (Thường trực nhập)" in client.get(f"/quan-ly/nhiem-vu/{police}").text


def test_bulk_operations_preview_then_apply_in_one_transaction(
        app: LiveApp, client: httpx.Client) -> None:
    app.clock.set(NOW + timedelta(days=30))  # 19/06/2022: the 05/06 reports are overdue
    page = client.get("/quan-ly/qua-han").text
    ids = re.findall(r'name="task" value="(\d+)"', page)
    assert len(ids) > 5
    preview = client.post("/quan-ly/hang-loat/xem-truoc", data={
        "csrf": csrf_of(page), "task": ids, "op": "cancel", "reason": "Hết nhiệm vụ"})
    assert preview.status_code == 200
    assert int(re.search(r'id="so-ap-dung">(\d+)<', preview.text).group(1)) == len(ids)  # type: ignore[union-attr]
    confirm = form_of(preview.text, "/quan-ly/hang-loat")
    # Another secretary changes one task meanwhile: the whole batch is refused.
    first = int(ids[0])
    assert operate(client, first, "deadline", due="30/06/2022", reason="Gia hạn").status_code \
        == 303
    audit_before = count(app.engine, AuditRow)
    stale = client.post("/quan-ly/hang-loat", data=confirm)
    assert stale.status_code == 409
    assert count(app.engine, TaskRow, TaskRow.state == "cancelled") == 0
    assert count(app.engine, AuditRow) == audit_before
    confirm["item"] = [i for i in confirm["item"] if not i.startswith(f"{first}:")]
    done = client.post("/quan-ly/hang-loat", data=confirm)
    assert done.status_code == 200 and f">{len(ids) - 1}<" in done.text
    assert count(app.engine, TaskRow, TaskRow.state == "cancelled") == len(ids) - 1
    assert count(app.engine, AuditRow, AuditRow.trigger == "cancel") == len(ids) - 1
    assert count(app.engine, OutboxRow, OutboxRow.kind == "task_cancelled") == len(ids) - 1
    # From the matrix: every task of one agency, by filter.
    matrix = client.get("/quan-ly/ma-tran/hq-2022/2022").text
    form = form_of(matrix, "/quan-ly/hang-loat/xem-truoc")
    form.update({"agency": ["hq.noi-vu"], "op": ["remind"]})
    preview = client.post("/quan-ly/hang-loat/xem-truoc", data=form)
    owed = count(app.engine, TaskRow, TaskRow.agency_code == "hq.noi-vu",
                 TaskRow.state.in_(["assigned", "returned"]))  # type: ignore[attr-defined]
    assert int(re.search(r'id="so-ap-dung">(\d+)<', preview.text).group(1)) == owed  # type: ignore[union-attr]
    reminders = count(app.engine, OutboxRow, OutboxRow.kind == "reminder")
    assert client.post("/quan-ly/hang-loat", data=form_of(
        preview.text, "/quan-ly/hang-loat")).status_code == 200
    assert count(app.engine, OutboxRow, OutboxRow.kind == "reminder") == reminders + owed


def test_closing_a_year_from_the_dashboard(app: LiveApp, client: httpx.Client) -> None:
    page = client.get("/quan-ly/ket-thuc/hq-2022/2022")
    owed = count(app.engine, TaskRow, TaskRow.state.in_(["assigned", "returned"]))  # type: ignore[attr-defined]
    assert int(re.search(r'id="so-khong-hoan-thanh">(\d+)<', page.text).group(1)) == owed  # type: ignore[union-attr]
    action = "/quan-ly/ket-thuc/hq-2022/2022"
    assert client.post(action, data={"csrf": csrf_of(page.text)}).status_code == 400
    assert count(app.engine, TaskRow, TaskRow.state == "not_done") == 0
    closed = client.post(action, data={"csrf": csrf_of(page.text),
                                       "reason": "Hết năm kế hoạch"})
    assert closed.status_code == 303
    assert count(app.engine, TaskRow, TaskRow.state == "not_done") == owed
    assert "đã kết thúc" in client.get(action).text.lower()


def test_the_mail_of_operations_reaches_the_right_people(app: LiveApp,
                                                          client: httpx.Client) -> None:
    from notifier.sender import send_due
    from notifier.transport import Smtp
    from tests.smtpserver import smtp_server
    from tests.test_notifier import smtp

    union = task_id(app.engine, WOMEN_UNION)
    police = task_id(app.engine, POLICE)
    with read_session(app.engine) as session:
        db = session.execute(select(OutboxRow.id)).all()
        assert db
    with write_session(app.engine) as session:  # only the operations' mail is of interest
        for row in session.scalars(select(OutboxRow)):
            row.state = "sent"
            session.add(row)
    target = free_agency(app.engine, union)
    assert operate(client, union, "reassign", agency=target, reason="x").status_code == 303
    assert operate(client, police, "resend", address="ca.truc@ha-quang.example"
                   ).status_code == 303
    with smtp_server() as (recorder, port):
        settings = smtp(port, base_url=app.url)
        send_due(app.engine, Smtp(settings), settings, NOW)
        sent = {str(m["Subject"]).split("]")[0] + "]": str(m["To"])
                for m in recorder.messages}  # type: ignore[attr-defined]
    from workflow.storage.models import AgencyRow

    with read_session(app.engine) as session:
        old, new = session.get(AgencyRow, "hq.hlhpn"), session.get(AgencyRow, target)
        assert old is not None and new is not None
    assert sent["[Giao cho cơ quan khác]"] == ", ".join(old.emails)
    assert sent["[Liên kết báo cáo]"] == "ca.truc@ha-quang.example"
    assert sent["[Giao nhiệm vụ]"] == ", ".join(new.emails)


ROUTES_POST = ["/quan-ly/nhiem-vu/ID/thao-tac", "/quan-ly/nhiem-vu/ID/nhap-bao-cao",
               "/quan-ly/hang-loat/xem-truoc", "/quan-ly/hang-loat",
               "/quan-ly/ket-thuc/hq-2022/2022", "/quan-ly/gia-han/999999"]


def test_every_operation_route_is_refused_without_session_committee_or_csrf(
        app: LiveApp, client: httpx.Client) -> None:
    from web.operations import ROUTES

    assert sum(len((r.methods or set()) - {"HEAD"}) for r in ROUTES) == len(ROUTES_POST) + 1
    police = task_id(app.engine, POLICE)
    snapshot = (count(app.engine, AuditRow), count(app.engine, OutboxRow),
                task(app.engine, police).version)
    other = httpx.Client(base_url=app.url, follow_redirects=False, timeout=30)
    stranger = httpx.Client(base_url=app.url, follow_redirects=False, timeout=30)
    assert login(other, username="haiphong").status_code == 303
    other_csrf = csrf_of(other.get("/quan-ly").text)
    assert stranger.get("/quan-ly/ket-thuc/hq-2022/2022").status_code == 303
    assert other.get("/quan-ly/ket-thuc/hq-2022/2022").status_code == 403
    for path in ROUTES_POST:
        path = path.replace("ID", str(police))
        data = {"op": "cancel", "reason": "x", "task": str(police), "text": "x",
                "channel": "paper", "item": f"{police}:{snapshot[2]}",
                "directive": "hq-2022", "year": "2022"}
        assert stranger.post(path, data={**data, "csrf": other_csrf}).status_code == 403, path
        assert client.post(path, data={**data, "csrf": "gia-mao"}).status_code == 403, path
        refused = other.post(path, data={**data, "csrf": other_csrf})
        assert refused.status_code in {400, 403, 404}, path
        assert "Công an huyện" not in refused.text
    assert snapshot == (count(app.engine, AuditRow), count(app.engine, OutboxRow),
                        task(app.engine, police).version)
    other.close()
    stranger.close()
