"""A published directive's page: its tasks, amendments (add a task or an ad-hoc task,
change a deadline for everyone, withdraw a task), its versions and its YAML; and the
standalone ad-hoc task ("Giao việc đột xuất"). Every amendment re-checks the version
the page showed, so two secretaries cannot overwrite each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.context import WebContext, context_of
from web.dashboard import checked_form, forbidden, scope_of, secretariat
from web.forms import FormRejected, path_id
from web.intake import ended_agencies
from web.review import problem_fields
from workflow.clock import to_local
from workflow.dates import format_date
from workflow.definitions.export import directive_yaml
from workflow.definitions.specs import Calendar, Directive
from workflow.definitions.store import load_directive, load_registry
from workflow.definitions.versions import latest_version, version_document, versions_of
from workflow.definitions.yamlwriter import dump
from workflow.engine.actors import Actor
from workflow.errors import DefinitionError, NhiemvuError
from workflow.intake.amend import add_task, change_deadline, withdraw_task
from workflow.intake.choices import Choices, committee_choices
from workflow.intake.drafts import create_draft, publish, publish_year
from workflow.intake.form import DUE_KINDS, FormLike, next_code, parse_task, text
from workflow.storage.db import read_session, write_session
from workflow.storage.models import CommitteeRow, DirectiveRow, TaskRow, TaskSpecRow, UserRow
from workflow.views.labels import document_label


@dataclass
class DirectiveState:
    row: DirectiveRow
    directive: Directive
    calendar: Calendar
    choices: Choices
    version: int
    counts: dict[str, int]  # task code -> instances of the current year
    withdrawn: list[TaskSpecRow]
    year: int

    @property
    def period_codes(self) -> list[str]:
        return [p.code for p in self.calendar.report_periods] + \
            [m.code for m in self.calendar.action_months]


def _state(ctx: WebContext, code: str) -> DirectiveState | None:
    with read_session(ctx.engine) as session:
        row = session.get(DirectiveRow, code)
        if row is None:
            return None
        directive, calendar = load_directive(session, code)
        choices = committee_choices(load_registry(session), row.committee_code,
                                    ctx.now().date(), ended_agencies(session))
        latest = latest_version(session, code)
        year = publish_year(directive, ctx.now())
        counts = dict(session.execute(select(TaskRow.spec_code, func.count()).where(
            TaskRow.directive_code == code, TaskRow.year == year).group_by(
            TaskRow.spec_code)).all())
        withdrawn = list(session.scalars(select(TaskSpecRow).where(
            TaskSpecRow.directive_code == code,
            TaskSpecRow.withdrawn_at.is_not(None))))  # type: ignore[union-attr]
        return DirectiveState(row, directive, calendar, choices,
                              latest.number if latest else 0, counts, withdrawn, year)


def _due_words(spec: Any, calendar: Calendar) -> str:
    names = {p.code: p.name for p in calendar.report_periods} | \
        {m.code: m.name for m in calendar.action_months}
    if spec.recurs:
        return "định kỳ: " + "; ".join(names.get(p.period, p.period) for p in spec.recurs)
    due = spec.due
    if due is None:
        return "không có hạn"
    if hasattr(due, "on"):
        return f"trước ngày {format_date(due.on)}"
    if hasattr(due, "action_month"):
        month = names.get(due.action_month, due.action_month)
        return f"{'khi bắt đầu' if due.anchor == 'start' else 'sau khi kết thúc'} {month}" + \
            (f" {due.offset_days:+d} ngày" if due.offset_days else "")
    return f"trước ngày {due.day:02d}/{due.month:02d} hằng năm"


async def _page(request: Request, state: DirectiveState, status: int = 200,
                errors: dict[str, str] | None = None, general: list[str] | None = None,
                form: dict[str, str] | None = None) -> Response:
    ctx = context_of(request)

    def load_versions() -> list[Any]:
        with read_session(ctx.engine) as session:
            return versions_of(session, state.row.code)

    months = [(m.code, m.name) for m in state.calendar.action_months]
    periods = [(p.code, p.name) for p in state.calendar.report_periods] + months
    return ctx.pages.render(request, "directive_page", {
        "s": state, "document": document_label(state.row), "versions":
        await run_in_threadpool(load_versions), "errors": errors or {},
        "general": general or [], "error": bool(errors or general),
        "due_words": lambda spec: _due_words(spec, state.calendar), "months": months,
        "periods": periods, "due_kinds": DUE_KINDS, "form": form or {},
        "next_code": next_code([{"code": t.code} for t in state.directive.tasks]
                               + [{"code": w.code} for w in state.withdrawn]),
        "can_act": scope_of(request).acts_on(state.row.committee_code)}, status)


async def _load(request: Request) -> DirectiveState | Response:
    ctx = context_of(request)
    code = str(request.path_params["directive"])[:80]
    state = await run_in_threadpool(_state, ctx, code)
    if state is None:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có văn bản này.")
    if not scope_of(request).sees(state.row.committee_code):
        return forbidden(request)
    return state


@secretariat
async def directive_page(request: Request) -> Response:
    state = await _load(request)
    return state if isinstance(state, Response) else await _page(request, state)


@secretariat
async def yaml_download(request: Request) -> Response:
    """The directive in the schema `nhiemvu load` reads: the browser and files agree."""
    state = await _load(request)
    if isinstance(state, Response):
        return state
    def load() -> str:
        with read_session(context_of(request).engine) as session:
            return directive_yaml(session, state.row.code)

    body = await run_in_threadpool(load)
    return Response(body, media_type="application/yaml; charset=utf-8", headers={
        "content-disposition": f"attachment; filename*=UTF-8''{quote(state.row.code)}.yaml"})


@secretariat
async def version_page(request: Request) -> Response:
    ctx = context_of(request)
    state = await _load(request)
    if isinstance(state, Response):
        return state
    number = path_id(request, "number")

    def load() -> dict[str, Any] | None:
        with read_session(ctx.engine) as session:
            return version_document(session, state.row.code, number)

    document = await run_in_threadpool(load)
    if document is None:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có phiên bản này.")
    return ctx.pages.render(request, "directive_version", {
        "s": state, "number": int(number), "yaml": dump(document),
        "document": document_label(state.row)})


async def _amendment(request: Request, work: Any) -> Response:
    """The common path of an amendment: CSRF, scope, the version the page showed, one
    transaction; problems back on the page at their field."""
    ctx = context_of(request)
    try:
        form = await checked_form(request, max_fields=200)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    state = await _load(request)
    if isinstance(state, Response):
        return state
    if not scope_of(request).acts_on(state.row.committee_code):
        return forbidden(request)
    user: UserRow = request.state.user
    actor = Actor(user.username, "secretariat", "web")
    errors: dict[str, str] = {}
    prepared = work(form, state, errors)
    if errors:
        return await _page(request, state, 400, errors, form=dict(form))
    seen = str(form.get("version") or "")

    def run() -> str:
        with write_session(ctx.engine) as session:
            latest = latest_version(session, state.row.code)
            if str(latest.number if latest else 0) != seen:
                raise _Stale()
            return str(prepared(session, actor, ctx.now()))

    try:
        done = await run_in_threadpool(run)
    except _Stale:
        fresh = await _load(request)
        assert isinstance(fresh, DirectiveState)
        return await _page(request, fresh, 409, general=[
            "Văn bản vừa được người khác sửa; trang đã tải lại bản mới nhất, hãy thực hiện "
            "lại."])
    except DefinitionError as exc:
        errors, general = problem_fields(list(exc.problems), {})
        mapped = {("t0." + k.split(".", 1)[1]) if k.startswith("t") and "." in k else k: v
                  for k, v in errors.items()}
        return await _page(request, state, 400, mapped, general, form=dict(form))
    except NhiemvuError as exc:
        message = str(exc)
        return await _page(request, state, 400, general=[message[:1].upper() + message[1:]],
                           form=dict(form))
    del done  # what changed is the newest version's summary, shown on the page
    return RedirectResponse(f"/quan-ly/van-ban/{state.row.code}?xong=1", 303)


class _Stale(Exception):
    pass


def _new_task(form: FormLike, state_choices: Choices, periods: list[str],
              errors: dict[str, str], code: str) -> dict[str, Any]:
    task = parse_task(form, "t0.", state_choices, periods, errors)
    task["code"] = task["code"] or code
    if form.get("t0.ad_hoc_report") and task["title"] and \
            not task["title"].lower().startswith("báo cáo đột xuất"):
        task["title"] = f"Báo cáo đột xuất: {task['title']}"
    if not task["title"]:
        errors["t0.title"] = "hãy ghi tên nhiệm vụ"
    if not task["lead"]:
        errors["t0.lead"] = "hãy chọn ít nhất một cơ quan hoặc nhóm"
    return task


@secretariat
async def amend_add(request: Request) -> Response:
    def work(form: FormLike, state: DirectiveState, errors: dict[str, str]) -> Any:
        code = next_code([{"code": t.code} for t in state.directive.tasks]
                         + [{"code": w.code} for w in state.withdrawn])
        task = _new_task(form, state.choices, state.period_codes, errors, code)

        def run(session: Any, actor: Actor, now: datetime) -> str:
            result = add_task(session, state.row.code, task, state.year, actor, now)
            return f"Đã thêm nhiệm vụ «{task['title']}»: {result.created} nhiệm vụ mới " \
                   f"năm {state.year}."
        return run

    return await _amendment(request, work)


@secretariat
async def amend_deadline(request: Request) -> Response:
    def work(form: FormLike, state: DirectiveState, errors: dict[str, str]) -> Any:
        task_code = text(form, "task")
        if not any(t.code == task_code for t in state.directive.tasks):
            errors["task"] = "hãy chọn một nhiệm vụ của văn bản"
        parsed = parse_task(form, "t1.", state.choices, state.period_codes, errors)
        due = {k: parsed[k] for k in ("due", "recurs") if k in parsed}
        if not due:
            errors["t1.due_kind"] = "hãy chọn thời hạn mới"
        reason = text(form, "reason")
        if not reason:
            errors["reason"] = "hãy ghi lý do đổi hạn để các cơ quan biết"

        def run(session: Any, actor: Actor, now: datetime) -> str:
            moved = change_deadline(session, state.row.code, task_code, due, state.year,
                                    reason, actor, now)
            return f"Đã đổi hạn nhiệm vụ {task_code}: {moved} nhiệm vụ năm {state.year} " \
                   "theo hạn mới, các cơ quan được báo qua thư."
        return run

    return await _amendment(request, work)


@secretariat
async def amend_withdraw(request: Request) -> Response:
    def work(form: FormLike, state: DirectiveState, errors: dict[str, str]) -> Any:
        task_code = text(form, "task")
        reason = text(form, "reason")
        if not reason:
            errors[f"withdraw-{task_code}"] = "hãy ghi lý do rút nhiệm vụ"

        def run(session: Any, actor: Actor, now: datetime) -> str:
            cancelled = withdraw_task(session, state.row.code, task_code, reason, actor, now)
            return f"Đã rút nhiệm vụ {task_code}: {cancelled} nhiệm vụ đang mở được hủy."
        return run

    return await _amendment(request, work)


# -- the standalone ad-hoc task --------------------------------------------------------

def _adhoc_state(ctx: WebContext, committee: str | None) -> tuple[Choices, Calendar, Any]:
    from workflow.definitions.store import load_calendars

    with read_session(ctx.engine) as session:
        choices = committee_choices(load_registry(session), committee, ctx.now().date(),
                                    ended_agencies(session))
        row = session.get(CommitteeRow, committee) if committee else None
        return choices, load_calendars(session)["default"], row


async def _adhoc_page(request: Request, status: int = 200,
                      errors: dict[str, str] | None = None, general: list[str] | None = None,
                      form: dict[str, str] | None = None) -> Response:
    ctx = context_of(request)
    choices, _calendar, committee = await run_in_threadpool(
        _adhoc_state, ctx, scope_of(request).committee)
    return ctx.pages.render(request, "adhoc", {
        "choices": choices, "committee": committee, "errors": errors or {},
        "general": general or [], "error": bool(errors or general), "form": form or {}},
        status)


@secretariat
async def adhoc_form(request: Request) -> Response:
    if scope_of(request).role != "secretariat":
        return forbidden(request)
    return await _adhoc_page(request)


@secretariat
async def adhoc(request: Request) -> Response:
    """One task (or a request for an ad-hoc report) to chosen agencies or groups with its
    own deadline: an official letter of the committee, published at once."""
    ctx = context_of(request)
    scope = scope_of(request)
    if scope.role != "secretariat":
        return forbidden(request)
    try:
        form = await checked_form(request, max_fields=200)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    choices, _calendar, committee = await run_in_threadpool(_adhoc_state, ctx,
                                                            scope.committee)
    errors: dict[str, str] = {}
    task = _new_task(form, choices, [], errors, "1")
    task["due"] = text(form, "t0.due_date")
    if not task["due"]:
        errors["t0.due_date"] = "hãy ghi hạn báo cáo (ngày/tháng/năm)"
    if errors:
        return await _adhoc_page(request, 400, errors, form=dict(form))
    now = ctx.now()
    local = to_local(now)
    code = f"{scope.committee or 'ban'}-dot-xuat-{local:%Y%m%d-%H%M%S}"
    document: dict[str, Any] = {
        "kind": "directive", "code": code, "document": "cong-van",
        "number": text(form, "number") or "Giao việc đột xuất",
        "date": f"{local:%d/%m/%Y}", "issuer": committee.name if committee else "Ban",
        "title": f"Giao việc đột xuất: {task['title']}", "year": local.year}
    if scope.committee:
        document["committee"] = scope.committee
    for role in ("secretariat", "chair"):
        value = getattr(committee, role, None) if committee else None
        if value:
            document[role] = value
    document["tasks"] = [task]
    user: UserRow = request.state.user

    def run() -> str:
        with write_session(ctx.engine) as session:
            row = create_draft(session, document, [], None, None, scope.committee,
                               user.username, now)
            directive, _ = publish(session, row, user.username, now)
            return directive.code

    try:
        published = await run_in_threadpool(run)
    except DefinitionError as exc:
        errors, general = problem_fields(list(exc.problems), document)
        mapped = {k.replace("t0.due_kind", "t0.due_date"): v for k, v in errors.items()}
        return await _adhoc_page(request, 400, mapped, general, form=dict(form))
    return RedirectResponse(f"/quan-ly/van-ban/{published}?da_ban_hanh=1", 303)


ROUTES = [
    Route("/quan-ly/giao-viec-dot-xuat", adhoc_form, methods=["GET"]),
    Route("/quan-ly/giao-viec-dot-xuat", adhoc, methods=["POST"]),
    Route("/quan-ly/van-ban/{directive}", directive_page, methods=["GET"]),
    Route("/quan-ly/van-ban/{directive}/yaml", yaml_download, methods=["GET"]),
    Route("/quan-ly/van-ban/{directive}/phien-ban/{number}", version_page, methods=["GET"]),
    Route("/quan-ly/van-ban/{directive}/them-nhiem-vu", amend_add, methods=["POST"]),
    Route("/quan-ly/van-ban/{directive}/doi-han", amend_deadline, methods=["POST"]),
    Route("/quan-ly/van-ban/{directive}/rut", amend_withdraw, methods=["POST"]),
]
