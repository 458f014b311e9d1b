"""The notifier against a real SMTP server (aiosmtpd on loopback) and both databases."""

from __future__ import annotations

import email.policy
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import Engine, event, func, select, update

from notifier.config import MailSettings
from notifier.context import Envelope
from notifier.message import build
from notifier.samples import TEMPLATES, sample
from notifier.sender import send_due
from notifier.templating import TemplateError, environment, render
from notifier.transport import EmlFolder, Smtp
from notifier.wire import CRLF_POLICY, wire_bytes
from tests.conftest import DEFINITIONS
from tests.simulation import add_communes_owing, count, load_shipped, outbox_keys, task_id
from tests.smtpserver import free_port, smtp_process, smtp_server
from workflow.clock import LOCAL_TZ
from workflow.engine.actors import Actor
from workflow.engine.instantiate import instantiate
from workflow.engine.reports import submit_report
from workflow.errors import NhiemvuError
from workflow.schedule.sweep import run_due
from workflow.storage.attachments import StoredFile
from workflow.storage.db import read_session, write_session
from workflow.storage.models import OutboxRow

NHIEMVU = str(Path(sys.executable).parent / "nhiemvu")
JUNE_6 = datetime(2022, 6, 6, 9, 0, tzinfo=LOCAL_TZ)


def smtp(port: int, **changes: object) -> MailSettings:
    return replace(MailSettings(smtp_host="127.0.0.1", smtp_port=port,
                                mail_from="Ban VSTBPN huyện <bvstbpn@ha-quang.example>"),
                   **changes)  # type: ignore[arg-type]


def queued_june(engine: Engine) -> int:
    """The shipped plans with the scheduler run up to 06/06/2022: notices are queued."""
    load_shipped(engine)
    run_due(engine, JUNE_6)
    return count(engine, OutboxRow, OutboxRow.state == "queued")


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_wire_bytes_are_what_the_email_package_writes(template: str) -> None:
    """Smtp sends `wire_bytes` (written from the parts, a millisecond cheaper a message):
    byte for byte the standard generator's output, with and without the .ics part."""
    subject, text, html = render(environment(), template, sample(template))
    for deadline in (None, {"id": 42, "title": "Báo cáo 6 tháng", "link": "http://x.example/",
                            "due_on": date(2022, 6, 5)}):
        envelope = Envelope(7, f"{template}:7", template, ["a@ha-quang.example"],
                            ["b@ha-quang.example"], sample(template), deadline)
        message = build(envelope, subject, text, html,
                        "Ban VSTBPN huyện Hà Quảng <bvstbpn@ha-quang.example>", JUNE_6)
        assert wire_bytes(message) == message.as_bytes(policy=CRLF_POLICY)
    message["X-Extra"] = "Tiêu đề có dấu"  # not of build()'s shape: the generator writes it
    assert wire_bytes(message) == message.as_bytes(policy=CRLF_POLICY)


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_in_vietnamese(template: str) -> None:
    subject, text, html = render(environment(), template, sample(template))
    assert subject and "\n" not in subject
    assert "Kính gửi" in text and "Kính gửi" in html
    assert "<html lang=\"vi\">" in html and "{{" not in text + html


def test_html_escapes_what_agencies_typed() -> None:
    context = sample("task_reported")
    context["task"] = {**context["task"], "report_text": "<script>alert('x')</script> & co"}
    _subject, text, html = render(environment(), "task_reported", context)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; co" in html
    assert "<script>alert('x')</script>" in text  # plain text stays as typed


