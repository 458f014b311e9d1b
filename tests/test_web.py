"""The web app over real HTTP (uvicorn on loopback), on SQLite and PostgreSQL: signed
links and every way they fail, GET never changing state, CSRF, double submission,
uploads checked by content, escaping, and the login in front of every dashboard page."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from tests.simulation import add_communes_owing, count, task_id
from tests.test_cli import run
from tests.webserver import LiveApp, live_app
from web.security import CSRF_COOKIE, SESSION_COOKIE
from workflow.access.linkkeys import KeyRing, active_keys, revoke, rotate
from workflow.access.links import LinkSigner, task_url
from workflow.access.users import add_user
from workflow.clock import LOCAL_TZ, FixedClock
from workflow.engine.actions import fire
from workflow.engine.actors import Actor
from workflow.engine.instantiate import instantiate
from workflow.storage.db import read_session, write_session
from workflow.storage.models import (
    AgencyRow,
    AttachmentRow,
    AuditRow,
    LoginFailureRow,
    OutboxRow,
    ReportRow,
    TaskRow,
)
from workflow.views.status import PAGE_AGENCIES, PAGE_OVERDUE

NOW = datetime(2022, 5, 20, 9, 0, tzinfo=LOCAL_TZ)
POLICE = "hq-2022/v.bao-cao/hq.cong-an/2022-h1"
WOMEN_UNION = "hq-2022/v.bao-cao/hq.hlhpn/2022-h1"
PASSWORD = "mat-khau-du-dai-123"
SECRETARIAT = Actor("thuky", "secretariat", "cli")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
       b"\x00\x00\x00\x1f\x15\xc4\x89" + b"\x00" * 32)


def ooxml(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


@pytest.fixture
def app(loaded: Engine, tmp_path: Path) -> Iterator[LiveApp]:
    instantiate(loaded, "hq-2022", 2022, NOW)
    with write_session(loaded) as session:
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", NOW)
    with live_app(loaded, FixedClock(NOW), tmp_path / "attachments",
                  upload_max_bytes=64 * 1024, upload_max_files=3) as live:
        yield live


@pytest.fixture
def client(app: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as http:
        yield http


def link(app: LiveApp, key: str = POLICE) -> str:
    ident = task_id(app.engine, key)
    with read_session(app.engine) as session:
        row = session.get(TaskRow, ident)
        assert row is not None
        return app.links().task(ident, row.agency_code, row.due_at)


def snapshot(engine: Engine, ident: int) -> tuple[str, int, int, int, int]:
    """Everything a request could change: state, version and the rows written with it."""
    with read_session(engine) as session:
        row = session.get(TaskRow, ident)
        assert row is not None
        return (row.state, row.version, count(engine, AuditRow, AuditRow.task_id == ident),
                count(engine, OutboxRow, OutboxRow.task_id == ident),
                count(engine, ReportRow, ReportRow.task_id == ident))


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def report(client: httpx.Client, url: str, text: str = "Đã tổ chức 3 lớp tập huấn.",
           files: list[tuple[str, bytes]] | None = None, figures: str = "") -> httpx.Response:
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={"csrf": csrf_of(page.text), "text": text,
                                  "figures": figures},
                       files=[("files", (name, data)) for name, data in files or []])


def login(client: httpx.Client, password: str = PASSWORD, username: str = "thuky"
          ) -> httpx.Response:
    page = client.get("/dang-nhap")
    return client.post("/dang-nhap", data={"csrf": csrf_of(page.text), "username": username,
                                           "password": password})


# -- agency links -----------------------------------------------------------------------

def test_get_shows_the_task_in_vietnamese_and_changes_nothing(app: LiveApp,
                                                              client: httpx.Client) -> None:
    ident = task_id(app.engine, POLICE)
    before = snapshot(app.engine, ident)
    for _ in range(3):  # a mail scanner prefetching the link, then the person
        page = client.get(link(app))
        assert page.status_code == 200
        assert client.head(link(app)).status_code == 200
    assert "Báo cáo định kỳ 6 tháng" in page.text
    assert "trước ngày 05/06/2022" in page.text and "Đã giao" in page.text
    assert "Công an huyện Hà Quảng" in page.text
    assert "Kế hoạch số /KH-UBND tháng 04/2022 của" in page.text  # the document's own precision
    assert "01/04/2022" not in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert snapshot(app.engine, ident) == before


def _tampered(app: LiveApp) -> str:
    url = link(app)
    return url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")


def _tampered_payload(app: LiveApp) -> str:
    """The payload of another task swapped into a valid signature."""
    url = link(app)
    other = link(app, WOMEN_UNION).rsplit("/", 1)[1].split(".")[0]
    base, token = url.rsplit("/", 1)
    return f"{base}/{other}.{token.split('.')[1]}"


def _expired(app: LiveApp) -> str:
    ident = task_id(app.engine, POLICE)
    with read_session(app.engine) as session:
        ring = KeyRing(tuple(k.secret for k in active_keys(session)))
    token = LinkSigner(ring).task_token(ident, "hq.cong-an", NOW - timedelta(seconds=1))
    return task_url(app.url, ident, token)


def _wrong_agency(app: LiveApp) -> str:
    """A genuine signature, for this task's id but another agency."""
    ident = task_id(app.engine, POLICE)
    with read_session(app.engine) as session:
        ring = KeyRing(tuple(k.secret for k in active_keys(session)))
    token = LinkSigner(ring).task_token(ident, "hq.hlhpn", NOW + timedelta(days=30))
    return task_url(app.url, ident, token)


