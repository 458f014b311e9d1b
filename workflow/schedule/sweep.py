"""The scheduler's work as one idempotent sweep: do what is due as of `now`.

Every unit of work (instantiating a directive for its year, one ladder step for one
deadline day, opening an action month, a week's digest) first claims a unique row in
`sweep_mark`, in the same transaction as the work. A unit done is never done again; a
unit interrupted by a crash rolls back with its claim and is redone by the next sweep;
two schedulers racing for a unit block on the claim and only one does it. Overdue
marking needs no claim: its conditional UPDATE marks each task once.

After downtime the next sweep does what fell due meanwhile, in order of when it was due,
with two rules against floods of stale messages: a step is never sent for a task created
after the step's time (a deadline already past when the task was loaded), and a reminder
is dropped when a later step of the same deadline is already due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Engine, and_, func, or_, select
from sqlmodel import Session

from workflow.clock import LOCAL_TZ, to_local
from workflow.dates import deadline_instant, format_date
from workflow.definitions.deadlines import deadline_days
from workflow.definitions.specs import Calendar, Directive, ReminderStep
from workflow.definitions.store import load_calendars, load_directive
from workflow.engine.instantiate import instantiate_in
from workflow.engine.machine import OWED_STATES
from workflow.engine.outbox import dialect_insert, notice, queue
from workflow.engine.setops import OWED_SQL, SetOperation, TaskNotice, apply
from workflow.schedule.digests import digest_window
from workflow.schedule.ladder import Ladder
from workflow.storage.db import read_session, write_session
from workflow.storage.models import AuditRow, DirectiveRow, SweepMarkRow, TaskRow

ACTOR = "nhiemvu scheduler"
NOTICE_KIND = {"reminder": "reminder", "overdue": "overdue_notice", "escalation": "escalation"}
AUDIT_TRIGGER = {"reminder": "remind", "overdue": "notify_overdue", "escalation": "escalate"}


@dataclass(frozen=True)
class Done:
    """One unit of work the sweep did."""

    due: datetime
    what: str
    detail: str
    count: int

    def line(self) -> str:
        when = to_local(self.due).strftime("%d/%m/%Y %H:%M")
        return f"{when}  {self.what:<18} {self.detail} ({self.count})"


@dataclass
class SweepReport:
    now: datetime
    done: list[Done] = field(default_factory=list)
    marked_overdue: int = 0

    def lines(self) -> list[str]:
        lines = [d.line() for d in self.done]
        if self.marked_overdue:
            lines.append(f"{to_local(self.now).strftime('%d/%m/%Y %H:%M')}  "
                         f"{'overdue marked':<18} tasks past their deadline "
                         f"({self.marked_overdue})")
        return lines


@dataclass(frozen=True)
class _Unit:
    due: datetime
    kind: str
    key: str
    what: str
    detail: str
    work: Callable[[Session], int]


@dataclass(frozen=True)
class _Plan:
    """The directives the sweep looks after, with their calendars and ladders."""

    directives: list[Directive]
    calendars: dict[str, Calendar]
    ladders: dict[str, Ladder]
    chairs: dict[str, str | None]
    loaded_at: dict[str, datetime]
    # Deadlines of tasks moved off their directive's (an extension, a changed deadline):
    # the ladder runs on those days too.
    moved_days: dict[str, set[date]] = field(default_factory=dict)

    def of_calendar(self, code: str) -> list[Directive]:
        return [d for d in self.directives if d.calendar == code]


def run_due(engine: Engine, now: datetime) -> SweepReport:
    report = SweepReport(now)
    plan = _load_plan(engine)
    claimed = _claimed(engine)
    _run_units(engine, _instantiation_units(plan, now), claimed, now, report)
    report.marked_overdue = mark_overdue(engine, now)
    units = _step_units(plan, now) + _opening_units(plan, now) + _digest_units(plan, now)
    _run_units(engine, units, claimed, now, report)
    return report


def _load_plan(engine: Engine) -> _Plan:
    with read_session(engine) as session:
        loaded_at = {code: at for code, at in session.execute(
            select(DirectiveRow.code, DirectiveRow.loaded_at).order_by(DirectiveRow.code))}
        directives = [load_directive(session, code)[0] for code in loaded_at]
        calendars = load_calendars(session)
        moved: dict[str, set[date]] = {}
        for code, day in session.execute(select(TaskRow.directive_code, TaskRow.due_on).where(
                TaskRow.original_due_on.is_not(None),  # type: ignore[union-attr]
                TaskRow.due_on.is_not(None),  # type: ignore[union-attr]
                TaskRow.state.in_(OWED_STATES)).distinct()):  # type: ignore[attr-defined]
            moved.setdefault(code, set()).add(day)
    ladders = {code: Ladder.from_policy(c.policy) for code, c in calendars.items()}
    chairs = {d.code: d.chair or d.secretariat for d in directives}
    return _Plan(directives, calendars, ladders, chairs, loaded_at, moved)


def _claimed(engine: Engine) -> set[tuple[str, str]]:
    with read_session(engine) as session:
        return {(kind, key) for kind, key in session.execute(
            select(SweepMarkRow.kind, SweepMarkRow.key))}


def _run_units(engine: Engine, units: list[_Unit], claimed: set[tuple[str, str]],
               now: datetime, report: SweepReport) -> None:
    for unit in sorted(units, key=lambda u: (u.due, u.kind, u.key)):
        if unit.due > now or (unit.kind, unit.key) in claimed:
            continue
        with write_session(engine) as session:
            if not _claim(session, unit, now):
                continue
            count = unit.work(session)
        claimed.add((unit.kind, unit.key))
        report.done.append(Done(unit.due, unit.what, unit.detail, count))


def _claim(session: Session, unit: _Unit, now: datetime) -> bool:
    table = SweepMarkRow.__table__  # type: ignore[attr-defined]
    statement = dialect_insert(session)(table).values(kind=unit.kind, key=unit.key, done_at=now)
    # RETURNING, not rowcount: drivers may report -1 for an INSERT ... ON CONFLICT.
    inserted = session.execute(statement.on_conflict_do_nothing().returning(table.c.key))
    return inserted.first() is not None


def _years(directive: Directive, now: datetime) -> list[int]:
    """Last year's tasks can still be escalating in January; older years are left alone."""
    this_year = to_local(now).year
    return [y for y in (this_year - 1, this_year) if directive.year <= y <= directive.until_year]


