"""Issue 18, one test per defect found by probing the product from outside: links and
sessions, uploads and downloads, exports, mail through outages, hostile definitions and
the CLI's reports. Real parts throughout: uvicorn over HTTP, the real SMTP test server,
both databases, the `nhiemvu` command in a process of its own."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import OperationalError

from exports.collect import as_table, collect, csv_bytes
from exports.xlsx import write_xlsx
from notifier.config import MailSettings
from notifier.sender import send_due
from notifier.transport import Smtp
from tests.simulation import count, task_id
from tests.smtpserver import Recorder, free_port, smtp_server
from tests.test_cli import NHIEMVU, run
from tests.test_notifier import queued_june, smtp
from tests.test_web import NOW, PASSWORD, PDF, POLICE, WOMEN_UNION, csrf_of, link, login
from tests.webserver import LiveApp, live_app
from web.security import SESSION_COOKIE
from workflow.access.linkkeys import load_ring
from workflow.access.links import SALT
from workflow.access.signing import serializer
from workflow.access.users import add_user, set_active
from workflow.clock import LOCAL_TZ, FixedClock
from workflow.engine.actors import Actor
from workflow.engine.instantiate import instantiate
from workflow.engine.reports import submit_report
from workflow.storage.attachments import AttachmentStore, sweep_orphans
from workflow.storage.db import read_session, reader, write_session
from workflow.storage.models import AttachmentRow, OutboxRow, ReportRow, TaskRow

AS_OF = datetime(2022, 12, 31, 17, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def app(loaded: Engine, tmp_path: Path) -> Iterator[LiveApp]:
    instantiate(loaded, "hq-2022", 2022, NOW)
    with write_session(loaded) as session:
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", NOW, committee="hq")
    with live_app(loaded, FixedClock(NOW), tmp_path / "attachments",
                  upload_max_bytes=2 * 1024 * 1024, upload_max_files=3) as live:
        yield live


@pytest.fixture
def client(app: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as http:
        yield http


def files_on_disk(app: LiveApp) -> list[Path]:
    root = app.settings.attachments_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def signed(app: LiveApp, claims: Any) -> str:
    """A token signed with the product's real key: what a leaked key or a bug could make."""
    return str(serializer(load_ring(app.engine, NOW).secrets, SALT).dumps(claims))


def expiry(days: int = 30) -> int:
    return int((NOW + timedelta(days=days)).timestamp())


# -- links and sessions -----------------------------------------------------------------

def test_a_token_with_a_huge_expiry_or_id_is_refused_not_a_500(app: LiveApp,
                                                              client: httpx.Client) -> None:
    ident = task_id(app.engine, POLICE)
    forged = [{"k": "t", "i": ident, "a": "hq.cong-an", "e": 10**20},
              {"k": "t", "i": ident, "a": "hq.cong-an", "e": -10**20},
              {"k": "t", "i": ident, "a": "hq.cong-an", "e": 1e300},
              {"k": "t", "i": 2**63, "a": "hq.cong-an", "e": expiry()},
              {"k": "t", "i": -1, "a": "hq.cong-an", "e": expiry()},
              {"k": "t", "i": True, "a": "hq.cong-an", "e": expiry()},
              {"k": "t", "i": str(ident), "a": "hq.cong-an", "e": expiry()},
              {"k": "t", "i": ident, "a": "hq.cong-an\x00", "e": expiry()},
              {"k": "t", "i": ident, "a": "x" * 5000, "e": expiry()},
              {"k": "t", "i": ident, "a": ["hq.cong-an"], "e": expiry()},
              {"k": "z", "i": ident, "a": "hq.cong-an", "e": expiry()},
              ["t", ident, "hq.cong-an"], "t", None]
    for claims in forged:
        response = client.get(f"/bao-cao/{ident}/{signed(app, claims)}")
        assert response.status_code == 403, (claims, response.status_code)
        assert "Liên kết không hợp lệ" in response.text
    agency = signed(app, {"k": "a", "a": "hq.cong-an", "e": 10**20})
    assert client.get(f"/co-quan/hq.cong-an/{agency}").status_code == 403
    # The bound is the longest lifetime the product issues: a real link is still accepted.
    assert client.get(link(app)).status_code == 200


