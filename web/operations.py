"""The secretariat's operations on tasks from the dashboard: on one task (cancel, enter
a report received on paper or by phone, reassign, change the deadline, remind now,
resend the link) and on many at once (selected in the overdue list or by agency, task
and state of a matrix), previewed, then applied in one transaction with an audit row
per task; and closing a directive's year."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.context import WebContext, context_of
from web.dashboard import _task_committee, checked_form, forbidden, scope_of, secretariat
from web.forms import FormRejected, sentence, small_int
from workflow.dates import parse_date
from workflow.engine.actors import Actor
from workflow.engine.closing import close_year, closing_preview
from workflow.engine.extensions import decide_extension
from workflow.engine.machine import STATES
from workflow.engine.operations import (
    OPERATIONS,
    applies,
    cancel,
    change_deadline,
    reassign,
    remind,
    report_for_agency,
    resend_link,
    run_bulk,
)
from workflow.engine.reports import Figures, FiguresError, parse_figures
from workflow.errors import ConflictError, DateFormatError, NhiemvuError
from workflow.storage.attachments import Staging, UploadError
from workflow.storage.db import read_session, write_session
from workflow.storage.models import (
    AgencyRow,
    DirectiveRow,
    ExtensionRequestRow,
    TaskRow,
    TaskSpecRow,
    UserRow,
)
from workflow.views.labels import document_label

MAX_BULK = 5000


def _actor(request: Request) -> Actor:
    user: UserRow = request.state.user
    return Actor(user.username, "secretariat", "web")


def _back(task_id: int, operation: str) -> Response:
    """Back to the task page, which says which operation was done (a code, never text
    from the query string)."""
    return RedirectResponse(f"/quan-ly/nhiem-vu/{task_id}?xong={operation}", 303)


async def _task_post(request: Request, max_bytes: int = 1024 * 1024, max_files: int = 0
                     ) -> tuple[Any, int] | Response:
    """The form of a POST on a task and the task's id, or the page refusing it: CSRF, a
    task that exists, and a secretariat of its directive's committee."""
    ctx = context_of(request)
    try:
        form = await checked_form(request, max_bytes, max_files)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    task_id = small_int(request.path_params["task_id"]) or 0
    committees = await run_in_threadpool(_task_committee, ctx, task_id)
    if committees is None:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có nhiệm vụ này.")
    if not scope_of(request).acts_on(committees[0]):
        return forbidden(request)
    return form, task_id


@secretariat
async def operate(request: Request) -> Response:
    """One operation on one task, from its page."""
    ctx = context_of(request)
    found = await _task_post(request)
    if isinstance(found, Response):
        return found
    form, task_id = found
    operation = str(form.get("op") or "")
    version = small_int(form.get("version"))
    reason = str(form.get("reason") or "")
    actor, now = _actor(request), ctx.now()

    def run() -> str:
        with write_session(ctx.engine) as session:
            if operation == "cancel":
                return cancel(session, task_id, actor, now, reason, version).done
            if operation == "remind":
                return remind(session, task_id, actor, now, version).done
            if operation == "resend":
                return resend_link(session, task_id, actor, now,
                                   str(form.get("address") or ""), version).done
            if operation == "deadline":
                try:
                    due = parse_date(str(form.get("due") or "").strip())
                except DateFormatError:
                    raise NhiemvuError("hạn mới cần ghi ngày/tháng/năm, ví dụ 15/06/2026")\
                        from None
                return change_deadline(session, task_id, due, actor, now, reason,
                                       version).done
            if operation == "reassign":
                return reassign(session, task_id, str(form.get("agency") or ""), actor, now,
                                reason, version).done
            raise NhiemvuError("hãy chọn một thao tác")

    from web.dashboard import _task_page

    try:
        done = await run_in_threadpool(run)
    except ConflictError:
        return await _task_page(request, 409, "Nhiệm vụ vừa được người khác cập nhật; hãy "
                                              "xem lại trạng thái mới rồi thực hiện lại.")
    except NhiemvuError as exc:
        return await _task_page(request, 400, sentence(exc), field=f"op-{operation}")
    del done  # the task's history says what it did
    return _back(task_id, operation)


