"""The committee's agency registry in the browser: list and search, add and edit,
disable, groups, a contact list imported from a spreadsheet (preview, then one
transaction), and the lifecycle of an agency (rename, dissolve, merge, split) with the
tasks that will move shown first."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.context import WebContext, context_of
from web.dashboard import checked_form, forbidden, scope_of, secretariat
from web.forms import FormRejected
from workflow.access.signing import serializer
from workflow.dates import parse_date
from workflow.engine.actors import Actor
from workflow.engine.agency_changes import (
    KINDS,
    OPEN_STATES,
    dissolve_agency,
    merge_agencies,
    rename_agency,
    split_agency,
)
from workflow.errors import DateFormatError, NhiemvuError
from workflow.registry.contacts import apply_contacts, plan_contacts, read_rows
from workflow.registry.edit import (
    LEVEL_LABELS,
    agency_fields,
    committee_groups,
    group_members,
    save_agency,
    save_group,
    set_active,
)
from workflow.storage.db import read_session, write_session
from workflow.storage.models import (
    AgencyRow,
    DirectiveRow,
    TaskRow,
    TaskSpecRow,
    UserRow,
)
from workflow.views.mail import KIND_LABELS, mail_list

AGENCY_FIELDS = ("name", "short_name", "level", "function", "emails", "head_name",
                 "head_title", "head_email", "phone")
MAX_CONTACTS_FILE = 5 * 1024 * 1024


def _committee(request: Request) -> str | None:
    return scope_of(request).committee


def _can_act(request: Request) -> bool:
    return scope_of(request).role == "secretariat"


def _agencies(ctx: WebContext, committee: str | None, query: str = "") -> list[AgencyRow]:
    with read_session(ctx.engine) as session:
        select_ = select(AgencyRow).order_by(AgencyRow.name)
        if committee is not None:
            select_ = select_.where(AgencyRow.committee_code == committee)
        if query:
            like = f"%{query.lower()}%"
            select_ = select_.where(or_(AgencyRow.name.ilike(like),  # type: ignore[attr-defined]
                                        AgencyRow.short_name.ilike(like)))  # type: ignore[union-attr]
        return list(session.scalars(select_.limit(2000)))


def _agency(ctx: WebContext, committee: str | None, code: str) -> AgencyRow | None:
    with read_session(ctx.engine) as session:
        row = session.get(AgencyRow, code[:80])
        if row is None or (committee is not None and row.committee_code != committee):
            return None
        return row


@secretariat
async def registry_page(request: Request) -> Response:
    ctx = context_of(request)
    committee = _committee(request)
    query = " ".join(str(request.query_params.get("q") or "").split())[:100]

    def load() -> tuple[list[AgencyRow], list[tuple[Any, list[str]]]]:
        with read_session(ctx.engine) as session:
            groups = [(g, group_members(session, g.code))
                      for g in committee_groups(session, committee)]
        return _agencies(ctx, committee, query), groups

    agencies, groups = await run_in_threadpool(load)
    names = {a.code: a.name for a in await run_in_threadpool(_agencies, ctx, committee)}
    return ctx.pages.render(request, "registry_list", {
        "agencies": agencies, "groups": groups, "names": names, "q": query,
        "levels": LEVEL_LABELS, "can_act": _can_act(request), "done":
        request.query_params.get("xong")})


# -- add and edit ----------------------------------------------------------------------

def _agency_page(request: Request, values: dict[str, Any], code: str | None,
                 status: int = 200, problems: dict[str, str] | None = None,
                 bounces: list[Any] | None = None) -> Response:
    return context_of(request).pages.render(request, "registry_agency", {
        "values": values, "code": code, "levels": LEVEL_LABELS, "problems": problems or {},
        "error": bool(problems), "bounces": bounces or [], "kinds": KIND_LABELS}, status)


@secretariat
async def agency_form(request: Request) -> Response:
    if not _can_act(request):
        return forbidden(request)
    code = request.path_params.get("code")
    if code is None:
        return _agency_page(request, {"level": "xa"}, None)
    row = await run_in_threadpool(_agency, context_of(request), _committee(request), code)
    if row is None:
        return forbidden(request)
    values = {name: getattr(row, name) or "" for name in AGENCY_FIELDS}
    values["emails"] = "; ".join(row.emails)
    values["active"] = row.active

    def bounces() -> list[Any]:
        with read_session(context_of(request).engine) as session:
            return mail_list(session, _committee(request), state="failed", agency=code)[0]

    return _agency_page(request, values, code, bounces=await run_in_threadpool(bounces))


@secretariat
async def agency_save(request: Request) -> Response:
    ctx = context_of(request)
    if not _can_act(request):
        return forbidden(request)
    try:
        form = await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    code = request.path_params.get("code")
    committee = _committee(request)
    values = {name: str(form.get(name) or "") for name in AGENCY_FIELDS}
    fields = agency_fields(**values)
    if fields.problems:
        return _agency_page(request, values, code, 400, fields.problems)

    def run() -> str:
        with write_session(ctx.engine) as session:
            row = save_agency(session, committee, fields, code)
            if code is not None and form.get("active") in {"0", "1"}:
                set_active(session, committee, code, form.get("active") == "1")
            return row.name

    try:
        name = await run_in_threadpool(run)
    except NhiemvuError:
        return forbidden(request)
    return RedirectResponse(f"/quan-ly/co-quan?xong=luu&q={quote(name[:60])}", 303)


# -- groups ----------------------------------------------------------------------------

@secretariat
async def group_form(request: Request) -> Response:
    ctx = context_of(request)
    if not _can_act(request):
        return forbidden(request)
    committee = _committee(request)
    code = request.path_params.get("code")

    def load() -> tuple[Any, list[str]] | None:
        with read_session(ctx.engine) as session:
            if code is None:
                return None, []
            group = next((g for g in committee_groups(session, committee) if g.code == code),
                         None)
            return (group, group_members(session, code)) if group else None

    found = await run_in_threadpool(load)
    if found is None:
        return forbidden(request)
    return ctx.pages.render(request, "registry_group", {
        "group": found[0], "members": found[1], "code": code,
        "agencies": await run_in_threadpool(_agencies, ctx, committee)})


@secretariat
async def group_save(request: Request) -> Response:
    ctx = context_of(request)
    if not _can_act(request):
        return forbidden(request)
    try:
        form = await checked_form(request, max_fields=3000)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    committee = _committee(request)
    code = request.path_params.get("code")
    members = [str(m)[:80] for m in form.getlist("members")]

    def owned() -> bool:
        with read_session(ctx.engine) as session:
            return code is None or code in {g.code for g in committee_groups(session,
                                                                              committee)}

    if not await run_in_threadpool(owned):
        return forbidden(request)

    def run() -> None:
        with write_session(ctx.engine) as session:
            save_group(session, committee, str(form.get("name") or ""), members, code)

    try:
        await run_in_threadpool(run)
    except NhiemvuError as exc:
        return ctx.pages.render(request, "registry_group", {
            "group": {"name": form.get("name") or "", "code": code}, "members": members,
            "code": code, "agencies": await run_in_threadpool(_agencies, ctx, committee),
            "error": str(exc)[:1].upper() + str(exc)[1:]}, 400)
    return RedirectResponse("/quan-ly/co-quan?xong=nhom", 303)


# -- a contact list from a spreadsheet -------------------------------------------------

def _serializer(ctx: WebContext) -> URLSafeSerializer:
    return serializer(ctx.ring().secrets, "nhiemvu.contacts")


@secretariat
async def contacts_preview(request: Request) -> Response:
    ctx = context_of(request)
    if not _can_act(request):
        return forbidden(request)
    try:
        form = await checked_form(request, MAX_CONTACTS_FILE + 64 * 1024, 1, 30)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    upload = form.get("file")
    level = str(form.get("level") or "xa")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return ctx.pages.error(request, 400, "Chưa chọn tệp",
                               "Hãy chọn tệp danh sách cơ quan (.xlsx hoặc .csv).")
    data = await upload.read(MAX_CONTACTS_FILE + 1)
    name = str(upload.filename)[-200:]
    committee = _committee(request)

    def plan() -> tuple[Any, list[Any]]:
        rows = read_rows(name, data) if len(data) <= MAX_CONTACTS_FILE else []
        if len(data) > MAX_CONTACTS_FILE:
            raise NhiemvuError("tệp lớn hơn 5 MB")
        with read_session(ctx.engine) as session:
            return plan_contacts(session, committee, rows, level), rows

    try:
        found, rows = await run_in_threadpool(plan)
    except NhiemvuError as exc:
        return ctx.pages.error(request, 400, "Không đọc được tệp", f"{name}: {exc}.")
    return ctx.pages.render(request, "registry_import", {
        "plan": found, "name": name, "level": level,
        "payload": _serializer(ctx).dumps(json.dumps(rows, ensure_ascii=False))},
        400 if found.errors else 200)


@secretariat
async def contacts_apply(request: Request) -> Response:
    ctx = context_of(request)
    if not _can_act(request):
        return forbidden(request)
    try:
        form = await checked_form(request, 8 * 1024 * 1024)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    try:
        rows = [(int(n), dict(v)) for n, v in json.loads(
            _serializer(ctx).loads(str(form.get("payload") or "")))]
    except (BadSignature, ValueError, TypeError):
        return ctx.pages.error(request, 400, "Dữ liệu không hợp lệ",
                               "Bản xem trước đã cũ hoặc bị sửa; hãy tải tệp lên lại.")
    committee, level = _committee(request), str(form.get("level") or "xa")

    def run() -> int:
        with write_session(ctx.engine) as session:
            return apply_contacts(session, committee,
                                  plan_contacts(session, committee, rows, level))

    try:
        await run_in_threadpool(run)
    except NhiemvuError as exc:
        return ctx.pages.error(request, 400, "Không lưu được", f"{exc}.")
    return RedirectResponse("/quan-ly/co-quan?xong=nhap", 303)


# -- rename, dissolve, merge, split ----------------------------------------------------

def _open_tasks(ctx: WebContext, code: str) -> list[tuple[Any, ...]]:
    with read_session(ctx.engine) as session:
        return list(session.execute(
            select(TaskRow.id, TaskSpecRow.title, DirectiveRow.number, TaskRow.period,
                   TaskRow.state)
            .join(TaskSpecRow, (TaskSpecRow.directive_code == TaskRow.directive_code)
                  & (TaskSpecRow.code == TaskRow.spec_code))
            .join(DirectiveRow, DirectiveRow.code == TaskRow.directive_code)
            .where(TaskRow.agency_code == code, TaskRow.state.in_(OPEN_STATES))  # type: ignore[attr-defined]
            .order_by(TaskRow.due_on)).all())


async def _change_page(request: Request, row: AgencyRow, status: int = 200,
                       error: str | None = None) -> Response:
    ctx = context_of(request)
    committee = _committee(request)
    others = [a for a in await run_in_threadpool(_agencies, ctx, committee)
              if a.code != row.code and a.valid_until is None]
    return ctx.pages.render(request, "registry_change", {
        "agency": row, "tasks": await run_in_threadpool(_open_tasks, ctx, row.code),
        "others": others, "kinds": KINDS, "error": error}, status)


@secretariat
async def change_form(request: Request) -> Response:
    if not _can_act(request):
        return forbidden(request)
    row = await run_in_threadpool(_agency, context_of(request), _committee(request),
                                  str(request.path_params["code"]))
    return forbidden(request) if row is None else await _change_page(request, row)


@secretariat
async def change(request: Request) -> Response:
    ctx = context_of(request)
    if not _can_act(request):
        return forbidden(request)
    try:
        form = await checked_form(request, max_fields=500)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    committee = _committee(request)
    row = await run_in_threadpool(_agency, ctx, committee, str(request.path_params["code"]))
    if row is None:
        return forbidden(request)
    kind = str(form.get("kind") or "")
    try:
        on: date = parse_date(str(form.get("on") or "").strip())
    except DateFormatError:
        return await _change_page(request, row, 400, "Ngày có hiệu lực cần ghi ngày/tháng/năm.")
    targets = [str(t)[:80] for t in form.getlist("targets") if t]
    for target in targets:
        if await run_in_threadpool(_agency, ctx, committee, target) is None:
            return forbidden(request)
    user: UserRow = request.state.user
    actor = Actor(user.username, "secretariat", "web")
    reason = str(form.get("reason") or "").strip()[:1000] or None
    now = ctx.now()

    def run() -> str:
        if kind == "rename":
            return rename_agency(ctx.engine, row.code, str(form.get("new_name") or ""), on,
                                 actor, now, reason).line()
        if kind == "dissolve":
            return dissolve_agency(ctx.engine, row.code, on, actor, now,
                                   targets[0] if targets else None, reason).line()
        if kind == "merge":
            if not targets:
                raise NhiemvuError("hãy chọn cơ quan nhận")
            return merge_agencies(ctx.engine, [row.code], targets[0], on, actor, now,
                                  reason).line()
        if kind == "split":
            return split_agency(ctx.engine, row.code, targets, targets[0] if targets else "",
                                on, actor, now, reason).line()
        raise NhiemvuError("hãy chọn một thay đổi")

    try:
        line = await run_in_threadpool(run)
    except NhiemvuError as exc:
        return await _change_page(request, row, 400, str(exc)[:1].upper() + str(exc)[1:])
    return ctx.pages.render(request, "registry_changed", {"agency": row, "line": line,
                                                          "kind": KINDS.get(kind, kind)})


ROUTES = [
    Route("/quan-ly/co-quan", registry_page, methods=["GET"]),
    Route("/quan-ly/co-quan/moi", agency_form, methods=["GET"]),
    Route("/quan-ly/co-quan/moi", agency_save, methods=["POST"]),
    Route("/quan-ly/co-quan/nhap", contacts_preview, methods=["POST"]),
    Route("/quan-ly/co-quan/nhap/xac-nhan", contacts_apply, methods=["POST"]),
    Route("/quan-ly/co-quan/{code}/sua", agency_form, methods=["GET"]),
    Route("/quan-ly/co-quan/{code}/sua", agency_save, methods=["POST"]),
    Route("/quan-ly/co-quan/{code}/thay-doi", change_form, methods=["GET"]),
    Route("/quan-ly/co-quan/{code}/thay-doi", change, methods=["POST"]),
    Route("/quan-ly/nhom/moi", group_form, methods=["GET"]),
    Route("/quan-ly/nhom/moi", group_save, methods=["POST"]),
    Route("/quan-ly/nhom/{code}", group_form, methods=["GET"]),
    Route("/quan-ly/nhom/{code}", group_save, methods=["POST"]),
]
