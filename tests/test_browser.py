"""End to end in a real browser: Debian's headless Chromium driven by Playwright, against
the app on a loopback port, with the link taken from an e-mail that the real SMTP test
server received. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from notifier.sender import send_due
from notifier.transport import Smtp
from tests.simulation import task_id
from tests.smtpserver import smtp_server
from tests.test_notifier import smtp
from tests.test_web import PASSWORD, PDF
from tests.tools import require_tool
from tests.webserver import live_app
from workflow.access.users import add_user
from workflow.clock import LOCAL_TZ, FixedClock
from workflow.engine.instantiate import instantiate
from workflow.storage.db import read_session, write_session
from workflow.storage.models import AuditRow, TaskRow

CHROMIUM = os.environ.get("NHIEMVU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
NOW = datetime(2022, 5, 20, 9, 0, tzinfo=LOCAL_TZ)
POLICE = "hq-2022/v.bao-cao/hq.cong-an/2022-h1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_tool(CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def link_from_mail(recorder: object, agency_email: str, title: str) -> str:
    """The report link next to `title` in the assignment e-mail sent to the agency."""
    for message in recorder.messages:  # type: ignore[attr-defined]
        if agency_email in str(message["To"]) and "tasks_assigned" in str(
                message["X-Nhiemvu-Key"]):
            text = message.get_body(("plain",)).get_content()
            block = text.split(title, 1)[1]
            found = re.search(r"Báo cáo: (http\S+/bao-cao/\S+)", block)
            assert found, text
            return found.group(1)
    raise AssertionError(f"no assignment e-mail to {agency_email}")


def test_report_return_resubmit_verify_in_chromium(loaded: Engine, tmp_path: Path,
                                                   browser: object,
                                                   request: pytest.FixtureRequest) -> None:
    kind = request.node.callspec.params["engine"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    instantiate(loaded, "hq-2022", 2022, NOW)
    with write_session(loaded) as session:
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", NOW)
    attachment = tmp_path / "bao-cao-quy-1.pdf"
    attachment.write_bytes(PDF)
    clock = FixedClock(NOW)
    with live_app(loaded, clock, tmp_path / "attachments") as app, \
            smtp_server() as (recorder, port):
        settings = smtp(port, base_url=app.url)
        # Playwright's sync API holds this thread's event loop; the sender runs its own.
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(send_due, loaded, Smtp(settings), settings, NOW
                               ).result().sent > 0
        with read_session(loaded) as session:
            email_to = session.scalars(select(TaskRow).where(
                TaskRow.id == task_id(loaded, POLICE))).one()
        url = link_from_mail(recorder, "cong-an@", "Báo cáo định kỳ 6 tháng")
        assert url.startswith(f"{app.url}/bao-cao/{email_to.id}/")

        agency = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
        page = agency.new_page()
        page.goto(url)
        assert "trước ngày 05/06/2022" in page.content()
        page.fill("#text", "Đã tổ chức 3 lớp tập huấn về bình đẳng giới cho 240 cán bộ.")
        page.fill("#figures", "Số lớp tập huấn: 3\nSố người tham dự: 240")
        page.set_input_files("#files", str(attachment))
        page.screenshot(path=str(ARTIFACTS / f"agency-report-form-{kind}.png"), full_page=True)
        page.click("button.primary")
        page.wait_for_selector(".flash.ok")
        assert "Đã gửi báo cáo" in page.inner_text(".flash.ok")

        secretariat = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        desk = secretariat.new_page()
        desk.goto(f"{app.url}/quan-ly/nhiem-vu/{email_to.id}")
        assert "/dang-nhap" in desk.url
        desk.fill("#username", "thuky")
        desk.fill("#password", PASSWORD)
        desk.click("button.primary")
        desk.wait_for_selector("text=Xử lý báo cáo")
        assert "bao-cao-quy-1.pdf" in desk.content()
        clock.set(NOW + timedelta(days=1))
        desk.fill("#reason", "Đề nghị bổ sung số liệu theo từng xã.")
        desk.click("text=Trả lại để bổ sung")
        desk.wait_for_selector(".s-returned")

        clock.set(NOW + timedelta(days=2))
        page.goto(url)
        assert "Đề nghị bổ sung số liệu theo từng xã." in page.inner_text(".flash.warn")
        page.fill("#text", "Bổ sung: xã Trường Hà 80 người, xã Quý Quân 160 người.")
        page.click("button.primary")
        page.wait_for_selector(".flash.ok")
        page.screenshot(path=str(ARTIFACTS / f"agency-report-sent-{kind}.png"), full_page=True)

        clock.set(NOW + timedelta(days=3))
        desk.goto(f"{app.url}/quan-ly/nhiem-vu/{email_to.id}")
        desk.click("text=Xác nhận báo cáo")
        desk.wait_for_selector(".s-verified")
        history = desk.inner_text("ol.history")
        desk.screenshot(path=str(ARTIFACTS / f"dashboard-task-{kind}.png"), full_page=True)
        desk.goto(f"{app.url}/quan-ly/ma-tran/hq-2022/2022")
        desk.wait_for_selector("table.matrix")
        desk.screenshot(path=str(ARTIFACTS / f"dashboard-matrix-{kind}.png"), full_page=True)
        phone = secretariat.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(f"{app.url}/quan-ly/qua-han")
        phone.screenshot(path=str(ARTIFACTS / f"dashboard-overdue-phone-{kind}.png"))
        agency.close()
        secretariat.close()

    steps = ["Giao nhiệm vụ", "Gửi báo cáo", "Trả lại để bổ sung", "Gửi báo cáo", "Xác nhận"]
    positions = [history.find(step) for step in steps]
    assert all(p >= 0 for p in positions), history
    assert "21/05/2022" in history and "23/05/2022" in history
    with read_session(loaded) as session:
        audit = session.scalars(select(AuditRow).where(AuditRow.task_id == email_to.id)
                                .order_by(AuditRow.id)).all()
    assert [(a.trigger, a.channel) for a in audit] == [
        ("assign", "cli"), ("report", "link"), ("return", "web"), ("report", "link"),
        ("verify", "web")]
    for name in ("agency-report-form", "dashboard-task", "dashboard-matrix"):
        assert (ARTIFACTS / f"{name}-{kind}.png").stat().st_size > 10_000
