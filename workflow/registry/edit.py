"""Adding, changing and disabling agencies; groups and their members. Each call is one
part of the caller's transaction and checks what the loader would check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlmodel import Session

from importer.registry import slug
from workflow.definitions.fieldreader import EMAIL_PATTERN
from workflow.definitions.loader import LEVELS
from workflow.errors import NhiemvuError
from workflow.storage.models import AgencyGroupMemberRow, AgencyGroupRow, AgencyRow

LEVEL_LABELS = {"tinh": "tỉnh", "xa": "xã", "huyen": "huyện (trước 01/07/2025)",
                "trung-uong": "trung ương"}
PHONE = re.compile(r"^[0-9+() .\-]{6,40}$")


@dataclass
class AgencyFields:
    name: str
    level: str
    emails: list[str]
    short_name: str | None = None
    function: str | None = None
    head_name: str | None = None
    head_title: str | None = None
    head_email: str | None = None
    phone: str | None = None
    problems: dict[str, str] = field(default_factory=dict)


def clean(value: object, limit: int = 300) -> str | None:
    text = " ".join(str(value or "").split())[:limit]
    return text or None


def agency_fields(name: object, level: object, emails: object, short_name: object = None,
                  function: object = None, head_name: object = None, head_title: object = None,
                  head_email: object = None, phone: object = None) -> AgencyFields:
    """The fields as typed, with a Vietnamese problem per field that is wrong."""
    found = AgencyFields(clean(name) or "", str(level or "").strip(),
                         [e.strip().lower() for e in re.split(r"[;,\s]+", str(emails or ""))
                          if e.strip()],
                         clean(short_name, 120), clean(function, 40), clean(head_name, 200),
                         clean(head_title), clean(head_email, 200), clean(phone, 40))
    if not found.name:
        found.problems["name"] = "hãy ghi tên cơ quan"
    if found.level not in LEVELS:
        found.problems["level"] = "hãy chọn cấp của cơ quan (tỉnh, xã…)"
    if not found.emails:
        found.problems["emails"] = "cần ít nhất một địa chỉ thư"
    bad = [e for e in found.emails if not EMAIL_PATTERN.match(e) or len(e) > 200]
    if bad:
        found.problems["emails"] = f"«{bad[0]}» không phải địa chỉ thư (cần ten@ten-mien)"
    if found.head_email and not EMAIL_PATTERN.match(found.head_email):
        found.problems["head_email"] = f"«{found.head_email}» không phải địa chỉ thư"
    if found.function and not re.fullmatch(r"[a-z0-9][a-z0-9\-]*", found.function):
        found.problems["function"] = "chức năng là mã chữ thường không dấu, ví dụ cong-an"
    if found.phone and not PHONE.match(found.phone):
        found.problems["phone"] = f"«{found.phone}» không phải số điện thoại"
    return found


def new_code(session: Session, committee: str | None, fields: AgencyFields) -> str:
    base = f"{committee or 'cq'}.{slug(fields.short_name or fields.name)[:60]}".strip(".-")
    code, number = base, 2
    while session.get(AgencyRow, code) is not None or session.get(AgencyGroupRow, code):
        code, number = f"{base}-{number}", number + 1
    return code


def save_agency(session: Session, committee: str | None, fields: AgencyFields,
                code: str | None = None) -> AgencyRow:
    """A new agency of the committee (code None) or a change to one of its own."""
    if fields.problems:
        raise NhiemvuError("; ".join(fields.problems.values()))
    if code is None:
        row = AgencyRow(code=new_code(session, committee, fields), name=fields.name,
                        level=fields.level, emails=[], committee_code=committee)
    else:
        found = session.get(AgencyRow, code, with_for_update=True)
        if found is None or (committee is not None and found.committee_code != committee):
            raise NhiemvuError("không có cơ quan này trong danh mục của Ban")
        row = found
    row.name, row.level, row.emails = fields.name, fields.level, list(dict.fromkeys(
        fields.emails))
    row.short_name, row.function, row.phone = fields.short_name, fields.function, fields.phone
    row.head_name, row.head_title, row.head_email = fields.head_name, fields.head_title, \
        fields.head_email
    session.add(row)
    session.flush()
    return row


def set_active(session: Session, committee: str | None, code: str, active: bool) -> AgencyRow:
    row = session.get(AgencyRow, code)
    if row is None or (committee is not None and row.committee_code != committee):
        raise NhiemvuError("không có cơ quan này trong danh mục của Ban")
    row.active = active
    session.add(row)
    return row


def committee_groups(session: Session, committee: str | None) -> list[AgencyGroupRow]:
    """Groups whose first member is one of the committee's agencies."""
    first = select(AgencyGroupMemberRow.group_code, func.min(AgencyGroupMemberRow.position)
                   .label("p")).group_by(AgencyGroupMemberRow.group_code).subquery()
    query = (select(AgencyGroupRow).join(first, first.c.group_code == AgencyGroupRow.code)
             .join(AgencyGroupMemberRow,
                   (AgencyGroupMemberRow.group_code == AgencyGroupRow.code)
                   & (AgencyGroupMemberRow.position == first.c.p))
             .join(AgencyRow, AgencyRow.code == AgencyGroupMemberRow.agency_code)
             .order_by(AgencyGroupRow.name))
    if committee is not None:
        query = query.where(AgencyRow.committee_code == committee)
    return list(session.scalars(query))


def group_members(session: Session, code: str) -> list[str]:
    return list(session.scalars(select(AgencyGroupMemberRow.agency_code).where(
        AgencyGroupMemberRow.group_code == code).order_by(AgencyGroupMemberRow.position)))


def save_group(session: Session, committee: str | None, name: str, members: list[str],
               code: str | None = None) -> AgencyGroupRow:
    """A group of the committee's agencies; its members replaced by `members`."""
    name = clean(name) or ""
    if not name:
        raise NhiemvuError("hãy ghi tên nhóm")
    members = list(dict.fromkeys(members))
    if not members:
        raise NhiemvuError("nhóm cần ít nhất một cơ quan")
    for member in members:
        row = session.get(AgencyRow, member)
        if row is None or (committee is not None and row.committee_code != committee):
            raise NhiemvuError(f"«{member}» không phải cơ quan của Ban")
    if code is None:
        base = f"{committee or 'nhom'}.nhom-{slug(name)[:50]}"
        code, number = base, 2
        while session.get(AgencyGroupRow, code) is not None or session.get(AgencyRow, code):
            code, number = f"{base}-{number}", number + 1
        group = AgencyGroupRow(code=code, name=name)
    else:
        found = session.get(AgencyGroupRow, code)
        if found is None or (committee is not None and code not in {
                g.code for g in committee_groups(session, committee)}):
            raise NhiemvuError("không có nhóm này trong danh mục của Ban")
        group = found
        group.name = name
    session.add(group)
    session.flush()
    session.execute(delete(AgencyGroupMemberRow).where(
        AgencyGroupMemberRow.group_code == group.code))  # type: ignore[arg-type]
    session.add_all(AgencyGroupMemberRow(group_code=group.code, agency_code=member,
                                         position=index)
                    for index, member in enumerate(members))
    session.flush()
    return group
