"""The secretariat's pages, behind a login: overview, matrix, overdue list, task page
with verify/return, attachment download. Every state change is a POST with the session's
CSRF token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from exports.chart import BAR_STATES
from exports.chart import LABELS as CHART_LABELS
from exports.progress import by_agency, progress_now, timeline
from web.context import WebContext, context_of
from web.forms import FormRejected, path_id, read_form, small_int
from web.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SessionData,
    browser_secret,
    check_form_token,
    form_token,
    session_cookie,
    session_token,
    set_browser_secret,
)
from web.views import task_view
from workflow.access.logins import blocked, record_failure, record_success, wall_clock
from workflow.access.scope import Scope
from workflow.access.sessions import end_session, find_session, open_session, prune_sessions
from workflow.access.users import authenticate
from workflow.cascade.communes import child_committees
from workflow.engine.actions import fire
from workflow.engine.actors import Actor
from workflow.engine.machine import STATES
from workflow.engine.operations import CHANNELS, applies
from workflow.errors import ConflictError, IllegalTransitionError, NhiemvuError
from workflow.storage.attachments import ALLOWED, safe_filename
from workflow.storage.db import read_connection, write_session
from workflow.storage.db import read_session as db_read
from workflow.storage.models import (
    AgencyRow,
    AttachmentRow,
    CommitteeRow,
    DirectiveRow,
    TaskRow,
    UserRow,
)
from workflow.views.labels import document_label
from workflow.views.mail import KIND_LABELS as MAIL_KINDS
from workflow.views.mail import STATE_LABELS as MAIL_STATES
from workflow.views.mail import mail_list
from workflow.views.ontime import by_agency as on_time_by_agency
from workflow.views.ontime import rate_label
from workflow.views.status import filter_choices, matrix, overdue_list, overview

Handler = Callable[[Request], Awaitable[Response]]
DASHBOARD_SCOPE = "dashboard"


def _signed_in(ctx: WebContext, request: Request
               ) -> tuple[UserRow, SessionData, str | None] | None:
    """The user, her session and her committee's parent (a commune's province)."""
    token = session_token(ctx.ring(), request.cookies.get(SESSION_COOKIE),
                          ctx.settings.session_hours * 3600)
    if token is None:
        return None
    with db_read(ctx.engine) as session:
        found = find_session(session, token, wall_clock())
        if found is None:
            return None
        row, user = found
        committee = session.get(CommitteeRow, user.committee_code) \
            if user.committee_code else None
    return user, SessionData(user.id or 0, row.csrf, token), \
        committee.parent_code if committee else None


def secretariat(handler: Handler) -> Handler:
    """Only for a signed-in, active user; others go to the login page (GET) or get 403."""

    async def guarded(request: Request) -> Response:
        ctx = context_of(request)
        found = await run_in_threadpool(_signed_in, ctx, request)
        if found is None:
            if request.method in {"GET", "HEAD"}:
                return RedirectResponse(f"/dang-nhap?next={quote(request.url.path)}", 303)
            return ctx.pages.error(request, 403, "Cần đăng nhập",
                                   "Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.")
        request.state.user, request.state.session, request.state.upper = found
        request.state.scope = Scope.of(found[0])
        request.state.csrf = form_token(ctx.ring(), found[1].csrf, DASHBOARD_SCOPE)
        return await handler(request)

    guarded.__name__ = handler.__name__
    return guarded


async def checked_form(request: Request, max_bytes: int = 1024 * 1024, max_files: int = 0,
                       max_fields: int = 50) -> Any:
    """The form of a dashboard POST, refused (403) without the page's CSRF token."""
    ctx = context_of(request)
    form = await read_form(request, max_bytes, max_files, max_fields)
    if not check_form_token(ctx.ring(), request.state.session.csrf, DASHBOARD_SCOPE,
                            form.get("csrf")):
        raise FormRejected(403, "Phiên làm việc không hợp lệ",
                           "Biểu mẫu đã cũ hoặc không được gửi từ trang này. Hãy tải lại "
                           "trang rồi thực hiện lại.")
    return form


# -- login ----------------------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/quan-ly") and "//" not in target \
        else "/quan-ly"


def _login_page(request: Request, status: int = 200, error: str | None = None,
                username: str = "", field: str | None = None) -> Response:
    ctx = context_of(request)
    secret, _ = browser_secret(request)
    response = ctx.pages.render(request, "login", {
        "csrf": form_token(ctx.ring(), secret, "login"), "error": error, "error_field": field,
        "username": username, "next": _safe_next(request.query_params.get("next"))}, status)
    set_browser_secret(response, secret, ctx.settings.secure_cookies)
    return response


