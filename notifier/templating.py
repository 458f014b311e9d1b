"""E-mail templates (jinja2) in files a secretariat can edit.

Each kind of notice has `KIND.txt.j2` (plain text, with a `subject` block) and
`KIND.html.j2`. A folder given by NHIEMVU_TEMPLATES overrides the shipped files one by
one. HTML is autoescaped; undefined variables are errors, reported with the template's
name and line.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import jinja2

from workflow.dates import format_date, format_datetime
from workflow.errors import NhiemvuError
from workflow.views.labels import size_label

SHIPPED = Path(__file__).parent / "templates"


class TemplateError(NhiemvuError):
    pass


def environment(override: Path | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(override))] if override \
        else []
    loaders.append(jinja2.FileSystemLoader(str(SHIPPED)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                            default_for_string=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters["ngay"] = format_date  # dd/mm/yyyy, local time
    env.filters["gio"] = format_datetime
    env.filters["kich_thuoc"] = size_label
    return env


def render(env: jinja2.Environment, kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of one notice."""
    text_template = _load(env, f"{kind}.txt.j2")
    html_template = _load(env, f"{kind}.html.j2")
    subject = _run(text_template, lambda: "".join(
        text_template.blocks["subject"](text_template.new_context(context))).strip()
        if "subject" in text_template.blocks else _missing_subject(text_template))
    text = _run(text_template, lambda: text_template.render(context))
    html = _run(html_template, lambda: html_template.render(context))
    return " ".join(subject.split()), text, html


def _missing_subject(template: jinja2.Template) -> str:
    raise TemplateError(f"template {template.name}: no {{% block subject %}}")


def _load(env: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template {exc.name or name}, line {exc.lineno}: "
                            f"{exc.message}") from None
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template {name} not found") from None


def _run(template: jinja2.Template, call: Any) -> str:
    try:
        return str(call())
    except TemplateError:
        raise
    except Exception as exc:
        line = _template_line(exc, template)
        where = f"template {template.name}" + (f", line {line}" if line else "")
        raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None


def _template_line(exc: BaseException, template: jinja2.Template) -> int | None:
    """jinja2 rewrites tracebacks so template frames carry the template's file and line."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if template.filename and frame.filename == template.filename:
            line = frame.lineno
    return line