def test_a_signature_spelled_differently_is_refused(app: LiveApp, client: httpx.Client) -> None:
    url = link(app)
    base, token = url.rsplit("/", 1)
    payload, signature = token.rsplit(".", 1)
    assert client.get(url).status_code == 200
    for spelling in (signature[:5] + "é" + signature[5:], signature[:5] + "+" + signature[5:],
                     signature + "=", signature[:5] + "%20" + signature[5:],
                     signature[:-1] + chr(ord(signature[-1]) ^ 1)):
        response = client.get(f"{base}/{payload}.{spelling}")
        assert response.status_code == 403, spelling
    # The same for the session cookie: the exact cookie works, any other spelling does not.
    assert login(client).status_code == 303
    cookie = client.cookies[SESSION_COOKIE]
    assert client.get("/quan-ly").status_code == 200
    head, mark = cookie.rsplit(".", 1)
    for spelling in (mark[:4] + "+" + mark[4:], mark + "=", mark[:4] + "%C3%A9" + mark[4:]):
        with httpx.Client(base_url=app.url, follow_redirects=False) as other:
            other.cookies.set(SESSION_COOKIE, f"{head}.{spelling}")
            assert other.get("/quan-ly").status_code == 303, spelling


def test_a_cookie_copied_before_logout_no_longer_opens_the_dashboard(
        app: LiveApp, client: httpx.Client) -> None:
    def opens(cookie: str) -> bool:
        with httpx.Client(base_url=app.url, follow_redirects=False) as other:
            other.cookies.set(SESSION_COOKIE, cookie)
            return other.get("/quan-ly").status_code == 200

    assert login(client).status_code == 303
    copied = client.cookies[SESSION_COOKIE]
    assert opens(copied)
    page = client.get("/quan-ly")
    assert client.post("/dang-xuat", data={"csrf": csrf_of(page.text)}).status_code == 303
    assert not opens(copied)
    # A password change ends every other session; this browser gets a new one.
    with httpx.Client(base_url=app.url, follow_redirects=False) as laptop, \
            httpx.Client(base_url=app.url, follow_redirects=False) as phone:
        login(laptop)
        login(phone)
        on_phone = phone.cookies[SESSION_COOKIE]
        form = laptop.get("/quan-ly/mat-khau")
        changed = laptop.post("/quan-ly/mat-khau", data={
            "csrf": csrf_of(form.text), "current": PASSWORD, "password": "mat-khau-moi-456",
            "again": "mat-khau-moi-456"})
        assert changed.status_code == 303
        assert not opens(on_phone)
        assert laptop.get("/quan-ly").status_code == 200
        # Disabling the user ends the laptop's session too.
        with write_session(app.engine) as session:
            set_active(session, "thuky", False)
        assert not opens(laptop.cookies[SESSION_COOKIE])


@pytest.mark.parametrize("trusted", [(), ("127.0.0.1",)], ids=["no-proxy", "behind-nginx"])
def test_forwarded_for_is_believed_only_from_a_configured_proxy(loaded: Engine, tmp_path: Path,
                                                               trusted: tuple[str, ...]) -> None:
    """Thirty failures from one address block it; a rotated X-Forwarded-For header must not
    let a caller on the host pick another address, unless the app sits behind a proxy it
    was told to trust."""
    with live_app(loaded, FixedClock(NOW), tmp_path / "a", trusted_proxies=trusted) as live, \
            httpx.Client(base_url=live.url, follow_redirects=False) as http:
        page = http.get("/dang-nhap")
        statuses = []
        for attempt in range(31):
            statuses.append(http.post("/dang-nhap", headers={
                "X-Forwarded-For": f"203.0.113.{attempt + 1}"}, data={
                "csrf": csrf_of(page.text), "username": f"doan-{attempt}",
                "password": "sai-mat-khau"}).status_code)
    if trusted:
        assert statuses == [401] * 31  # 31 addresses, one failure each
    else:
        assert statuses == [401] * 30 + [429]


def test_an_unknown_host_is_refused_and_no_url_is_built_from_it(app: LiveApp,
                                                                client: httpx.Client) -> None:
    evil = client.get("/quan-ly/", headers={"Host": "evil.example"})
    assert evil.status_code == 400 and "evil.example" not in evil.headers.get("location", "")
    assert "Tên máy chủ" in evil.text
    assert client.get("/bao-cao/1/x", headers={"Host": "evil.example:80"}).status_code == 400
    slash = client.get("/quan-ly/")
    assert slash.status_code == 307 and slash.headers["location"] == "/quan-ly"
    # The health check answers any name (systemd and compose probe it by address).
    assert client.get("/suc-khoe", headers={"Host": "10.0.0.5"}).text == "ok"
    assert client.get("/quan-ly/khong-co/").status_code == 404


