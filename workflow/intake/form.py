"""The review form to a draft document and back: every field of the header, the upper
directives and each task, with the agencies picked by name.

Values are kept as typed (a year that is not a number stays text): the loader, the one
judge of a directive, says what is wrong at the field when the draft is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from workflow.intake.choices import Choices
from workflow.intake.document import empty_task

HEADER_TEXT = ("code", "document", "number", "date", "issuer", "title", "signer")
OPTIONAL = ("signer", "until_year")
MAX_TASKS = 2000
MAX_FIELD = 20_000
DUE_KINDS = {"": "Không có hạn", "date": "Một hạn (ngày/tháng/năm, hoặc ngày/tháng hằng năm)",
             "month": "Theo tháng hành động", "periodic": "Định kỳ (theo kỳ báo cáo)"}


class FormLike(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


@dataclass
class Parsed:
    document: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)  # form field -> what is wrong
    renamed: dict[str, str] = field(default_factory=dict)  # old task code -> new


def text(form: FormLike, name: str) -> str:
    value = form.get(name)
    return " ".join(str(value).split())[:MAX_FIELD] if isinstance(value, str) else ""


def long_text(form: FormLike, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n")
                     .strip().split("\n"))[:MAX_FIELD]


def _number(value: str) -> int | str:
    return int(value) if re.fullmatch(r"[0-9]{1,4}", value) else value


def parse_form(form: FormLike, old: dict[str, Any], choices: Choices,
               periods: list[str]) -> Parsed:
    """The document the form describes. Fields the form does not show (calendar,
    committee, a task's `serves`) are carried over from `old`."""
    document: dict[str, Any] = {"kind": "directive"}
    errors: dict[str, str] = {}
    for name in HEADER_TEXT:
        value = text(form, name)
        if value or name not in OPTIONAL:
            document[name] = value
    document["code"] = str(document.get("code", "")).lower()
    document["year"] = _number(text(form, "year"))
    until = text(form, "until_year")
    if until:
        document["until_year"] = _number(until)
    if old.get("committee"):
        document["committee"] = old["committee"]
    for role in ("secretariat", "chair"):
        picked = _one(form, role, choices, errors)
        if picked:
            document[role] = picked
    document["calendar"] = old.get("calendar", "default")
    implements = []
    for index in range(_count(form, "refs", 50) + 1):
        prefix = f"ref{index}."
        if form.get(prefix + "delete"):
            continue
        item = {key: text(form, prefix + key)
                for key in ("document", "number", "date", "issuer", "title")}
        if not item["number"] and not item["title"]:
            continue  # the empty row for adding one
        implements.append({k: v for k, v in item.items() if v or k in {"document", "number",
                                                                         "issuer"}})
    if implements:
        document["implements"] = implements
    old_tasks = {t.get("code"): t for t in old.get("tasks", [])}
    tasks: list[dict[str, Any]] = []
    renamed: dict[str, str] = {}
    for index in range(_count(form, "tasks", MAX_TASKS)):
        task = parse_task(form, f"t{index}.", choices, periods, errors)
        key = text(form, f"t{index}.key")
        previous = old_tasks.get(key, {})
        if previous.get("serves"):
            task["serves"] = previous["serves"]
        if key and key != task["code"]:
            renamed[key] = task["code"]
        tasks.append(task)
    document["tasks"] = tasks
    return Parsed(document, errors, renamed)


def _count(form: FormLike, name: str, high: int) -> int:
    value = text(form, name)
    return min(int(value), high) if value.isdigit() else 0


def _one(form: FormLike, name: str, choices: Choices, errors: dict[str, str]) -> str | None:
    typed = text(form, name)
    if not typed:
        return None
    code = choices.by_label.get(typed) or (typed if choices.known(typed) else None)
    if code is None:
        errors[name] = f"không có «{typed}» trong danh mục cơ quan của Ban"
        return typed
    return code


def _agencies(form: FormLike, prefix: str, role: str, choices: Choices,
              errors: dict[str, str]) -> list[str]:
    kept = [str(c) for c in form.getlist(prefix + role) if isinstance(c, str) and c]
    for typed in text(form, f"{prefix}{role}_add").split(";"):
        typed = typed.strip()
        if not typed:
            continue
        code = choices.by_label.get(typed)
        if code is None:
            errors[f"{prefix}{role}"] = f"không có «{typed}» trong danh mục cơ quan của Ban; " \
                                        "hãy chọn một tên trong danh sách gợi ý"
        elif code not in kept:
            kept.append(code)
    return list(dict.fromkeys(kept))


def parse_task(form: FormLike, prefix: str, choices: Choices, periods: list[str],
          errors: dict[str, str]) -> dict[str, Any]:
    task: dict[str, Any] = {"code": text(form, prefix + "code").lower()}
    source = text(form, prefix + "source")
    if source:
        task["source"] = source
    task["title"] = text(form, prefix + "title")
    body = long_text(form, prefix + "text")
    if body and body != task["title"]:
        task["text"] = body
    task["lead"] = _agencies(form, prefix, "lead", choices, errors)
    coordinating = [c for c in _agencies(form, prefix, "coordinating", choices, errors)
                    if c not in task["lead"]]
    if coordinating:
        task["coordinating"] = coordinating
    kind = text(form, prefix + "due_kind")
    if kind == "date":
        task["due"] = text(form, prefix + "due_date")
    elif kind == "month":
        offset = text(form, prefix + "due_offset") or "0"
        task["due"] = {"action_month": text(form, prefix + "due_month"),
                       "anchor": "start" if text(form, prefix + "due_anchor") == "start"
                       else "end",
                       "offset_days": int(offset) if re.fullmatch(r"-?\d{1,3}", offset)
                       else offset}
    elif kind == "periodic":
        recurs: list[Any] = []
        chosen = {str(p) for p in form.getlist(prefix + "period")}
        for period in periods:
            if period not in chosen:
                continue
            own = text(form, f"{prefix}period_due.{period}")
            recurs.append({"period": period, "due": own} if own else period)
        task["recurs"] = recurs
        if not recurs:
            errors[prefix + "due_kind"] = "hãy chọn ít nhất một kỳ báo cáo"
    return task


def form_task(task: dict[str, Any]) -> dict[str, Any]:
    """A task of the document as the form shows it: due rule split into its fields."""
    due = task.get("due")
    view: dict[str, Any] = {"task": task, "due_kind": "", "due_date": "", "due_month": "",
                            "due_anchor": "end", "due_offset": 0, "periods": {}}
    if isinstance(due, str):
        view.update(due_kind="date", due_date=due)
    elif isinstance(due, dict):
        view.update(due_kind="month", due_month=due.get("action_month", ""),
                    due_anchor=due.get("anchor", "end"), due_offset=due.get("offset_days", 0))
    elif task.get("recurs"):
        view["due_kind"] = "periodic"
        for entry in task["recurs"]:
            if isinstance(entry, dict):
                own = entry.get("due")
                view["periods"][entry.get("period")] = own if isinstance(own, str) else ""
            else:
                view["periods"][str(entry)] = ""
    return view


def next_code(tasks: list[dict[str, Any]]) -> str:
    used = {str(t.get("code")) for t in tasks}
    number = len(tasks) + 1
    while str(number) in used:
        number += 1
    return str(number)


def apply_action(document: dict[str, Any], action: str) -> str | None:
    """Add, delete, split or merge tasks; returns the task code to show next, if any."""
    tasks: list[dict[str, Any]] = document["tasks"]
    verb, _, where = action.partition(":")
    if verb == "add":
        task = empty_task(next_code(tasks))
        tasks.append(task)
        return str(task["code"])
    if not where.isdigit() or int(where) >= len(tasks):
        return None
    index = int(where)
    task = tasks[index]
    if verb == "delete":
        del tasks[index]
        return None
    if verb == "split":
        body = task.get("text") or task.get("title", "")
        paragraphs = [p for p in str(body).split("\n") if p.strip()]
        half = max(1, len(paragraphs) // 2)
        first, second = paragraphs[:half], paragraphs[half:] or paragraphs[:]
        copy = {k: (list(v) if isinstance(v, list) else v) for k, v in task.items()}
        task["text"] = "\n".join(first)
        copy["text"] = "\n".join(second)
        copy["code"] = f"{task['code']}-b"
        while any(t.get("code") == copy["code"] for t in tasks):
            copy["code"] = f"{copy['code']}b"
        copy["title"] = second[0][:90] if second else task.get("title", "")
        tasks.insert(index + 1, copy)
        return str(copy["code"])
    if verb == "merge" and index + 1 < len(tasks):
        other = tasks.pop(index + 1)
        task["text"] = "\n".join(p for p in (task.get("text") or task.get("title"),
                                             other.get("text") or other.get("title")) if p)
        for role in ("lead", "coordinating"):
            merged = list(dict.fromkeys([*task.get(role, []), *other.get(role, [])]))
            if merged:
                task[role] = merged
        task["coordinating"] = [c for c in task.get("coordinating", [])
                                if c not in task["lead"]]
        if not task["coordinating"]:
            task.pop("coordinating")
        if "due" not in task and "recurs" not in task:
            for key in ("due", "recurs"):
                if key in other:
                    task[key] = other[key]
        return str(task["code"])
    return None
