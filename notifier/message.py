"""Envelope + rendered text to a MIME message: RFC 2047 headers, text and HTML parts, a
.ics reminder of the deadline, and a Message-ID that is the same on every attempt so a
mail client can drop the rare duplicate of at-least-once delivery.

Built with email.mime and email.header rather than EmailMessage: the modern header
folder drops the space at a fold between encoded words ("định kỳ" arrives as "địnhkỳ"),
and its header parsing costs milliseconds per message, which a 10,000-recipient digest
feels.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

import icalendar

from notifier.context import Envelope


def message_id(outbox_id: int, key: str, mail_from: str) -> str:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<nhiemvu.{outbox_id}.{digest}@{domain}>"


def build(envelope: Envelope, subject: str, text: str, html: str, mail_from: str,
          now: datetime) -> Message:
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(text, "plain", "utf-8"))
    body.attach(MIMEText(html, "html", "utf-8"))
    message: Message = body
    if envelope.deadline is not None:
        message = MIMEMultipart("mixed")
        message.attach(body)
        invite = MIMEText(_ics(envelope, subject, now).decode("utf-8"), "calendar", "utf-8")
        invite.set_param("method", "PUBLISH")
        invite.add_header("Content-Disposition", "attachment", filename="han-bao-cao.ics")
        message.attach(invite)
    display, address = parseaddr(mail_from)
    message["From"] = formataddr((display, address), charset="utf-8")
    message["To"] = ", ".join(envelope.to)
    if envelope.cc:
        message["Cc"] = ", ".join(envelope.cc)
    message["Subject"] = Header(subject, "utf-8", header_name="Subject")
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(envelope.outbox_id, envelope.key, mail_from)
    message["X-Nhiemvu-Key"] = envelope.key
    return message


def _ics(envelope: Envelope, subject: str, now: datetime) -> bytes:
    """An all-day event on the last day to report (the day before 'trước ngày D')."""
    task = envelope.deadline
    assert task is not None
    last_day = task["due_on"] - timedelta(days=1)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//nhiemvu//Ban VSTBPN//VI")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"nhiemvu-task-{task['id']}@nhiemvu")
    event.add("dtstamp", now)
    event.add("dtstart", last_day)
    event.add("dtend", task["due_on"])
    event.add("summary", f"Hạn báo cáo: {task['title']}")
    event.add("description", f"{subject}\nBáo cáo trước ngày "
                             f"{task['due_on'].strftime('%d/%m/%Y')}: {task['link']}")
    calendar.add_component(event)
    return calendar.to_ical()