def _wrong_task(app: LiveApp) -> str:
    """Another task's genuine link, pointed at this task's page."""
    other = link(app, WOMEN_UNION)
    return task_url(app.url, task_id(app.engine, POLICE), other.rsplit("/", 1)[1])


def _agency_token(app: LiveApp) -> str:
    """An agency-list link's token used on a task page."""
    token = app.links().agency("hq.cong-an").rsplit("/", 1)[1]
    return task_url(app.url, task_id(app.engine, POLICE), token)


def _revoked(app: LiveApp) -> str:
    url = link(app)
    with write_session(app.engine) as session:
        old = active_keys(session)[-1].id
        rotate(session, NOW)
        revoke(session, old or 0, NOW)
    return url


@pytest.mark.parametrize(("make", "status", "words"), [
    (_tampered, 403, "Liên kết không hợp lệ"),
    (_tampered_payload, 403, "Liên kết không hợp lệ"),
    (_expired, 410, "Liên kết đã hết hạn"),
    (_wrong_agency, 403, "Liên kết không dùng cho trang này"),
    (_wrong_task, 403, "Liên kết không dùng cho trang này"),
    (_agency_token, 403, "Liên kết không dùng cho trang này"),
    (_revoked, 403, "Liên kết không hợp lệ"),
    (lambda app: f"{app.url}/bao-cao/1/not-a-token", 403, "Liên kết không hợp lệ"),
    (lambda app: f"{app.url}/bao-cao/abc/not-a-token", 403, "Liên kết không hợp lệ"),
], ids=["tampered-signature", "tampered-payload", "expired", "wrong-agency", "wrong-task",
        "foreign-kind", "revoked-key", "garbage", "bad-id"])
def test_refused_links_show_a_clear_page_and_change_nothing(
        app: LiveApp, client: httpx.Client, make: object, status: int, words: str) -> None:
    ident = task_id(app.engine, POLICE)
    good = client.get(link(app))  # a valid page, so the POST below has a real CSRF token
    url = make(app)  # type: ignore[operator]
    before = snapshot(app.engine, ident)
    page = client.get(url)
    assert page.status_code == status
    assert words in page.text and "<form" not in page.text
    posted = client.post(url, data={"csrf": csrf_of(good.text), "text": "Báo cáo giả"})
    assert posted.status_code == status
    assert snapshot(app.engine, ident) == before


def test_rotation_keeps_links_already_sent(app: LiveApp, client: httpx.Client) -> None:
    sent_before = link(app)
    with write_session(app.engine) as session:
        first = active_keys(session)[0].secret
        rotate(session, NOW)
    sent_after = link(app)
    assert client.get(sent_before).status_code == 200
    assert client.get(sent_after).status_code == 200
    # New links are signed with the new key: the old key alone does not accept them.
    from itsdangerous import BadSignature, URLSafeSerializer
    with pytest.raises(BadSignature):
        URLSafeSerializer(first, salt="nhiemvu.link").loads(sent_after.rsplit("/", 1)[1])


