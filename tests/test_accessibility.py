"""Every page in real Chromium at a desk (1280 px), a phone (390 px) and a small phone
(320 px): nothing wider than the screen, axe-core finds no violation, and what axe cannot
see is checked by hand: errors tied to their fields with the focus on the summary,
matrix cells named by agency, task and state, faded cells still readable, a skip link,
the "sent" message announced above the task. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.simulation import task_id
from tests.test_browser import ARTIFACTS, browser  # noqa: F401  (fixture)
from tests.test_web import PASSWORD
from tests.webserver import LiveApp, live_app
from workflow.access.linkkeys import load_ring
from workflow.access.links import LinkMaker
from workflow.access.users import add_user
from workflow.clock import LOCAL_TZ, FixedClock
from workflow.engine.actions import fire
from workflow.engine.actors import Actor
from workflow.engine.instantiate import instantiate
from workflow.engine.reports import submit_report
from workflow.schedule.sweep import run_due
from workflow.storage.db import read_session, write_session
from workflow.storage.models import TaskRow

NOW = datetime(2022, 6, 20, 9, 0, tzinfo=LOCAL_TZ)
POLICE = "hq-2022/v.bao-cao/hq.cong-an/2022-h1"
WOMEN = "hq-2022/v.bao-cao/hq.hlhpn/2022-h1"
WIDTHS = (1280, 390, 320)
MATRIX = "/quan-ly/ma-tran/hq-2022/2022"
STATUS: list[int] = []  # the status of each page the browser loaded, last one last


@pytest.fixture
def site(loaded: Engine, tmp_path: Path) -> Iterator[LiveApp]:
    """A June 2022 of the Hà Quảng plan: overdue tasks, one report waiting, one verified."""
    instantiate(loaded, "hq-2022", 2022, NOW - timedelta(days=60))
    run_due(loaded, NOW)
    agency = Actor("hq.cong-an", "agency", "link", "hq.cong-an")
    submit_report(loaded, task_id(loaded, POLICE), agency, NOW, "Đã tuyên truyền.", [], [])
    women = Actor("hq.hlhpn", "agency", "link", "hq.hlhpn")
    submit_report(loaded, task_id(loaded, WOMEN), women, NOW, "Đã làm.", [], [])
    fire(loaded, task_id(loaded, WOMEN), "verify", Actor("thuky", "secretariat", "web"), NOW)
    with write_session(loaded) as session:
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", NOW)
    with live_app(loaded, FixedClock(NOW), tmp_path / "attachments") as app:
        yield app


def links(app: LiveApp) -> tuple[str, str]:
    """An agency's report link for an owed task, and its task list."""
    ident = task_id(app.engine, "hq-2022/v.bao-cao/hq.noi-vu/2022-h1")
    with read_session(app.engine) as session:
        task = session.get(TaskRow, ident)
        assert task is not None
        maker = LinkMaker(load_ring(app.engine, NOW), app.url, NOW)
        return maker.task(ident, task.agency_code, task.due_at), maker.agency("hq.noi-vu")


def check_page(page: Any, name: str, width: int, status: int = 200) -> None:
    """The expected answer, no horizontal scrolling, no axe violation, a screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    assert STATUS[-1] == status, f"{name}: HTTP {STATUS[-1]}"

    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} at {width} px is {overflow} px wide"
    results = Axe().run(page)
    assert results.violations_count == 0, f"{name} at {width} px:\n" \
                                           f"{results.generate_report()}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"a11y-{name}-{width}.png"), full_page=True)


def wait_until(page: Any, script: str) -> None:
    """Polls from Python: the page's CSP forbids the eval behind wait_for_function."""
    for _ in range(100):
        if page.evaluate(script):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never true: {script}")


