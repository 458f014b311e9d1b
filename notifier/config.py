"""Mail settings from the environment (prefix NHIEMVU_), built at the edge."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

TLS_MODES = {"none", "starttls", "tls"}
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
TOP_LABEL = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def is_full_domain(domain: str) -> bool:
    """A name a mail server accepts in MAIL FROM and EHLO: at least two labels and an
    alphabetic top-level one; not 'localhost', a container id or an IP address."""
    labels = domain.lower().rstrip(".").split(".")
    return (len(domain) <= 253 and len(labels) >= 2 and all(LABEL.match(x) for x in labels)
            and bool(TOP_LABEL.match(labels[-1])))


def _bounded(value: float, name: str, low: float, high: float) -> float:
    if not low <= value <= high:
        raise ValueError(f"NHIEMVU_{name}={value:g}: cần trong khoảng {low:g}–{high:g}")
    return value


@dataclass(frozen=True)
class MailSettings:
    smtp_host: str | None = None  # None: write .eml files to `mail_dir` instead
    smtp_port: int = 25
    smtp_tls: str = "none"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    smtp_ca_file: str | None = None  # extra CA bundle to trust (a private mail server)
    smtp_helo: str | None = None  # the EHLO name; default: the From address's domain
    concurrency: int = 4  # parallel SMTP connections
    rate_per_second: float = 0.0  # per server; 0 = unlimited
    mail_from: str = "Ban VSTBPN <nhiemvu@localhost>"
    reply_to: str | None = None  # when a message names no secretariat mailbox
    mail_dir: Path = Path("mail-out")
    base_url: str = "http://localhost:8000"
    templates: Path | None = None  # a folder whose files override the shipped templates
    batch: int = 200
    # A message that cannot be delivered is tried again, waiting twice as long each time
    # up to `retry_max_minutes`, for `retry_hours` after its first attempt; only then, or
    # on a permanent refusal (5xx), is it failed. `nhiemvu outbox retry` puts it back.
    retry_hours: float = 48.0
    retry_max_minutes: float = 60.0
    lease_seconds: int = 300
    # Sent messages are deleted this many days after sending (the audit keeps what
    # happened); `nhiemvu send` prunes a little after each run.
    keep_sent_days: float = 180.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(f"NHIEMVU_{name}") or None

        tls = (get("SMTP_TLS") or "none").lower()
        if tls not in TLS_MODES:
            raise ValueError(f"NHIEMVU_SMTP_TLS={tls!r} (expected one of: "
                             f"{', '.join(sorted(TLS_MODES))})")
        port = int(get("SMTP_PORT") or (465 if tls == "tls" else 587 if tls == "starttls"
                                          else 25))
        return cls(
            smtp_host=get("SMTP_HOST"), smtp_port=port, smtp_tls=tls,
            smtp_user=get("SMTP_USER"), smtp_password=get("SMTP_PASSWORD"),
            smtp_timeout=float(get("SMTP_TIMEOUT") or 30), smtp_ca_file=get("SMTP_CA_FILE"),
            smtp_helo=get("SMTP_HELO"), reply_to=get("MAIL_REPLY_TO"),
            concurrency=int(get("SMTP_CONCURRENCY") or 4),
            rate_per_second=float(get("SMTP_RATE") or 0),
            mail_from=get("MAIL_FROM") or cls.mail_from,
            mail_dir=Path(get("MAIL_DIR") or "mail-out"),
            base_url=(get("BASE_URL") or cls.base_url).rstrip("/"),
            templates=Path(t) if (t := get("TEMPLATES")) else None,
            batch=int(get("MAIL_BATCH") or cls.batch),
            retry_hours=_bounded(float(get("MAIL_RETRY_HOURS") or cls.retry_hours),
                                 "MAIL_RETRY_HOURS", 0.0, 24.0 * 60),
            retry_max_minutes=_bounded(float(get("MAIL_RETRY_MAX_MINUTES")
                                             or cls.retry_max_minutes),
                                       "MAIL_RETRY_MAX_MINUTES", 1.0, 24.0 * 60),
            lease_seconds=int(get("MAIL_LEASE_SECONDS") or cls.lease_seconds),
            keep_sent_days=_bounded(float(get("MAIL_KEEP_DAYS") or cls.keep_sent_days),
                                    "MAIL_KEEP_DAYS", 1.0, 3650.0),
        )

    @property
    def from_domain(self) -> str:
        return parseaddr(self.mail_from)[1].rpartition("@")[2]

    @property
    def helo_name(self) -> str:
        return self.smtp_helo or self.from_domain

    def smtp_problems(self) -> list[str]:
        """Why a real mail server would refuse our mail (reject_non_fqdn_sender,
        reject_non_fqdn_helo_hostname), in Vietnamese; empty when sending may start."""
        problems = []
        if not is_full_domain(self.from_domain):
            problems.append(f"NHIEMVU_MAIL_FROM: tên miền '{self.from_domain}' không phải tên "
                            f"miền đầy đủ (ví dụ: Ban VSTBPN <bvstbpn@caobang.gov.vn>); máy "
                            f"chủ thư sẽ từ chối")
        if self.smtp_helo and not is_full_domain(self.smtp_helo):
            problems.append(f"NHIEMVU_SMTP_HELO: '{self.smtp_helo}' không phải tên miền đầy "
                            f"đủ của máy gửi thư")
        if self.reply_to and "@" not in parseaddr(self.reply_to)[1]:
            problems.append(f"NHIEMVU_MAIL_REPLY_TO: '{self.reply_to}' không phải địa chỉ "
                            f"thư")
        return problems