async def login_form(request: Request) -> Response:
    return _login_page(request)


async def login(request: Request) -> Response:
    ctx = context_of(request)
    try:
        form = await read_form(request, 64 * 1024, 0)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    username = str(form.get("username") or "").strip().lower()
    if not check_form_token(ctx.ring(), request.cookies.get(CSRF_COOKIE), "login",
                            form.get("csrf")):
        return _login_page(request, 403, "Biểu mẫu đã cũ, hãy đăng nhập lại.", username)
    address = request.client.host if request.client else "?"
    password = str(form.get("password") or "")

    def check() -> tuple[UserRow, str] | str | None:
        """One transaction: the throttle's verdict, the password check, the failure or
        the new session."""
        now = wall_clock()
        with write_session(ctx.engine) as session:
            refused = blocked(session, username, address, ctx.login_limits, now)
            if refused:
                return refused
            user = authenticate(session, username, password, ctx.now())
            if user is None:
                record_failure(session, username, address, ctx.login_limits, now)
                return None
            record_success(session, username)
            prune_sessions(session, now, timedelta(days=1))  # ended ones are of no use
            lifetime = timedelta(hours=ctx.settings.session_hours)
            return user, open_session(session, user.id or 0, now, lifetime).token

    outcome = await run_in_threadpool(check)
    user = outcome[0] if isinstance(outcome, tuple) else outcome
    if user == "account":
        return _login_page(request, 429, "Tài khoản này đăng nhập sai quá nhiều lần. Hãy thử "
                                         "lại sau 15 phút, hoặc nhờ quản trị mở khóa.", username)
    if user == "address":
        return _login_page(request, 429, "Có quá nhiều lần đăng nhập sai từ địa chỉ này. Hãy "
                                         "thử lại sau 15 phút.", username)
    if not isinstance(user, UserRow):
        return _login_page(request, 401, "Tên đăng nhập hoặc mật khẩu không đúng.", username,
                           "username")
    response = RedirectResponse(_safe_next(str(form.get("next") or "")), 303)
    assert isinstance(outcome, tuple)
    give_session(ctx, response, outcome[1])
    return response


def give_session(ctx: WebContext, response: Response, token: str) -> None:
    """The cookie of a session opened in the database (`open_session`)."""
    response.set_cookie(SESSION_COOKIE, session_cookie(ctx.ring(), token),
                        max_age=ctx.settings.session_hours * 3600, httponly=True,
                        samesite="lax", secure=ctx.settings.secure_cookies, path="/")


