"""Agency pages, reached through signed links: a task's page with its report form, and
the agency's list of tasks. GET never changes anything (mail scanners prefetch links);
only a POST with the page's CSRF token reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.context import WebContext, context_of
from web.forms import FormRejected, read_form, small_int
from web.security import (
    CSRF_COOKIE,
    browser_secret,
    check_form_token,
    form_token,
    set_browser_secret,
)
from web.views import TaskView, agency_tasks, task_view
from workflow.access.links import AGENCY, TASK, LinkClaims, LinkError
from workflow.clock import to_local
from workflow.dates import format_date, parse_date
from workflow.engine.actors import Actor
from workflow.engine.agency_changes import KINDS as CHANGE_KINDS
from workflow.engine.extensions import request_extension
from workflow.engine.reports import FiguresError, parse_figures, submit_report
from workflow.errors import (
    ConflictError,
    DateFormatError,
    IllegalTransitionError,
    NhiemvuError,
    NotFoundError,
    PermissionDeniedError,
)
from workflow.storage.attachments import ALLOWED_LABEL, UploadError
from workflow.storage.db import read_connection, read_session, write_session
from workflow.storage.models import AgencyChangeRow, AgencyRow, TaskRow, TaskTransferRow

LINK_ERRORS = {
    "invalid": (403, "Liên kết không hợp lệ",
                "Liên kết này không đúng hoặc đã bị thu hồi. Hãy dùng liên kết trong thư "
                "mới nhất của Ban, hoặc liên hệ bộ phận thường trực để được gửi lại."),
    "expired": (410, "Liên kết đã hết hạn",
                "Liên kết này đã hết thời hạn sử dụng. Liên kết mới có trong thư nhắc việc "
                "hoặc thư tổng hợp hằng tuần; bạn cũng có thể liên hệ bộ phận thường trực."),
    "scope": (403, "Liên kết không dùng cho trang này",
              "Liên kết này dành cho một nhiệm vụ hoặc một đơn vị khác."),
}
ALREADY_REPORTED = ("Báo cáo đã được gửi",
                    "Nhiệm vụ này đã có báo cáo đang chờ Ban xác nhận (hoặc đã được xác "
                    "nhận), nên biểu mẫu không được gửi lại lần nữa. Nếu cần bổ sung, Ban sẽ "
                    "trả lại nhiệm vụ kèm lý do.")


class LinkRefused(Exception):
    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason, self.message = reason, message


def _refuse(ctx: WebContext, request: Request, reason: str, message: str | None = None
            ) -> Response:
    if reason == "moved":
        return ctx.pages.error(request, 410, "Nhiệm vụ đã được chuyển giao", message or "")
    status, title, text = LINK_ERRORS[reason]
    return ctx.pages.error(request, status, title, text)


def _moved(session: Any, task_id: int, agency_code: str) -> LinkRefused:
    """A link of the agency a task was moved away from: say where it went."""
    found = session.execute(
        select(AgencyRow.name, AgencyChangeRow.kind, AgencyChangeRow.effective_on)
        .select_from(TaskTransferRow)
        .join(AgencyRow, AgencyRow.code == TaskTransferRow.to_agency)
        .join(AgencyChangeRow, AgencyChangeRow.id == TaskTransferRow.change_id)
        .where(TaskTransferRow.task_id == task_id, TaskTransferRow.from_agency == agency_code)
        .order_by(TaskTransferRow.id.desc())).first()  # type: ignore[union-attr]
    if found is None:
        return LinkRefused("scope")
    name, kind, on = found
    return LinkRefused("moved", f"Từ ngày {format_date(on)}, do {CHANGE_KINDS[kind]}, nhiệm "
                                f"vụ này do {name} thực hiện. Liên kết mới đã được gửi đến "
                                f"{name}; liên kết này không còn dùng được.")


def _task_claims(ctx: WebContext, request: Request) -> LinkClaims:
    task_id = small_int(request.path_params["task_id"])
    if not task_id:
        raise LinkRefused("invalid")
    try:
        claims = ctx.signer().read(request.path_params["token"], TASK, ctx.now())
    except LinkError as exc:
        raise LinkRefused(exc.reason) from None
    if claims.task_id != task_id:
        raise LinkRefused("scope")
    return claims


def _load_view(ctx: WebContext, claims: LinkClaims) -> TaskView:
    with read_connection(ctx.engine) as connection:
        view = task_view(connection, claims.task_id or 0, ctx.now())
        if view is not None and view.task.agency_code != claims.agency_code:
            raise _moved(connection, claims.task_id or 0, claims.agency_code)
    if view is None:
        raise LinkRefused("scope")
    return view


TASK_STATE = select(TaskRow.id, TaskRow.agency_code, TaskRow.state).where(
    TaskRow.id == bindparam("task_id"))  # type: ignore[arg-type]


def _load_task(ctx: WebContext, claims: LinkClaims) -> Any:
    """The task's id and state, all a POST needs before it writes (the write reads the row
    again under its lock)."""
    with read_connection(ctx.engine) as connection:
        task = connection.execute(TASK_STATE, {"task_id": claims.task_id or 0}).first()
        if task is not None and task.agency_code != claims.agency_code:
            raise _moved(connection, claims.task_id or 0, claims.agency_code)
    if task is None:
        raise LinkRefused("scope")
    return task


def _task_page(ctx: WebContext, request: Request, view: TaskView, status: int = 200,
               error: str | None = None, form: dict[str, Any] | None = None,
               sent: bool = False, error_field: str | None = None) -> Response:
    secret, is_new = browser_secret(request)
    response = ctx.pages.render(request, "agency_task", {
        "view": view, "csrf": form_token(ctx.ring(), secret, f"task:{view.task.id}"),
        "error": error, "error_field": error_field,
        "form": form or {"text": "", "figures": ""}, "sent": sent,
        "max_files": ctx.settings.upload_max_files, "allowed": ALLOWED_LABEL,
        "max_mb": ctx.settings.upload_max_bytes // (1024 * 1024)}, status)
    if is_new:
        set_browser_secret(response, secret, ctx.settings.secure_cookies)
    return response


async def task_page(request: Request) -> Response:
    ctx = context_of(request)
    try:
        claims = _task_claims(ctx, request)
        view = await ctx.short_read(_load_view, ctx, claims)
    except LinkRefused as refused:
        return _refuse(ctx, request, refused.reason, refused.message)
    sent = request.query_params.get("da-gui") == "1" and not view.owed
    return _task_page(ctx, request, view, sent=sent)


async def _refusal(ctx: WebContext, request: Request, claims: LinkClaims) -> Response | None:
    """The page for a link whose task is gone or moved, or None. A report POST reads this
    only when something failed: the write itself checks the task under its lock."""
    try:
        await ctx.short_read(_load_task, ctx, claims)
    except LinkRefused as refused:
        return _refuse(ctx, request, refused.reason, refused.message)
    return None


async def submit(request: Request) -> Response:
    """A report. The task is read once, by the write under its lock (agency, state,
    version); the missing, moved and already-reported cases are told apart only when the
    write or the CSRF check refuses."""
    ctx = context_of(request)
    try:
        claims = _task_claims(ctx, request)
    except LinkRefused as refused:
        return _refuse(ctx, request, refused.reason, refused.message)
    task_id = claims.task_id or 0

    async def form_again(status: int, error: str, kept: dict[str, Any], field: str
                         ) -> Response:
        try:
            view = await ctx.short_read(_load_view, ctx, claims)
        except LinkRefused as refused:
            return _refuse(ctx, request, refused.reason, refused.message)
        if not view.owed:
            return ctx.pages.error(request, 409, *ALREADY_REPORTED)
        return _task_page(ctx, request, view, status, error, kept, error_field=field)

    settings = ctx.settings
    try:
        form = await read_form(request, settings.request_max_bytes, settings.upload_max_files)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    staging = ctx.store.staging()
    try:
        if not check_form_token(ctx.ring(), request.cookies.get(CSRF_COOKIE),
                                f"task:{task_id}", form.get("csrf")):
            return await _refusal(ctx, request, claims) or ctx.pages.error(
                request, 403, "Phiên làm việc không hợp lệ",
                "Biểu mẫu đã cũ hoặc không được gửi từ trang này. Hãy tải lại trang rồi gửi "
                "lại báo cáo.")
        text = str(form.get("text") or "").strip()
        figures_text = str(form.get("figures") or "")
        kept = {"text": text, "figures": figures_text}
        if not text:
            return await form_again(400, "Hãy nhập nội dung báo cáo.", kept, "text")
        try:
            figures = parse_figures(figures_text)
        except FiguresError as exc:
            return await form_again(400, str(exc), kept, "figures")
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        try:
            files = [await run_in_threadpool(staging.put, f.filename or "", f.file)
                     for f in uploads]
        except UploadError as exc:
            return await form_again(exc.status, str(exc), kept, "files")
        actor = Actor(claims.agency_code, "agency", "link", claims.agency_code)
        try:
            await run_in_threadpool(submit_report, ctx.engine, task_id, actor, ctx.now(),
                                    text, figures, files)
        except (ConflictError, IllegalTransitionError):
            return await _refusal(ctx, request, claims) or ctx.pages.error(
                request, 409, *ALREADY_REPORTED)
        except (NotFoundError, PermissionDeniedError):
            return await _refusal(ctx, request, claims) or _refuse(ctx, request, "scope")
        if staging.files:  # committed: the files take their place (a hop only for files)
            await run_in_threadpool(staging.promote)
    finally:
        staging.discard()  # refused or rolled back: nothing stays on disk
        await form.close()
    return RedirectResponse(f"{request.url.path}?da-gui=1", status_code=303)


async def ask_extension(request: Request) -> Response:
    """The agency asks for more time: a date and a reason; the secretariat decides."""
    ctx = context_of(request)
    try:
        claims = _task_claims(ctx, request)
        task = await ctx.short_read(_load_task, ctx, claims)
    except LinkRefused as refused:
        return _refuse(ctx, request, refused.reason, refused.message)
    try:
        form = await read_form(request, 64 * 1024, 0)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    if not check_form_token(ctx.ring(), request.cookies.get(CSRF_COOKIE), f"task:{task.id}",
                            form.get("csrf")):
        return ctx.pages.error(request, 403, "Phiên làm việc không hợp lệ",
                               "Biểu mẫu đã cũ hoặc không được gửi từ trang này. Hãy tải lại "
                               "trang rồi gửi lại.")

    async def again(message: str, field: str) -> Response:
        view = await run_in_threadpool(_load_view, ctx, claims)
        return _task_page(ctx, request, view, 400, message, error_field=field)

    try:
        proposed = parse_date(str(form.get("proposed") or "").strip())
    except DateFormatError:
        return await again("Ngày đề nghị cần ghi ngày/tháng/năm, ví dụ 20/06/2026.",
                           "proposed")
    actor = Actor(claims.agency_code, "agency", "link", claims.agency_code)

    def run() -> None:
        with write_session(ctx.engine) as session:
            request_extension(session, task.id or 0, actor, proposed,
                              str(form.get("reason") or ""), ctx.now())

    try:
        await run_in_threadpool(run)
    except NhiemvuError as exc:
        message = str(exc)
        return await again(message[:1].upper() + message[1:] + ".",
                           "ext-reason" if "lý do" in message else "proposed")
    path = request.url.path.rsplit("/gia-han", 1)[0]
    return RedirectResponse(f"{path}#gia-han", status_code=303)


async def agency_page(request: Request) -> Response:
    ctx = context_of(request)
    code = request.path_params["agency_code"]
    try:
        claims = ctx.signer().read(request.path_params["token"], AGENCY, ctx.now())
    except LinkError as exc:
        return _refuse(ctx, request, exc.reason)
    if claims.agency_code != code:
        return _refuse(ctx, request, "scope")

    def load() -> tuple[Any, list[dict[str, Any]]]:
        with read_session(ctx.engine) as session:
            agency = session.get(AgencyRow, code)
            return agency, agency_tasks(session, code, to_local(ctx.now()).year - 1)

    agency, rows = await run_in_threadpool(load)
    if agency is None:
        return _refuse(ctx, request, "scope")
    links = ctx.links()
    for row in rows:
        row["link"] = links.task(row["task"].id, code, row["task"].due_at)
    return ctx.pages.render(request, "agency_list", {"agency": agency, "rows": rows,
                                                     "now": ctx.now()})


ROUTES = [
    Route("/bao-cao/{task_id}/{token}", task_page, methods=["GET"]),
    Route("/bao-cao/{task_id}/{token}", submit, methods=["POST"]),
    Route("/bao-cao/{task_id}/{token}/gia-han", ask_extension, methods=["POST"]),
    Route("/co-quan/{agency_code}/{token}", agency_page, methods=["GET"]),
]
