"""The "Thư đã gửi" page and the users page, over HTTP against the real app on both
databases: a failed message with the server's answer and "Gửi lại", a message read as
text and as sandboxed HTML, the task page's mail; invitations that work once within 48
hours, disabling, resetting, unlocking, roles, one's own password; and authorization."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from tests.simulation import task_id
from tests.test_operations import count, operate
from tests.test_web import NOW, PASSWORD, POLICE, csrf_of, login
from tests.webserver import LiveApp, live_app
from workflow.access.users import add_user
from workflow.clock import FixedClock
from workflow.engine.instantiate import instantiate
from workflow.storage.db import read_session, write_session
from workflow.storage.models import LoginFailureRow, OutboxRow, UserRow


@pytest.fixture
def app(loaded: Engine, tmp_path: Path) -> Iterator[LiveApp]:
    instantiate(loaded, "hq-2022", 2022, NOW)
    with write_session(loaded) as session:
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", NOW, committee="hq")
        add_user(session, "quantri", PASSWORD, "Quản trị", NOW, committee="hq", role="admin")
        add_user(session, "haiphong", PASSWORD, "Trần Văn Hải", NOW, committee="hp")
        add_user(session, "qthp", PASSWORD, "Quản trị HP", NOW, committee="hp", role="admin")
    with live_app(loaded, FixedClock(NOW), tmp_path / "attachments") as live:
        yield live


def signed_in(app: LiveApp, username: str) -> httpx.Client:
    http = httpx.Client(base_url=app.url, follow_redirects=False, timeout=60)
    assert login(http, username=username).status_code == 303
    return http


def test_failed_mail_is_shown_with_the_servers_answer_and_sent_again(app: LiveApp) -> None:
    desk = signed_in(app, "thuky")
    police = task_id(app.engine, POLICE)
    with write_session(app.engine) as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.kind == "tasks_assigned",
                                                      OutboxRow.agency_code == "hq.cong-an"
                                                      )).one()
        row.state, row.attempts = "failed", 5
        row.last_error = "550 5.1.1 <congan@ha-quang.example>: Recipient address rejected"
        session.add(row)
        failed_id = row.id
    page = desk.get("/quan-ly/thu?trang_thai=failed").text
    assert "Recipient address rejected" in page and "Gửi lỗi" in page
    assert desk.get("/quan-ly/thu?q=c%C3%B4ng+an").status_code == 200
    message = desk.get(f"/quan-ly/thu/{failed_id}")
    assert message.status_code == 200 and "[Giao nhiệm vụ]" in message.text
    assert "Kính gửi: Công an huyện Hà Quảng" in message.text
    html = desk.get(f"/quan-ly/thu/{failed_id}/html")
    assert html.status_code == 200 and "sandbox" in html.headers["content-security-policy"]
    again = desk.post(f"/quan-ly/thu/{failed_id}/gui-lai", data={"csrf": csrf_of(page)})
    assert again.status_code == 303
    with read_session(app.engine) as session:
        row = session.get(OutboxRow, failed_id)
        assert row is not None and (row.state, row.attempts) == ("queued", 0)
    not_failed = desk.post(f"/quan-ly/thu/{failed_id}/gui-lai", data={"csrf": csrf_of(page)})
    assert not_failed.status_code == 409
    # The task page lists the mail about the task.
    operate(desk, police, "remind")
    assert "Nhắc hạn" in desk.get(f"/quan-ly/nhiem-vu/{police}").text.split("Thư về nhiệm vụ")[1]
    # The agency's page in the registry shows its failed mail.
    bounced = desk.get("/quan-ly/co-quan/hq.cong-an/sua").text
    assert "Recipient address rejected" not in bounced  # queued again, no longer failed
    with write_session(app.engine) as session:
        row = session.get(OutboxRow, failed_id)
        assert row is not None
        row.state = "failed"
        session.add(row)
    assert "Recipient address rejected" in desk.get("/quan-ly/co-quan/hq.cong-an/sua").text
    # Another committee sees none of it.
    other = signed_in(app, "haiphong")
    assert "Công an huyện Hà Quảng" not in other.get("/quan-ly/thu").text
    assert other.get(f"/quan-ly/thu/{failed_id}").status_code == 404
    assert other.post(f"/quan-ly/thu/{failed_id}/gui-lai", data={
        "csrf": csrf_of(other.get("/quan-ly").text)}).status_code == 404
    assert httpx.get(f"{app.url}/quan-ly/thu", follow_redirects=False).status_code == 303
    for http in (desk, other):
        http.close()


def test_an_invitation_works_once_within_48_hours(app: LiveApp) -> None:
    admin = signed_in(app, "quantri")
    page = admin.get("/quan-ly/nguoi-dung").text
    added = admin.post("/quan-ly/nguoi-dung", data={
        "csrf": csrf_of(page), "action": "add", "username": "vanthu", "display_name":
        "Lê Văn Thư", "role": "secretariat"})
    assert added.status_code == 200
    link = re.search(r'id="lien-ket-moi" readonly value="([^"]+)"', added.text)
    assert link and link.group(1).startswith(app.url + "/dat-mat-khau/")
    with httpx.Client(timeout=30, follow_redirects=False) as invited:
        form = invited.get(link.group(1))
        assert form.status_code == 200 and "vanthu" in form.text
        short = invited.post(link.group(1), data={"csrf": csrf_of(form.text),
                                                  "password": "ngan", "again": "ngan"})
        assert short.status_code == 400
        done = invited.post(link.group(1), data={"csrf": csrf_of(form.text), "password":
                                                 "mat-khau-moi-rat-dai", "again":
                                                 "mat-khau-moi-rat-dai"})
        assert done.status_code == 303
        assert invited.get(link.group(1)).status_code == 410  # used
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as new_user:
        assert login(new_user, "mat-khau-moi-rat-dai", "vanthu").status_code == 303
    # Reset: a new link, and the password no longer opens the account.
    reset = admin.post("/quan-ly/nguoi-dung", data={
        "csrf": csrf_of(page), "action": "reset", "username": "vanthu"})
    fresh = re.search(r'id="lien-ket-moi" readonly value="([^"]+)"', reset.text)
    assert fresh
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as new_user:
        assert login(new_user, "mat-khau-moi-rat-dai", "vanthu").status_code == 401
    # 48 hours later the link is dead.
    app.clock.set(NOW + timedelta(hours=49))
    assert httpx.get(fresh.group(1), timeout=30).status_code in {200, 410}
    tampered = fresh.group(1)[:-2] + ("AA" if not fresh.group(1).endswith("AA") else "BB")
    assert httpx.get(tampered, timeout=30).status_code == 410
    admin.close()


def test_an_administrator_disables_unlocks_and_changes_roles(app: LiveApp) -> None:
    admin = signed_in(app, "quantri")
    page = admin.get("/quan-ly/nguoi-dung").text
    assert "haiphong" not in page  # another committee's users are not listed
    with write_session(app.engine) as session:
        session.add_all(LoginFailureRow(key="user:thuky", at=NOW) for _ in range(3))
    for action in ("disable", "unlock"):
        assert admin.post("/quan-ly/nguoi-dung", data={
            "csrf": csrf_of(page), "action": action, "username": "thuky"}).status_code == 303
    assert count(app.engine, LoginFailureRow) == 0
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as locked:
        assert login(locked).status_code == 401
    assert admin.post("/quan-ly/nguoi-dung", data={
        "csrf": csrf_of(page), "action": "enable", "username": "thuky"}).status_code == 303
    assert admin.post("/quan-ly/nguoi-dung", data={
        "csrf": csrf_of(page), "action": "role", "username": "thuky",
        "role": "leader"}).status_code == 303
    with read_session(app.engine) as session:
        user = session.scalars(select(UserRow).where(UserRow.username == "thuky")).one()
        assert user.active and user.role == "leader"
    self_lock = admin.post("/quan-ly/nguoi-dung", data={
        "csrf": csrf_of(page), "action": "disable", "username": "quantri"})
    assert self_lock.status_code == 400
    # Another committee's administrator, a secretary, a forged form, no session: refused.
    other = signed_in(app, "qthp")
    assert other.post("/quan-ly/nguoi-dung", data={
        "csrf": csrf_of(other.get("/quan-ly").text), "action": "disable",
        "username": "thuky"}).status_code == 403
    desk = signed_in(app, "haiphong")
    assert desk.get("/quan-ly/nguoi-dung").status_code == 403
    assert admin.post("/quan-ly/nguoi-dung", data={
        "csrf": "gia-mao", "action": "disable", "username": "thuky"}).status_code == 403
    assert httpx.post(f"{app.url}/quan-ly/nguoi-dung", data={
        "action": "disable", "username": "thuky"}).status_code == 403
    with read_session(app.engine) as session:
        assert session.scalars(select(UserRow).where(UserRow.username == "thuky")).one().active
    for http in (admin, other, desk):
        http.close()


def test_a_user_changes_her_own_password(app: LiveApp) -> None:
    desk = signed_in(app, "thuky")
    page = desk.get("/quan-ly/mat-khau").text
    wrong = desk.post("/quan-ly/mat-khau", data={"csrf": csrf_of(page), "current": "sai",
                                                 "password": "x" * 12, "again": "x" * 12})
    assert wrong.status_code == 400 and "không đúng" in wrong.text
    done = desk.post("/quan-ly/mat-khau", data={
        "csrf": csrf_of(page), "current": PASSWORD, "password": "mat-khau-moi-123",
        "again": "mat-khau-moi-123"})
    assert done.status_code == 303
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as again:
        assert login(again, "mat-khau-moi-123").status_code == 303
    desk.close()