@secretariat
async def enter_report(request: Request) -> Response:
    """A report the agency sent on paper, by phone or by official letter."""
    ctx = context_of(request)
    found = await _task_post(request, ctx.settings.request_max_bytes,
                             ctx.settings.upload_max_files)
    if isinstance(found, Response):
        return found
    form, task_id = found
    from web.dashboard import _task_page

    text = str(form.get("text") or "").strip()
    if not text:
        return await _task_page(request, 400, "Hãy ghi nội dung báo cáo đã nhận.",
                                field="report-text")
    try:
        figures = parse_figures(str(form.get("figures") or ""))
    except FiguresError as exc:
        return await _task_page(request, 400, str(exc), field="report-figures")
    staging = ctx.store.staging()
    try:
        refused = await _enter_report(request, ctx, staging, form, task_id, text, figures)
    finally:
        staging.discard()  # refused or rolled back: nothing stays on disk
    return refused or _back(task_id, "report")


async def _enter_report(request: Request, ctx: WebContext, staging: Staging, form: Any,
                        task_id: int, text: str, figures: Figures) -> Response | None:
    """The files staged and the report recorded; the page to show when refused."""
    from web.dashboard import _task_page

    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    try:
        files = [await run_in_threadpool(staging.put, f.filename or "", f.file)
                 for f in uploads]
    except UploadError as refused:
        return await _task_page(request, refused.status, str(refused), field="report-files")
    actor, now = _actor(request), ctx.now()

    def run() -> None:
        with write_session(ctx.engine) as session:
            report_for_agency(session, task_id, actor, now, text, figures, files,
                              str(form.get("channel") or ""), str(form.get("reference") or ""),
                              small_int(form.get("version")))

    try:
        await run_in_threadpool(run)
    except ConflictError:
        return await _task_page(request, 409, "Nhiệm vụ vừa được người khác cập nhật; hãy "
                                              "xem lại rồi thực hiện lại.")
    except NhiemvuError as exc:
        return await _task_page(request, 400, sentence(exc), field="report-text")
    await run_in_threadpool(staging.promote)  # committed: the files take their place
    return None


@secretariat
async def decide(request: Request) -> Response:
    """Approve (possibly with another date) or refuse an agency's extension request."""
    ctx = context_of(request)
    try:
        form = await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    request_id = small_int(request.path_params["request_id"]) or 0

    def owner() -> tuple[int, str | None] | None:
        with read_session(ctx.engine) as session:
            found = session.execute(select(ExtensionRequestRow.task_id,
                                           DirectiveRow.committee_code)
                                    .join(TaskRow, TaskRow.id == ExtensionRequestRow.task_id)
                                    .join(DirectiveRow,
                                          DirectiveRow.code == TaskRow.directive_code)
                                    .where(ExtensionRequestRow.id == request_id)).first()
            return (found[0], found[1]) if found else None

    found = await run_in_threadpool(owner)
    if found is None:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có đề nghị này.")
    task_id, committee = found
    if not scope_of(request).acts_on(committee):
        return forbidden(request)
    approve = form.get("decision") == "approve"
    granted = None
    from web.dashboard import _task_page

    request.path_params["task_id"] = str(task_id)
    if approve and str(form.get("granted") or "").strip():
        try:
            granted = parse_date(str(form.get("granted")).strip())
        except DateFormatError:
            return await _task_page(request, 400, "Ngày gia hạn cần ghi ngày/tháng/năm.",
                                    field="ext-granted")
    actor, now = _actor(request), ctx.now()

    def run() -> None:
        with write_session(ctx.engine) as session:
            decide_extension(session, request_id, approve, actor, now, granted,
                             str(form.get("reason") or ""))

    try:
        await run_in_threadpool(run)
    except NhiemvuError as exc:
        return await _task_page(request, 400, sentence(exc), field="ext-reason")
    return _back(task_id, "extension" if approve else "refusal")


# -- many tasks at once ----------------------------------------------------------------

