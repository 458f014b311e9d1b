"""Bringing a directive in from the browser: upload or paste a document (or start from
nothing), review the draft beside the document, publish it; the list of directives and
drafts. The draft is saved in the database at every step, so work can stop and resume."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from importer.build import checked_hints
from importer.commands import hints_from
from importer.source import ImportProblem
from web.context import WebContext, context_of
from web.dashboard import checked_form, forbidden, scope_of, secretariat
from web.forms import FormRejected, small_int
from web.review import ReviewState, problem_fields, review_context
from workflow.access.scope import Scope
from workflow.clock import to_local
from workflow.definitions.store import load_registry
from workflow.errors import DefinitionError, NhiemvuError
from workflow.intake.choices import committee_choices
from workflow.intake.document import blank_document
from workflow.intake.drafts import (
    StaleDraft,
    create_draft,
    import_file,
    open_draft,
    preview,
    publish,
    save_draft,
)
from workflow.intake.form import apply_action, parse_form
from workflow.storage.db import read_session, write_session
from workflow.storage.models import (
    AgencyRow,
    CommitteeRow,
    DirectiveDraftRow,
    DirectiveRow,
    UserRow,
)
from workflow.views.labels import DOCUMENT_LABELS

UPLOAD_SUFFIXES = {".docx", ".pdf", ".txt", ".md"}
MAX_UPLOAD = 10 * 1024 * 1024
REVIEW_FIELDS = 60_000
REVIEW_BYTES = 16 * 1024 * 1024


def _actor(request: Request) -> str:
    user: UserRow = request.state.user
    return user.username


def _committee(request: Request) -> str | None:
    return scope_of(request).committee


def ended_agencies(session: Any) -> set[str]:
    return set(session.scalars(select(AgencyRow.code).where(
        (AgencyRow.valid_until.is_not(None)) | (AgencyRow.active.is_(False)))))  # type: ignore[union-attr, attr-defined]


# -- the list of directives and drafts -------------------------------------------------

@secretariat
async def directives_page(request: Request) -> Response:
    ctx = context_of(request)
    scope = scope_of(request)

    def load() -> tuple[list[DirectiveRow], list[DirectiveDraftRow]]:
        with read_session(ctx.engine) as session:
            query = select(DirectiveRow).order_by(DirectiveRow.year.desc(),  # type: ignore[attr-defined]
                                                  DirectiveRow.code)
            drafts = select(DirectiveDraftRow).where(
                DirectiveDraftRow.published_code.is_(None)).order_by(  # type: ignore[union-attr]
                DirectiveDraftRow.updated_at.desc())  # type: ignore[attr-defined]
            if scope.committee is not None:
                query = query.where(DirectiveRow.committee_code == scope.committee)
                drafts = drafts.where(DirectiveDraftRow.committee_code == scope.committee)
            return list(session.scalars(query)), list(session.scalars(drafts))

    directives, drafts = await run_in_threadpool(load)
    return ctx.pages.render(request, "intake_list", {
        "directives": directives, "drafts": drafts,
        "can_act": scope.role == "secretariat"})


# -- upload, paste, or start from nothing ----------------------------------------------

HINT_FIELDS = ("nam", "co_quan", "loai", "ngay")


def _upload_page(request: Request, status: int = 200, error: str | None = None,
                 field: str | None = None, pasted: str = "",
                 hints: dict[str, str] | None = None) -> Response:
    return context_of(request).pages.render(request, "intake_upload", {
        "error": error, "error_field": field, "pasted": pasted,
        "hints": hints or dict.fromkeys(HINT_FIELDS, ""), "kinds": DOCUMENT_LABELS},
        status)


def _hint_message(message: str) -> str:
    """The importer's command-line wording ('--year 1800: …') in the form's words."""
    for option, label in (("--year", "Năm"), ("--issuer", "Cơ quan ban hành"),
                          ("--kind", "Loại văn bản"), ("--date", "Ngày ban hành"),
                          ("năm", "Năm")):
        if message.startswith(option):
            return f"{label}{message[len(option):]}"
    return message


@secretariat
async def upload_form(request: Request) -> Response:
    if scope_of(request).role != "secretariat":
        return forbidden(request)
    return _upload_page(request)


@secretariat
async def upload(request: Request) -> Response:
    ctx = context_of(request)
    if scope_of(request).role != "secretariat":
        return forbidden(request)
    try:
        form = await checked_form(request, MAX_UPLOAD + 256 * 1024, 1, 30)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    upload = form.get("file")
    pasted = str(form.get("text") or "")
    given = {name: str(form.get(name) or "")[:200].strip() for name in HINT_FIELDS}
    try:
        hints = checked_hints(hints_from(given["nam"], given["co_quan"], given["loai"],
                                         given["ngay"]))
    except ImportProblem as problem:
        message = str(problem)
        field = "nam" if message.startswith(("năm", "--year")) else \
            "co_quan" if message.startswith("--issuer") else \
            "loai" if message.startswith("--kind") else "ngay"
        return _upload_page(request, 400, _hint_message(message), field, pasted, given)
    if isinstance(upload, UploadFile) and upload.filename:
        name = os.path.basename(upload.filename)[-200:]
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            return _upload_page(request, 400, "Chỉ nhận tệp .docx, .pdf (có chữ) hoặc .txt; "
                                              f"tệp «{name}» không phải.", "file", pasted,
                                given)
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return _upload_page(request, 413, "Tệp lớn hơn 10 MB.", "file", pasted, given)
    elif pasted.strip():
        name, suffix, data = "văn bản dán vào.txt", ".txt", pasted.encode("utf-8")
    else:
        return _upload_page(request, 400, "Hãy chọn một tệp hoặc dán nội dung văn bản.", "file",
                            pasted, given)
    committee, actor = _committee(request), _actor(request)

    def run() -> int:
        # The importer reads a file: a private temporary one, removed whatever happens.
        handle, temporary = tempfile.mkstemp(suffix=suffix, prefix="nhiemvu-nhap-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            with write_session(ctx.engine) as session:
                row = import_file(session, Path(temporary), name, committee, actor, ctx.now(),
                                  hints)
                assert row.id is not None
                return row.id
        finally:
            Path(temporary).unlink(missing_ok=True)

    try:
        draft_id = await run_in_threadpool(run)
    except (ImportProblem, ValueError, KeyError, IndexError) as problem:
        # A malformed document can break a parser in ways of its own: never a 500.
        message = str(problem).split(": ", 1)[-1] if isinstance(problem, ImportProblem) \
            else "tệp hỏng hoặc không đúng định dạng"
        return _upload_page(request, 400, f"Không đọc được «{name}»: {message}", "file",
                            pasted, given)
    return RedirectResponse(f"/quan-ly/du-thao/{draft_id}", 303)


@secretariat
async def new_blank(request: Request) -> Response:
    """A directive written in the form, with no document."""
    ctx = context_of(request)
    if scope_of(request).role != "secretariat":
        return forbidden(request)
    try:
        await checked_form(request)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    committee, actor = _committee(request), _actor(request)

    def run() -> int:
        with write_session(ctx.engine) as session:
            row = session.get(CommitteeRow, committee) if committee else None
            year = to_local(ctx.now()).year
            count = len(list(session.scalars(select(DirectiveDraftRow.id)))) + 1
            code = f"{committee or 'ban'}-{year}-{count}"
            document = blank_document(code, committee, row.name if row else "", year,
                                      row.secretariat if row else None,
                                      row.chair if row else None)
            draft = create_draft(session, document, [], None, None, committee, actor,
                                 ctx.now())
            assert draft.id is not None
            return draft.id

    draft_id = await run_in_threadpool(run)
    return RedirectResponse(f"/quan-ly/du-thao/{draft_id}", 303)


# -- review ----------------------------------------------------------------------------

def _draft_state(ctx: WebContext, scope: Scope, draft_id: int) -> ReviewState | str | None:
    """The draft and what its page needs; None if there is no such draft, "forbidden"
    when it is another committee's."""
    with read_session(ctx.engine) as session:
        row = session.get(DirectiveDraftRow, draft_id)
        if row is None:
            return None
        if not scope.sees(row.committee_code):
            return "forbidden"
        registry = load_registry(session)
        choices = committee_choices(registry, row.committee_code, ctx.now().date(),
                                    ended_agencies(session))
        return ReviewState.of(session, row, choices)


