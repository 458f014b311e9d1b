"""Users of the dashboard, kept by an administrator of the committee: add with an
invitation link (valid 48 hours) or an initial password, disable and enable, reset the
password (a new link), unlock after failed logins, change the role; and every user's
own password. Passwords follow the same rules as `nhiemvu user add`."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.context import context_of
from web.dashboard import checked_form, forbidden, give_session, scope_of, secretariat
from web.forms import FormRejected, read_form
from web.security import (
    CSRF_COOKIE,
    browser_secret,
    check_form_token,
    form_token,
    set_browser_secret,
)
from workflow.access.invitations import VALID_HOURS, invitation, invited_user, unusable_password
from workflow.access.logins import unlock, wall_clock
from workflow.access.sessions import open_session
from workflow.access.users import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    add_user,
    authenticate,
    find_user,
    set_active,
    set_password,
)
from workflow.errors import NhiemvuError
from workflow.storage.db import read_session, write_session
from workflow.storage.models import UserRow

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")


def _admin(request: Request) -> bool:
    return scope_of(request).role == "admin"


def _users(request: Request) -> list[UserRow]:
    ctx = context_of(request)
    committee = scope_of(request).committee
    with read_session(ctx.engine) as session:
        query = select(UserRow).order_by(UserRow.username)
        if committee is not None:
            query = query.where(UserRow.committee_code == committee)
        return list(session.scalars(query))


async def _page(request: Request, status: int = 200, error: str | None = None,
                link: tuple[str, str] | None = None) -> Response:
    ctx = context_of(request)
    return ctx.pages.render(request, "users", {
        "users": await run_in_threadpool(_users, request), "roles": ROLES,
        "error": error, "link": link, "hours": VALID_HOURS,
        "min_length": MIN_PASSWORD_LENGTH, "done": request.query_params.get("xong")}, status)


@secretariat
async def users_page(request: Request) -> Response:
    return await _page(request) if _admin(request) else forbidden(request)


def _link(request: Request, user: UserRow) -> str:
    ctx = context_of(request)
    return f"{ctx.settings.base_url.rstrip('/')}/dat-mat-khau/{invitation(ctx.ring(), user)}"


@secretariat
async def user_action(request: Request) -> Response:
    """One administrator action: add, enable/disable, reset, unlock, role."""
    ctx = context_of(request)
    if not _admin(request):
        return forbidden(request)
    try:
        form = await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    action = str(form.get("action") or "")
    username = str(form.get("username") or "").strip().lower()
    committee = scope_of(request).committee
    me: UserRow = request.state.user

    def run() -> tuple[str, UserRow | None]:
        with write_session(ctx.engine) as session:
            if action == "add":
                if not USERNAME.fullmatch(username):
                    raise NhiemvuError("tên đăng nhập gồm 2-80 chữ thường không dấu, chữ số, "
                                       "'.', '_' hoặc '-'")
                if find_user(session, username) is not None:
                    raise NhiemvuError(f"đã có người dùng «{username}»")
                role = str(form.get("role") or "")
                if role not in ROLES:
                    raise NhiemvuError("hãy chọn vai trò")
                password = str(form.get("password") or "")
                if password and len(password) < MIN_PASSWORD_LENGTH:
                    raise NhiemvuError(f"mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự")
                user = add_user(session, username, password or unusable_password(),
                                str(form.get("display_name") or "").strip()[:200] or None,
                                ctx.now(), committee, role)
                return "add", None if password else user
            user = find_user(session, username)
            if user is None or (committee is not None and user.committee_code != committee):
                raise LookupError
            if user.id == me.id and action in {"disable", "role"}:
                raise NhiemvuError("không tự khóa hoặc tự đổi vai trò của chính mình")
            if action in {"disable", "enable"}:
                set_active(session, username, action == "enable")
                return action, None
            if action == "unlock":
                unlock(session, username)
                return action, None
            if action == "role":
                role = str(form.get("role") or "")
                if role not in ROLES:
                    raise NhiemvuError("hãy chọn vai trò")
                user.role = role
                session.add(user)
                return action, None
            if action == "reset":
                set_password(session, username, unusable_password())  # old links end too
                session.flush()
                return action, user
            raise NhiemvuError("hãy chọn một thao tác")

    try:
        done, invited = await run_in_threadpool(run)
    except LookupError:
        return forbidden(request)
    except NhiemvuError as exc:
        message = str(exc)
        return await _page(request, 400, message[:1].upper() + message[1:] + ".")
    if invited is not None:
        return await _page(request, 200, link=(invited.username, _link(request, invited)))
    return RedirectResponse(f"/quan-ly/nguoi-dung?xong={done}", 303)


# -- setting a password from a link, changing one's own -------------------------------

def _set_page(request: Request, token: str, status: int = 200, error: str | None = None,
              user: UserRow | None = None) -> Response:
    ctx = context_of(request)
    secret, _ = browser_secret(request)
    response = ctx.pages.render(request, "set_password", {
        "csrf": form_token(ctx.ring(), secret, "dat-mat-khau"), "token": token,
        "user_found": user, "error": error, "min_length": MIN_PASSWORD_LENGTH}, status)
    set_browser_secret(response, secret, ctx.settings.secure_cookies)
    return response


def _invited(request: Request, token: str) -> UserRow | None:
    ctx = context_of(request)
    with read_session(ctx.engine) as session:
        return invited_user(ctx.ring(), session, token, ctx.now())


async def set_password_form(request: Request) -> Response:
    token = str(request.path_params["token"])
    user = await run_in_threadpool(_invited, request, token)
    if user is None:
        return context_of(request).pages.error(
            request, 410, "Liên kết không còn dùng được",
            f"Liên kết đặt mật khẩu chỉ dùng được một lần, trong {VALID_HOURS} giờ. Hãy nhờ "
            "quản trị gửi liên kết mới.")
    return _set_page(request, token, user=user)


async def set_password_submit(request: Request) -> Response:
    ctx = context_of(request)
    token = str(request.path_params["token"])
    try:
        form = await read_form(request, 16 * 1024, 0)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    if not check_form_token(ctx.ring(), request.cookies.get(CSRF_COOKIE), "dat-mat-khau",
                            form.get("csrf")):
        return ctx.pages.error(request, 403, "Phiên làm việc không hợp lệ",
                               "Biểu mẫu đã cũ; hãy mở lại liên kết.")
    password = str(form.get("password") or "")
    if len(password) < MIN_PASSWORD_LENGTH or password != str(form.get("again") or ""):
        user = await run_in_threadpool(_invited, request, token)
        return _set_page(request, token, 400, f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} "
                         "ký tự và hai lần nhập phải giống nhau.", user)

    def run() -> bool:
        with write_session(ctx.engine) as session:
            user = invited_user(ctx.ring(), session, token, ctx.now())
            if user is None:
                return False
            set_password(session, user.username, password)
            unlock(session, user.username)
            return True

    if not await run_in_threadpool(run):
        return ctx.pages.error(request, 410, "Liên kết không còn dùng được",
                               "Liên kết đã được dùng hoặc đã hết hạn.")
    return RedirectResponse("/dang-nhap?da_dat_mat_khau=1", 303)


@secretariat
async def own_password_form(request: Request) -> Response:
    return context_of(request).pages.render(request, "own_password", {
        "min_length": MIN_PASSWORD_LENGTH, "done": request.query_params.get("xong")})


@secretariat
async def own_password(request: Request) -> Response:
    ctx = context_of(request)
    try:
        form = await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    me: UserRow = request.state.user
    new = str(form.get("password") or "")

    def run() -> tuple[str | None, str | None]:
        """(problem, None) or (None, the token of this browser's new session): a new
        password ends every session, this one is opened again."""
        with write_session(ctx.engine) as session:
            if authenticate(session, me.username, str(form.get("current") or ""),
                            ctx.now()) is None:
                return "Mật khẩu hiện tại không đúng.", None
            if len(new) < MIN_PASSWORD_LENGTH or new != str(form.get("again") or ""):
                return (f"Mật khẩu mới cần ít nhất {MIN_PASSWORD_LENGTH} ký tự và hai lần "
                        "nhập phải giống nhau."), None
            set_password(session, me.username, new)
            opened = open_session(session, me.id or 0, wall_clock(),
                                  timedelta(hours=ctx.settings.session_hours))
            return None, opened.token

    problem, token = await run_in_threadpool(run)
    if problem or token is None:
        return ctx.pages.render(request, "own_password", {
            "min_length": MIN_PASSWORD_LENGTH, "error": problem, "done": None}, 400)
    response = RedirectResponse("/quan-ly/mat-khau?xong=1", 303)
    give_session(ctx, response, token)
    return response


ROUTES = [
    Route("/quan-ly/nguoi-dung", users_page, methods=["GET"]),
    Route("/quan-ly/nguoi-dung", user_action, methods=["POST"]),
    Route("/quan-ly/mat-khau", own_password_form, methods=["GET"]),
    Route("/quan-ly/mat-khau", own_password, methods=["POST"]),
    Route("/dat-mat-khau/{token}", set_password_form, methods=["GET"]),
    Route("/dat-mat-khau/{token}", set_password_submit, methods=["POST"]),
]