def _selected(ctx: WebContext, form: Any, visible: set[str] | None
              ) -> list[tuple[TaskRow, str, str]]:
    """The tasks a bulk form names: ids ticked in a list, or a matrix's directive and
    year with optional agency, task and state; only directives the user acts on."""
    with read_session(ctx.engine) as session:
        query = (select(TaskRow, TaskSpecRow.title, AgencyRow.name)
                 .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                       & (TaskSpecRow.code == TaskRow.spec_code))
                 .join(AgencyRow, AgencyRow.code == TaskRow.agency_code))
        ids = [i for i in (small_int(v) for v in form.getlist("task")) if i][:MAX_BULK]
        if ids:
            query = query.where(TaskRow.id.in_(ids))  # type: ignore[union-attr]
        else:
            directive, year = str(form.get("directive") or "")[:80], small_int(form.get("year"))
            if not directive or year is None:
                return []
            query = query.where(TaskRow.directive_code == directive, TaskRow.year == year)
            for name, column in (("agency", TaskRow.agency_code), ("spec", TaskRow.spec_code)):
                value = str(form.get(name) or "")[:80]
                if value:
                    query = query.where(column == value)
            state = str(form.get("state") or "")
            if state in STATES:
                query = query.where(TaskRow.state == state)
        if visible is not None:
            query = query.where(TaskRow.directive_code.in_(visible))  # type: ignore[attr-defined]
        return [(t, title, name) for t, title, name in session.execute(
            query.order_by(AgencyRow.name, TaskRow.id).limit(MAX_BULK))]


def _visible(request: Request, ctx: WebContext) -> set[str] | None:
    scope = scope_of(request)
    with read_session(ctx.engine) as session:
        return scope.directives(session)


def _committee_agencies(ctx: WebContext, committee: str | None) -> list[AgencyRow]:
    with read_session(ctx.engine) as session:
        query = select(AgencyRow).where(AgencyRow.active.is_(True),  # type: ignore[attr-defined]
                                        AgencyRow.valid_until.is_(None))  # type: ignore[union-attr]
        if committee is not None:
            query = query.where(AgencyRow.committee_code == committee)
        return list(session.scalars(query.order_by(AgencyRow.name)))


@secretariat
async def bulk_preview(request: Request) -> Response:
    ctx = context_of(request)
    if scope_of(request).role != "secretariat":
        return forbidden(request)
    try:
        form = await checked_form(request, max_fields=MAX_BULK + 50)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    operation = str(form.get("op") or "")
    visible = await run_in_threadpool(_visible, request, ctx)
    rows = await run_in_threadpool(_selected, ctx, form, visible)
    if operation not in OPERATIONS or not rows:
        return ctx.pages.error(request, 400, "Chưa chọn được", "Hãy chọn một thao tác và ít "
                               "nhất một nhiệm vụ của Ban mình.")
    chosen = [(t, title, name, applies(operation, t.state)) for t, title, name in rows]
    return ctx.pages.render(request, "bulk_preview", {
        "operation": operation, "label": OPERATIONS[operation], "rows": chosen,
        "count": sum(1 for *_, ok in chosen if ok), "reason": str(form.get("reason") or ""),
        "due": str(form.get("due") or ""),
        "agencies": await run_in_threadpool(_committee_agencies, ctx,
                                            scope_of(request).committee)})