async def _review(request: Request, state: ReviewState, status: int = 200,
                  errors: dict[str, str] | None = None, general: list[str] | None = None,
                  flash: str | None = None) -> Response:
    ctx = context_of(request)
    return ctx.pages.render(request, "intake_review", review_context(
        state, errors or {}, general or [], flash,
        scope_of(request).acts_on(state.row.committee_code)), status)


@secretariat
async def review_page(request: Request) -> Response:
    ctx = context_of(request)
    draft_id = small_int(request.path_params["draft_id"])
    state = await run_in_threadpool(_draft_state, ctx, scope_of(request), draft_id or 0)
    if state is None:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có dự thảo này.")
    if state == "forbidden":
        return forbidden(request)
    assert isinstance(state, ReviewState)
    return await _review(request, state)


async def _draft_post(request: Request, max_bytes: int = 1024 * 1024,
                      max_fields: int = 50) -> tuple[Any, ReviewState] | Response:
    """The form of a POST on a draft and the draft, or the page refusing it: CSRF, a
    draft that exists, and a secretariat of its committee."""
    ctx = context_of(request)
    try:
        form = await checked_form(request, max_bytes, 0, max_fields)
    except FormRejected as rejected:
        return ctx.pages.error(request, rejected.status, rejected.title, rejected.message)
    scope = scope_of(request)
    state = await run_in_threadpool(_draft_state, ctx, scope,
                                    small_int(request.path_params["draft_id"]) or 0)
    if state is None:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có dự thảo này.")
    if not isinstance(state, ReviewState) or not scope.acts_on(state.row.committee_code):
        return forbidden(request)
    return form, state