@secretariat
async def logout(request: Request) -> Response:
    ctx = context_of(request)
    try:
        await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    token = request.state.session.token

    def end() -> None:
        with write_session(ctx.engine) as session:
            end_session(session, token, wall_clock())

    await run_in_threadpool(end)
    response = RedirectResponse("/dang-nhap", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- pages ----------------------------------------------------------------------------

def scope_of(request: Request) -> Scope:
    scope: Scope = request.state.scope
    return scope


def forbidden(request: Request) -> Response:
    """Another committee's work: refused, and nothing said about what it holds."""
    return context_of(request).pages.error(
        request, 403, "Không có quyền",
        "Trang này thuộc Ban khác; tài khoản của bạn chỉ xem được việc của Ban mình.")


def _task_committee(ctx: WebContext, task_id: int) -> tuple[str | None, str | None] | None:
    """(committee of the task's directive, committee of its agency); None when there is
    no such task. A commune reads the tasks its province gave to its agencies."""
    with db_read(ctx.engine) as session:
        found = session.execute(select(DirectiveRow.committee_code, AgencyRow.committee_code)
                                .join(TaskRow, TaskRow.directive_code == DirectiveRow.code)
                                .join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
                                .where(TaskRow.id == task_id)).first()
        return (found[0], found[1]) if found else None


def reads_task(scope: Scope, committees: tuple[str | None, str | None]) -> bool:
    directive, agency = committees
    return scope.sees(directive) or (agency is not None and scope.sees(agency))


def directive_committee(ctx: WebContext, code: str) -> tuple[bool, str | None]:
    """(exists, committee) of a directive."""
    with db_read(ctx.engine) as session:
        row = session.get(DirectiveRow, code)
        return (row is not None, row.committee_code if row else None)

@secretariat
async def home(request: Request) -> Response:
    ctx = context_of(request)
    scope = scope_of(request)

    def load() -> list[dict[str, Any]]:
        with db_read(ctx.engine) as session:
            return overview(session, ctx.now(), scope.directives(session))

    return ctx.pages.render(request, "dash_home", {"rows": await run_in_threadpool(load)})


@secretariat
async def matrix_page(request: Request) -> Response:
    ctx = context_of(request)
    code = request.path_params["directive"]
    year = path_id(request, "year")
    agency = request.query_params.get("co_quan") or None
    state = request.query_params.get("trang_thai") or None
    if state and state not in [*STATES, "overdue"]:
        state = None
    page = small_int(request.query_params.get("trang") or "1") or 1

    scope = scope_of(request)

    def load() -> tuple[Any, Any, Any, Any, int] | None:
        """The page's data in one read; None when the directive is another committee's."""
        with db_read(ctx.engine) as session:
            directive = session.get(DirectiveRow, code)
            if directive is None:
                return None, None, None, None, 0
            if not scope.sees(directive.committee_code):
                return None
            now = ctx.now()
            grid = matrix(session, directive, year, now, agency, state, page)
            # Unfiltered, the matrix's counts are the whole year's: not counted twice.
            progress = progress_now(session, code, year, now, None if agency else grid.counts)
            if progress is None:  # a past year: as it stood on its last day
                line = timeline(session, code, year, now)
                progress = {"day": line.days[-1], "reported": line.reported[-1],
                            "verified": line.verified[-1], "overdue": line.overdue[-1]} \
                    if line.days else None
            # The chart's table holds every agency, unless the matrix is paged: then the
            # page's (3,000 rows would be most of the page).
            shown = [row["agency"].code for row in grid.rows] if grid.pages > 1 else None
            return grid, filter_choices(session, scope.committee), \
                by_agency(session, code, year, now, shown), progress, \
                len(child_committees(session, directive))

    loaded = await run_in_threadpool(load)
    if loaded is None:
        return forbidden(request)
    result, choices, agencies, progress, communes = loaded
    if result is None or (not result.columns and not agency):
        return ctx.pages.error(request, 404, "Không tìm thấy",
                               f"Không có nhiệm vụ nào của văn bản «{code}» năm {year}.")
    # A page of 100 agencies x 30 tasks is still ~0.5 MB of HTML: rendered off the event
    # loop, so that other requests never wait for it.
    return await run_in_threadpool(ctx.pages.render, request, "dash_matrix", {
        "m": result, "document": document_label(result.directive), "choices": choices,
        "agency": agency or "", "state": state or "", "states": STATES,
        "by_agency": agencies, "progress": progress, "communes": communes,
        "specs": list(dict.fromkeys((c["spec"], c["title"]) for c in result.columns)),
        "on_time": on_time_by_agency(((cell["task"], row["agency"]) for row in result.rows
                                      for cell in row["cells"] if cell), ctx.now()),
        "rate_label": rate_label,
        "chart_states": [(s, CHART_LABELS[s]) for s in BAR_STATES]})


@secretariat
async def overdue_page(request: Request) -> Response:
    ctx = context_of(request)
    directive = request.query_params.get("chi_dao") or None
    agency = request.query_params.get("co_quan") or None

    scope = scope_of(request)

    page = small_int(request.query_params.get("trang") or "1") or 1

    def load() -> tuple[Any, Any]:
        with db_read(ctx.engine) as session:
            listed = overdue_list(session, ctx.now(), directive, agency, page,
                                  visible=scope.directives(session))
            return listed, filter_choices(session, scope.committee)

    listed, choices = await run_in_threadpool(load)
    return ctx.pages.render(request, "dash_overdue", {
        "rows": listed.rows, "total": listed.total, "listed": listed, "choices": choices,
        "directive": directive or "", "agency": agency or "", "now": ctx.now()})


async def _task_page(request: Request, status: int = 200, error: str | None = None,
                     reason: str = "", field: str | None = None) -> Response:
    ctx = context_of(request)
    task_id = path_id(request, "task_id")

    def load() -> Any:
        with read_connection(ctx.engine) as connection:
            return task_view(connection, task_id, ctx.now())

    view = await run_in_threadpool(load)
    if view is None:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có nhiệm vụ này.")
    scope = scope_of(request)
    if not reads_task(scope, (view.directive.committee_code, view.agency.committee_code)):
        return forbidden(request)
    incoming = not scope.sees(view.directive.committee_code)
    can_act = scope.acts_on(view.directive.committee_code)

    def agencies() -> list[AgencyRow]:
        """Where the task may be reassigned: the active agencies of its committee."""
        with db_read(ctx.engine) as session:
            return list(session.scalars(select(AgencyRow).where(
                AgencyRow.committee_code == view.agency.committee_code,
                AgencyRow.active.is_(True),  # type: ignore[attr-defined]
                AgencyRow.valid_until.is_(None),  # type: ignore[union-attr]
                AgencyRow.code != view.agency.code).order_by(AgencyRow.name)))

    def mail() -> list[Any]:
        with db_read(ctx.engine) as session:
            return mail_list(session, scope.committee, task_id=task_id)[0]

    return ctx.pages.render(request, "dash_task", {
        "view": view, "error": error, "error_field": field, "reason": reason,
        "mail": await run_in_threadpool(mail), "mail_kinds": MAIL_KINDS,
        "mail_states": MAIL_STATES,
        "can_act": can_act, "channels": CHANNELS, "applies": applies,
        "agencies": await run_in_threadpool(agencies) if can_act and view.owed else [],
        "link": ctx.links().task(view.task.id or 0, view.agency.code, view.task.due_at)
        if can_act and view.owed else None,
        "done": request.query_params.get("xong"),
        "can_compose": incoming and view.owed and scope.acts_on(view.agency.committee_code)},
        status)


@secretariat
async def task_page(request: Request) -> Response:
    return await _task_page(request)


async def _transition(request: Request, trigger: str) -> Response:
    ctx = context_of(request)
    try:
        form = await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    task_id = path_id(request, "task_id")
    committee = await run_in_threadpool(_task_committee, ctx, task_id)
    if committee is None:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có nhiệm vụ này.")
    if not scope_of(request).acts_on(committee[0]):
        return forbidden(request)
    reason = str(form.get("reason") or "").strip()
    if trigger == "return" and not reason:
        return await _task_page(request, 400, "Hãy ghi lý do trả lại để cơ quan biết cần "
                                              "bổ sung gì.", field="reason")
    version = small_int(form.get("version"))
    user: UserRow = request.state.user
    actor = Actor(user.username, "secretariat", "web")
    try:
        await run_in_threadpool(lambda: fire(ctx.engine, task_id, trigger, actor, ctx.now(),
                                             reason=reason or None, expected_version=version))
    except ConflictError:
        return await _task_page(request, 409, "Nhiệm vụ vừa được người khác cập nhật; hãy "
                                              "xem lại trạng thái mới rồi thực hiện lại.",
                                reason)
    except IllegalTransitionError:
        return await _task_page(request, 409, "Thao tác này không áp dụng cho trạng thái "
                                              "hiện tại của nhiệm vụ.", reason)
    except NhiemvuError as exc:
        return await _task_page(request, 400, str(exc), reason)
    return RedirectResponse(f"/quan-ly/nhiem-vu/{task_id}", 303)


@secretariat
async def verify(request: Request) -> Response:
    return await _transition(request, "verify")


@secretariat
async def give_back(request: Request) -> Response:
    return await _transition(request, "return")


@secretariat
async def attachment(request: Request) -> Response:
    ctx = context_of(request)
    attachment_id = path_id(request, "attachment_id")

    def load() -> AttachmentRow | None:
        with db_read(ctx.engine) as session:
            return session.get(AttachmentRow, attachment_id)

    row = await run_in_threadpool(load)
    path = ctx.store.path(row.stored_name) if row else None
    if row is None or path is None or not path.exists():
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có tệp đính kèm này.")
    committee = await run_in_threadpool(_task_committee, ctx, row.task_id)
    if committee is None or not reads_task(scope_of(request), committee):
        return forbidden(request)
    # Always a download with the type found from the content: never rendered as a page.
    extension = ALLOWED.get(row.content_type)
    return FileResponse(path, media_type=row.content_type if extension
                        else "application/octet-stream",
                        filename=safe_filename(row.filename, extension),
                        content_disposition_type="attachment",
                        headers={"content-security-policy": "sandbox",
                                 "cache-control": "private, no-store"})


ROUTES = [
    Route("/dang-nhap", login_form, methods=["GET"]),
    Route("/dang-nhap", login, methods=["POST"]),
    Route("/dang-xuat", logout, methods=["POST"]),
    Route("/quan-ly", home, methods=["GET"]),
    Route("/quan-ly/ma-tran/{directive}/{year}", matrix_page, methods=["GET"]),
    Route("/quan-ly/qua-han", overdue_page, methods=["GET"]),
    Route("/quan-ly/nhiem-vu/{task_id}", task_page, methods=["GET"]),
    Route("/quan-ly/nhiem-vu/{task_id}/xac-nhan", verify, methods=["POST"]),
    Route("/quan-ly/nhiem-vu/{task_id}/tra-lai", give_back, methods=["POST"]),
    Route("/quan-ly/tep/{attachment_id}", attachment, methods=["GET"]),
]
