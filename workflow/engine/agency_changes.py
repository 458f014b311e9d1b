"""Agencies that change (đổi tên, giải thể, sáp nhập, chia tách), effective on a day.

Each change is one transaction. The open tasks of an agency that ends move to its
successor: an audit row "transfer" on each, a `task_transfer` row so the old link can
say where the task went, and one "tasks assigned" notice per successor and directive
year, so new e-mails go to the successor. Verified, cancelled and not-done tasks stay
with the agency that did them. A task is never duplicated: when the successor already
has the same task (same directive, task and period), the old one is cancelled if still
owed, or left where it is if its report is waiting for verification.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine, insert, select, update
from sqlmodel import Session

from workflow.dates import format_date
from workflow.engine.actors import Actor
from workflow.engine.machine import OWED_STATES
from workflow.engine.outbox import notice, queue
from workflow.errors import NhiemvuError, NotFoundError
from workflow.storage.db import write_session
from workflow.storage.models import (
    AgencyChangeRow,
    AgencyRow,
    AuditRow,
    TaskRow,
    TaskTransferRow,
)

KINDS = {"rename": "đổi tên", "dissolve": "giải thể", "merge": "sáp nhập", "split": "chia tách"}
OPEN_STATES = (*OWED_STATES, "reported")


@dataclass
class ChangeResult:
    change_ids: list[int] = field(default_factory=list)
    moved: int = 0  # tasks now with a successor
    cancelled: int = 0  # owed tasks the successor already had, or with no successor
    kept: int = 0  # reports awaiting verification the successor also has: left in place
    stayed: int = 0  # finished tasks (verified, cancelled, not done): stay with the agency

    def line(self) -> str:
        return (f"{self.moved} nhiệm vụ chuyển giao, {self.cancelled} nhiệm vụ hủy (đã có ở "
                f"cơ quan nhận hoặc không có cơ quan nhận), {self.kept} báo cáo chờ xác nhận "
                f"giữ nguyên, {self.stayed} nhiệm vụ đã xong ở lại cơ quan cũ")


def rename_agency(engine: Engine, code: str, new_name: str, on: date, actor: Actor,
                  now: datetime, reason: str | None = None) -> ChangeResult:
    """Same code, a new name; the change keeps the old one as it was."""
    new_name = " ".join(new_name.split())
    if not new_name or len(new_name) > 300:
        raise NhiemvuError("tên mới cần từ 1 đến 300 ký tự")
    with write_session(engine) as session:
        agency = _agency(session, code, on)
        result = ChangeResult()
        result.change_ids.append(_record(session, "rename", agency, [], on, actor, now, reason,
                                         new_name))
        agency.name = new_name
        session.add(agency)
        return result


def dissolve_agency(engine: Engine, code: str, on: date, actor: Actor, now: datetime,
                    successor: str | None = None, reason: str | None = None) -> ChangeResult:
    """The agency ends on `on`; its open tasks go to `successor`, or are cancelled."""
    with write_session(engine) as session:
        agency = _agency(session, code, on)
        successors = [_agency(session, successor, on).code] if successor else []
        result = ChangeResult()
        change = _record(session, "dissolve", agency, successors, on, actor, now, reason)
        result.change_ids.append(change)
        _end(session, agency, on)
        _move(session, agency.code, successor, change, "giải thể", on, actor, now, result)
        return result


def merge_agencies(engine: Engine, codes: list[str], into: str, on: date, actor: Actor,
                   now: datetime, reason: str | None = None) -> ChangeResult:
    """Several agencies become `into` (an existing or newly loaded agency)."""
    if not codes or into in codes:
        raise NhiemvuError("sáp nhập cần ít nhất một cơ quan cũ, khác cơ quan nhận")
    with write_session(engine) as session:
        target = _agency(session, into, on).code
        result = ChangeResult()
        for code in dict.fromkeys(codes):
            agency = _agency(session, code, on)
            change = _record(session, "merge", agency, [target], on, actor, now, reason)
            result.change_ids.append(change)
            _end(session, agency, on)
            _move(session, agency.code, target, change, "sáp nhập", on, actor, now, result)
        return result


def split_agency(engine: Engine, code: str, into: list[str], tasks_to: str, on: date,
                 actor: Actor, now: datetime, reason: str | None = None) -> ChangeResult:
    """One agency becomes several; its open tasks go to the one named `tasks_to` (the
    secretariat reassigns others from there)."""
    if len(set(into)) < 2 or code in into:
        raise NhiemvuError("chia tách cần ít nhất hai cơ quan mới, khác cơ quan cũ")
    if tasks_to not in into:
        raise NhiemvuError(f"'{tasks_to}' không nằm trong các cơ quan mới ({', '.join(into)})")
    with write_session(engine) as session:
        agency = _agency(session, code, on)
        successors = [_agency(session, c, on).code for c in dict.fromkeys(into)]
        result = ChangeResult()
        change = _record(session, "split", agency, successors, on, actor, now, reason)
        result.change_ids.append(change)
        _end(session, agency, on)
        _move(session, agency.code, tasks_to, change, "chia tách", on, actor, now, result)
        return result


def _agency(session: Session, code: str, on: date) -> AgencyRow:
    agency = session.get(AgencyRow, code)
    if agency is None:
        raise NotFoundError("agency", code)
    if agency.valid_until is not None and agency.valid_until < on:
        raise NhiemvuError(f"cơ quan {code} đã thôi hoạt động từ sau ngày "
                           f"{format_date(agency.valid_until)}")
    return agency


def _record(session: Session, kind: str, agency: AgencyRow, successors: list[str], on: date,
            actor: Actor, now: datetime, reason: str | None, new_name: str | None = None
            ) -> int:
    row = AgencyChangeRow(kind=kind, effective_on=on, agency_code=agency.code,
                          successors=successors, old_name=agency.name, new_name=new_name,
                          reason=(reason or "").strip() or None, actor=actor.name, at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def _end(session: Session, agency: AgencyRow, on: date) -> None:
    """The agency's last day is the one before the change takes effect."""
    agency.valid_until = date.fromordinal(on.toordinal() - 1)
    session.add(agency)
    session.flush()


