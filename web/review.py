"""What the review page shows: the document's lines, the draft's fields and tasks with
their notes at their place, and the loader's problems at the field they concern."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from workflow.definitions.specs import Calendar
from workflow.definitions.store import load_calendars
from workflow.definitions.vietnamese import in_vietnamese
from workflow.errors import Problem
from workflow.intake.choices import Choices
from workflow.intake.drafts import source_lines
from workflow.intake.form import DUE_KINDS, form_task
from workflow.storage.models import DirectiveDraftRow
from workflow.views.labels import DOCUMENT_LABELS

HEADER_KEYS = {"code", "document", "number", "date", "issuer", "title", "year", "until_year",
               "signer", "secretariat", "chair"}
TASK_PATH = re.compile(r"^tasks\[(\d+)\]\.(\w+)")
TASK_KEYS = {"code": "code", "title": "title", "text": "text", "source": "source",
             "lead": "lead", "coordinating": "coordinating", "due": "due_kind",
             "recurs": "due_kind", "serves": "title"}


@dataclass
class ReviewState:
    row: DirectiveDraftRow
    choices: Choices
    calendar: Calendar | None
    lines: list[tuple[int, str]]

    @classmethod
    def of(cls, session: Session, row: DirectiveDraftRow, choices: Choices) -> ReviewState:
        calendars = load_calendars(session)
        calendar = calendars.get(str(row.document.get("calendar", "default")))
        return cls(row, choices, calendar, source_lines(row.source_text))

    @property
    def period_codes(self) -> list[str]:
        if self.calendar is None:
            return []
        return [p.code for p in self.calendar.report_periods] + \
            [m.code for m in self.calendar.action_months]


def problem_fields(problems: list[Problem], document: dict[str, Any]
                   ) -> tuple[dict[str, str], list[str]]:
    """Each problem at its form field, in Vietnamese; the rest as general lines."""
    errors: dict[str, str] = {}
    general: list[str] = []
    for problem in problems:
        words = in_vietnamese(problem.message)
        key = _form_key(problem.field)
        if key is None:
            general.append(f"{problem.field}: {words}")
        else:
            errors[key] = f"{errors[key]}; {words}" if key in errors else words
    return errors, general


def _form_key(path: str) -> str | None:
    top = path.split(".")[0].split("[")[0]
    if path in HEADER_KEYS or (top in HEADER_KEYS and "." not in path):
        return top
    if top == "implements":
        return "refs"
    found = TASK_PATH.match(path)
    if found:
        return f"t{found.group(1)}.{TASK_KEYS.get(found.group(2), 'title')}"
    if path.startswith("tasks"):
        return "tasks"
    return None


def review_context(state: ReviewState, errors: dict[str, str], general: list[str],
                   flash: str | None, can_act: bool) -> dict[str, Any]:
    document = state.row.document
    notes: dict[str, list[dict[str, Any]]] = {}
    for note in state.row.notes:
        notes.setdefault(str(note["at"]), []).append(note)
    calendar = state.calendar
    periods = [(p.code, p.name) for p in calendar.report_periods] + \
        [(m.code, m.name) for m in calendar.action_months] if calendar else []
    months = [(m.code, m.name) for m in calendar.action_months] if calendar else []
    reviews = sum(1 for n in state.row.notes if n.get("text") and not n.get("info"))
    return {
        "row": state.row, "doc": document, "lines": state.lines, "notes": notes,
        "tasks": [form_task(t) for t in document.get("tasks", [])],
        "choices": state.choices, "errors": errors, "general": general, "flash": flash,
        "can_act": can_act, "periods": periods, "months": months, "due_kinds": DUE_KINDS,
        "kinds": DOCUMENT_LABELS, "reviews": reviews,
        "refs": list(document.get("implements", [])),
        "error": bool(errors or general)}
