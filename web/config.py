"""Web settings from the environment (prefix NHIEMVU_), built at the edge."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


def base_url_problems(url: str) -> list[str]:
    """Why links built on this public address would not work for agencies (a Vietnamese
    line each): not https, a name only this machine knows, an IP address with a port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    problems = []
    if parts.scheme != "https":
        problems.append(f"NHIEMVU_BASE_URL={url}: không dùng https; liên kết báo cáo và mật "
                        f"khẩu đi qua mạng không mã hóa")
    if not host or host == "localhost" or host.endswith(".localhost") or host.endswith(".local"):
        problems.append(f"NHIEMVU_BASE_URL={url}: '{host or '(trống)'}' chỉ máy này hiểu; "
                        f"cơ quan mở liên kết trong thư sẽ không vào được")
    else:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None and (address.is_loopback or address.is_private):
            problems.append(f"NHIEMVU_BASE_URL={url}: địa chỉ {host} là địa chỉ nội bộ; "
                            f"cơ quan ở ngoài không vào được")
        elif address is not None and parts.port:
            problems.append(f"NHIEMVU_BASE_URL={url}: địa chỉ IP với cổng {parts.port}; "
                            f"hãy dùng tên miền của Ban qua https")
    return problems


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(n.strip().lower() for n in (value or "").split(",") if n.strip())


def proxy_problems(proxies: tuple[str, ...]) -> list[str]:
    """Each entry must be an IP address or network: uvicorn trusts nothing else."""
    problems = []
    for entry in proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            problems.append(f"NHIEMVU_TRUSTED_PROXIES: '{entry}' không phải địa chỉ IP hay "
                            f"dải địa chỉ (ví dụ 127.0.0.1 hoặc 10.0.0.0/24)")
    return problems


@dataclass(frozen=True)
class WebSettings:
    base_url: str = "http://localhost:8000"
    attachments_dir: Path = Path("attachments")
    upload_max_bytes: int = 10 * 1024 * 1024  # per file
    upload_max_files: int = 5
    session_hours: int = 12
    key_cache_seconds: float = 30.0
    # Addresses of the reverse proxies whose X-Forwarded-For/-Proto are believed; none by
    # default, so that nobody can pick the address the login throttle counts.
    trusted_proxies: tuple[str, ...] = ()
    # Host names the app answers to, besides the base URL's; any other Host gets 400.
    extra_hosts: tuple[str, ...] = ()

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """The base URL's host, the configured extras; every loopback name when the base
        URL is itself on this machine (a trial at http://127.0.0.1:8000)."""
        host = (urlsplit(self.base_url).hostname or "").lower()
        names = [host, *self.extra_hosts]
        if host in LOOPBACK_NAMES or host.endswith(".localhost"):
            names += LOOPBACK_NAMES
        return tuple(dict.fromkeys(n for n in names if n))

    @property
    def secure_cookies(self) -> bool:
        """Cookies marked Secure whenever the public address is https."""
        return self.base_url.startswith("https://")

    @property
    def request_max_bytes(self) -> int:
        """A whole form: all files at their limit plus the text fields."""
        return self.upload_max_bytes * self.upload_max_files + 2 * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(f"NHIEMVU_{name}") or None

        return cls(
            base_url=(get("BASE_URL") or cls.base_url).rstrip("/"),
            attachments_dir=Path(get("ATTACHMENTS_DIR") or cls.attachments_dir),
            upload_max_bytes=int(float(get("UPLOAD_MAX_MB") or 10) * 1024 * 1024),
            upload_max_files=int(get("UPLOAD_MAX_FILES") or cls.upload_max_files),
            session_hours=int(get("SESSION_HOURS") or cls.session_hours),
            trusted_proxies=_names(get("TRUSTED_PROXIES")),
            extra_hosts=_names(get("ALLOWED_HOSTS")),
        )