def _instantiation_units(plan: _Plan, now: datetime) -> list[_Unit]:
    """Each directive's tasks for the year appear on 1 January, or on the issue day.

    Created late (after downtime), they are dated when they should have appeared, so the
    steps that fell due meanwhile still happen; but never before the directive was loaded,
    so loading last year's plan today sends nothing stale.
    """
    year = to_local(now).year
    units = []
    for directive in plan.directives:
        if not directive.year <= year <= directive.until_year:
            continue
        start = max(date(year, 1, 1), directive.issued_on)
        due = datetime.combine(start, time.min, tzinfo=LOCAL_TZ)
        created = max(due, plan.loaded_at[directive.code])
        units.append(_Unit(
            due, "instantiate", f"{directive.code}:{year}", "tasks created",
            f"{directive.code} {year}",
            lambda s, d=directive.code, c=created: instantiate_in(s, d, year, now,
                                                                  created_at=c).created))
    return units


def mark_overdue(engine: Engine, now: datetime) -> int:
    """Records when owed tasks passed their deadline (a fact; the notice is a step)."""
    operation = SetOperation(
        where=f"t.overdue_since IS NULL AND {OWED_SQL} AND t.due_at <= :now", params={},
        audit_trigger="mark_overdue", audit_reason=None, actor=ACTOR,
        update="overdue_since = due_at, updated_at = :now")
    with write_session(engine) as session:
        return sum(apply(session, operation, now).values())


def _step_units(plan: _Plan, now: datetime) -> list[_Unit]:
    units = []
    for code, calendar in plan.calendars.items():
        ladder = plan.ladders[code]
        directives = plan.of_calendar(code)
        days = {day for d in directives for y in _years(d, now)
                for day in deadline_days(d, calendar, y)}
        days |= {day for d in directives for day in plan.moved_days.get(d.code, ())}
        names = [d.code for d in directives]
        for day in sorted(days):
            for step in ladder.policy.steps:
                instant = ladder.step_instant(step, day)
                if instant is None or instant > now:
                    continue
                key = f"{code}:{step.code}:{day.isoformat()}"
                detail = f"{step.code}, hạn {format_date(day)}"
                if ladder.superseded(step, day, now):
                    units.append(_Unit(instant, "step", key, "superseded", detail,
                                       lambda s: 0))
                    continue
                units.append(_Unit(instant, "step", key, NOTICE_KIND[step.kind], detail,
                                   _step_work(plan, names, step, day, instant, now)))
    return units


def _step_work(plan: _Plan, directives: list[str], step: ReminderStep, day: date,
               instant: datetime, now: datetime) -> Callable[[Session], int]:
    kind = NOTICE_KIND[step.kind]
    payload = {"step": step.code, "due_on": day.isoformat(), "level": step.level}
    per_task = None if step.notify == "chair" else TaskNotice(
        kind, f"{kind}:", f":{step.code}", "head" if step.notify == "head" else "agency",
        payload)
    operation = SetOperation(
        where=f"t.directive_code IN :directives AND t.due_at = :due_at AND {OWED_SQL} "
              "AND t.created_at <= :instant"
              + (" AND t.escalation_level < :level" if step.kind == "escalation" else ""),
        params={"directives": directives, "due_at": deadline_instant(day), "instant": instant,
                "level": step.level},
        audit_trigger=AUDIT_TRIGGER[step.kind], audit_reason=step.code, actor=ACTOR,
        update="escalation_level = :level, updated_at = :now"
        if step.kind == "escalation" else None,
        notice=per_task)

    def work(session: Session) -> int:
        per_directive = apply(session, operation, now)
        if step.notify == "chair":  # one notice per directive, not one per task
            queue(session, [notice(f"{kind}:{directive}:{day.isoformat()}:{step.code}", kind,
                                   None, plan.chairs.get(directive), "chair",
                                   {**payload, "directive": directive, "tasks": count}, now)
                            for directive, count in sorted(per_directive.items())])
        return sum(per_directive.values())

    return work


