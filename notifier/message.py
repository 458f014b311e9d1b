"""Envelope + rendered text to a MIME message: RFC 2047 headers, text and HTML parts, a
.ics reminder of the deadline, and a Message-ID that is the same on every attempt so a
mail client can drop the rare duplicate of at-least-once delivery."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr

import icalendar

from notifier.context import Envelope


def message_id(outbox_id: int, key: str, mail_from: str) -> str:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<nhiemvu.{outbox_id}.{digest}@{domain}>"


def build(envelope: Envelope, subject: str, text: str, html: str, mail_from: str,
          now: datetime) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    _set_encoded(message, "From", mail_from)
    message["To"] = ", ".join(envelope.to)
    if envelope.cc:
        message["Cc"] = ", ".join(envelope.cc)
    _set_encoded(message, "Subject", subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(envelope.outbox_id, envelope.key, mail_from)
    message["X-Nhiemvu-Key"] = envelope.key
    message.set_content(text, charset="utf-8", cte="base64")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    if envelope.deadline is not None:
        message.add_attachment(_ics(envelope, subject, now).decode("utf-8"), subtype="calendar",
                               charset="utf-8", cte="base64", filename="han-bao-cao.ics",
                               params={"method": "PUBLISH"})
    return message


def _set_encoded(message: EmailMessage, name: str, value: str) -> None:
    """RFC 2047 words folded by email.header: the modern policy's folder drops the space
    at a fold between encoded words ("định kỳ" arrives as "địnhkỳ")."""
    if value.isascii():
        message[name] = value
        return
    if name == "Subject":
        encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    else:
        display, address = parseaddr(value)
        encoded = formataddr((display, address), charset="utf-8")
    message.set_raw(name, encoded)


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