def sign_in(page: Any, app: LiveApp) -> None:
    page.goto(f"{app.url}/dang-nhap")
    page.fill("#username", "thuky")
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{app.url}/quan-ly")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_and_passes_axe(site: LiveApp, browser: Any, width: int) -> None:  # noqa: F811
    report_link, agency_link = links(site)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.on("response", lambda r: STATUS.append(r.status) if r.request.resource_type
            == "document" else None)
    try:
        page.goto(f"{site.url}/dang-nhap")
        check_page(page, "dang-nhap", width)
        page.goto(report_link)
        check_page(page, "bao-cao", width)
        page.goto(agency_link)
        check_page(page, "co-quan", width)
        page.goto(f"{site.url}/bao-cao/1/khong-hop-le")
        check_page(page, "lien-ket-hong", width, 403)
        sign_in(page, site)
        check_page(page, "tong-quan", width)
        for name, path in (("ma-tran", MATRIX),
                           ("ma-tran-loc", f"{MATRIX}?trang_thai=reported"),
                           ("ma-tran-co-quan", f"{MATRIX}?co_quan=hq.xa-thi-tran"),
                           ("qua-han", "/quan-ly/qua-han"),
                           ("qua-han-loc", "/quan-ly/qua-han?chi_dao=hq-2022&co_quan=hq.cong-an"),
                           ("nhiem-vu", f"/quan-ly/nhiem-vu/{task_id(site.engine, POLICE)}"),
                           ("khong-co", "/quan-ly/nhiem-vu/999999")):
            page.goto(f"{site.url}{path}")
            check_page(page, name, width, 404 if name == "khong-co" else 200)
    finally:
        context.close()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_what_axe_cannot_see(site: LiveApp, browser: Any) -> None:  # noqa: F811
    report_link, _ = links(site)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        # A skip link is the first thing the keyboard reaches, and leads to the content.
        page.goto(report_link)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == \
            "Bỏ qua, đến nội dung chính"
        assert page.get_attribute("a.skip", "href") == "#noi-dung"
        assert page.locator("header .brand").evaluate("e => e.tagName") == "SPAN"  # no '#'
        # An error: summary at the top with focus, a link to the field, the field invalid
        # and described, the title prefixed.
        page.fill("#text", "Đã tổ chức tập huấn.")
        page.fill("#figures", "không có dấu hai chấm")
        page.click("button.primary")
        page.wait_for_selector(".error-summary")
        assert page.title().startswith("Lỗi: ")
        wait_until(page, "document.activeElement.id === 'tom-tat-loi'")
        assert page.get_attribute(".error-summary a", "href") == "#figures"
        assert page.get_attribute("#figures", "aria-invalid") == "true"
        described = page.get_attribute("#figures", "aria-describedby")
        assert described and (page.text_content(f"#{described}") or "").startswith("Lỗi: ")
        assert page.input_value("#text") == "Đã tổ chức tập huấn."  # nothing lost
        page.screenshot(path=str(ARTIFACTS / "a11y-loi-390.png"), full_page=True)
        # Sent: announced, above the task.
        page.fill("#figures", "Số lớp: 3")
        page.click("button.primary")
        page.wait_for_selector(".flash.ok")
        assert page.get_attribute(".flash.ok", "role") == "status"
        wait_until(page, "document.activeElement.classList.contains('ok')")
        above = page.evaluate("document.querySelector('.flash.ok').getBoundingClientRect().top"
                              " < document.querySelector('.card').getBoundingClientRect().top")
        assert above
        # The dashboard: a return without a reason is an error on the reason field.
        sign_in(page, site)
        page.goto(f"{site.url}/quan-ly/nhiem-vu/{task_id(site.engine, POLICE)}")
        page.click("text=Trả lại để bổ sung")
        page.wait_for_selector(".error-summary")
        assert page.get_attribute("#reason", "aria-invalid") == "true"
        assert page.get_attribute(".error-summary a", "href") == "#reason"
        # Matrix: each cell named by agency, task and state; each column by its task.
        page.goto(f"{site.url}{MATRIX}?trang_thai=reported")
        police = page.locator("a[aria-label^='Công an huyện'][aria-label$='Đã báo cáo']").first
        label = police.get_attribute("aria-label") or ""
        assert "nhiệm vụ" in label and "Báo cáo định kỳ 6 tháng" in label, label
        assert "6 tháng đầu năm 2022" in label and "Đã báo cáo" in label
        header = page.locator("table.matrix thead th .sr-only").first.inner_text()
        assert header.startswith("1. ")
        # Faded cells (filtered out) keep at least 4.5:1.
        ratio = page.evaluate("""() => {
            const a = document.querySelector('td.dim a');
            const lum = c => { const v = c.match(/\\d+/g).slice(0, 3).map(Number).map(x => {
                x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
                return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
            let bg = a.parentElement, colour = getComputedStyle(bg).backgroundColor;
            const fg = lum(getComputedStyle(a).color), back = lum(colour);
            const opacity = Number(getComputedStyle(bg).opacity);
            return [Math.max(fg, back) + 0.05, Math.min(fg, back) + 0.05, opacity]; }""")
        assert ratio[2] == 1 and ratio[0] / ratio[1] >= 4.5, ratio
        # Charts: the figures as a table, and alt text with the figures.
        assert page.locator("table.figures tbody tr").count() > 10
        alt = page.get_attribute("img[src$='tien-do.svg']", "alt") or ""
        assert "đã báo cáo" in alt and "quá hạn" in alt and any(ch.isdigit() for ch in alt)
    finally:
        context.close()