def _opening_units(plan: _Plan, now: datetime) -> list[_Unit]:
    year = to_local(now).year
    units = []
    for code, calendar in plan.calendars.items():
        ladder = plan.ladders[code]
        directives = [d for d in plan.of_calendar(code) if d.year <= year <= d.until_year]
        for month in calendar.action_months:
            opens = ladder.opening_instant(month, year)
            if opens > now:
                continue
            key = f"{code}:{year}:{month.code}"
            detail = f"{month.code} {year}"
            if now >= ladder.closing_instant(month, year):  # too late to open: skip it
                units.append(_Unit(opens, "opening", key, "opening missed", detail, lambda s: 0))
                continue
            units.append(_Unit(opens, "opening", key, "action month open", detail,
                               _opening_work(directives, month.code, year, now)))
    return units


def _opening_work(directives: list[Directive], month: str, year: int, now: datetime
                  ) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        conditions = []
        for directive in directives:
            specs = [s.code for s in directive.tasks
                     if getattr(s.due, "action_month", None) == month]
            conditions.append(and_(TaskRow.directive_code == directive.code, or_(
                TaskRow.period == f"{year}-{month}",
                TaskRow.spec_code.in_(specs))))  # type: ignore[attr-defined]
        if not conditions:
            return 0
        rows = session.execute(select(TaskRow.id, TaskRow.agency_code, TaskRow.state,
                                      TaskRow.version)
                               .where(or_(*conditions), TaskRow.year == year,
                                      TaskRow.state.in_(OWED_STATES))).all()  # type: ignore[attr-defined]
        agencies = sorted({agency for _id, agency, _s, _v in rows})
        queue(session, [notice(f"action_month_opening:{year}:{month}:{agency}",
                               "action_month_opening", None, agency, "agency",
                               {"action_month": month, "year": year}, now)
                        for agency in agencies])
        _audit(session, [(r[0], r[2], r[3]) for r in rows], now, "open", month)
        return len(rows)

    return work


def _digest_units(plan: _Plan, now: datetime) -> list[_Unit]:
    """Only the latest week's digest: a missed week is not sent late."""
    units = []
    for code in plan.calendars:
        week, instant = plan.ladders[code].latest_digest(now)
        directives = [d.code for d in plan.of_calendar(code)]
        units.append(_Unit(instant, "digest", f"{code}:{week}", "weekly digest", week,
                           _digest_work(plan, directives, week, now)))
    return units


def _digest_work(plan: _Plan, directives: list[str], week: str, now: datetime
                 ) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        return queue_digests(session, digest_recipients(session, directives, now), week, now)

    return work


def digest_recipients(session: Session, directives: list[str] | None, now: datetime
                      ) -> dict[tuple[str, str], int]:
    """(agency, role) -> overdue tasks: each agency owing reports, and each secretariat
    of a directive with overdue tasks (one grouped query)."""
    query = (select(TaskRow.agency_code, TaskRow.directive_code, func.count())
             .where(digest_window(session, now))
             .group_by(TaskRow.agency_code, TaskRow.directive_code))
    if directives is not None:
        query = query.where(TaskRow.directive_code.in_(directives))  # type: ignore[attr-defined]
    secretariats = dict(session.execute(select(DirectiveRow.code, DirectiveRow.secretariat)).all())
    recipients: dict[tuple[str, str], int] = {}
    for agency, directive, count in session.execute(query):
        recipients[(agency, "agency")] = recipients.get((agency, "agency"), 0) + count
        secretariat = secretariats.get(directive)
        if secretariat:
            key = (secretariat, "secretariat")
            recipients[key] = recipients.get(key, 0) + count
    return recipients


def queue_digests(session: Session, recipients: dict[tuple[str, str], int], week: str,
                  now: datetime) -> int:
    """One request per recipient and week; the key makes a second request a no-op."""
    queue(session, [notice(f"weekly_digest:{week}:{role}:{agency}", "weekly_digest", None,
                           agency, role, {"week": week, "overdue": count}, now)
                    for (agency, role), count in sorted(recipients.items())])
    return len(recipients)


def _audit(session: Session, rows: list[tuple[int, str, int]], now: datetime, trigger: str,
           reason: str | None) -> None:
    if rows:
        session.execute(AuditRow.__table__.insert(), [  # type: ignore[attr-defined]
            {"task_id": task_id, "at": now, "actor": ACTOR, "role": "scheduler",
             "channel": "scheduler", "trigger": trigger, "from_state": state,
             "to_state": state, "reason": reason, "task_version": version}
            for task_id, state, version in rows])


