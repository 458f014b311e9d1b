"""The ASGI app (Starlette): agency pages, the dashboard, a health check, static CSS."""

from __future__ import annotations

import os

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Match, Mount, Route
from starlette.staticfiles import StaticFiles

from web import (
    agency,
    cascade,
    dashboard,
    directives,
    downloads,
    intake,
    mail,
    operations,
    registry,
    users,
)
from web.config import WebSettings
from web.context import WebContext, context_of
from web.forms import BadInput
from web.render import Pages
from web.security import BodyLimit, EdgeCheck, HostCheck, SecurityHeaders
from workflow.access.linkkeys import CachedKeyRing
from workflow.clock import Clock, clock_from_env
from workflow.storage.attachments import AttachmentStore, sweep_orphans
from workflow.storage.db import make_engine
from workflow.storage.migrate import check_schema

STATIC = os.path.join(os.path.dirname(__file__), "static")


async def health(_request: Request) -> Response:
    return PlainTextResponse("ok")


async def root(_request: Request) -> Response:
    return RedirectResponse("/quan-ly", 303)


async def not_found(request: Request, _exc: Exception) -> Response:
    path = request.url.path
    if path.endswith("/") and path != "/" and _routed(request, path.rstrip("/")):
        return RedirectResponse(path.rstrip("/"), 307)  # relative: never from Host
    return context_of(request).pages.error(request, 404, "Không tìm thấy trang",
                                           "Địa chỉ này không có trên hệ thống.")


def _routed(request: Request, path: str) -> bool:
    scope = {**request.scope, "path": path}
    return any(route.matches(scope)[0] != Match.NONE for route in request.app.routes)


async def method_not_allowed(request: Request, _exc: Exception) -> Response:
    return context_of(request).pages.error(request, 405, "Thao tác không được phép",
                                           "Trang này không nhận kiểu yêu cầu đó.")


async def bad_input(request: Request, exc: Exception) -> Response:
    return context_of(request).pages.error(request, 400, "Địa chỉ không hợp lệ", str(exc))


async def server_error(request: Request, _exc: Exception) -> Response:
    return context_of(request).pages.error(request, 500, "Lỗi hệ thống",
                                           "Đã có lỗi khi xử lý yêu cầu; không có thay đổi "
                                           "nào được lưu. Hãy thử lại sau ít phút.")


def create_app(engine: Engine, clock: Clock, settings: WebSettings) -> Starlette:
    ctx = WebContext(engine, clock, settings, CachedKeyRing(engine, settings.key_cache_seconds),
                     Pages(), AttachmentStore(settings.attachments_dir,
                                              settings.upload_max_bytes))
    app = Starlette(
        routes=[Route("/", root), Route("/suc-khoe", health),
                *agency.ROUTES, *dashboard.ROUTES, *cascade.ROUTES, *downloads.ROUTES,
                *intake.ROUTES, *directives.ROUTES, *registry.ROUTES,
                *operations.ROUTES, *mail.ROUTES, *users.ROUTES,
                Mount("/static", StaticFiles(directory=STATIC), name="static")],
        middleware=[Middleware(SecurityHeaders),
                    Middleware(HostCheck, hosts=settings.allowed_hosts),
                    Middleware(EdgeCheck),
                    Middleware(BodyLimit, max_bytes=settings.request_max_bytes)],
        exception_handlers={404: not_found, 405: method_not_allowed, 500: server_error,
                            BadInput: bad_input})
    # Starlette would answer '/quan-ly/' with an absolute URL built from the Host header;
    # `not_found` redirects with a relative one instead.
    app.router.redirect_slashes = False
    app.state.ctx = ctx
    sweep_orphans(engine, ctx.store)
    return app


def app_from_env() -> Starlette:
    """For `uvicorn --factory web.app:app_from_env` and `nhiemvu serve --workers N`."""
    url = os.environ.get("NHIEMVU_DATABASE_URL", "sqlite:///nhiemvu.db")
    engine = make_engine(url)
    check_schema(engine)
    return create_app(engine, clock_from_env(), WebSettings.from_env())
