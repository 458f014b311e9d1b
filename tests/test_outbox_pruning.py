"""Sent mail is pruned after its retention (issue 19: a country's year leaves 9 million
outbox rows); queued and failed mail and the audit history are never touched."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, update

from notifier.config import MailSettings
from notifier.sender import send_due
from notifier.transport import EmlFolder
from tests.simulation import count
from tests.test_cli import run
from tests.test_notifier import JUNE_6, queued_june
from workflow.engine.outbox import prune_sent
from workflow.storage.db import write_session
from workflow.storage.models import AuditRow, OutboxRow


def sent_in_june(engine: Engine, tmp_path: Path) -> int:
    """The June notices sent, one of them failed instead: how many were sent."""
    queued = queued_june(engine)
    settings = MailSettings(mail_dir=tmp_path / "mail")
    assert send_due(engine, EmlFolder(settings.mail_dir), settings, JUNE_6).sent == queued
    with write_session(engine) as session:
        session.execute(update(OutboxRow).where(OutboxRow.id == 1).values(state="failed"))
    return queued - 1


def test_prune_deletes_only_sent_mail_older_than_the_retention(engine: Engine,
                                                               tmp_path: Path) -> None:
    sent = sent_in_june(engine, tmp_path)
    audit = count(engine, AuditRow)
    assert prune_sent(engine, JUNE_6 + timedelta(days=29), 30) == 0  # not old enough yet
    assert prune_sent(engine, JUNE_6 + timedelta(days=31), 30, limit=3) == 3  # bounded
    assert prune_sent(engine, JUNE_6 + timedelta(days=31), 30) == sent - 3
    assert count(engine, OutboxRow, OutboxRow.state == "sent") == 0
    assert count(engine, OutboxRow, OutboxRow.state == "failed") == 1
    assert count(engine, AuditRow) == audit


def test_the_cli_prunes_and_says_so_in_vietnamese(engine: Engine, tmp_path: Path) -> None:
    sent = sent_in_june(engine, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    kept = run(["--db", url, "outbox", "prune"], tmp_path,
               {"NHIEMVU_NOW": "01/08/2022 09:00"})  # 56 days: within the default 180
    assert "Đã xóa 0 thư đã gửi quá 180 ngày." in kept.stdout
    pruned = run(["--db", url, "outbox", "prune", "--days", "30"], tmp_path,
                 {"NHIEMVU_NOW": "01/08/2022 09:00"})
    assert f"Đã xóa {sent} thư đã gửi quá 30 ngày." in pruned.stdout
    assert count(engine, OutboxRow) == 1  # the failed one
    refused = run(["--db", url, "outbox", "prune", "--days", "0"], tmp_path, ok=False)
    assert refused.returncode == 2 and count(engine, OutboxRow) == 1


def test_the_sender_prunes_as_it_goes(engine: Engine, tmp_path: Path) -> None:
    sent = sent_in_june(engine, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    result = run(["--db", url, "send", "--once"], tmp_path,
                 {"NHIEMVU_NOW": "01/08/2022 09:00", "NHIEMVU_MAIL_KEEP_DAYS": "30",
                  "NHIEMVU_MAIL_DIR": str(tmp_path / "mail")})
    assert f"Đã xóa {sent} thư đã gửi quá 30 ngày." in result.stdout
    assert count(engine, OutboxRow, OutboxRow.state == "sent") == 0