def test_post_needs_the_pages_csrf_token(app: LiveApp, client: httpx.Client) -> None:
    url = link(app)
    ident = task_id(app.engine, POLICE)
    page = client.get(url)
    other_page = client.get(link(app, WOMEN_UNION))
    before = snapshot(app.engine, ident)
    cases = [
        {"text": "không có mã"},
        {"text": "mã sai", "csrf": "abc"},
        {"text": "mã của trang khác", "csrf": csrf_of(other_page.text)},
    ]
    for data in cases:
        response = client.post(url, data=data)
        assert response.status_code == 403, data
        assert "Phiên làm việc không hợp lệ" in response.text
    # The right token without the browser's cookie (another browser, a forged form).
    with httpx.Client(base_url=app.url) as stranger:
        response = stranger.post(url, data={"text": "x", "csrf": csrf_of(page.text)})
    assert response.status_code == 403
    assert snapshot(app.engine, ident) == before


def test_report_then_double_submission(app: LiveApp, client: httpx.Client) -> None:
    url = link(app)
    ident = task_id(app.engine, POLICE)
    page = client.get(url)
    form = {"csrf": csrf_of(page.text), "text": "Đã tổ chức 3 lớp tập huấn.",
            "figures": "Số lớp tập huấn: 3\nSố người tham dự: 240"}
    first = client.post(url, data=form, files=[("files", ("bao-cao.pdf", PDF))])
    assert first.status_code == 303 and first.headers["location"].endswith("?da-gui=1")
    stored = sorted(p for p in app.settings.attachments_dir.rglob("*") if p.is_file())
    second = client.post(url, data=form, files=[("files", ("khac.pdf", PDF + b"\n% 2"))])
    assert second.status_code == 409
    assert "Báo cáo đã được gửi" in second.text
    # Without its text too: the task is read by the write, and still told apart.
    empty = client.post(url, data={**form, "text": ""})
    assert empty.status_code == 409 and "Báo cáo đã được gửi" in empty.text
    assert sorted(p for p in app.settings.attachments_dir.rglob("*") if p.is_file()) == stored
    state, version, _audit, _outbox, reports = snapshot(app.engine, ident)
    assert (state, version, reports) == ("reported", 2, 1)
    with read_session(app.engine) as session:
        saved = session.scalars(select(ReportRow).where(ReportRow.task_id == ident)).one()
        audit = session.scalars(select(AuditRow).where(AuditRow.task_id == ident,
                                                       AuditRow.trigger == "report")).one()
        notices = list(session.scalars(select(OutboxRow.kind).where(
            OutboxRow.task_id == ident)))
    assert saved.figures == [{"label": "Số lớp tập huấn", "value": "3"},
                             {"label": "Số người tham dự", "value": "240"}]
    assert (audit.actor, audit.role, audit.channel) == ("hq.cong-an", "agency", "link")
    assert notices.count("task_reported") == 1
    after = client.get(first.headers["location"])
    assert "Đã gửi báo cáo" in after.text and "<form method=\"post\"" not in after.text
    assert "bao-cao.pdf" in after.text and "Số người tham dự" in after.text


def test_a_returned_task_can_be_reported_again(app: LiveApp, client: httpx.Client) -> None:
    url = link(app)
    ident = task_id(app.engine, POLICE)
    assert report(client, url).status_code == 303
    fire(app.engine, ident, "return", SECRETARIAT, NOW, reason="Thiếu số liệu quý I")
    page = client.get(url)
    assert "Thiếu số liệu quý I" in page.text and "Gửi lại báo cáo" in page.text
    assert report(client, url, "Bổ sung số liệu quý I: 12 vụ việc.").status_code == 303
    state, version, _audit, _outbox, reports = snapshot(app.engine, ident)
    assert (state, version, reports) == ("reported", 4, 2)