# -- uploads and downloads --------------------------------------------------------------

def test_a_refused_upload_leaves_no_file_on_disk(app: LiveApp, client: httpx.Client) -> None:
    url = link(app)
    page = client.get(url)
    big = b"%PDF-1.4\n" + os.urandom(2 * 1024 * 1024)  # over the 2 MiB per-file limit
    sent = 0
    for files in ([("a.pdf", big)], [("ok.pdf", PDF), ("b.exe", b"MZ" + os.urandom(4096))],
                  [("ok.pdf", PDF), ("empty.pdf", b"")]):
        for _ in range(10):
            response = client.post(url, data={"csrf": csrf_of(page.text), "text": "Báo cáo"},
                                   files=[("files", f) for f in files])
            assert response.status_code in {400, 413, 415}
            sent += sum(len(data) for _, data in files)
    assert sent > 20 * 1024 * 1024
    assert files_on_disk(app) == []
    ident = task_id(app.engine, POLICE)
    assert count(app.engine, ReportRow, ReportRow.task_id == ident) == 0
    # A report that loses the race to another one rolls back: its file goes too.
    police = Actor("hq.cong-an", "agency", "link", "hq.cong-an")
    submit_report(app.engine, ident, police, NOW, "Trước", [], [])
    late = client.post(url, data={"csrf": csrf_of(page.text), "text": "Sau"},
                       files=[("files", ("sau.pdf", PDF))])
    assert late.status_code == 409 and files_on_disk(app) == []


def test_files_of_a_rolled_back_transaction_are_discarded_and_a_crash_is_swept(
        loaded: Engine, tmp_path: Path) -> None:
    instantiate(loaded, "hq-2022", 2022, NOW)
    store = AttachmentStore(tmp_path / "files", 1024 * 1024)
    staging = store.staging()
    staging.put("bao-cao.pdf", io.BytesIO(PDF))
    with pytest.raises(RuntimeError), write_session(loaded) as session:
        session.add(TaskRow(directive_code="khong-co"))  # any failure before the commit
        raise RuntimeError("rolled back")
    staging.discard()
    assert [p for p in store.root.rglob("*") if p.is_file()] == []
    # A crash between commit and promotion: the committed file is promoted at start, an
    # uncommitted one deleted; a fresh one (a request in flight elsewhere) is left alone.
    ident = task_id(loaded, POLICE)
    committed = store.stage("a.pdf", io.BytesIO(PDF))
    orphan = store.stage("b.pdf", io.BytesIO(PDF + b"%orphan"))
    fresh = store.stage("c.pdf", io.BytesIO(PDF + b"%fresh"))
    submit_report(loaded, ident, Actor("hq.cong-an", "agency", "link", "hq.cong-an"), NOW, "x", [],
                  [committed])
    old = time.time() - 7200
    for path in (committed.staged, orphan.staged):
        assert path is not None
        os.utime(path, (old, old))
    swept = sweep_orphans(loaded, store)
    assert (swept.promoted, swept.deleted) == (1, 1)
    assert store.path(committed.stored_name).read_bytes() == PDF
    assert not store.path(orphan.stored_name).exists()
    assert fresh.staged is not None and fresh.staged.exists()


