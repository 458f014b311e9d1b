"""Extension requests (gia hạn) end to end on both databases: an agency asks through the
link in its e-mail, the secretariat approves with another date or refuses, the agency is
told, and the scheduler's ladder and the classification follow the extended deadline
while the original one is kept."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select

from exports.collect import as_table, collect
from tests.simulation import task_id
from tests.test_operations import app, count, task  # noqa: F401  (the fixture)
from tests.test_web import POLICE, WOMEN_UNION, csrf_of, link, login
from tests.webserver import LiveApp
from workflow.clock import LOCAL_TZ
from workflow.engine.actions import fire
from workflow.engine.actors import Actor
from workflow.schedule.sweep import run_due
from workflow.storage.db import read_session
from workflow.storage.models import AuditRow, ExtensionRequestRow, OutboxRow
from workflow.views.timeliness import timeliness

SECRETARIAT = Actor("thuky", "secretariat", "cli")


@pytest.fixture
def desk(app: LiveApp) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=60) as http:
        assert login(http).status_code == 303
        yield http


def ask(app: LiveApp, key: str, proposed: str, reason: str) -> httpx.Response:  # noqa: F811
    url = link(app, key)
    with httpx.Client(timeout=30, follow_redirects=False) as agency:
        page = agency.get(url)
        assert page.status_code == 200 and "Xin gia hạn" in page.text
        # The form is gone while a request waits; a POST made anyway carries the page's
        # CSRF token.
        return agency.post(f"{url}/gia-han", data={
            "csrf": csrf_of(page.text), "proposed": proposed, "reason": reason})


def at(day: int, month: int) -> datetime:
    return datetime(2022, month, day, 9, 0, tzinfo=LOCAL_TZ)


def test_an_extension_asked_through_the_link_approved_moves_the_ladder(
        app: LiveApp, desk: httpx.Client) -> None:  # noqa: F811
    police = task_id(app.engine, POLICE)
    original = task(app.engine, police).due_on
    assert str(original) == "2022-06-05"
    early = ask(app, POLICE, "01/06/2022", "Chờ số liệu")
    assert early.status_code == 400 and "phải sau hạn hiện tại" in early.text
    assert ask(app, POLICE, "20/06/2022", "").status_code == 400
    asked = ask(app, POLICE, "20/06/2022", "Chờ số liệu của các xã")
    assert asked.status_code == 303
    again = ask(app, POLICE, "25/06/2022", "Lần nữa")
    assert again.status_code == 400 and "đang chờ" in again.text  # one at a time
    assert count(app.engine, OutboxRow, OutboxRow.kind == "extension_requested",
                 OutboxRow.agency_code == "hq.ldtbxh") == 1
    assert count(app.engine, AuditRow, AuditRow.task_id == police,
                 AuditRow.trigger == "request_extension") == 1
    page = desk.get(f"/quan-ly/nhiem-vu/{police}").text
    assert "Chờ số liệu của các xã" in page
    request_id = re.search(r'action="/quan-ly/gia-han/(\d+)"', page).group(1)  # type: ignore[union-attr]
    approved = desk.post(f"/quan-ly/gia-han/{request_id}", data={
        "csrf": csrf_of(page), "decision": "approve", "granted": "15/06/2022",
        "reason": "Đồng ý 10 ngày"})
    assert approved.status_code == 303
    moved = task(app.engine, police)
    assert str(moved.due_on) == "2022-06-15" and moved.original_due_on == original
    assert count(app.engine, OutboxRow, OutboxRow.task_id == police,
                 OutboxRow.kind == "deadline_changed") == 1
    shown = desk.get(f"/quan-ly/nhiem-vu/{police}").text
    assert "hạn gốc trước ngày 05/06/2022" in shown
    # The ladder follows the extended deadline: nothing overdue on 05/06 for this task,
    # the last-day reminder and the overdue notice come on the new dates.
    run_due(app.engine, at(6, 6))
    assert count(app.engine, OutboxRow, OutboxRow.task_id == police,
                 OutboxRow.kind == "overdue_notice") == 0
    union = task_id(app.engine, WOMEN_UNION)
    assert count(app.engine, OutboxRow, OutboxRow.task_id == union,
                 OutboxRow.kind == "overdue_notice") == 1
    run_due(app.engine, at(14, 6))
    assert count(app.engine, OutboxRow, OutboxRow.task_id == police,
                 OutboxRow.kind == "overdue_notice") == 0
    run_due(app.engine, at(15, 6))
    assert count(app.engine, OutboxRow, OutboxRow.task_id == police,
                 OutboxRow.kind == "overdue_notice") == 1
    # Reported on 10/06, after the original deadline but before the extended one: on time.
    fire(app.engine, police, "report", Actor("hq.cong-an", "agency", "link", "hq.cong-an"),
         at(10, 6), text="Đã báo cáo")
    assert timeliness(task(app.engine, police), at(20, 6)) == "on_time"
    with read_session(app.engine) as session:
        rows = as_table(collect(session, "hq-2022", 2022, at(20, 6)))
    row = next(r for r in rows if r["Mã nhiệm vụ"] == f"#{police}")
    assert (row["Phân loại"], row["Hạn gốc"], row["Hạn"]) == (
        "Hoàn thành đúng hạn", "05/06/2022", "15/06/2022")
    assert "Tỉ lệ đúng hạn" in desk.get("/quan-ly/ma-tran/hq-2022/2022").text
    from docx import Document

    document = desk.get("/quan-ly/xuat/hq-2022/2022/bao-cao.docx")
    assert document.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(document.content)).paragraphs)
    assert "hoàn thành đúng hạn" in text and "tỉ lệ đúng hạn" in text
    chart = desk.get("/quan-ly/xuat/hq-2022/2022/dung-han.svg")
    assert chart.status_code == 200 and b"<svg" in chart.content


def test_a_refused_extension_keeps_the_deadline_and_tells_the_agency(
        app: LiveApp, desk: httpx.Client) -> None:  # noqa: F811
    police = task_id(app.engine, POLICE)
    assert ask(app, POLICE, "20/06/2022", "Thiếu người").status_code == 303
    page = desk.get(f"/quan-ly/nhiem-vu/{police}").text
    request_id = re.search(r'action="/quan-ly/gia-han/(\d+)"', page).group(1)  # type: ignore[union-attr]
    silent = desk.post(f"/quan-ly/gia-han/{request_id}", data={
        "csrf": csrf_of(page), "decision": "refuse", "reason": ""})
    assert silent.status_code == 400 and "lý do không đồng ý" in silent.text
    refused = desk.post(f"/quan-ly/gia-han/{request_id}", data={
        "csrf": csrf_of(page), "decision": "refuse", "reason": "Hạn tổng hợp của tỉnh"})
    assert refused.status_code == 303
    assert str(task(app.engine, police).due_on) == "2022-06-05"
    assert count(app.engine, OutboxRow, OutboxRow.task_id == police,
                 OutboxRow.kind == "extension_refused") == 1
    again = desk.post(f"/quan-ly/gia-han/{request_id}", data={
        "csrf": csrf_of(page), "decision": "approve"})
    assert again.status_code == 400  # decided once
    agency_page = httpx.get(link(app, POLICE), timeout=30).text
    assert "không đồng ý" in agency_page and "Hạn tổng hợp của tỉnh" in agency_page
    # Another committee and a forged form change nothing.
    other = httpx.Client(base_url=app.url, follow_redirects=False, timeout=30)
    assert login(other, username="haiphong").status_code == 303
    assert ask(app, POLICE, "20/06/2022", "Lần hai").status_code == 303
    with read_session(app.engine) as session:
        pending = session.scalars(select(ExtensionRequestRow).where(
            ExtensionRequestRow.state == "pending")).one()
    forged = other.post(f"/quan-ly/gia-han/{pending.id}", data={
        "csrf": csrf_of(other.get("/quan-ly").text), "decision": "approve"})
    assert forged.status_code == 403
    assert desk.post(f"/quan-ly/gia-han/{pending.id}", data={
        "csrf": "gia-mao", "decision": "approve"}).status_code == 403
    assert httpx.post(f"{app.url}/quan-ly/gia-han/{pending.id}", data={
        "decision": "approve"}).status_code == 403
    assert str(task(app.engine, police).due_on) == "2022-06-05"
    other.close()