def test_bad_figures_keep_what_was_typed(app: LiveApp, client: httpx.Client) -> None:
    url = link(app)
    response = report(client, url, "Nội dung giữ lại", figures="Số lớp 3")
    assert response.status_code == 400
    assert "Số liệu, dòng 1" in response.text and "Nội dung giữ lại" in response.text
    empty = report(client, url, "   ")
    assert empty.status_code == 400 and "Hãy nhập nội dung báo cáo" in empty.text
    assert snapshot(app.engine, task_id(app.engine, POLICE))[0] == "assigned"


@pytest.mark.parametrize(("name", "data", "status", "words"), [
    ("lon.pdf", PDF + b"0" * (64 * 1024), 413, "quá lớn"),
    ("trang.pdf", b"<html><script>alert(1)</script></html>", 415, "không đúng định dạng"),
    ("chuong-trinh.docx", b"MZ\x90\x00" + b"\x00" * 200, 415, "không đúng định dạng"),
    ("nen.docx", ooxml("other/thing.xml"), 415, "không đúng định dạng"),
    ("rong.pdf", b"", 400, "rỗng"),
], ids=["oversize", "html-as-pdf", "exe-as-docx", "zip-as-docx", "empty"])
def test_uploads_are_checked_by_content(app: LiveApp, client: httpx.Client, name: str,
                                        data: bytes, status: int, words: str) -> None:
    ident = task_id(app.engine, POLICE)
    before = snapshot(app.engine, ident)
    response = report(client, link(app), files=[("ok.pdf", PDF), (name, data)])
    assert response.status_code == status
    assert words in response.text and "Đã tổ chức 3 lớp tập huấn." in response.text
    assert snapshot(app.engine, ident) == before
    assert count(app.engine, AttachmentRow) == 0


def test_too_many_files_are_refused(app: LiveApp, client: httpx.Client) -> None:
    response = report(client, link(app), files=[(f"{n}.pdf", PDF) for n in range(4)])
    assert response.status_code == 413 and "tối đa 3 tệp" in response.text
    assert count(app.engine, ReportRow) == 0