def test_template_errors_name_the_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "reminder.txt.j2").write_text(
        '{% extends "base.txt.j2" %}\n{% block subject %}x{% endblock %}\n'
        "{% block body %}\n{{ task.title }\n{% endblock %}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"template reminder\.txt\.j2, line 4: "):
        render(environment(tmp_path), "reminder", sample("reminder"))
    (tmp_path / "reminder.txt.j2").write_text(
        '{% extends "base.txt.j2" %}\n{% block subject %}x{% endblock %}\n'
        "{% block body %}\nok\n{{ no_such_thing }}\n{% endblock %}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"reminder\.txt\.j2, line 5: UndefinedError"):
        render(environment(tmp_path), "reminder", sample("reminder"))


def test_delivery_reads_back_intact(engine: Engine) -> None:
    queued = queued_june(engine)
    with smtp_server() as (server, port):
        report = send_due(engine, Smtp(smtp(port)), smtp(port), JUNE_6)
    assert (report.sent, report.retry, report.failed) == (queued, 0, 0)
    assert sorted(server.keys()) == sorted(outbox_keys(engine))
    notice = next(m for m in server.messages
                  if str(m["X-Nhiemvu-Key"]).strip().startswith("overdue_notice:")
                  and m["To"] == "noi-vu@ha-quang.example")
    assert str(notice["Subject"]).startswith("[Quá hạn] Báo cáo định kỳ 6 tháng")
    raw = notice.as_bytes().decode("ascii")  # headers are RFC 2047, the whole is 7-bit
    assert "=?utf-8?" in raw
    text = notice.get_body(("plain",)).get_content()
    html = notice.get_body(("html",)).get_content()
    assert "Kính gửi: Phòng Nội vụ huyện Hà Quảng" in text
    assert "quá hạn báo cáo 2 ngày" in text and "trước ngày 05/06/2022" in text
    assert "Phòng Nội vụ huyện Hà Quảng" in html
    assert not list(notice.iter_attachments())  # no calendar event for a day gone by
    with read_session(engine) as session:
        row = session.scalars(select(OutboxRow).where(
            OutboxRow.key == str(notice["X-Nhiemvu-Key"]).strip())).one()
        assert row.state == "sent" and row.sent_at == JUNE_6
    assert str(notice["Message-ID"]).startswith(f"<nhiemvu.{row.id}.")
    digest = next(m for m in server.messages
                  if str(m["X-Nhiemvu-Key"]).strip()
                  == "weekly_digest:2022-W23:secretariat:hq.ldtbxh")
    body = digest.get_body(("plain",)).get_content()
    assert "Tổng cộng: 37 nhiệm vụ quá hạn của 37 đơn vị." in body
    opening = next(m for m in server.messages
                   if str(m["X-Nhiemvu-Key"]).strip() == "action_month_opening:2022:june:hp.ldtbxh")
    assert str(opening["Subject"]) == ("[Tháng hành động] Tháng hành động quốc gia về phòng, "
                                       "chống bạo lực gia đình 2022")


def test_smtp_down_then_back_loses_nothing(engine: Engine) -> None:
    queued = queued_june(engine)
    port = free_port()
    down = send_due(engine, Smtp(smtp(port)), smtp(port), JUNE_6)
    assert (down.sent, down.retry) == (0, queued)
    with read_session(engine) as session:
        rows = list(session.scalars(select(OutboxRow)))
    assert all(r.state == "queued" and r.attempts == 1 for r in rows)
    assert all(r.next_attempt_at == JUNE_6 + timedelta(minutes=1) for r in rows)
    assert all("connect" in (r.last_error or "") for r in rows)
    assert send_due(engine, Smtp(smtp(port)), smtp(port), JUNE_6).sent == 0  # backing off
    later = JUNE_6 + timedelta(minutes=2)
    with smtp_server(port) as (server, _):
        back = send_due(engine, Smtp(smtp(port)), smtp(port), later)
    assert (back.sent, back.retry, back.failed) == (queued, 0, 0)
    assert sorted(server.keys()) == sorted(outbox_keys(engine))
    assert count(engine, OutboxRow, OutboxRow.state != "sent") == 0


def test_4xx_retries_and_5xx_fails_per_recipient(engine: Engine, tmp_path: Path) -> None:
    queued_june(engine)
    with smtp_server() as (server, port):
        server.refuse = {"tu-phap@ha-quang.example": "450 Mailbox busy, try later",
                         "cong-an@ha-quang.example": "550 No such user here"}
        report = send_due(engine, Smtp(smtp(port)), smtp(port), JUNE_6)
    assert report.retry > 0 and report.failed > 0
    with read_session(engine) as session:
        rows = list(session.scalars(select(OutboxRow)))
    busy = [r for r in rows if r.agency_code == "hq.tu-phap" and r.recipient_role == "agency"]
    gone = [r for r in rows if r.agency_code == "hq.cong-an" and r.recipient_role == "agency"]
    assert busy and all(r.state == "queued" and "450" in (r.last_error or "") for r in busy)
    assert gone and all(r.state == "failed" and "550" in (r.last_error or "") for r in gone)
    url = engine.url.render_as_string(hide_password=False)
    listing = subprocess.run([NHIEMVU, "--db", url, "outbox", "--state", "failed"],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "550 No such user here" in listing.stdout


def test_retries_stop_at_the_end_of_the_window(engine: Engine) -> None:
    queued_june(engine)
    port = free_port()
    settings = smtp(port, retry_hours=2.5, retry_max_minutes=60)
    now = JUNE_6
    for _ in range(3):  # 0 h, 1 h, 2 h after the first attempt: still inside the window
        send_due(engine, Smtp(settings), settings, now)
        now += timedelta(hours=1)
    assert count(engine, OutboxRow, OutboxRow.state == "failed") == 0
    send_due(engine, Smtp(settings), settings, now)  # 3 h: the next wait would end past it
    assert count(engine, OutboxRow, OutboxRow.state == "failed") == count(engine, OutboxRow)


def test_without_smtp_messages_become_eml_files(engine: Engine, tmp_path: Path) -> None:
    queued = queued_june(engine)
    settings = MailSettings(mail_dir=tmp_path / "mail")
    assert send_due(engine, EmlFolder(settings.mail_dir), settings, JUNE_6).sent == queued
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == queued
    assert not list((tmp_path / "mail").glob(".*.tmp"))


def test_digests_are_built_in_one_pass(engine: Engine) -> None:
    load_shipped(engine)
    run_due(engine, datetime(2022, 6, 13, 9, 0, tzinfo=LOCAL_TZ))
    digests = count(engine, OutboxRow, OutboxRow.kind == "weekly_digest")
    with read_session(engine) as session:
        session.execute(OutboxRow.__table__.update().where(  # type: ignore[attr-defined]
            OutboxRow.kind != "weekly_digest").values(state="sent"))
        session.commit()
    statements: list[str] = []

    def record(conn, cursor, sql, params, context, many):  # type: ignore[no-untyped-def]
        statements.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        settings = MailSettings(mail_dir=Path("/tmp") / f"digest-{os.getpid()}")
        report = send_due(engine, EmlFolder(settings.mail_dir), settings,
                          datetime(2022, 6, 13, 9, 0, tzinfo=LOCAL_TZ))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert report.sent == digests == 38
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # Agencies' digests come from one set query per batch, whatever their number; each
    # secretariat's digest from four bounded ones.
    secretariats = len({k for k in outbox_keys(engine, ("weekly_digest",))
                        if ":secretariat:" in k})
    assert len(selects) <= 11 + 4 * secretariats, selects


def test_a_long_backlog_gives_short_digests_and_escalations(engine: Engine, tmp_path: Path
                                                           ) -> None:
    """A province's or a country's backlog never becomes a message of its size (issue 19):
    past 50 tasks the secretariat's digest and the chair's escalation give counts by
    agency, the most overdue tasks and a link to the filtered dashboard page, every
    message under 100 KB; an agency's own digest still lists its tasks."""
    load_shipped(engine)
    run_due(engine, JUNE_6)
    add_communes_owing(engine, 300, datetime(2022, 6, 1, tzinfo=UTC))
    with write_session(engine) as session:
        session.execute(update(OutboxRow).values(state="sent"))
    monday = datetime(2022, 6, 13, 9, 0, tzinfo=LOCAL_TZ)
    settings = MailSettings(mail_dir=tmp_path / "mail")
    for day, least in ((monday, 300), (monday + timedelta(days=3), 1)):  # then the chair's
        run_due(engine, day)
        report = send_due(engine, EmlFolder(settings.mail_dir), settings, day)
        assert report.sent >= least and not report.errors
    messages = {" ".join(str(m["X-Nhiemvu-Key"]).split()): (m, len(p.read_bytes()))
                for p in (tmp_path / "mail").glob("*.eml")
                for m in [message_from_bytes(p.read_bytes(), policy=email.policy.default)]}
    assert max(size for _, size in messages.values()) < 100_000
    digest, _ = next(v for k, v in messages.items() if k.startswith("weekly_digest:")
                     and ":secretariat:" in k)
    text = digest.get_body(("plain",)).get_content()
    assert "Thư chỉ nêu số liệu tóm tắt" in text
    assert re.search(r"Tổng cộng: 3\d\d nhiệm vụ quá hạn của 3\d\d đơn vị", text), text
    assert re.search(r"- và 3\d\d đơn vị khác: 3\d\d nhiệm vụ", text), text
    assert "20 nhiệm vụ quá hạn lâu nhất" in text
    assert "/quan-ly/qua-han" in text
    chair, _ = messages["escalation:hq-2022:2022-06-05:escalation-2"]
    assert chair["To"] == "lanhdao.ubnd@ha-quang.example"
    chair_text = chair.get_body(("plain",)).get_content()
    assert re.search(r"- và 3\d\d đơn vị khác: 3\d\d nhiệm vụ", chair_text), chair_text
    assert "/quan-ly/qua-han?chi_dao=hq-2022" in chair_text
    own, _ = next(v for k, v in messages.items() if k.startswith("weekly_digest:")
                  and k.endswith(":xa-thu-007"))
    own_text = own.get_body(("plain",)).get_content()
    assert "Ủy ban nhân dân xã Thử 007 (1 nhiệm vụ)" in own_text
    assert "Thư chỉ nêu số liệu tóm tắt" not in own_text


def test_killed_sender_loses_nothing(engine: Engine, tmp_path: Path) -> None:
    queued = queued_june(engine)
    url = engine.url.render_as_string(hide_password=False)
    with smtp_server() as (server, port):
        server.delay = 0.05
        env = {**os.environ, "NHIEMVU_SMTP_HOST": "127.0.0.1", "NHIEMVU_SMTP_PORT": str(port),
               "NHIEMVU_MAIL_FROM": "Ban VSTBPN <bvstbpn@ha-quang.example>",
               "NHIEMVU_NOW": "06/06/2022 09:00", "NHIEMVU_SMTP_CONCURRENCY": "2",
               "NHIEMVU_MAIL_LEASE_SECONDS": "15"}
        victim = subprocess.Popen([NHIEMVU, "--db", url, "send", "--once"], env=env,
                                  cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(server.messages) < 10:
            assert victim.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        assert count(engine, OutboxRow, OutboxRow.state == "sent") < queued
        server.delay = 0
        held = subprocess.run([NHIEMVU, "--db", url, "send", "--once"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert held.returncode == 0, held.stderr
        # The victim's claimed rows stay with it until its lease ends, whatever the clock.
        assert count(engine, OutboxRow, OutboxRow.state == "sent") < queued
        # The lease is real time: the simulated clock cannot end it, only waiting does.
        with read_session(engine) as session:
            until = session.scalar(select(func.max(OutboxRow.lease_until)))
        assert until is not None
        time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 0.5)
        rerun = subprocess.run([NHIEMVU, "--db", url, "send", "--once"], env=env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
    assert count(engine, OutboxRow, OutboxRow.state == "sent") == queued
    received = server.message_ids()
    assert len(set(received)) == queued  # everything arrived; a resent copy keeps its id
    assert len(received) - queued <= 200  # at most the killed batch came twice


def test_two_senders_send_each_message_once(engine: Engine, tmp_path: Path) -> None:
    queued = queued_june(engine)
    url = engine.url.render_as_string(hide_password=False)
    with smtp_server() as (server, port):
        env = {**os.environ, "NHIEMVU_SMTP_HOST": "127.0.0.1", "NHIEMVU_SMTP_PORT": str(port),
               "NHIEMVU_MAIL_FROM": "Ban VSTBPN <bvstbpn@ha-quang.example>",
               "NHIEMVU_NOW": "06/06/2022 09:00"}
        command = [NHIEMVU, "--db", url, "send", "--once"]
        senders = [subprocess.Popen(command, env={**env, "NHIEMVU_MAIL_BATCH": "20"},
                                    cwd=tmp_path, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [s.communicate(timeout=300) for s in senders]
    assert [s.returncode for s in senders] == [0, 0], outputs
    assert sorted(server.message_ids()) == sorted(set(server.message_ids()))
    assert len(server.message_ids()) == queued


def test_digest_and_preview_commands(engine: Engine, tmp_path: Path) -> None:
    load_shipped(engine)
    run_due(engine, datetime(2022, 6, 6, 7, 0, tzinfo=LOCAL_TZ))
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "NHIEMVU_NOW": "14/06/2022 10:00"}
    dry = subprocess.run([NHIEMVU, "--db", url, "digest", "--week", "2022-W24", "--dry-run"],
                         env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "hq.ldtbxh" in dry.stdout and "2022-W24: 38 digests would queue" in dry.stdout
    def week24() -> int:
        return len({k for k in outbox_keys(engine, ("weekly_digest",))
                    if k.startswith("weekly_digest:2022-W24:")})

    assert week24() == 0
    for _ in range(2):
        real = subprocess.run([NHIEMVU, "--db", url, "digest", "--week", "2022-W24"], env=env,
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert real.returncode == 0, real.stderr
    assert week24() == 38  # queued once, although asked twice
    eml = tmp_path / "preview.eml"
    shown = subprocess.run([NHIEMVU, "preview", "reminder", "-o", str(eml)],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert shown.returncode == 0 and eml.exists()
    text = subprocess.run([NHIEMVU, "preview", "task_returned"], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path).stdout
    assert "Lý do: Thiếu số liệu cán bộ nữ lãnh đạo." in text


def test_simulated_year_delivers_exactly_the_expected_mail(engine: Engine,
                                                          tmp_path: Path) -> None:
    """The scheduler's simulated 2022 with the sender after every tick, to aiosmtpd."""
    from tests.simulation import simulate
    from tests.test_scheduler import NOTICE_KINDS, actions, expected_notices

    end = datetime(2022, 12, 31, 8, 0, tzinfo=LOCAL_TZ)
    load_shipped(engine)
    with smtp_process(tmp_path) as (read, port):
        settings = smtp(port)
        transport = Smtp(settings)
        act = actions(engine)

        def day(now: datetime) -> None:
            act(now)
            send_due(engine, transport, settings, now - timedelta(minutes=30))

        simulate(engine, end=end, on_day=day)
        send_due(engine, transport, settings, end + timedelta(hours=1))
        messages = read()
    received = [" ".join(str(m["X-Nhiemvu-Key"]).split()) for m in messages]
    assert len(received) == len(set(received))  # nothing twice
    assert set(received) == outbox_keys(engine)  # everything queued was delivered
    assert count(engine, OutboxRow, OutboxRow.state != "sent") == 0
    notices = {k for k in received if k.split(":")[0] in NOTICE_KINDS}
    assert notices == expected_notices(engine, end, with_actions=True)
    kinds = {k.split(":")[0] for k in received}
    assert kinds == {"tasks_assigned", "action_month_opening", "reminder", "overdue_notice",
                     "escalation", "weekly_digest", "task_reported", "task_returned",
                     "task_cancelled"}
    returned = next(m for m in messages
                    if str(m["X-Nhiemvu-Key"]).strip().startswith("task_returned:"))
    assert str(returned["Subject"]) == ("[Đề nghị bổ sung] Báo cáo định kỳ 6 tháng và năm về "
                                        "thực hiện Kế hoạch")
    assert "Lý do: Lý do" in returned.get_body(("plain",)).get_content()
    chair = next(m for m in messages if str(m["X-Nhiemvu-Key"]).strip()
                 == "escalation:hq-2022:2022-06-05:escalation-2")
    assert chair["To"] == "lanhdao.ubnd@ha-quang.example"
    assert "Kính gửi: Chủ tịch Ủy ban nhân dân huyện Hà Quảng\n" in \
        chair.get_body(("plain",)).get_content()
    head = next(m for m in messages if str(m["X-Nhiemvu-Key"]).strip().startswith(
        "escalation:") and m["To"] == "lanhdao.noi-vu@ha-quang.example")
    assert "Kính gửi: Trưởng phòng Nội vụ huyện Hà Quảng\n" in \
        head.get_body(("plain",)).get_content()  # the title once, no name in the registry


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_tls_and_login(engine: Engine, tmp_path: Path, mode: str) -> None:
    """A server that requires encryption and a password: STARTTLS or implicit TLS."""
    import ssl

    import trustme
    from aiosmtpd.smtp import AuthResult

    from tests.smtpserver import Controller, Recorder

    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    logins: list[tuple[str, str]] = []

    def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"mat-khau")

    recorder, port = Recorder(), free_port()
    # aiosmtpd does not count implicit TLS as TLS for auth_require_tls; the wire is
    # encrypted from the first byte in that mode anyway.
    options = {"tls_context": server_context, "require_starttls": True,
               "auth_require_tls": True} if mode == "starttls" \
        else {"ssl_context": server_context, "auth_require_tls": False}
    controller = Controller(recorder, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            **options)
    controller.start()
    try:
        queued = queued_june(engine)
        settings = smtp(port, smtp_tls=mode, smtp_user="bvstbpn", smtp_password="mat-khau",
                        smtp_ca_file=str(ca_file))
        report = send_due(engine, Smtp(settings), settings, JUNE_6)
    finally:
        controller.stop()
    assert report.errors == []
    assert report.sent == queued
    assert len(recorder.messages) == queued
    assert set(logins) == {("bvstbpn", "mat-khau")}


def test_rate_limit_spaces_messages_per_server(engine: Engine) -> None:
    """With a rate of 40/s, 20 messages cannot all leave in less than about half a second."""
    queued_june(engine)
    with read_session(engine) as session:
        session.execute(OutboxRow.__table__.update().where(  # type: ignore[attr-defined]
            OutboxRow.id > 20).values(state="sent"))
        session.commit()
    with smtp_server() as (server, port):
        settings = smtp(port, rate_per_second=40.0)
        started = time.monotonic()
        assert send_due(engine, Smtp(settings), settings, JUNE_6).sent == 20
        elapsed = time.monotonic() - started
    assert elapsed >= 19 / 40 and len(server.messages) == 20


def test_send_keeps_polling_until_sigterm(engine: Engine, tmp_path: Path) -> None:
    queued = queued_june(engine)
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "NHIEMVU_NOW": "06/06/2022 09:00",
           "NHIEMVU_MAIL_DIR": str(tmp_path / "mail")}
    process = subprocess.Popen([NHIEMVU, "--db", url, "send", "--interval", "60"], env=env,
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 60
    while count(engine, OutboxRow, OutboxRow.state == "sent") < queued:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert time.monotonic() - started < 10  # does not sit out its 60-second poll interval
    assert f"sent {queued}, to retry 0, failed 0" in out
    assert len(list((tmp_path / "mail").glob("*.eml"))) == queued


def test_assignment_lists_action_months_in_date_order(engine: Engine, tmp_path: Path) -> None:
    """The assignment e-mail lists a task's June instance before its November one, each
    with the action month's name and window."""
    load_shipped(engine)
    instantiate(engine, "th-2023", 2023, datetime(2023, 5, 2, 9, 0, tzinfo=LOCAL_TZ))
    folder = tmp_path / "mail"
    send_due(engine, EmlFolder(folder), MailSettings(), datetime(2023, 5, 2, 9, 5,
                                                                 tzinfo=LOCAL_TZ))
    text = next(body for body in (
        message_from_bytes(p.read_bytes(), policy=email.policy.default)
        .get_body(("plain",)).get_content() for p in folder.glob("*.eml"))
        if "Kế hoạch và triển khai hai Tháng hành động" in body)
    june = text.index("Tháng hành động phòng, chống bạo lực gia đình năm 2023 (01/06–30/06/2023)")
    november = text.index("Tháng hành động vì bình đẳng giới năm 2023 (15/11–15/12/2023)")
    assert june < november


def eml_messages(folder: Path) -> list[EmailMessage]:
    return [message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))]


def test_calendar_events_only_for_deadlines_ahead(engine: Engine, tmp_path: Path) -> None:
    """A reminder carries the deadline as a calendar event; the secretariat's "Đã nhận báo
    cáo" carries none and lists the report's figures and attachments instead."""
    load_shipped(engine)
    monday = datetime(2022, 5, 30, 9, 0, tzinfo=LOCAL_TZ)
    run_due(engine, monday)
    police = task_id(engine, "hq-2022/v.bao-cao/hq.cong-an/2022-h1")
    submit_report(engine, police, Actor("hq.cong-an", "agency", "link", "hq.cong-an"), monday,
                  "Đã tuyên truyền tại 21 xã.", [{"label": "Số vụ việc", "value": "10"}],
                  [StoredFile("Báo cáo 6 tháng.pdf", "ab" * 32 + ".pdf", "application/pdf",
                              245_760)])
    folder = tmp_path / "mail"
    send_due(engine, EmlFolder(folder), MailSettings(), monday)
    messages = eml_messages(folder)
    reminders = [m for m in messages if str(m["X-Nhiemvu-Key"]).startswith("reminder")]
    assert reminders
    for reminder in reminders:
        [attachment] = list(reminder.iter_attachments())
        event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
        assert event.decoded("dtstart") >= monday.date()
    [received] = [m for m in messages if str(m["X-Nhiemvu-Key"]).startswith("task_reported")]
    assert not list(received.iter_attachments())
    text = received.get_body(("plain",)).get_content()
    assert "Tệp đính kèm (1), tải tại trang quản lý:\n- Báo cáo 6 tháng.pdf (240 KB)" in text
    assert "- Số vụ việc: 10" in text
    html = received.get_body(("html",)).get_content()
    assert "<li>Báo cáo 6 tháng.pdf (240 KB)</li>" in html


LONG_FROM = ("Ban Vì sự tiến bộ của phụ nữ huyện Hà Quảng tỉnh Cao Bằng "
             "<bvstbpn@ha-quang.example>")


def test_headers_a_real_mail_server_and_its_users_expect(engine: Engine) -> None:
    """EHLO on the From domain, RFC 2047 words of at most 75 characters, Auto-Submitted on
    every message, Reply-To the directive's secretariat, digests marked as bulk, and a
    calendar event whose UID and ORGANIZER are on the real domain."""
    load_shipped(engine)
    monday = datetime(2022, 5, 30, 9, 0, tzinfo=LOCAL_TZ)
    settings = smtp(0, mail_from=LONG_FROM)
    with smtp_server() as (server, port):
        settings = replace(settings, smtp_port=port)
        run_due(engine, monday)
        early = send_due(engine, Smtp(settings), settings, monday)
        run_due(engine, JUNE_6)
        report = send_due(engine, Smtp(settings), settings, JUNE_6)
    assert early.sent + report.sent == len(server.messages) > 100 and not report.failed
    assert set(server.helo) == {"ha-quang.example"}
    for raw in server.raw:
        words = re.findall(rb"=\?utf-8\?[bBqQ]\?[^?]*\?=", raw.split(b"\r\n\r\n", 1)[0])
        assert words and max(map(len, words)) <= 75
    by_kind = {str(m["X-Nhiemvu-Key"]).split(":")[0]: m for m in server.messages}
    assert all(m["Auto-Submitted"] == "auto-generated" for m in server.messages)
    assert str(by_kind["weekly_digest"]["Precedence"]) == "bulk"
    assert str(by_kind["weekly_digest"]["List-Id"]).endswith("<tong-hop-tuan.ha-quang.example>")
    assert by_kind["overdue_notice"]["Precedence"] is None
    name = by_kind["overdue_notice"]["From"].addresses[0].display_name
    assert " ".join(name.split()) == "Ban Vì sự tiến bộ của phụ nữ huyện Hà Quảng tỉnh Cao Bằng"
    secretariat = "ldtbxh@ha-quang.example"
    assert str(by_kind["overdue_notice"]["Reply-To"]) == secretariat
    to_secretariat = next(m for m in server.messages
                          if str(m["X-Nhiemvu-Key"]).endswith(":secretariat:hq.ldtbxh"))
    assert to_secretariat["Reply-To"] is None  # not to herself
    reminder = next(m for m in server.messages if str(m["X-Nhiemvu-Key"]).startswith("remind"))
    [attachment] = list(reminder.iter_attachments())
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(event["uid"]).endswith("@ha-quang.example")
    assert str(event["organizer"]) == "mailto:bvstbpn@ha-quang.example"
    assert event["organizer"].params["cn"] == "Ban Vì sự tiến bộ của phụ nữ huyện Hà Quảng " \
                                              "tỉnh Cao Bằng"
    html = reminder.get_body(("html",)).get_content()
    assert "Thư trả lời sẽ được chuyển đến cơ quan thường trực" in html


@pytest.mark.parametrize("mail_from", ["Ban VSTBPN <nhiemvu@localhost>", "x@3f2a9c1b7d",
                                       "x@10.0.0.5", "x@[127.0.0.1]"])
def test_smtp_refuses_a_from_domain_that_is_not_a_full_name(mail_from: str) -> None:
    with pytest.raises(NhiemvuError, match="không phải tên miền đầy đủ"):
        Smtp(MailSettings(smtp_host="127.0.0.1", mail_from=mail_from))
    with pytest.raises(NhiemvuError, match="NHIEMVU_SMTP_HELO"):
        Smtp(MailSettings(smtp_host="127.0.0.1", mail_from="a@b.example", smtp_helo="box"))


def test_send_command_refuses_before_taking_any_message(tmp_path: Path) -> None:
    from tests.test_cli import run

    run(["init"], tmp_path)
    run(["load", str(DEFINITIONS)], tmp_path)
    run(["tick", "--at", "06/06/2022 09:00"], tmp_path)
    queued = run(["outbox", "--state", "queued", "--json", "--limit", "1000"], tmp_path).stdout
    result = run(["send", "--once"], tmp_path, env={"NHIEMVU_SMTP_HOST": "127.0.0.1"}, ok=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: NHIEMVU_MAIL_FROM: tên miền 'localhost' không phải tên miền đầy đủ (ví dụ: "
        "Ban VSTBPN <bvstbpn@caobang.gov.vn>); máy chủ thư sẽ từ chối"]
    assert run(["outbox", "--state", "queued", "--json", "--limit", "1000"],
               tmp_path).stdout == queued


def test_status_warns_about_addresses_agencies_cannot_reach(tmp_path: Path) -> None:
    from tests.test_cli import run

    run(["init"], tmp_path)
    plain = run(["status"], tmp_path).stdout
    assert "Cảnh báo: NHIEMVU_BASE_URL=http://localhost:8000: không dùng https" in plain
    assert "'localhost' chỉ máy này hiểu" in plain
    assert run(["status", "--check"], tmp_path, ok=False).returncode == 1
    ip = run(["status"], tmp_path, env={"NHIEMVU_BASE_URL": "https://14.225.10.20:8443"}).stdout
    assert "địa chỉ IP với cổng 8443" in ip
    good = run(["status", "--check"], tmp_path, env={
        "NHIEMVU_BASE_URL": "https://nhiemvu.caobang.gov.vn", "NHIEMVU_SMTP_HOST": "127.0.0.1",
        "NHIEMVU_MAIL_FROM": "Ban VSTBPN <bvstbpn@caobang.gov.vn>"}).stdout
    assert "EHLO caobang.gov.vn" in good and "Không có cảnh báo." in good
