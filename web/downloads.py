"""Dashboard downloads: the status workbook, the compiled report draft, data for scripts,
and the progress charts (SVG, drawn server-side)."""

from __future__ import annotations

import io
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from exports.collect import as_rows, as_table, collect, csv_bytes
from web.context import context_of
from web.dashboard import directive_committee, forbidden, scope_of, secretariat
from web.forms import path_id
from workflow.errors import NhiemvuError
from workflow.storage.db import read_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _build(kind: str, session: Any, directive: str, year: int, now: Any
           ) -> tuple[bytes, str]:
    if kind in {"tien-do.svg", "co-quan.svg", "dung-han.svg"}:
        from exports.chart import directive_chart

        by = {"tien-do.svg": "time", "co-quan.svg": "agency"}.get(kind, "timeliness")
        return directive_chart(session, directive, year, now, by, "svg"), "image/svg+xml"
    report = collect(session, directive, year, now)
    buffer = io.BytesIO()
    if kind == "tinh-trang.xlsx":
        from exports.xlsx import write_xlsx
        write_xlsx(report, buffer)
        return buffer.getvalue(), XLSX
    if kind == "bao-cao.docx":
        from exports.docx import write_docx
        write_docx(report, buffer)
        return buffer.getvalue(), DOCX
    if kind == "du-lieu.csv":
        return csv_bytes(as_table(report)), "text/csv; charset=utf-8"
    return json.dumps(as_rows(report), ensure_ascii=False).encode(), "application/json"


KINDS = {"tinh-trang.xlsx", "bao-cao.docx", "du-lieu.csv", "du-lieu.json", "tien-do.svg",
         "co-quan.svg", "dung-han.svg"}


@secretariat
async def download(request: Request) -> Response:
    ctx = context_of(request)
    directive, kind = request.path_params["directive"], request.path_params["kind"]
    year = path_id(request, "year")
    if kind not in KINDS:
        return ctx.pages.error(request, 404, "Không tìm thấy", "Không có mẫu xuất này.")
    exists, committee = await run_in_threadpool(directive_committee, ctx, directive)
    if exists and not scope_of(request).sees(committee):
        return forbidden(request)

    def build() -> tuple[bytes, str]:
        with read_session(ctx.engine) as session:
            return _build(kind, session, directive, year, ctx.now())

    try:
        data, media_type = await run_in_threadpool(build)
    except NhiemvuError:
        return ctx.pages.error(request, 404, "Không tìm thấy",
                               f"Không có nhiệm vụ nào của văn bản «{directive}» năm {year}.")
    headers = {"cache-control": "private, no-store", "content-security-policy": "sandbox"}
    if not kind.endswith(".svg"):
        headers["content-disposition"] = f'attachment; filename="{directive}-{year}-{kind}"'
    return Response(data, media_type=media_type, headers=headers)


ROUTES = [Route("/quan-ly/xuat/{directive}/{year}/{kind}", download, methods=["GET"])]
