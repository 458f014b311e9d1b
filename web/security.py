"""Session cookies, CSRF tokens, response headers and the request size limit.

The session cookie carries a random token (the session itself is in the database,
`workflow.access.sessions`), signed with the same key ring as links, like CSRF tokens
(different salts): rotating keys never logs users out and revoking one does. Every
signature is read strictly (`workflow.access.signing`).
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_to_bytes

from itsdangerous import BadSignature
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflow.access.linkkeys import KeyRing
from workflow.access.signing import timed_serializer, well_formed

SESSION_COOKIE = "nv_phien"
CSRF_COOKIE = "nv_csrf"
HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # Links carry their token in the path: never send it to another site.
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


SESSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class SessionData:
    user_id: int
    csrf: str
    token: str


def session_cookie(ring: KeyRing, token: str) -> str:
    return str(timed_serializer(ring.secrets, "nhiemvu.session").dumps({"s": token}))


def session_token(ring: KeyRing, cookie: str | None, max_age_seconds: int) -> str | None:
    """The session token a cookie carries, if the cookie is exactly one the app set."""
    if not well_formed(cookie):
        return None
    try:
        data = timed_serializer(ring.secrets, "nhiemvu.session").loads(
            cookie, max_age=max_age_seconds)
    except (BadSignature, ValueError, TypeError):
        return None
    token = data.get("s") if isinstance(data, dict) else None
    return token if isinstance(token, str) and SESSION_TOKEN.fullmatch(token) else None


BROWSER_SECRET = re.compile(r"[A-Za-z0-9_-]{32}")
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@lru_cache(maxsize=8)
def _form_keys(secrets: tuple[str, ...]) -> tuple[bytes, ...]:
    """One key per secret of the ring for form tokens, derived apart from the keys of
    links and sessions; made once per ring, not per request."""
    return tuple(hmac.digest(secret.encode(), b"nhiemvu.csrf", "sha256") for secret in secrets)


def _form_mac(key: bytes, browser_secret: str, scope: str) -> str:
    digest = hmac.digest(key, f"{browser_secret}|{scope}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def form_token(ring: KeyRing, browser_secret: str, scope: str) -> str:
    """The hidden CSRF field for a form: an HMAC of the browser's cookie secret and the one
    page it is for (a signed double-submit token). Nothing in it needs reading back: the
    check recomputes it, so it is a plain HMAC rather than a serialized payload."""
    return _form_mac(_form_keys(ring.secrets)[-1], browser_secret, scope)


def check_form_token(ring: KeyRing, browser_secret: str | None, scope: str,
                     token: Any) -> bool:
    """True for the token this browser got for this page under any key of the ring; the
    cookie and the field are accepted only as the product spells them."""
    if not isinstance(browser_secret, str) or not BROWSER_SECRET.fullmatch(browser_secret) \
            or not isinstance(token, str) or not FORM_TOKEN.fullmatch(token):
        return False
    return any(hmac.compare_digest(_form_mac(key, browser_secret, scope), token)
               for key in _form_keys(ring.secrets))


def new_browser_secret() -> str:
    return secrets.token_urlsafe(24)


def browser_secret(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie secret and whether it is new: a cookie not spelled as
    the product issues it is replaced, never used."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and BROWSER_SECRET.fullmatch(existing):
        return existing, False
    return new_browser_secret(), True


def set_browser_secret(response: Response, secret: str, secure: bool) -> None:
    """The cookie half of the CSRF pair: unreadable by scripts, not sent cross-site."""
    response.set_cookie(CSRF_COOKIE, secret, httponly=True, samesite="lax", secure=secure,
                        path="/")


class SecurityHeaders:
    """Adds the headers above to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Stops reading a request body past `max_bytes` (the endpoint turns BodyTooLarge into
    a 413 page); endpoints also check Content-Length before reading anything."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        await self.app(scope, counting_receive, send)


class HostCheck:
    """Answers only to the configured host names (as Starlette's TrustedHostMiddleware
    does, with a Vietnamese answer), so a forged Host header can never shape a URL or
    reach the app; the health check answers to any name, for the probes of systemd,
    compose and load balancers."""

    HEALTH = "/suc-khoe"

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]) -> None:
        self.app = app
        self.hosts = frozenset(h.lower() for h in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == self.HEALTH \
                or host_name(scope) in self.hosts:
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse("Tên máy chủ trong yêu cầu không phải địa chỉ của hệ "
                                     "thống.", status_code=400)
        await response(scope, receive, send)


def host_name(scope: Scope) -> str | None:
    """The name in the Host header, without the port; None when absent or repeated."""
    values = [v for k, v in scope.get("headers", []) if k == b"host"]
    if len(values) != 1:
        return None
    host = values[0].decode("latin-1").strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1:host.index("]")] if "]" in host else None
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_TARGET = 4096  # path and query together; every address the app makes is far shorter


class EdgeCheck:
    """Refuses, before routing, a request whose address no page of the app could have
    made: control characters (NUL included) in the path or the query once decoded, or an
    address longer than MAX_TARGET. One Vietnamese line, 400 or 414."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = address_refusal(scope)
            if refusal is not None:
                await PlainTextResponse(refusal[1], status_code=refusal[0])(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)


def address_refusal(scope: Scope) -> tuple[int, str] | None:
    path: str = scope.get("path", "")
    query: bytes = scope.get("query_string", b"")
    if len(path.encode("utf-8", "surrogatepass")) + len(query) > MAX_TARGET:
        return 414, "Địa chỉ yêu cầu quá dài."
    decoded = unquote_to_bytes(query.replace(b"+", b" ")).decode("utf-8", "replace")
    if CONTROL.search(path) or CONTROL.search(decoded):
        return 400, "Địa chỉ yêu cầu chứa ký tự không hợp lệ."
    return None