def _move(session: Session, source: str, target: str | None, change: int, verb: str,
          on: date, actor: Actor, now: datetime, result: ChangeResult) -> None:
    tasks = session.execute(select(
        TaskRow.id, TaskRow.directive_code, TaskRow.spec_code, TaskRow.period, TaskRow.year,
        TaskRow.state, TaskRow.version).where(TaskRow.agency_code == source)).all()
    held = {} if target is None else {
        (d, s, p): i for i, d, s, p in session.execute(select(
            TaskRow.id, TaskRow.directive_code, TaskRow.spec_code, TaskRow.period)
            .where(TaskRow.agency_code == target))}
    when = format_date(on)
    audit: list[dict[str, object]] = []
    years: dict[tuple[str, int], None] = {}
    for ident, directive, spec, period, year, state, version in tasks:
        if state not in OPEN_STATES:
            result.stayed += 1
            continue
        duplicate = held.get((directive, spec, period))
        if target is not None and duplicate is None:
            reason = f"Chuyển giao từ {source} sang {target} ({verb}, từ ngày {when})"
            session.execute(update(TaskRow).where(TaskRow.id == ident).values(
                agency_code=target, version=version + 1, updated_at=now)
                .execution_options(synchronize_session=False))
            session.execute(insert(TaskTransferRow).values(
                task_id=ident, from_agency=source, to_agency=target, change_id=change, at=now))
            audit.append(_audit(ident, now, actor, "transfer", state, state, reason,
                                version + 1))
            held[(directive, spec, period)] = ident  # a second merged agency's twin
            years[(directive, year)] = None
            result.moved += 1
        elif state in OWED_STATES:
            reason = (f"Cơ quan {source} {verb} từ ngày {when}; nhiệm vụ do nhiệm vụ "
                      f"#{duplicate} của {target} đảm nhận" if duplicate is not None else
                      f"Cơ quan {source} {verb} từ ngày {when}, không có cơ quan nhận")
            session.execute(update(TaskRow).where(TaskRow.id == ident).values(
                state="cancelled", closed_at=now, last_reason=reason, version=version + 1,
                updated_at=now).execution_options(synchronize_session=False))
            audit.append(_audit(ident, now, actor, "cancel", state, "cancelled", reason,
                                version + 1))
            result.cancelled += 1
        else:
            result.kept += 1
    if audit:
        session.execute(insert(AuditRow), audit)
    if target is not None:
        by_directive: dict[str, list[int]] = defaultdict(list)
        for directive, year in years:
            by_directive[directive].append(year)
        queue(session, [notice(f"tasks_assigned:{directive}:{year}:{target}:chuyen-giao-{change}",
                               "tasks_assigned", None, target, "agency",
                               {"directive": directive, "year": year}, now)
                        for directive, years_of in by_directive.items() for year in years_of])


def _audit(task_id: int, now: datetime, actor: Actor, trigger: str, from_state: str,
           to_state: str, reason: str, version: int) -> dict[str, object]:
    return {"task_id": task_id, "at": now, "actor": actor.name, "role": actor.role,
            "channel": actor.channel, "trigger": trigger, "from_state": from_state,
            "to_state": to_state, "reason": reason, "task_version": version}
