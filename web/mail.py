"""'Thư đã gửi': the messages about the committee's work, their state and the server's
answer, "Gửi lại" for a failed one, and each message as it reads (text and HTML)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from notifier.context import ContextBuilder
from notifier.templating import environment, render
from web.context import WebContext, context_of
from web.dashboard import checked_form, forbidden, scope_of, secretariat
from web.forms import FormRejected, small_int
from workflow.storage.db import read_session, write_session
from workflow.views.mail import KIND_LABELS, PAGE, STATE_LABELS, mail_list, mail_row, retry


@secretariat
async def mail_page(request: Request) -> Response:
    ctx = context_of(request)
    params = request.query_params
    state = params.get("trang_thai") or None
    kind = params.get("loai") or None
    search = " ".join(str(params.get("q") or "").split())[:100]
    page = min(small_int(params.get("trang")) or 0, 10_000)

    def load() -> Any:
        with read_session(ctx.engine) as session:
            return mail_list(session, scope_of(request).committee, state, kind, search,
                             page=page)

    rows, total = await run_in_threadpool(load)
    return ctx.pages.render(request, "mail_list", {
        "rows": rows, "total": total, "state": state or "", "kind": kind or "",
        "q": search, "page": page, "pages": (total + PAGE - 1) // PAGE,
        "kinds": KIND_LABELS, "states": STATE_LABELS,
        "can_act": scope_of(request).role == "secretariat"})


def _rendered(ctx: WebContext, committee: str | None, outbox_id: int
              ) -> tuple[Any, tuple[str, str, str] | str] | None:
    """The message and how it reads now (subject, text, html), or why it cannot be built."""
    with read_session(ctx.engine) as session:
        row = mail_row(session, committee, outbox_id)
        if row is None:
            return None
        (_, envelope), = ContextBuilder(session, ctx.links()).envelopes([row], ctx.now())
        if isinstance(envelope, Exception):
            return row, f"Không dựng được thư: {envelope}"
        subject, text, html = render(environment(), envelope.template, envelope.context)
        return (row, envelope), (subject, text, html)


@secretariat
async def message_page(request: Request) -> Response:
    ctx = context_of(request)
    outbox_id = small_int(request.path_params["outbox_id"]) or 0
    found = await run_in_threadpool(_rendered, ctx, scope_of(request).committee, outbox_id)
    if found is None:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có thư này.")
    head, body = found
    row, envelope = head if isinstance(head, tuple) else (head, None)
    return ctx.pages.render(request, "mail_message", {
        "row": row, "envelope": envelope, "kinds": KIND_LABELS, "states": STATE_LABELS,
        "message": body if not isinstance(body, str) else None,
        "problem": body if isinstance(body, str) else None,
        "can_act": scope_of(request).role == "secretariat"})


@secretariat
async def message_html(request: Request) -> Response:
    """The HTML part on its own, sandboxed: no script, no request to anywhere."""
    ctx = context_of(request)
    outbox_id = small_int(request.path_params["outbox_id"]) or 0
    found = await run_in_threadpool(_rendered, ctx, scope_of(request).committee, outbox_id)
    if found is None or isinstance(found[1], str):
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có thư này.")
    return HTMLResponse(found[1][2], headers={
        "content-security-policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; "
                                   "img-src data:"})


@secretariat
async def resend(request: Request) -> Response:
    ctx = context_of(request)
    if scope_of(request).role != "secretariat":
        return forbidden(request)
    try:
        await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    outbox_id = small_int(request.path_params["outbox_id"]) or 0

    def run() -> str:
        with write_session(ctx.engine) as session:
            row = mail_row(session, scope_of(request).committee, outbox_id)
            if row is None:
                return "missing"
            if row.state != "failed":
                return "not-failed"
            retry(session, row, ctx.now())
            return "ok"

    outcome = await run_in_threadpool(run)
    if outcome == "missing":
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có thư này.")
    if outcome == "not-failed":
        return ctx.pages.error(request, 409, "Không gửi lại",
                               "Chỉ gửi lại được thư đã gửi lỗi.")
    return RedirectResponse(f"/quan-ly/thu/{outbox_id}?gui_lai=1", 303)


ROUTES = [
    Route("/quan-ly/thu", mail_page, methods=["GET"]),
    Route("/quan-ly/thu/{outbox_id}", message_page, methods=["GET"]),
    Route("/quan-ly/thu/{outbox_id}/html", message_html, methods=["GET"]),
    Route("/quan-ly/thu/{outbox_id}/gui-lai", resend, methods=["POST"]),
]
