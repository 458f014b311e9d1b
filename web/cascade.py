"""Pages of the cascade: a commune's incoming work from its province, implementing a
province directive with the commune's own plan, composing the commune's report up; and
the province's view of its communes with a read-only drill-down."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.context import WebContext, context_of
from web.dashboard import checked_form, forbidden, scope_of, secretariat
from web.forms import FormRejected, path_id, sentence
from workflow.access.scope import Scope
from workflow.cascade.communes import by_commune, commune_detail
from workflow.cascade.implement import (
    draft_implementation,
    implementation_code,
    publish_implementation,
)
from workflow.cascade.incoming import incoming
from workflow.cascade.rollup import compose, submit_composition
from workflow.cascade.serving import agency_committee
from workflow.dates import format_date
from workflow.definitions.specs import Directive
from workflow.definitions.store import load_directive, load_registry
from workflow.engine.instantiate import plan_instances
from workflow.engine.reports import FiguresError, parse_figures
from workflow.errors import ConflictError, DefinitionError, IllegalTransitionError, NhiemvuError
from workflow.storage.db import read_session, write_session
from workflow.storage.models import AgencyRow, CommitteeRow, DirectiveRow, TaskRow, UserRow
from workflow.views.labels import document_label
from workflow.views.timeliness import TIMELINESS_LABELS


def _committee_asked(request: Request) -> str | None:
    """The commune whose incoming work is shown: the user's own, or for a deployment-wide
    user the one she picked (`?ban=`)."""
    scope = scope_of(request)
    if scope.committee is not None:
        return scope.committee
    picked = request.query_params.get("ban") or None
    return picked if picked and len(picked) <= 80 else None


def _not_found(request: Request, message: str) -> Response:
    return context_of(request).pages.error(request, 404, "Không tìm thấy", message)


# -- a commune's incoming work ---------------------------------------------------------

@secretariat
async def incoming_page(request: Request) -> Response:
    ctx = context_of(request)
    committee = _committee_asked(request)

    def load() -> tuple[CommitteeRow | None, list[Any], list[CommitteeRow]]:
        with read_session(ctx.engine) as session:
            communes = list(session.scalars(select(CommitteeRow).where(
                CommitteeRow.parent_code.is_not(None)).order_by(CommitteeRow.name)))  # type: ignore[union-attr]
            row = session.get(CommitteeRow, committee) if committee else None
            return row, incoming(session, committee, ctx.now()) if row else [], communes

    row, groups, communes = await run_in_threadpool(load)
    return ctx.pages.render(request, "dash_incoming", {
        "committee": row, "groups": groups, "communes": communes,
        "labels": TIMELINESS_LABELS, "can_act": row is not None
        and scope_of(request).acts_on(row.code)})


# -- implementing a province directive -------------------------------------------------

def _implement_target(ctx: WebContext, scope: Scope, code: str, committee: str | None
                      ) -> tuple[DirectiveRow | None, CommitteeRow | None, bool]:
    """(province directive, commune, allowed): the commune must sit under the directive's
    committee and the user must act for it."""
    with read_session(ctx.engine) as session:
        directive = session.get(DirectiveRow, code)
        commune = session.get(CommitteeRow, committee) if committee else None
        allowed = (directive is not None and commune is not None
                   and commune.parent_code == directive.committee_code
                   and scope.acts_on(commune.code))
        return directive, commune, allowed


def _preview(ctx: WebContext, code: str, commune: str, title: str
             ) -> tuple[Directive, int, int]:
    """The draft, and how many tasks and assignment e-mails publishing it will create
    (the number and date do not change them)."""
    with read_session(ctx.engine) as session:
        draft = draft_implementation(session, code, commune, number="?",
                                     issued=format_date(ctx.now()), title=title or None)
        _, calendar = load_directive(session, code)
        instances = plan_instances(draft, calendar, load_registry(session), draft.year)
        return draft, len(instances), len({i.agency_code for i in instances})


async def _implement_page(request: Request, form: dict[str, str] | None = None,
                          status: int = 200, error: str | None = None,
                          field: str | None = None) -> Response:
    ctx = context_of(request)
    code = request.path_params["directive"]
    directive, commune, allowed = await run_in_threadpool(
        _implement_target, ctx, scope_of(request), code, _committee_asked(request))
    if directive is None or commune is None:
        return _not_found(request, "Không có văn bản này, hoặc không có Ban cấp xã để "
                                   "triển khai.")
    if not allowed:
        return forbidden(request)
    form = form or {"code": implementation_code(commune.code, code), "number": "",
                    "issued": format_date(ctx.now()), "title": ""}
    try:
        draft, tasks, mails = await run_in_threadpool(_preview, ctx, code, commune.code,
                                                      form["title"])
    except NhiemvuError as exc:
        return ctx.pages.render(request, "dash_implement", {
            "directive": directive, "commune": commune, "form": form, "draft": None,
            "document": document_label(directive), "error": str(exc), "error_field": None,
            "tasks": 0, "mails": 0}, 400)
    if not form["title"]:
        form = {**form, "title": draft.title}
    return ctx.pages.render(request, "dash_implement", {
        "directive": directive, "commune": commune, "form": form, "draft": draft,
        "document": document_label(directive), "error": error, "error_field": field,
        "tasks": tasks, "mails": mails}, status)


@secretariat
async def implement_form(request: Request) -> Response:
    return await _implement_page(request)


def _problem_text(exc: DefinitionError) -> str:
    return "; ".join(f"{p.field}: {p.message}" for p in exc.problems[:5])


@secretariat
async def implement(request: Request) -> Response:
    ctx = context_of(request)
    try:
        raw = await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    form = {key: str(raw.get(key) or "").strip()[:300]
            for key in ("code", "number", "issued", "title")}
    code = request.path_params["directive"]
    directive, commune, allowed = await run_in_threadpool(
        _implement_target, ctx, scope_of(request), code, _committee_asked(request))
    if directive is None or commune is None:
        return _not_found(request, "Không có văn bản này.")
    if not allowed:
        return forbidden(request)
    for key, label in (("number", "Số văn bản"), ("issued", "Ngày ban hành")):
        if not form[key]:
            return await _implement_page(request, form, 400, f"Hãy nhập {label.lower()}.", key)

    def publish() -> str:
        with write_session(ctx.engine) as session:
            draft = draft_implementation(session, code, commune.code, number=form["number"],
                                         issued=form["issued"], code=form["code"] or None,
                                         title=form["title"] or None)
            publish_implementation(session, draft, ctx.now(), directive.year)
            return draft.code

    try:
        created = await run_in_threadpool(publish)
    except DefinitionError as exc:
        return await _implement_page(request, form, 400, "Kế hoạch chưa hợp lệ: "
                                     + _problem_text(exc), None)
    except NhiemvuError as exc:
        message = str(exc)
        where = "issued" if "ngày" in message else "code" if "mã" in message else None
        return await _implement_page(request, form, 400, sentence(message), where)
    return RedirectResponse(f"/quan-ly/ma-tran/{created}/{directive.year}", 303)


# -- composing the commune's report up -------------------------------------------------

def _compose_target(ctx: WebContext, task_id: int) -> tuple[Any, str | None]:
    with read_session(ctx.engine) as session:
        task = session.get(TaskRow, task_id)
        if task is None:
            return None, None
        return task, agency_committee(session, task.agency_code)


async def _compose_page(request: Request, text: str | None = None, figures: str | None = None,
                        status: int = 200, error: str | None = None,
                        field: str | None = None) -> Response:
    ctx = context_of(request)
    task_id = path_id(request, "task_id")
    task, commune = await run_in_threadpool(_compose_target, ctx, task_id)
    if task is None:
        return _not_found(request, "Không có nhiệm vụ này.")
    if not scope_of(request).acts_on(commune):
        return forbidden(request)

    def load() -> Any:
        with read_session(ctx.engine) as session:
            composition = compose(session, task_id)
            directive = session.get(DirectiveRow, task.directive_code)
            agency = session.get(AgencyRow, task.agency_code)
            return composition, directive, agency

    try:
        composition, directive, agency = await run_in_threadpool(load)
    except NhiemvuError as exc:
        return _not_found(request, sentence(exc))
    if figures is None:
        figures = "\n".join(f"{f['label']}: {f['value']}" for f in composition.figures)
    return ctx.pages.render(request, "dash_compose", {
        "c": composition, "directive": directive, "agency": agency,
        "document": document_label(directive), "labels": TIMELINESS_LABELS,
        "text": composition.text if text is None else text, "figures": figures,
        "owed": task.state in {"assigned", "returned"}, "error": error,
        "error_field": field}, status)


@secretariat
async def compose_page(request: Request) -> Response:
    return await _compose_page(request)


@secretariat
async def compose_submit(request: Request) -> Response:
    ctx = context_of(request)
    try:
        form = await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    task_id = path_id(request, "task_id")
    task, commune = await run_in_threadpool(_compose_target, ctx, task_id)
    if task is None:
        return _not_found(request, "Không có nhiệm vụ này.")
    if not scope_of(request).acts_on(commune):
        return forbidden(request)
    text = str(form.get("text") or "").replace("\x00", "")[:20000]
    figures_text = str(form.get("figures") or "").replace("\x00", "")[:5000]
    if not text.strip():
        return await _compose_page(request, text, figures_text, 400,
                                   "Hãy ghi nội dung báo cáo.", "text")
    try:
        figures = parse_figures(figures_text)
    except FiguresError as exc:
        return await _compose_page(request, text, figures_text, 400, str(exc), "figures")
    user: UserRow = request.state.user
    try:
        await run_in_threadpool(lambda: submit_composition(
            ctx.engine, task_id, user.username, ctx.now(), text, figures))
    except (ConflictError, IllegalTransitionError):
        return await _compose_page(request, text, figures_text, 409,
                                   "Nhiệm vụ này đã được báo cáo hoặc vừa thay đổi; hãy xem "
                                   "lại trạng thái.")
    except NhiemvuError as exc:
        return await _compose_page(request, text, figures_text, 400,
                                   sentence(exc))
    return RedirectResponse(f"/quan-ly/nhiem-vu/{task_id}", 303)


# -- the province's view of its communes -----------------------------------------------

def _province_directive(ctx: WebContext, request: Request) -> tuple[DirectiveRow | None, int]:
    code = request.path_params["directive"]
    year = path_id(request, "year")
    with read_session(ctx.engine) as session:
        return session.get(DirectiveRow, code), year


async def _readable_directive(request: Request) -> tuple[DirectiveRow, int] | Response:
    """The directive of the path and its year, or the page refusing it."""
    directive, year = await run_in_threadpool(_province_directive, context_of(request), request)
    if directive is None:
        return _not_found(request, "Không có văn bản này.")
    if not scope_of(request).sees(directive.committee_code):
        return forbidden(request)
    return directive, year


@secretariat
async def communes_page(request: Request) -> Response:
    ctx = context_of(request)
    found = await _readable_directive(request)
    if isinstance(found, Response):
        return found
    directive, year = found

    def load() -> Any:
        with read_session(ctx.engine) as session:
            return by_commune(session, directive, year, ctx.now())

    lines, total = await run_in_threadpool(load)
    if not lines:
        return _not_found(request, "Văn bản này không giao việc cho Ban cấp xã nào.")
    return ctx.pages.render(request, "dash_communes", {
        "directive": directive, "year": year, "document": document_label(directive),
        "lines": lines, "total": total, "labels": TIMELINESS_LABELS})


@secretariat
async def commune_page(request: Request) -> Response:
    ctx = context_of(request)
    found = await _readable_directive(request)
    if isinstance(found, Response):
        return found
    directive, year = found
    code = request.path_params["commune"]

    def load() -> Any:
        with read_session(ctx.engine) as session:
            return commune_detail(session, directive, year, code, ctx.now())

    detail = await run_in_threadpool(load)
    if detail is None:
        return _not_found(request, "Ban cấp xã này không thuộc Ban ban hành văn bản.")
    return ctx.pages.render(request, "dash_commune", {
        "directive": directive, "year": year, "document": document_label(directive),
        "d": detail, "labels": TIMELINESS_LABELS})


ROUTES = [
    Route("/quan-ly/viec-cap-tren", incoming_page, methods=["GET"]),
    Route("/quan-ly/trien-khai/{directive}", implement_form, methods=["GET"]),
    Route("/quan-ly/trien-khai/{directive}", implement, methods=["POST"]),
    Route("/quan-ly/tong-hop/{task_id}", compose_page, methods=["GET"]),
    Route("/quan-ly/tong-hop/{task_id}", compose_submit, methods=["POST"]),
    Route("/quan-ly/theo-xa/{directive}/{year}", communes_page, methods=["GET"]),
    Route("/quan-ly/theo-xa/{directive}/{year}/{commune}", commune_page, methods=["GET"]),
]
