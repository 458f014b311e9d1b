"""Server-rendered pages: jinja2 with autoescaping, Vietnamese labels and dd/mm/yyyy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from web.formerrors import FormErrors
from workflow.dates import format_date, format_datetime
from workflow.views.labels import (
    CHANNEL_LABELS,
    ROLE_LABELS,
    STATE_LABELS,
    TRIGGER_LABELS,
    document_label,
    issued_label,
    period_label,
    size_label,
)
from workflow.views.timeliness import TIMELINESS_LABELS

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True,
                             # Templates ship with the code: never stat them per request.
                             auto_reload=False)
    env.filters.update(ngay=format_date, gio=format_datetime, size=size_label,
                       ban_hanh=issued_label,
                       state=lambda s: STATE_LABELS.get(s, s),
                       role=lambda r: ROLE_LABELS.get(r, r),
                       trigger=lambda t: TRIGGER_LABELS.get(t, t),
                       han=lambda k: TIMELINESS_LABELS.get(k, k), ky=period_label,
                       van_ban=document_label)
    return env


class Pages:
    def __init__(self) -> None:
        self.env = environment()

    def render(self, request: Request, name: str, context: dict[str, Any],
               status: int = 200) -> HTMLResponse:
        template = self.env.get_template(f"{name}.html.j2")
        # `error_field`: the id of the form field an error belongs to, if any.
        context = {"request": request, "user": getattr(request.state, "user", None),
                   "error": None, "error_field": None, "channel_labels": CHANNEL_LABELS,
                   **context}
        context["form_errors"] = FormErrors(context["error"], context["error_field"])
        return HTMLResponse(template.render(context), status_code=status)

    def error(self, request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return self.render(request, "error", {"title": title, "message": message}, status)