@secretariat
async def bulk_apply(request: Request) -> Response:
    ctx = context_of(request)
    if scope_of(request).role != "secretariat":
        return forbidden(request)
    try:
        form = await checked_form(request, 4 * 1024 * 1024, 0, MAX_BULK + 50)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    items: list[tuple[int, int]] = []
    for value in form.getlist("item")[:MAX_BULK]:
        ident, _, version = str(value).partition(":")
        if small_int(ident) and small_int(version):
            items.append((int(ident), int(version)))
    visible = await run_in_threadpool(_visible, request, ctx)

    def allowed() -> bool:
        with read_session(ctx.engine) as session:
            codes = set(session.scalars(select(TaskRow.directive_code).where(
                TaskRow.id.in_([i for i, _ in items]))))  # type: ignore[union-attr]
        return visible is None or codes <= visible

    if not items or not await run_in_threadpool(allowed):
        return forbidden(request)
    operation = str(form.get("op") or "")
    due = None
    if operation == "deadline":
        try:
            due = parse_date(str(form.get("due") or "").strip())
        except DateFormatError:
            return ctx.pages.error(request, 400, "Hạn mới không hợp lệ",
                                   "Hạn mới cần ghi ngày/tháng/năm, ví dụ 15/06/2026.")
    actor, now = _actor(request), ctx.now()

    def run() -> int:
        with write_session(ctx.engine) as session:
            return len(run_bulk(session, items, operation, actor, now,
                                reason=str(form.get("reason") or ""), new_due=due,
                                to_agency=str(form.get("agency") or "")))

    try:
        done = await run_in_threadpool(run)
    except ConflictError:
        return ctx.pages.error(request, 409, "Có nhiệm vụ vừa thay đổi",
                               "Một số nhiệm vụ vừa được người khác cập nhật; không có thay "
                               "đổi nào được lưu. Hãy chọn lại.")
    except NhiemvuError as exc:
        return ctx.pages.error(request, 400, "Không thực hiện được",
                               f"{sentence(exc)}. Không có thay đổi nào được lưu.")
    return ctx.pages.render(request, "bulk_done", {"label": OPERATIONS[operation],
                                                   "count": done})


# -- closing a year --------------------------------------------------------------------

async def _closing(request: Request) -> tuple[DirectiveRow, int] | Response:
    ctx = context_of(request)
    code = str(request.path_params["directive"])[:80]
    year = small_int(request.path_params["year"]) or 0

    def load() -> DirectiveRow | None:
        with read_session(ctx.engine) as session:
            return session.get(DirectiveRow, code)

    row = await run_in_threadpool(load)
    if row is None or not row.year <= year <= row.until_year:
        return ctx.pages.error(request, 404, "Không tìm thấy",
                               "Không có văn bản này trong năm đó.")
    if not scope_of(request).acts_on(row.committee_code):
        return forbidden(request)
    return row, year


async def _close_page(request: Request, status: int = 200, error: str | None = None
                      ) -> Response:
    ctx = context_of(request)
    found = await _closing(request)
    if isinstance(found, Response):
        return found
    row, year = found

    def load() -> Any:
        with read_session(ctx.engine) as session:
            try:
                return closing_preview(session, row.code, year)
            except NhiemvuError as exc:
                return str(exc)

    preview = await run_in_threadpool(load)
    return ctx.pages.render(request, "close_year", {
        "directive": row, "document": document_label(row), "year": year,
        "preview": preview if not isinstance(preview, str) else None,
        "closed": preview if isinstance(preview, str) else None, "error": error}, status)


@secretariat
async def close_form(request: Request) -> Response:
    return await _close_page(request)


@secretariat
async def close(request: Request) -> Response:
    ctx = context_of(request)
    try:
        form = await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    found = await _closing(request)
    if isinstance(found, Response):
        return found
    row, year = found
    try:
        result = await run_in_threadpool(close_year, ctx.engine, row.code, year,
                                         _actor(request), ctx.now(),
                                         str(form.get("reason") or ""))
    except NhiemvuError as exc:
        return await _close_page(request, 400, sentence(exc))
    return RedirectResponse(f"/quan-ly/ma-tran/{row.code}/{year}?ket_thuc={result.not_done}",
                            303)


ROUTES = [
    Route("/quan-ly/nhiem-vu/{task_id}/thao-tac", operate, methods=["POST"]),
    Route("/quan-ly/nhiem-vu/{task_id}/nhap-bao-cao", enter_report, methods=["POST"]),
    Route("/quan-ly/gia-han/{request_id}", decide, methods=["POST"]),
    Route("/quan-ly/hang-loat/xem-truoc", bulk_preview, methods=["POST"]),
    Route("/quan-ly/hang-loat", bulk_apply, methods=["POST"]),
    Route("/quan-ly/ket-thuc/{directive}/{year}", close_form, methods=["GET"]),
    Route("/quan-ly/ket-thuc/{directive}/{year}", close, methods=["POST"]),
]
