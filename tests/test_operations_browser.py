"""The secretariat's year in Chromium on both databases: a task's operations, a bulk
operation from the overdue list, an extension decided, the mail page, the users page and
closing a year, each page photographed at 390 px and 1280 px."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.simulation import task_id
from tests.test_browser import ARTIFACTS, browser  # noqa: F401  (the fixture)
from tests.test_intake_browser import shoot
from tests.test_operations import free_agency
from tests.test_web import NOW, PASSWORD, POLICE, WOMEN_UNION
from tests.test_web import link as link_of
from tests.webserver import live_app
from workflow.access.users import add_user
from workflow.clock import FixedClock
from workflow.engine.instantiate import instantiate
from workflow.storage.db import write_session

OTHER = "hq-2022/v.bao-cao/hq.noi-vu/2022-h1"


def test_the_secretariats_operations_in_chromium(
        loaded: Engine, tmp_path: Path, browser: object,  # noqa: F811
        request: pytest.FixtureRequest) -> None:
    kind = request.node.callspec.params["engine"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    instantiate(loaded, "hq-2022", 2022, NOW)
    with write_session(loaded) as session:
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", NOW, committee="hq")
        add_user(session, "quantri", PASSWORD, "Quản trị", NOW, committee="hq", role="admin")
    police = task_id(loaded, POLICE)
    with live_app(loaded, FixedClock(NOW), tmp_path / "attachments") as app:
        context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(f"{app.url}/quan-ly/nhiem-vu/{police}")
        page.fill("#username", "thuky")
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_selector("#thao-tac")
        shoot(page, "task-operations", kind)
        page.fill("#deadline-due", "20/06/2022")
        page.fill("#deadline-reason", "Chờ số liệu của các xã")
        page.click("#op-deadline button")
        page.wait_for_selector(".flash.ok")
        assert "đổi hạn" in page.inner_text(".flash.ok")
        assert "trước ngày 20/06/2022" in page.inner_text("main")
        # The other single operations, each from the task page of another task.
        union = task_id(loaded, WOMEN_UNION)
        page.goto(f"{app.url}/quan-ly/nhiem-vu/{union}")
        page.fill("#resend-address", "hlhpn.truc@ha-quang.example")
        page.click("#op-resend button")
        page.wait_for_selector(".flash.ok")
        assert "gửi lại liên kết" in page.inner_text(".flash.ok")
        page.click("#nhap-bao-cao summary")
        page.select_option("#report-channel", "paper")
        page.fill("#report-text", "Báo cáo giấy: đã tổ chức 2 buổi tuyên truyền.")
        page.fill("#report-figures", "Số buổi: 2")
        shoot(page, "task-report-for-agency", kind)
        page.click("#nhap-bao-cao button[type=submit]")
        page.wait_for_selector(".flash.ok")
        assert "nhập báo cáo thay cơ quan" in page.inner_text(".flash.ok")
        assert "văn bản giấy (Thường trực nhập)" in page.inner_text("main")
        other = task_id(loaded, OTHER)
        page.goto(f"{app.url}/quan-ly/nhiem-vu/{other}")
        page.select_option("#reassign-agency", free_agency(loaded, other))
        page.fill("#reassign-reason", "Đúng chức năng")
        page.click("#op-reassign button")
        page.wait_for_selector(".flash.ok")
        page.fill("#cancel-reason", "Không còn cần")
        page.click("#op-cancel button")
        page.wait_for_selector(".flash.ok")
        assert "hủy nhiệm vụ" in page.inner_text(".flash.ok")
        shoot(page, "task-after-operations", kind)
        app.clock.set(NOW + timedelta(days=30))
        page.goto(f"{app.url}/quan-ly/qua-han")
        boxes = page.locator("input[name=task]")
        assert boxes.count() > 2
        boxes.nth(0).check()
        boxes.nth(1).check()
        page.select_option("#bulk-op", "remind")
        shoot(page, "overdue-bulk", kind)
        page.click("#hang-loat button[type=submit]")
        page.wait_for_selector("#so-ap-dung")
        assert page.inner_text("#so-ap-dung") == "2"
        shoot(page, "bulk-preview", kind)
        page.click("button.primary")
        page.wait_for_selector("#so-da-lam")
        assert page.inner_text("#so-da-lam") == "2"
        shoot(page, "bulk-done", kind)
        agency = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        other = agency.new_page()
        other.goto(link_of(app, POLICE))
        other.wait_for_selector("#gia-han")
        shoot(other, "agency-extension", kind)
        agency.close()
        page.goto(f"{app.url}/quan-ly/thu")
        assert "Nhắc hạn" in page.inner_text("main")
        shoot(page, "mail-list", kind)
        page.click("table a >> nth=0")
        page.wait_for_selector("pre")
        shoot(page, "mail-message", kind)
        page.goto(f"{app.url}/quan-ly/ket-thuc/hq-2022/2022")
        shoot(page, "close-year", kind)
        page.fill("#reason", "Hết năm kế hoạch")
        page.click("button.primary")
        page.wait_for_url("**/quan-ly/ma-tran/hq-2022/2022*")
        shoot(page, "matrix-after-closing", kind)
        context.close()
        admin = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = admin.new_page()
        page.goto(f"{app.url}/quan-ly/nguoi-dung")
        page.fill("#username", "quantri")
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_selector("#new-username")
        page.fill("#new-username", "vanthu")
        page.fill("#new-name", "Lê Văn Thư")
        page.click("text=Thêm >> nth=-1")
        page.wait_for_selector("#lien-ket-moi")
        link = page.input_value("#lien-ket-moi")
        shoot(page, "users", kind)
        page.goto(link)
        shoot(page, "set-password", kind)
        page.fill("#password", "mat-khau-moi-rat-dai")
        page.fill("#again", "mat-khau-moi-rat-dai")
        page.click("button.primary")
        page.wait_for_url("**/dang-nhap*")
        page.goto(f"{app.url}/quan-ly/mat-khau")
        shoot(page, "own-password", kind)
        admin.close()
