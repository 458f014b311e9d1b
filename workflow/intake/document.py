"""A draft's document: the directive in the schema `nhiemvu load` reads, as plain data,
and the review notes that say where each value came from and what to check.

A note is {"at": FIELD, "line": N, "text": WHAT}: FIELD is a header field ("number"),
"implements", "task:CODE" or "general"; the review page shows it at that place. A note
without text only says which lines of the document a task came from.
"""

from __future__ import annotations

from typing import Any

from importer.build import Draft

HEADER_FIELDS = ("number", "date", "kind", "title", "issuer", "year", "signer")
DOCUMENT_KEY = {"kind": "document"}  # the header's name -> the schema's


def imported_document(draft: Draft) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What the importer read, as the loader's schema, and its notes."""
    header = draft.header
    document: dict[str, Any] = {
        "kind": "directive", "code": draft.code, "document": header.kind.value or "ke-hoach",
        "number": header.number.value or "", "date": header.date.value or "",
        "issuer": header.issuer.value or "", "title": header.title.value or "",
        "year": _year(header.year.value)}
    if header.signer.value:
        document["signer"] = header.signer.value
    for name, found in (("secretariat", draft.secretariat), ("chair", draft.chair)):
        if found.value:
            document[name] = found.value
    document["calendar"] = draft.calendar.code
    notes: list[dict[str, Any]] = []
    for name in HEADER_FIELDS:
        found = getattr(header, name)
        if found.review:
            notes.append(note(DOCUMENT_KEY.get(name, name), found.line, found.review))
    for name, found in (("secretariat", draft.secretariat), ("chair", draft.chair)):
        if found.review:
            notes.append(note(name, found.line, found.review))
    implements = []
    for reference in draft.references:
        found = reference.found
        item: dict[str, Any] = {"document": found.kind, "number": found.number}
        if found.date:
            item["date"] = found.date
        item["issuer"] = reference.issuer or ""
        if found.title:
            item["title"] = found.title
        implements.append(item)
        if reference.review:
            notes.append(note("implements", reference.line,
                              f"văn bản cấp trên số {found.number}: {reference.review}"))
    if implements:
        document["implements"] = implements
    tasks = []
    for task in draft.tasks:
        item = {"code": task.code, "source": task.source, "title": task.title,
                "text": task.text, "lead": list(task.lead)}
        if task.coordinating:
            item["coordinating"] = list(task.coordinating)
        if task.due is not None:
            item["due"] = task.due
        if task.recurs:
            item["recurs"] = list(task.recurs)
        tasks.append(item)
        first = _first_line(task.lines)
        notes.append({"at": f"task:{task.code}", "line": first, "lines": task.lines,
                      "text": None})  # where it came from, not a review
        notes.extend(note(f"task:{task.code}", first, text)
                     for text in dict.fromkeys(task.reviews))
    document["tasks"] = tasks
    for agency in draft.new_agencies:
        if agency.group:  # a collective: a group of the registry, at the level it names
            notes.append(note("general", agency.line,
                              f"«{agency.name}» là tên chung của nhiều cơ quan (cấp "
                              f"{LEVEL_NAMES.get(agency.level, agency.level)}): hãy lập nhóm "
                              "gồm các cơ quan thành viên ở trang Cơ quan, rồi chọn nhóm ở "
                              "nhiệm vụ"))
            continue
        notes.append(note("general", agency.line,
                          f"«{agency.name}» chưa có trong danh mục cơ quan của Ban "
                          f"({agency.review}); hãy thêm vào danh mục rồi chọn lại ở "
                          "nhiệm vụ"))
    for text in draft.unplaced:
        notes.append(note("general", None, text))
    for text in draft.notes:  # what was read and rightly not made a task
        notes.append(dict(note("general", None, text), info=True))
    return document, notes


LEVEL_NAMES = {"xa": "xã", "huyen": "huyện", "tinh": "tỉnh", "trung-uong": "trung ương"}


def note(at: str, line: int | None, text: str) -> dict[str, Any]:
    return {"at": at, "line": line, "text": text}


def _year(value: str | None) -> int | str:
    return int(value) if value and value.isascii() and value.isdigit() else (value or "")


def _first_line(lines: str) -> int | None:
    head = str(lines).split("-")[0].strip()
    return int(head) if head.isdigit() else None


def blank_document(code: str, committee: str | None, issuer: str, year: int,
                   secretariat: str | None, chair: str | None) -> dict[str, Any]:
    """A directive written from scratch: the committee's own, one empty task."""
    document: dict[str, Any] = {"kind": "directive", "code": code, "document": "ke-hoach",
                                "number": "", "date": "", "issuer": issuer, "title": "",
                                "year": year}
    if committee:
        document["committee"] = committee
    for name, value in (("secretariat", secretariat), ("chair", chair)):
        if value:
            document[name] = value
    document["calendar"] = "default"
    document["tasks"] = [empty_task("1")]
    return document


def empty_task(code: str) -> dict[str, Any]:
    return {"code": code, "title": "", "text": "", "lead": []}