@secretariat
async def review_save(request: Request) -> Response:
    """Save what the form holds and do what was asked: add, split, merge or delete a
    task, or check the draft for publishing."""
    ctx = context_of(request)
    found = await _draft_post(request, REVIEW_BYTES, REVIEW_FIELDS)
    if isinstance(found, Response):
        return found
    form, state = found
    draft_id, scope = state.row.id or 0, scope_of(request)
    parsed = parse_form(form, state.row.document, state.choices, state.period_codes)
    action = str(form.get("action") or "save")
    focus = apply_action(parsed.document, action) if action != "save" and \
        action != "publish" else None
    notes = [dict(n, at=f"task:{parsed.renamed[n['at'][5:]]}")
             if n["at"].startswith("task:") and n["at"][5:] in parsed.renamed else n
             for n in state.row.notes]
    actor = _actor(request)

    def save() -> ReviewState:
        with write_session(ctx.engine) as session:
            row = open_draft(session, draft_id, small_int(form.get("version")))
            save_draft(session, row, parsed.document, notes, actor, ctx.now())
            return ReviewState.of(session, row, state.choices)

    try:
        saved = await run_in_threadpool(save)
    except StaleDraft as stale:
        fresh = await run_in_threadpool(_draft_state, ctx, scope, draft_id)
        assert isinstance(fresh, ReviewState)
        return await _review(request, fresh, 409, general=[str(stale)[:1].upper()
                                                           + str(stale)[1:] + "."])
    except NhiemvuError as exc:
        return ctx.pages.error(request, 409, "Không lưu được", str(exc))
    if parsed.errors:
        return await _review(request, saved, 400, parsed.errors)
    if action == "publish":
        def check() -> Any:
            with read_session(ctx.engine) as session:
                return preview(session, parsed.document, ctx.now())

        found = await run_in_threadpool(check)
        if found.problems:
            errors, general = problem_fields(found.problems, parsed.document)
            return await _review(request, saved, 400, errors, general)
        return ctx.pages.render(request, "intake_confirm", {
            "row": saved.row, "preview": found, "document": parsed.document})
    return RedirectResponse(f"/quan-ly/du-thao/{draft_id}?da_luu=1"
                            + (f"#nv-{focus}" if focus else ""), 303)


@secretariat
async def publish_draft(request: Request) -> Response:
    ctx = context_of(request)
    found = await _draft_post(request)
    if isinstance(found, Response):
        return found
    form, state = found
    draft_id, scope = state.row.id or 0, scope_of(request)
    actor = _actor(request)

    def run() -> str:
        with write_session(ctx.engine) as session:
            row = open_draft(session, draft_id, small_int(form.get("version")))
            directive, _ = publish(session, row, actor, ctx.now())
            return directive.code

    try:
        code = await run_in_threadpool(run)
    except StaleDraft as stale:
        fresh = await run_in_threadpool(_draft_state, ctx, scope, draft_id)
        assert isinstance(fresh, ReviewState)
        return await _review(request, fresh, 409, general=[str(stale)])
    except DefinitionError as exc:
        errors, general = problem_fields(list(exc.problems), state.row.document)
        return await _review(request, state, 400, errors, general)
    except NhiemvuError as exc:
        return await _review(request, state, 400, general=[str(exc)])
    return RedirectResponse(f"/quan-ly/van-ban/{code}?da_ban_hanh=1", 303)


@secretariat
async def delete_draft(request: Request) -> Response:
    ctx = context_of(request)
    found = await _draft_post(request)
    if isinstance(found, Response):
        return found
    form, state = found

    def run() -> None:
        with write_session(ctx.engine) as session:
            row = open_draft(session, state.row.id or 0, small_int(form.get("version")))
            session.delete(row)

    try:
        await run_in_threadpool(run)
    except NhiemvuError as exc:
        return ctx.pages.error(request, 409, "Không xóa được", str(exc))
    return RedirectResponse("/quan-ly/van-ban", 303)


ROUTES = [
    Route("/quan-ly/van-ban", directives_page, methods=["GET"]),
    Route("/quan-ly/nhap-van-ban", upload_form, methods=["GET"]),
    Route("/quan-ly/nhap-van-ban", upload, methods=["POST"]),
    Route("/quan-ly/soan-van-ban", new_blank, methods=["POST"]),
    Route("/quan-ly/du-thao/{draft_id}", review_page, methods=["GET"]),
    Route("/quan-ly/du-thao/{draft_id}", review_save, methods=["POST"]),
    Route("/quan-ly/du-thao/{draft_id}/ban-hanh", publish_draft, methods=["POST"]),
    Route("/quan-ly/du-thao/{draft_id}/xoa", delete_draft, methods=["POST"]),
]
