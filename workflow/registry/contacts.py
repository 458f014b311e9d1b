"""Agencies from a contact list as offices keep them (a CSV or an Excel sheet: name,
e-mail, head, phone…): what it would add or change, with every wrong row named by its
number, then all of it in one transaction or nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from importer.textkey import fold
from workflow.errors import NhiemvuError
from workflow.registry.edit import AgencyFields, agency_fields, save_agency
from workflow.storage.models import AgencyRow
from workflow.storage.zipcheck import check_zip

MAX_ROWS = 5000
COLUMNS = {  # folded header words -> field
    "name": ("ten co quan", "ten don vi", "co quan", "don vi", "ten", "name"),
    "short_name": ("ten viet tat", "viet tat", "ten ngan"),
    "emails": ("email", "e-mail", "thu dien tu", "dia chi thu", "hop thu"),
    "head_name": ("lanh dao", "thu truong", "nguoi dung dau", "ho ten lanh dao", "ho va ten",
                  "ho ten"),
    "head_title": ("chuc vu", "chuc danh"),
    "head_email": ("email lanh dao", "thu lanh dao"),
    "phone": ("dien thoai", "so dien thoai", "sdt", "dt"),
    "level": ("cap",),
    "function": ("chuc nang",),
}
LEVEL_WORDS = {"tinh": "tinh", "xa": "xa", "phuong": "xa", "huyen": "huyen",
               "trung uong": "trung-uong"}
LABELS = {"name": "Tên cơ quan", "emails": "Email", "level": "Cấp", "head_email":
          "Email lãnh đạo", "phone": "Điện thoại", "function": "Chức năng",
          "short_name": "Tên viết tắt", "head_name": "Lãnh đạo", "head_title": "Chức vụ"}


@dataclass
class ContactPlan:
    added: list[AgencyFields] = field(default_factory=list)
    changed: list[tuple[str, AgencyFields, list[str]]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number as the office sees it, field -> value) for every non-empty row."""
    if filename.lower().endswith(".xlsx"):
        table = _xlsx(data)
    elif filename.lower().endswith(".csv"):
        table = _csv(data)
    else:
        raise NhiemvuError("chỉ nhận tệp .xlsx hoặc .csv")
    header_at = next((i for i, row in enumerate(table[:10])
                      if any(_field(c) == "name" for c in row)), None)
    if header_at is None:
        raise NhiemvuError("không thấy dòng tiêu đề có cột «Tên cơ quan» trong 10 dòng đầu")
    columns = [_field(c) for c in table[header_at]]
    if "emails" not in columns:
        raise NhiemvuError("không thấy cột «Email» ở dòng tiêu đề")
    rows = []
    for number, cells in enumerate(table[header_at + 1:], start=header_at + 2):
        values = {c: str(v).strip() for c, v in zip(columns, cells, strict=False)
                  if c and v is not None and str(v).strip()}
        if values:
            rows.append((number, values))
    if len(rows) > MAX_ROWS:
        raise NhiemvuError(f"tệp có {len(rows)} dòng, nhiều hơn {MAX_ROWS}")
    return rows


def _field(header: Any) -> str | None:
    words = " ".join(fold(str(header or "")).replace("_", " ").split())
    for name, options in COLUMNS.items():
        if words in options:
            return name
    for name, options in COLUMNS.items():  # "Tên cơ quan, đơn vị", "Email (công vụ)"
        if any(words.startswith(o + " ") for o in options if len(o) > 3):
            return name
    return None


def _csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NhiemvuError("tệp CSV không phải UTF-8; hãy lưu lại với mã UTF-8") from None
    if "\x00" in text:
        raise NhiemvuError("tệp CSV có ký tự nhị phân")
    dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") \
        else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=dialect)][:MAX_ROWS + 20]


def _xlsx(data: bytes) -> list[list[Any]]:
    check_zip(data, "bảng tính")
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise NhiemvuError("không đọc được bảng tính (.xlsx)") from None
    sheet = book.worksheets[0]
    rows = [list(row) for _, row in zip(range(MAX_ROWS + 20),
                                       sheet.iter_rows(values_only=True), strict=False)]
    book.close()
    return rows


def plan_contacts(session: Session, committee: str | None,
                  rows: list[tuple[int, dict[str, str]]], default_level: str) -> ContactPlan:
    """Match each row to an agency of the committee by its name, else a new agency."""
    existing = {fold(a.name): a for a in session.scalars(
        select(AgencyRow).where(AgencyRow.committee_code == committee))}
    plan = ContactPlan()
    seen: set[str] = set()
    for number, values in rows:
        name_key = fold(values.get("name", ""))
        level = LEVEL_WORDS.get(fold(values.get("level", "")), default_level) \
            if values.get("level") else default_level
        old = existing.get(name_key)
        merged = {"name": values.get("name"), "level": level,
                  "emails": values.get("emails"), "short_name": values.get("short_name"),
                  "function": values.get("function"), "head_name": values.get("head_name"),
                  "head_title": values.get("head_title"),
                  "head_email": values.get("head_email"), "phone": values.get("phone")}
        if old is not None:  # keep what the list does not say
            for key, value in (("level", old.level if not values.get("level") else level),
                               ("short_name", old.short_name), ("function", old.function),
                               ("head_name", old.head_name), ("head_title", old.head_title),
                               ("head_email", old.head_email), ("phone", old.phone)):
                if key == "level" or not merged.get(key):
                    merged[key] = value
            if not merged["emails"]:
                merged["emails"] = ";".join(old.emails)
        fields = agency_fields(**merged)
        if name_key in seen:
            fields.problems["name"] = "tên cơ quan lặp lại ở một dòng trước"
        seen.add(name_key)
        for key, problem in fields.problems.items():
            plan.errors.append(f"dòng {number}, cột {LABELS.get(key, key)}: {problem}")
        if fields.problems:
            continue
        if old is None:
            plan.added.append(fields)
            continue
        changes = _changes(old, fields)
        if changes:
            plan.changed.append((old.code, fields, changes))
        else:
            plan.unchanged += 1
    return plan


def _changes(old: AgencyRow, new: AgencyFields) -> list[str]:
    found = []
    for key in ("emails", "level", "short_name", "function", "head_name", "head_title",
                "head_email", "phone"):
        before, after = getattr(old, key), getattr(new, key)
        if (list(before) if key == "emails" else before) != after:
            shown = ", ".join(after) if isinstance(after, list) else (after or "(trống)")
            found.append(f"{LABELS[key]}: {shown}")
    return found


def apply_contacts(session: Session, committee: str | None, plan: ContactPlan) -> int:
    if plan.errors:
        raise NhiemvuError(f"tệp có {len(plan.errors)} dòng lỗi; không lưu gì")
    for fields in plan.added:
        save_agency(session, committee, fields)
    for code, fields, _ in plan.changed:
        save_agency(session, committee, fields, code)
    return len(plan.added) + len(plan.changed)
