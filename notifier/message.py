"""Envelope + rendered text to a MIME message: RFC 2047 headers, text and HTML parts, a
.ics reminder of the deadline, and a Message-ID that is the same on every attempt so a
mail client can drop the rare duplicate of at-least-once delivery.

Built with email.mime and email.header rather than EmailMessage: the modern header
folder drops the space at a fold between encoded words ("định kỳ" arrives as "địnhkỳ"),
and its header parsing costs milliseconds per message, which a 10,000-recipient digest
feels.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

import icalendar

from notifier.context import Envelope

# RFC 2047: an encoded word is at most 75 characters; "=?utf-8?b?" + "?=" leave 63 for
# base64; 39 bytes of UTF-8 (52 characters) also keep "Subject: " and the first word on
# one line of 78.
WORD_BYTES = 39


def encoded_words(text: str) -> str:
    """Non-ASCII header text as RFC 2047 words of at most 75 characters. A word ends after
    a space of the text where one is near, so that a decoder which keeps the folding space
    between words (some do, in names) still shows whole Vietnamese words."""
    if text.isascii():
        return text
    words: list[bytes] = []
    chunk = b""
    for piece in re.findall(r"\S+\s*|\s+", text):
        encoded = piece.encode("utf-8")
        if chunk and len(chunk) + len(encoded) > WORD_BYTES:
            words.append(chunk)
            chunk = b""
        for char in piece if len(encoded) > WORD_BYTES else (piece,):
            part = char.encode("utf-8")
            if chunk and len(chunk) + len(part) > WORD_BYTES:
                words.append(chunk)
                chunk = b""
            chunk += part
    words.append(chunk)
    return " ".join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)


@lru_cache(maxsize=16)
def mail_domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


def message_id(outbox_id: int, key: str, mail_from: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<nhiemvu.{outbox_id}.{digest}@{mail_domain(mail_from)}>"


@lru_cache(maxsize=16)
def _address(mail_from: str) -> str:
    display, address = parseaddr(mail_from)
    if not display:
        return address
    if display.isascii():
        return formataddr((display, address))
    return f"{encoded_words(display)} <{address}>"


def build(envelope: Envelope, subject: str, text: str, html: str, mail_from: str,
          now: datetime, reply_to: str | None = None) -> Message:
    """`reply_to`: the configured mailbox, used when the envelope names none."""
    # "=_" never occurs in base64, so a boundary starting with it needs no search.
    boundary = f"=_nhiemvu_{hashlib.sha256(envelope.key.encode()).hexdigest()[:24]}"
    body = MIMEMultipart("alternative", boundary=f"{boundary}_a")
    body.attach(_text_part(text, "plain"))
    body.attach(_text_part(html, "html"))
    message: Message = body
    if envelope.deadline is not None:
        message = MIMEMultipart("mixed", boundary=f"{boundary}_m")
        message.attach(body)
        invite = MIMEText(_ics(envelope, subject, mail_from, now).decode("utf-8"), "calendar",
                          "utf-8")
        invite.set_param("method", "PUBLISH")
        invite.add_header("Content-Disposition", "attachment", filename="han-bao-cao.ics")
        message.attach(invite)
    message["From"] = _address(mail_from)
    message["To"] = ", ".join(envelope.to)
    if envelope.cc:
        message["Cc"] = ", ".join(envelope.cc)
    replies = envelope.reply_to or ([reply_to] if reply_to else [])
    if replies:
        message["Reply-To"] = ", ".join(replies)
    message["Subject"] = encoded_words(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(envelope.outbox_id, envelope.key, mail_from)
    # Out-of-office robots must not answer a machine (RFC 3834); digests are bulk mail.
    message["Auto-Submitted"] = "auto-generated"
    if envelope.template == "weekly_digest":
        message["Precedence"] = "bulk"
        message["List-Id"] = f"Tong hop tuan <tong-hop-tuan.{mail_domain(mail_from)}>"
    message["X-Nhiemvu-Key"] = envelope.key
    return message


def _text_part(text: str, subtype: str) -> Message:
    """What MIMEText(text, subtype, "utf-8") makes (base64 in lines of 76), without its
    header parsing and charset machinery, which cost more than the rendering."""
    part = Message()
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["MIME-Version"] = "1.0"
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(text.encode("utf-8")).decode("ascii"))
    return part


def _ics(envelope: Envelope, subject: str, mail_from: str, now: datetime) -> bytes:
    """An all-day event on the last day to report (the day before 'trước ngày D')."""
    task = envelope.deadline
    assert task is not None
    last_day = task["due_on"] - timedelta(days=1)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//nhiemvu//Ban VSTBPN//VI")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"nhiemvu-task-{task['id']}@{mail_domain(mail_from)}")
    display, address = parseaddr(mail_from)
    organizer = icalendar.vCalAddress(f"mailto:{address}")
    if display:
        organizer.params["cn"] = icalendar.vText(display)
    event.add("organizer", organizer)
    event.add("dtstamp", now)
    event.add("dtstart", last_day)
    event.add("dtend", task["due_on"])
    event.add("summary", f"Hạn báo cáo: {task['title']}")
    event.add("description", f"{subject}\nBáo cáo trước ngày "
                             f"{task['due_on'].strftime('%d/%m/%Y')}: {task['link']}")
    calendar.add_component(event)
    return calendar.to_ical()
