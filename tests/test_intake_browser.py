"""The secretariat brings a directive in with a real browser (Debian's Chromium):
the Word and the PDF version of the Hà Quảng plan uploaded, what the review highlights
fixed, published; every new page photographed at 390 px and 1280 px."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from tests.conftest import NOW
from tests.test_browser import ARTIFACTS, browser  # noqa: F401  (the fixture)
from tests.test_importer import hq_docx
from tests.test_intake import CONTACTS, _xlsx, assert_cli_agrees, registry_only, tasks_of
from tests.test_web import PASSWORD, login
from tests.tools import to_pdf
from tests.webserver import live_app
from workflow.clock import FixedClock
from workflow.storage.db import read_session
from workflow.storage.models import DirectiveDraftRow

WIDTHS = (390, 1280)


def shoot(page: object, name: str, kind: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-{kind}.png"),  # type: ignore[attr-defined]
                        full_page=width == 390)
    page.set_viewport_size({"width": 1280, "height": 900})  # type: ignore[attr-defined]


def test_word_and_pdf_uploaded_reviewed_and_published_in_chromium(
        engine: Engine, tmp_path: Path, browser: object,  # noqa: F811
        request: pytest.FixtureRequest) -> None:
    kind = request.node.callspec.params["engine"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    registry_only(engine)
    word = tmp_path / "ke-hoach.docx"
    hq_docx(word)
    pdf = to_pdf(word, tmp_path)
    with live_app(engine, FixedClock(NOW), tmp_path / "attachments") as app:
        context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(f"{app.url}/quan-ly/van-ban")
        page.fill("#username", "thuky")
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url("**/quan-ly/van-ban")
        shoot(page, "intake-list-empty", kind)
        drafts = []
        for source in (word, pdf):
            page.click("text=Nhập văn bản")
            shoot(page, "intake-upload", kind)
            page.set_input_files("#file", str(source))
            page.click("text=Đọc văn bản")
            page.wait_for_url("**/quan-ly/du-thao/*")
            drafts.append(page.url)
            assert page.locator(".review-note").count() > 0
            page.goto(f"{app.url}/quan-ly/van-ban")
        with read_session(engine) as session:
            word_draft, pdf_draft = session.scalars(select(DirectiveDraftRow).order_by(
                DirectiveDraftRow.id)).all()
            # Both versions of the document give the same tasks and agencies.
            assert [(t["lead"], t.get("coordinating")) for t in word_draft.document["tasks"]] \
                == [(t["lead"], t.get("coordinating")) for t in pdf_draft.document["tasks"]]
        page.goto(drafts[0])
        # What the review highlights: the blank number and the day left out of the date.
        assert "văn bản để trống số" in page.inner_text("main")
        shoot(page, "intake-review", kind)
        page.fill("#f-number", "38/KH-UBND")
        page.fill("#f-date", "12/04/2022")
        page.fill("#f-t0-title", "Phổ biến kế hoạch")
        page.click("button[value=publish]")
        page.wait_for_selector("#so-nhiem-vu")
        planned = int(page.inner_text("#so-nhiem-vu"))
        shoot(page, "intake-confirm", kind)
        page.click("text=Xác nhận ban hành và giao việc")
        page.wait_for_url("**/quan-ly/van-ban/*")
        assert "Đã ban hành" in page.inner_text(".flash.ok")
        code = page.url.split("/van-ban/")[1].split("?")[0]
        assert len(tasks_of(engine, code)) == planned
        shoot(page, "directive-page", kind)
        page.goto(f"{app.url}/quan-ly/van-ban/{code}/phien-ban/1")
        shoot(page, "directive-version", kind)
        for name, path in (("adhoc", "/quan-ly/giao-viec-dot-xuat"),
                           ("registry", "/quan-ly/co-quan"),
                           ("registry-agency", "/quan-ly/co-quan/hq.cong-an/sua"),
                           ("registry-group", "/quan-ly/nhom/hq.xa-thi-tran"),
                           ("registry-change", "/quan-ly/co-quan/hq.noi-vu/thay-doi"),
                           ("intake-list", "/quan-ly/van-ban")):
            page.goto(app.url + path)
            assert page.locator("h1").count() == 1, path
            shoot(page, name, kind)
        contacts = tmp_path / "danh-sach.xlsx"
        contacts.write_bytes(_xlsx(CONTACTS))
        page.goto(f"{app.url}/quan-ly/co-quan")
        page.set_input_files("#contacts", str(contacts))
        page.click("button:has-text('Xem trước')")
        page.wait_for_selector("#so-them")
        assert page.inner_text("#so-them") == "1"
        shoot(page, "registry-import-preview", kind)
        context.close()
        with httpx.Client(base_url=app.url, timeout=60) as http:
            assert login(http).status_code == 303
            exported = http.get(f"/quan-ly/van-ban/{code}/yaml").text
    assert_cli_agrees(engine, code, exported, tmp_path)