def test_accepted_files_keep_their_detected_type(app: LiveApp, client: httpx.Client) -> None:
    files = [("Báo cáo.docx", ooxml("word/document.xml")), ("so-lieu.xlsx",
             ooxml("xl/workbook.xml")), ("../../anh.png", PNG)]
    assert report(client, link(app), files=files).status_code == 303
    with read_session(app.engine) as session:
        rows = list(session.scalars(select(AttachmentRow).order_by(AttachmentRow.id)))
    assert [(r.filename, r.content_type.rsplit("/", 1)[1]) for r in rows] == [
        ("Báo cáo.docx", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("so-lieu.xlsx", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("anh.png", "png")]
    for row in rows:
        assert (app.settings.attachments_dir / row.stored_name[:2] / row.stored_name).exists()


def test_what_agencies_type_is_shown_escaped(app: LiveApp, client: httpx.Client) -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    url = link(app)
    assert report(client, url, attack, files=[(f"{attack}.pdf", PDF)],
                  figures=f"{attack}: 1").status_code == 303
    page = client.get(url).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    login(client)
    dashboard = client.get(f"/quan-ly/nhiem-vu/{task_id(app.engine, POLICE)}").text
    assert "<script>alert" not in dashboard and "&lt;script&gt;" in dashboard


def test_agency_page_lists_only_its_own_tasks(app: LiveApp, client: httpx.Client) -> None:
    page = client.get(app.links().agency("hq.cong-an").replace(app.url, ""))
    assert page.status_code == 200 and "Công an huyện Hà Quảng" in page.text
    links = re.findall(r'href="(http[^"]+/bao-cao/[^"]+)"', page.text)
    assert links and all(client.get(u).status_code == 200 for u in links[:5])
    with read_session(app.engine) as session:
        own = session.scalars(select(TaskRow.id).where(TaskRow.agency_code == "hq.cong-an"))
        assert {int(u.split("/bao-cao/")[1].split("/")[0]) for u in links} == set(own)
    other = app.links().agency("hq.hlhpn").rsplit("/", 1)[1]
    assert client.get(f"/co-quan/hq.cong-an/{other}").status_code == 403


# -- the secretariat's dashboard --------------------------------------------------------

def dashboard_routes() -> list[tuple[str, str]]:
    from web.dashboard import ROUTES
    from web.downloads import ROUTES as DOWNLOADS
    examples = {"{directive}": "hq-2022", "{year}": "2022", "{task_id}": "1",
                "{attachment_id}": "1", "{kind}": "tinh-trang.xlsx"}
    routes = []
    for route in [*ROUTES, *DOWNLOADS]:
        path = route.path
        for name, value in examples.items():
            path = path.replace(name, value)
        for method in sorted(route.methods or []):
            if method != "HEAD" and path not in {"/dang-nhap"}:
                routes.append((method, path))
    return routes


def test_every_dashboard_page_needs_a_login(app: LiveApp, client: httpx.Client) -> None:
    routes = dashboard_routes()
    assert len(routes) == 9
    for cookies in ({}, {SESSION_COOKIE: "gia-mao"}):
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies.set(name, value)
        for method, path in routes:
            response = client.request(method, path, data={"reason": "x"})
            if method == "GET":
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/dang-nhap?next="), path
            else:
                assert response.status_code == 403, path
                assert "Cần đăng nhập" in response.text
    assert snapshot(app.engine, 1)[:2] == ("assigned", 1)


def test_login_logout_and_throttling(app: LiveApp, client: httpx.Client) -> None:
    assert login(client, "sai-mat-khau").status_code == 401
    response = login(client)
    assert response.status_code == 303 and response.headers["location"] == "/quan-ly"
    home = client.get("/quan-ly")
    assert home.status_code == 200 and "Tổng quan các văn bản chỉ đạo" in home.text
    assert "Nguyễn Thị Thư" in home.text and "Kế hoạch số" in home.text
    logout = client.post("/dang-xuat", data={"csrf": csrf_of(home.text)})
    assert logout.status_code == 303
    assert client.get("/quan-ly").status_code == 303
    # No CSRF token on the login form: refused without checking the password.
    assert client.post("/dang-nhap", data={"username": "thuky",
                                           "password": PASSWORD}).status_code == 403
    with httpx.Client(base_url=app.url, follow_redirects=False) as guesser:
        # The right password above cleared the wrong one before it: five more to lock.
        statuses = [login(guesser, f"doan-{n}").status_code for n in range(6)]
        assert statuses == [401] * 5 + [429]
        locked = login(guesser)
        assert locked.status_code == 429  # even the right password, for a while
        assert "Tài khoản này đăng nhập sai quá nhiều lần" in locked.text


def test_guessing_other_names_does_not_lock_a_real_user_out(app: LiveApp,
                                                            client: httpx.Client) -> None:
    """Failures are counted per account and per address, separately and in the database:
    five wrong passwords for 'admin' leave 'thuky' free; the address limit (30) is
    shared by every worker and stops a spray over many names."""
    assert [login(client, "x", "admin").status_code for _ in range(6)] == [401] * 5 + [429]
    assert login(client).status_code == 303  # the real user, same address
    with live_app(app.engine, app.clock, app.settings.attachments_dir) as other, \
            httpx.Client(base_url=other.url, follow_redirects=False) as second_worker:
        # The other worker sees the failures: 'admin' is locked there too.
        assert login(second_worker, "x", "admin").status_code == 429
        statuses = [login(second_worker, "x", f"ten-{n}").status_code for n in range(25)]
    assert statuses == [401] * 25  # 5 + 25 = 30 failures from this address
    refused = login(client)
    assert refused.status_code == 429 and "từ địa chỉ này" in refused.text
    with read_session(app.engine) as session:
        keys = set(session.scalars(select(LoginFailureRow.key)))
    assert {"user:admin", "ip:127.0.0.1"} <= keys and "user:thuky" not in keys


def test_user_unlock_command(app: LiveApp, client: httpx.Client, tmp_path: Path) -> None:
    for _ in range(5):
        login(client, "sai")
    assert login(client).status_code == 429
    url = app.engine.url.render_as_string(hide_password=False)
    done = run(["--db", url, "user", "unlock", "thuky"], tmp_path).stdout
    assert done.strip() == "Đã mở khóa đăng nhập cho thuky (5 lần đăng nhập sai được xóa)"
    assert login(client).status_code == 303
    missing = run(["--db", url, "user", "unlock", "khong-co"], tmp_path, ok=False)
    assert missing.returncode == 1 and "không có người dùng 'khong-co'" in missing.stderr


def test_disabled_user_is_out_at_once(app: LiveApp, client: httpx.Client) -> None:
    from workflow.access.users import set_active
    login(client)
    assert client.get("/quan-ly").status_code == 200
    with write_session(app.engine) as session:
        set_active(session, "thuky", False)
    assert client.get("/quan-ly").status_code == 303


def test_verify_and_return_from_the_dashboard(app: LiveApp, client: httpx.Client) -> None:
    ident = task_id(app.engine, POLICE)
    with httpx.Client(base_url=app.url, follow_redirects=False) as agency:
        assert report(agency, link(app), files=[("bc.pdf", PDF)]).status_code == 303
    login(client)
    page = client.get(f"/quan-ly/nhiem-vu/{ident}")
    assert page.status_code == 200 and "Xác nhận báo cáo" in page.text
    assert "tháng 04/2022" in page.text and "01/04/2022" not in page.text
    csrf = csrf_of(page.text)
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    # Without or with a wrong CSRF token: nothing happens.
    for data in ({"reason": "x", "version": version},
                 {"reason": "x", "version": version, "csrf": "sai"}):
        assert client.post(f"/quan-ly/nhiem-vu/{ident}/tra-lai", data=data).status_code == 403
    no_reason = client.post(f"/quan-ly/nhiem-vu/{ident}/tra-lai",
                            data={"csrf": csrf, "version": version, "reason": " "})
    assert no_reason.status_code == 400 and "Hãy ghi lý do" in no_reason.text
    assert snapshot(app.engine, ident)[0] == "reported"
    returned = client.post(f"/quan-ly/nhiem-vu/{ident}/tra-lai",
                           data={"csrf": csrf, "version": version, "reason": "Thiếu số liệu"})
    assert returned.status_code == 303
    stale = client.post(f"/quan-ly/nhiem-vu/{ident}/xac-nhan",
                        data={"csrf": csrf, "version": version})
    assert stale.status_code == 409 and "vừa được người khác cập nhật" in stale.text
    with read_session(app.engine) as session:
        audit = session.scalars(select(AuditRow).where(AuditRow.task_id == ident)
                                .order_by(AuditRow.id)).all()
        notices = list(session.scalars(select(OutboxRow.kind).where(OutboxRow.task_id == ident)))
    assert [(a.trigger, a.actor, a.channel) for a in audit][-2:] == [
        ("report", "hq.cong-an", "link"), ("return", "thuky", "web")]
    assert audit[-1].reason == "Thiếu số liệu" and "task_returned" in notices


def test_attachments_download_only_as_files(app: LiveApp, client: httpx.Client) -> None:
    with httpx.Client(base_url=app.url, follow_redirects=False) as agency:
        assert report(agency, link(app), files=[("Báo cáo quý.pdf", PDF)]).status_code == 303
    with read_session(app.engine) as session:
        attachment = session.scalars(select(AttachmentRow)).one()
    path = f"/quan-ly/tep/{attachment.id}"
    assert client.get(path).status_code == 303  # not without a login
    login(client)
    response = client.get(path)
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "B%C3%A1o%20c%C3%A1o%20qu%C3%BD.pdf" in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/quan-ly/tep/999").status_code == 404


def test_matrix_and_overdue_list(app: LiveApp, client: httpx.Client) -> None:
    with httpx.Client(base_url=app.url, follow_redirects=False) as agency:
        assert report(agency, link(app)).status_code == 303
    login(client)
    app.clock.set(datetime(2022, 6, 20, 9, 0, tzinfo=LOCAL_TZ))
    matrix = client.get("/quan-ly/ma-tran/hq-2022/2022")
    assert matrix.status_code == 200
    assert 'class="c s-reported' in matrix.text and " late" in matrix.text
    police_only = client.get("/quan-ly/ma-tran/hq-2022/2022",
                             params={"co_quan": "hq.cong-an"}).text
    assert police_only.count('<th scope="row" class="sticky">') == 1  # one agency
    communes = client.get("/quan-ly/ma-tran/hq-2022/2022",
                          params={"co_quan": "hq.xa-thi-tran", "trang_thai": "overdue"}).text
    assert communes.count('<th scope="row" class="sticky">') == 21
    overdue = client.get("/quan-ly/qua-han", params={"chi_dao": "hq-2022"}).text
    days = [int(d) for d in re.findall(r'data-label="Quá hạn">(\d+) ngày</td>', overdue)]
    assert days and days == sorted(days, reverse=True) and days[0] == 16
    assert client.get("/quan-ly/ma-tran/khong-co/2022").status_code == 404


def test_a_large_matrix_is_shown_a_page_of_agencies_at_a_time(app: LiveApp, loaded: Engine,
                                                              client: httpx.Client) -> None:
    """Issue 19: 3,000 agencies x 30 tasks made a 10 MiB page. 50 agencies a page, the
    filters kept from page to page, the counts of the whole directive on every page; past
    200 agencies the agency filter is a typed name, not a drop-down of every agency."""
    add_communes_owing(loaded, 250, NOW)
    agencies = count(loaded, AgencyRow, AgencyRow.code.in_(  # type: ignore[attr-defined]
        select(TaskRow.agency_code).where(TaskRow.directive_code == "hq-2022")))
    total = count(loaded, TaskRow, TaskRow.directive_code == "hq-2022")
    pages = -(-agencies // PAGE_AGENCIES)
    login(client)
    rows = '<th scope="row" class="sticky">'
    first = client.get("/quan-ly/ma-tran/hq-2022/2022").text
    assert first.count(rows) == PAGE_AGENCIES
    assert f"Trang 1/{pages} · {agencies} cơ quan" in first and 'href="?trang=2"' in first
    assert f">Đã giao: {total}<" in first.replace("</span>", "<")  # the whole directive
    assert 'list="nhom-co-quan"' in first and "xa-thu-200" not in first  # no huge select
    last = client.get("/quan-ly/ma-tran/hq-2022/2022", params={"trang": str(pages)}).text
    assert last.count(rows) == agencies - PAGE_AGENCIES * (pages - 1)
    assert set(re.findall(f"{rows}([^<]+)<", first)).isdisjoint(
        re.findall(f"{rows}([^<]+)<", last))
    beyond = client.get("/quan-ly/ma-tran/hq-2022/2022", params={"trang": "99"})
    assert beyond.status_code == 200 and f"Trang {pages}/{pages}" in beyond.text
    named = client.get("/quan-ly/ma-tran/hq-2022/2022", params={"co_quan": "Thử 007"}).text
    assert named.count(rows) == 1 and "Ủy ban nhân dân xã Thử 007" in named
    app.clock.set(datetime(2022, 6, 20, 9, 0, tzinfo=LOCAL_TZ))
    overdue = client.get("/quan-ly/ma-tran/hq-2022/2022",
                         params={"trang_thai": "overdue", "trang": "2"}).text
    assert "trang_thai=overdue" in overdue and overdue.count(rows) == PAGE_AGENCIES
    assert client.get("/quan-ly/ma-tran/hq-2022/2022",
                      params={"trang": "-1"}).status_code in (200, 400)
    # The overdue list too: a page of PAGE_OVERDUE, every task on exactly one page, in order.
    listed = client.get("/quan-ly/qua-han", params={"chi_dao": "hq-2022"}).text
    owed = int(re.search(r"Nhiệm vụ quá hạn \((\d+)\)", listed).group(1))  # type: ignore[union-attr]
    assert owed > PAGE_OVERDUE
    overdue_pages = -(-owed // PAGE_OVERDUE)
    assert f"Trang 1/{overdue_pages} · {owed} nhiệm vụ quá hạn" in listed
    assert 'href="?trang=2&amp;chi_dao=hq-2022"' in listed
    seen: list[str] = []
    days: list[int] = []
    for n in range(1, overdue_pages + 1):
        text = client.get("/quan-ly/qua-han", params={"chi_dao": "hq-2022", "trang": str(n)}).text
        seen += re.findall(r'href="/quan-ly/nhiem-vu/(\d+)"', text)
        days += [int(d) for d in re.findall(r'data-label="Quá hạn">(\d+) ngày</td>', text)]
    assert len(seen) == len(set(seen)) == owed and days == sorted(days, reverse=True)


def test_cookies_are_http_only_and_same_site(app: LiveApp, client: httpx.Client) -> None:
    page = client.get(link(app))
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    session = login(client).headers["set-cookie"]
    assert session.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in session


def test_a_malformed_csrf_cookie_is_replaced_and_the_form_still_works(app: LiveApp) -> None:
    """A cookie the product did not spell (another app on the host, a tampered browser) is
    never used as the CSRF secret: the page sets a fresh one, and its form posts."""
    url = link(app)
    ident = task_id(app.engine, POLICE)
    for bad in ("x", "a" * 31, "a" * 33, "a" * 31 + "!", "a" * 16 + "." + "a" * 15):
        with httpx.Client(base_url=app.url) as browser:
            browser.cookies.set(CSRF_COOKIE, bad)
            page = browser.get(url)
            fresh = page.headers["set-cookie"].split(";")[0].split("=", 1)[1]
            assert re.fullmatch(r"[A-Za-z0-9_-]{32}", fresh) and fresh != bad
    with httpx.Client(base_url=app.url) as browser:
        browser.cookies.set(CSRF_COOKIE, "x")
        page = browser.get(url)
        browser.cookies.clear()
        browser.cookies.set(CSRF_COOKIE, page.headers["set-cookie"].split(";")[0].split("=", 1)[1])
        sent = browser.post(url, data={"csrf": csrf_of(page.text), "text": "Đã tuyên truyền."})
    assert sent.status_code == 303
    assert snapshot(app.engine, ident)[0] == "reported"


def test_simultaneous_reports_of_different_agencies_all_succeed(app: LiveApp) -> None:
    """Writers queue on SQLite's lock instead of failing: no agency is told its report
    was 'already sent' because another agency reported at the same moment."""
    from concurrent.futures import ThreadPoolExecutor

    with read_session(app.engine) as session:
        rows = list(session.scalars(select(TaskRow).where(TaskRow.spec_code == "v.bao-cao",
                                                          TaskRow.period == "2022-h1")))
    assert len(rows) >= 16

    def submit(row: TaskRow) -> int:
        url = app.links().task(row.id or 0, row.agency_code, row.due_at)
        with httpx.Client(base_url=app.url, follow_redirects=False, timeout=60) as browser:
            return report(browser, url).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(submit, rows))
    assert statuses == [303] * len(rows)
    assert count(app.engine, ReportRow) == len(rows)


def test_dashboard_downloads(app: LiveApp, client: httpx.Client) -> None:
    from openpyxl import load_workbook

    login(client)
    base = "/quan-ly/xuat/hq-2022/2022"
    page = client.get("/quan-ly/ma-tran/hq-2022/2022").text
    assert f'{base}/tinh-trang.xlsx' in page and f'{base}/tien-do.svg' in page
    workbook = client.get(f"{base}/tinh-trang.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["content-disposition"].startswith("attachment;")
    sheets = load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert sheets == ["Tình trạng", "Quá hạn", "Báo cáo", "Đúng hạn"]
    docx = client.get(f"{base}/bao-cao.docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    rows = client.get(f"{base}/du-lieu.json").json()
    assert len(rows) == 188 and rows[0]["directive"] == "hq-2022"
    assert client.get(f"{base}/du-lieu.csv").content.startswith("\ufeffSố TT,".encode())
    for chart in ("tien-do.svg", "co-quan.svg"):
        svg = client.get(f"{base}/{chart}")
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert svg.headers["content-security-policy"] == "sandbox"
        assert b"<svg" in svg.content
    assert client.get("/quan-ly/xuat/khong-co/2022/tinh-trang.xlsx").status_code == 404
    assert client.get(f"{base}/khac.exe").status_code == 404
