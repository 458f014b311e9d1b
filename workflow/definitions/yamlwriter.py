"""A directive spec back to YAML in the schema `nhiemvu load` reads, so that what the
product drafts (a commune plan implementing its province's) and what an IT officer
edits are the same document."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML

from workflow.definitions.specs import (
    ActionMonthDue,
    Directive,
    DueRule,
    FixedDue,
    Reference,
    TaskSpec,
)


def directive_document(directive: Directive) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": "directive", "code": directive.code, "document": directive.kind,
        "number": directive.number, "date": _issued(directive), "issuer": directive.issuer,
        "title": directive.title, "year": directive.year}
    if directive.until_year != directive.year:
        document["until_year"] = directive.until_year
    if directive.committee:
        document["committee"] = directive.committee
    for key in ("secretariat", "chair", "signer"):
        if getattr(directive, key):
            document[key] = getattr(directive, key)
    if directive.calendar != "default":
        document["calendar"] = directive.calendar
    if directive.implements:
        document["implements"] = [_reference(r) for r in directive.implements]
    document["tasks"] = [_task(spec) for spec in directive.tasks]
    return document


def _issued(directive: Directive) -> str:
    day = directive.issued_on
    if directive.date_precision == "day":
        return f"{day:%d/%m/%Y}"
    return f"{day:%m/%Y}" if directive.date_precision == "month" else str(day.year)


def _reference(ref: Reference) -> dict[str, Any]:
    found: dict[str, Any] = {"document": ref.kind, "number": ref.number}
    if ref.date:
        found["date"] = f"{ref.date:%d/%m/%Y}"
    found["issuer"] = ref.issuer
    if ref.title:
        found["title"] = ref.title
    return found


def _task(spec: TaskSpec) -> dict[str, Any]:
    task: dict[str, Any] = {"code": spec.code, "title": spec.title}
    if spec.text != spec.title:
        task["text"] = spec.text
    task["lead"] = list(spec.lead)
    if spec.coordinating:
        task["coordinating"] = list(spec.coordinating)
    if spec.due is not None:
        task["due"] = _due(spec.due)
    if spec.recurs:
        task["recurs"] = [{"period": p.period, "due": _due(p.due)} for p in spec.recurs]
    if spec.source:
        task["source"] = spec.source
    if spec.serves:
        task["serves"] = spec.serves
    return task


def _due(rule: DueRule) -> Any:
    if isinstance(rule, FixedDue):
        return f"{rule.on:%d/%m/%Y}"
    if isinstance(rule, ActionMonthDue):
        return {"action_month": rule.action_month, "anchor": rule.anchor,
                "offset_days": rule.offset_days}
    return f"{rule.day:02d}/{rule.month:02d}"


def dump(document: dict[str, Any], header: str | None = None) -> str:
    yaml = YAML()
    yaml.width = 96
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    buffer = io.StringIO()
    if header:
        buffer.write("".join(f"# {line}\n" for line in header.splitlines()))
    yaml.dump(document, buffer)
    return buffer.getvalue()
