"""The baseline of bench/web.py: the least a report page can do, as a minimal Starlette app
under the same uvicorn settings and database as `nhiemvu serve`.

GET /t/{id}: one row read by primary key, one Jinja2 template of the product page's size.
POST /t/{id}: the form read, the row read, the state and version updated, one audit row,
one outbox row and one report row inserted, one commit, 303; as the product's report does.

    NHIEMVU_DATABASE_URL=... BASELINE_PAGE_BYTES=6000 \\
        python -m uvicorn bench.baseline_app:create --factory --port 8001
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import jinja2
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from workflow.storage.db import make_engine

PAGE = jinja2.Template(
    "<!doctype html><html lang=vi><head><meta charset=utf-8><title>{{ title }}</title>"
    "</head><body><h1>{{ title }}</h1><p>{{ agency }} · hạn {{ due }} · {{ state }}</p>"
    "<form method=post><textarea name=text></textarea><button>Gửi</button></form>"
    "<p>{{ filler }}</p></body></html>", autoescape=True)


def create() -> Starlette:
    engine = make_engine(os.environ["NHIEMVU_DATABASE_URL"])
    size = int(os.environ.get("BASELINE_PAGE_BYTES", "6000"))
    filler = "Nội dung nhiệm vụ. " * max(size // 22, 1)
    sqlite = engine.dialect.name == "sqlite"

    def read(task_id: int) -> tuple | None:  # type: ignore[type-arg]
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT spec_code, agency_code, due_on, state, version FROM task "
                "WHERE id = :id"), {"id": task_id}).first()

    async def page(request: Request) -> Response:
        row = read(int(request.path_params["task_id"]))
        if row is None:
            return PlainTextResponse("không có", 404)
        return HTMLResponse(PAGE.render(title=row[0], agency=row[1], due=row[2],
                                        state=row[3], filler=filler))

    async def report(request: Request) -> Response:
        form = await request.form()
        task_id = int(request.path_params["task_id"])
        now = datetime.now(UTC)
        stamp = now.replace(tzinfo=None) if sqlite else now
        bound = engine.execution_options(sqlite_begin="IMMEDIATE") if sqlite else engine
        with bound.begin() as connection:
            row = connection.execute(text("SELECT state, version, agency_code FROM task "
                                          "WHERE id = :id"), {"id": task_id}).first()
            if row is None or row[0] not in ("assigned", "returned"):
                return PlainTextResponse("đã báo cáo", 409)
            connection.execute(text("UPDATE task SET state = 'reported', version = version + 1,"
                                    " updated_at = :now WHERE id = :id AND version = :v"),
                               {"now": stamp, "id": task_id, "v": row[1]})
            connection.execute(text(
                "INSERT INTO audit (task_id, at, actor, role, channel, trigger, from_state, "
                "to_state, task_version) VALUES (:id, :now, :a, 'agency', 'link', 'report', "
                ":s, 'reported', :v)"), {"id": task_id, "now": stamp, "a": row[2], "s": row[0],
                                         "v": row[1] + 1})
            connection.execute(text(
                "INSERT INTO outbox (key, kind, task_id, agency_code, recipient_role, payload, "
                "state, created_at, attempts, next_attempt_at) VALUES (:k, 'task_reported', "
                ":id, :a, 'secretariat', '{}', 'queued', :now, 0, :now)"),
                {"k": f"baseline:{task_id}:{row[1] + 1}", "id": task_id, "a": row[2],
                 "now": stamp})
            connection.execute(text(
                "INSERT INTO report (task_id, submitted_at, actor, channel, text, task_version) "
                "VALUES (:id, :now, :a, 'link', :t, :v)"),
                {"id": task_id, "now": stamp, "a": row[2], "t": str(form.get("text") or ""),
                 "v": row[1] + 1})
        return RedirectResponse(f"/t/{task_id}?da-gui=1", 303)

    return Starlette(routes=[Route("/t/{task_id}", page, methods=["GET"]),
                             Route("/t/{task_id}", report, methods=["POST"])])