def bomb(entries: int = 0, zeros: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        for index in range(entries):
            archive.writestr(f"x/{index}", "")
        if zeros:
            archive.writestr("word/media/zero.bin", b"\0" * zeros)
    return buffer.getvalue()


def test_a_zip_bomb_docx_attachment_is_refused(app: LiveApp, client: httpx.Client) -> None:
    url = link(app)
    page = client.get(url)
    many, huge = bomb(entries=5000), bomb(zeros=200 * 1024 * 1024)
    assert len(many) < 2 * 1024 * 1024 and len(huge) < 2 * 1024 * 1024
    for data in (many, huge):
        response = client.post(url, data={"csrf": csrf_of(page.text), "text": "Báo cáo"},
                               files=[("files", ("bao-cao.docx", data))])
        assert response.status_code == 415 and "định dạng" in response.text
    assert files_on_disk(app) == []


def test_attachment_names_are_cleaned_and_served_only_as_downloads(
        app: LiveApp, client: httpx.Client) -> None:
    url = link(app)
    page = client.get(url)
    disguised = "hinh\u202egpj.exe"  # shows as 'hinhexe.jpg' in a right-to-left display
    response = client.post(url, data={"csrf": csrf_of(page.text), "text": "Báo cáo"},
                           files=[("files", (disguised, PDF)), ("files", ("trang.html", PDF))])
    assert response.status_code == 303
    with read_session(app.engine) as session:
        rows = list(session.scalars(select(AttachmentRow).order_by(AttachmentRow.id)))
    assert [r.filename for r in rows] == ["hinh_gpj.pdf", "trang.pdf"]
    assert all(r.stored_name.endswith(".pdf") and "\u202e" not in r.filename for r in rows)
    login(client)
    download = client.get(f"/quan-ly/tep/{rows[0].id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "pdf" in disposition
    assert "exe" not in disposition and "%E2%80%AE" not in disposition


def test_a_nul_in_report_text_is_a_400_and_leaves_nothing(app: LiveApp,
                                                           client: httpx.Client) -> None:
    url = link(app)
    page = client.get(url)
    response = client.post(url, data={"csrf": csrf_of(page.text), "text": "Đã làm\x00xong"},
                           files=[("files", ("a.pdf", PDF))])
    assert response.status_code == 400 and "NUL" in response.text
    assert count(app.engine, ReportRow) == 0 and files_on_disk(app) == []


def test_malformed_ids_and_nul_in_dashboard_addresses_are_400(app: LiveApp,
                                                              client: httpx.Client) -> None:
    login(client)
    for path in ("/quan-ly/nhiem-vu/9223372036854775808", "/quan-ly/nhiem-vu/" + "9" * 20,
                 "/quan-ly/nhiem-vu/%D9%A1", "/quan-ly/nhiem-vu/-1", "/quan-ly/tep/1e9",
                 "/quan-ly/ma-tran/hq-2022/2022abc", "/quan-ly/thu/99999999999"):
        response = client.get(path)
        assert response.status_code in {400, 404}, path
        assert "không" in response.text.lower()
    for path in ("/quan-ly/nhiem-vu/1%00", "/quan-ly/ma-tran/hq%002022/2022",
                 "/quan-ly/qua-han?co_quan=hq%00", "/quan-ly/co-quan?q=%00",
                 "/bao-cao/1/abc%00def"):
        response = client.get(path)
        assert response.status_code == 400 and "ký tự không hợp lệ" in response.text, path
    assert client.get("/quan-ly/nhiem-vu/9223372036854775808").status_code == 400
    assert client.get("/x" * 3000).status_code == 414


# -- exports ----------------------------------------------------------------------------

PAYLOADS = ["=1+1", "+1+1", "-1+1", "@SUM(1+1)", "=HYPERLINK(\"http://evil.example\",\"Bấm\")",
            "=cmd|' /C calc'!A0", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+9)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "%0A=1+1", "|calc"]


def test_formula_payloads_stay_text_in_every_cell_of_every_export(loaded: Engine) -> None:
    """OWASP's CSV injection payloads, in report texts and figures: a leading apostrophe
    in the CSV, a string cell (never a formula) in every sheet of the workbook."""
    instantiate(loaded, "hq-2022", 2022, NOW)
    with read_session(loaded) as session:
        ids = list(session.scalars(select(TaskRow.id).where(TaskRow.state == "assigned")
                                   .order_by(TaskRow.id)))[:len(PAYLOADS)]
    for ident, payload in zip(ids, PAYLOADS, strict=True):
        with read_session(loaded) as session:
            agency = session.get(TaskRow, ident).agency_code  # type: ignore[union-attr]
        submit_report(loaded, ident, Actor(agency, "agency", "link", agency), NOW, payload,
                      [{"label": payload, "value": payload}], [])
    with read_session(loaded) as session:
        report = collect(session, "hq-2022", 2022, AS_OF)
    rows = list(csv.reader(io.StringIO(csv_bytes(as_table(report)).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    starts = ("=", "+", "-", "@", "\t", "\r", "|", "%")
    assert not [c for c in cells if c.startswith(starts)]
    for payload in PAYLOADS:  # report texts are stored stripped; figure labels are not
        assert any(c == "'" + payload.strip() or c.startswith("'" + payload) for c in cells), \
            payload
    out = io.BytesIO()
    write_xlsx(report, out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)
    book = load_workbook(io.BytesIO(out.getvalue()))
    texts = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.lstrip("\t\r").startswith(starts)]
    assert texts and {c.data_type for c in texts} == {"s"}


# -- mail -------------------------------------------------------------------------------

def test_a_database_error_while_building_mail_is_retried_not_failed(engine: Engine) -> None:
    queued = queued_june(engine)
    failures = {"left": 1}

    def fail_once(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if failures["left"] and statement.lstrip().upper().startswith("SELECT") \
                and "FROM agency" in statement:
            failures["left"] -= 1
            raise OperationalError(statement, {}, Exception("server closed the connection"))

    with smtp_server() as (server, port):
        settings = smtp(port)
        # Reads go through their own engine on SQLite (workflow.storage.db.reader).
        targets = {engine, reader(engine)}
        for target in targets:
            event.listen(target, "before_cursor_execute", fail_once)
        try:
            first = send_due(engine, Smtp(settings), settings, datetime(2022, 6, 6, 9, 0,
                                                                        tzinfo=LOCAL_TZ))
        finally:
            for target in targets:
                event.remove(target, "before_cursor_execute", fail_once)
        assert first.failed == 0 and first.retry > 0
        assert count(engine, OutboxRow, OutboxRow.state == "failed") == 0
        later = send_due(engine, Smtp(settings), settings, datetime(2022, 6, 6, 9, 5,
                                                                    tzinfo=LOCAL_TZ))
    assert later.failed == 0
    assert count(engine, OutboxRow, OutboxRow.state == "sent") == queued
    assert len(server.message_ids()) == queued


def test_mail_outlasting_an_outage_is_kept_a_day_and_put_back_by_outbox_retry(
        engine: Engine, tmp_path: Path) -> None:
    queued = queued_june(engine)
    assert MailSettings().retry_hours >= 24
    port = free_port()  # nothing listens: connection refused
    settings = smtp(port)
    start = datetime(2022, 6, 6, 9, 0, tzinfo=LOCAL_TZ)
    now = start
    while now < start + timedelta(hours=47):  # the sender polls through a two-day outage
        send_due(engine, Smtp(settings), settings, now)
        now += timedelta(minutes=30)
    assert count(engine, OutboxRow, OutboxRow.state == "failed") == 0  # still in the window
    send_due(engine, Smtp(settings), settings, start + timedelta(hours=49))
    assert count(engine, OutboxRow, OutboxRow.state == "failed") == queued
    url = engine.url.render_as_string(hide_password=False)
    env = {"NHIEMVU_NOW": "08/06/2022 11:00"}
    status = run(["--db", url, "status"], tmp_path, env)
    assert f"{queued} lỗi" in status.stdout and f"{queued} thư gửi lỗi" in status.stdout
    retried = run(["--db", url, "outbox", "retry", "--all-failed"], tmp_path, env)
    assert f"Đã xếp lại {queued} thư" in retried.stdout
    with smtp_server(port) as (server, _):
        done = send_due(engine, Smtp(settings), settings, start + timedelta(hours=50))
    assert done.sent == queued and len(server.message_ids()) == queued


class KillingRecorder(Recorder):
    """Receives a message, then kills the sender before answering it: the moment between
    delivery and recording."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after, self.victim = after, 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == self.after and self.victim:
            os.kill(self.victim, signal.SIGKILL)
        return answer


def test_a_sender_killed_after_a_delivery_resends_at_most_one_message(
        engine: Engine, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    queued = queued_june(engine)
    url = engine.url.render_as_string(hide_password=False)
    recorder, port = KillingRecorder(after=25), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    env = {**os.environ, "NHIEMVU_SMTP_HOST": "127.0.0.1", "NHIEMVU_SMTP_PORT": str(port),
           "NHIEMVU_MAIL_FROM": "Ban VSTBPN <bvstbpn@ha-quang.example>",
           "NHIEMVU_NOW": "06/06/2022 09:00", "NHIEMVU_SMTP_CONCURRENCY": "1",
           "NHIEMVU_MAIL_LEASE_SECONDS": "1"}
    try:
        victim = subprocess.Popen([NHIEMVU, "--db", url, "send", "--once"], env=env,
                                  cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        recorder.victim = victim.pid
        assert victim.wait(timeout=120) == -signal.SIGKILL
        assert len(recorder.messages) == 25
        assert count(engine, OutboxRow, OutboxRow.state == "sent") == 24
        time.sleep(1.5)  # the victim's lease, in real time
        rerun = subprocess.run([NHIEMVU, "--db", url, "send", "--once"], env=env,
                               cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
    finally:
        controller.stop()
    received = recorder.message_ids()
    assert len(set(received)) == queued == count(engine, OutboxRow, OutboxRow.state == "sent")
    assert len(received) - queued == 1  # only the message in hand came twice


# -- definitions and the CLI ------------------------------------------------------------

HOSTILE = {
    "alias-bomb": ("kind: directive\ncode: bomb\na: &a [\"xxxxxxxxxx\",\"xxxxxxxxxx\"]\n"
                   "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n"
                   "title: *c\n", ":4:", "bí danh YAML"),
    "deep": ("kind: directive\ncode: sau\ntitle: " + "[" * 20000 + "]" * 20000 + "\n", ":3:",
             "lồng nhau quá"),
    "nul": ("kind: directive\ncode: nul\ntitle: A\x00B\n", ":3:", "NUL"),
    "control": ("kind: directive\ncode: bel\ntitle: A\x07B\n", ":3:", "YAML"),
    "impossible-date": ("kind: directive\ncode: ngay\nissued: 2023-02-30\n", ":3:",
                        "không phải ngày có thật"),
}


def directive_yaml(**changes: str) -> str:
    fields = {"kind": "directive", "code": "thu", "document": "ke-hoach", "number": "1/KH-BVSTBPN",
              "issuer": "Ban VSTBPN huyện Hà Quảng", "issued": "01/03/2022", "year": "2022",
              "committee": "hq", "title": "Kế hoạch thử",
              "tasks": ("\n  - code: a\n    title: Việc\n    text: Làm việc\n"
                        "    lead: [hq.noi-vu]\n    due: 05/06/2022")}
    fields.update(changes)
    return "".join(f"{k}: {v}\n" for k, v in fields.items())


def test_hostile_definition_files_get_one_vietnamese_line_each(shipped_db: Path,
                                                               tmp_path: Path) -> None:
    cases = dict(HOSTILE)
    cases["long-title"] = (directive_yaml(title="Dài " * 400), ":9:", "quá 1000 ký tự")
    cases["no-task"] = (directive_yaml(tasks="[]"), ":10:", "ít nhất một nhiệm vụ")
    cases["hex-year"] = (directive_yaml(year="0x7E6"), ":7:", "số nguyên từ 2000 đến 2100")
    cases["too-big"] = ("kind: directive\n" + "# đệm\n" * 2_000_000, "too-big.yaml:", "quá 8 MB")
    for name, (text, where, words) in cases.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        result = run(["--db", f"sqlite:///{shipped_db}", "load", "--check", str(path)],
                     tmp_path, ok=False)
        assert result.returncode == 1, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert any(where in line and words in line for line in lines), (name, lines)
        assert all(line.startswith("lỗi: ") for line in lines), (name, lines)
        # One line each, never the expanded value: the bomb stays a few lines long.
        assert "Traceback" not in result.stderr and len(result.stderr) < 2000, name


@pytest.fixture
def shipped_db(tmp_path: Path) -> Path:
    path = tmp_path / "defs.db"
    run(["--db", f"sqlite:///{path}", "init"], tmp_path)
    run(["--db", f"sqlite:///{path}", "load", str(Path(__file__).parent.parent /
                                                   "definitions")], tmp_path)
    return path


def test_a_report_from_the_cli_has_its_report_row_in_every_export(loaded: Engine,
                                                                   tmp_path: Path) -> None:
    instantiate(loaded, "hq-2022", 2022, NOW)
    url = loaded.url.render_as_string(hide_password=False)
    ident = task_id(loaded, WOMEN_UNION)
    run(["--db", url, "report", str(ident), "--text", "Đã tổ chức 12 buổi truyền thông."],
        tmp_path)
    with read_session(loaded) as session:
        reports = list(session.scalars(select(ReportRow).where(ReportRow.task_id == ident)))
        report = collect(session, "hq-2022", 2022, AS_OF)
    assert [r.text for r in reports] == ["Đã tổ chức 12 buổi truyền thông."]
    assert reports[0].channel == "cli"
    table = csv_bytes(as_table(report)).decode("utf-8-sig")
    assert "Đã tổ chức 12 buổi truyền thông." in table
