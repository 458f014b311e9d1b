"""Definitions (YAML) to validated spec objects; all problems of all files at once.

One load is all or nothing: if any file has a problem, no spec is returned and the
DefinitionError lists every problem with file, line, field and what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from workflow.dates import (
    format_date,
    parse_date,
    parse_day_month,
    parse_partial_date,
)
from workflow.definitions.deadlines import due_date, period_default_due
from workflow.definitions.fieldreader import (
    CODE_PATTERN,
    EMAIL_PATTERN,
    MISSING,
    Fields,
    FileProblems,
)
from workflow.definitions.heads import head_title
from workflow.definitions.specs import (
    COMMITTEE_LEVELS,
    FUNCTION_PREFIX,
    WEEKDAYS,
    ActionMonth,
    ActionMonthDue,
    Agency,
    AgencyGroup,
    Calendar,
    Committee,
    DefinitionSet,
    Directive,
    DueRule,
    FixedDue,
    MovedDay,
    Observance,
    PeriodDue,
    Reference,
    Registry,
    ReminderPolicy,
    ReminderStep,
    ReportPeriod,
    TaskSpec,
    YearlyDue,
)
from workflow.definitions.yamlsource import as_node, parse_yaml, read_yaml
from workflow.errors import DateFormatError, DefinitionError, Problem

LEVELS = {"trung-uong", "tinh", "huyen", "xa"}
DOCUMENT_KINDS = {"ke-hoach", "chuong-trinh", "cong-van", "quyet-dinh", "chi-thi",
                  "thong-tri", "nghi-quyet", "huong-dan", "thong-bao"}
ANCHORS = {"start", "end"}


@dataclass(frozen=True)
class _Origin:
    """Where something was defined, for 'already defined at' messages."""

    file: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class _CodeRef:
    """A code used somewhere, to check once every file is read."""

    code: str
    line: int | None
    path: str


@dataclass
class _PendingGroup:
    group: AgencyGroup
    members: list[_CodeRef]
    origin: _Origin


@dataclass
class _Pending:
    """Parsed but not yet cross-checked content of all files."""

    agencies: dict[str, tuple[Agency, _Origin]] = field(default_factory=dict)
    groups: dict[str, _PendingGroup] = field(default_factory=dict)
    committees: dict[str, tuple[Committee, Fields]] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    directives: list[_PendingDirective] = field(default_factory=list)


@dataclass
class _DueCheck:
    """A due rule to check once the calendar is known."""

    rule: DueRule | None  # None: the period's default, resolved from the calendar
    fields: Fields
    key: str
    spec_code: str | None = None
    period: str | None = None


@dataclass
class _PendingDirective:
    directive: Directive
    top: Fields
    refs: list[_CodeRef]
    calendar: str
    due_checks: list[_DueCheck]
    serving: list[tuple[TaskSpec, Fields]] = field(default_factory=list)


def definition_files(paths: Iterable[Path]) -> list[Path]:
    """Files named on the command line, and *.yaml/*.yml under named folders."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"}))
        else:
            files.append(path)
    return files


def load_definitions(paths: Iterable[Path], known: Registry | None = None,
                     known_calendars: dict[str, Calendar] | None = None,
                     texts: Iterable[tuple[str, str | dict[str, Any]]] = ()
                     ) -> DefinitionSet:
    """Validate files (and `texts`, (name, YAML text or a document already in memory)
    pairs) against each other and against what the database already knows."""
    problems: list[Problem] = []
    sinks: list[FileProblems] = []
    pending = _Pending()
    files: list[Path | tuple[str, str]] = [*definition_files(paths), *texts]
    if not files:
        raise DefinitionError([Problem("(paths)", None, "(files)", "no .yaml files found")])
    for source in files:
        if isinstance(source, tuple):
            display = source[0]
            document, read_problems = parse_yaml(source[1], display) \
                if isinstance(source[1], str) else (as_node(source[1]), [])
        elif not source.exists():
            problems.append(Problem(str(source), None, "(file)", "no such file"))
            continue
        else:
            display = str(source)
            document, read_problems = read_yaml(source, display)
        problems.extend(read_problems)
        if read_problems:
            continue
        sink = FileProblems(display)
        sinks.append(sink)
        _parse_document(document, sink, pending, display)
    definitions, cross_problems = _cross_check(pending, known or Registry(),
                                               known_calendars or {})
    for sink in sinks:  # the cross-check adds to the files' own lists too
        problems.extend(sink.problems)
    problems.extend(cross_problems)
    if problems:
        raise DefinitionError(problems)
    return definitions


def _parse_document(document: Any, sink: FileProblems, pending: _Pending, display: str) -> None:
    top = Fields(document, "", sink)
    if not top.ok:
        return
    kind = top.text("kind")
    if kind == "agencies":
        _parse_agencies(top, sink, pending)
    elif kind == "calendar":
        _parse_calendar(top, pending)
    elif kind == "directive":
        _parse_directive(top, pending, display)
    elif kind is not None:
        top.problem("kind", f"unknown kind '{kind}' (expected agencies, calendar or directive)")


def _parse_committee(top: Fields, pending: _Pending) -> str | None:
    """The committee an agency file is the registry of: its agencies are its members."""
    item = top.child("committee", required=False)
    if item is None or not item.ok:
        return None
    item.only({"code", "name", "level", "parent", "secretariat", "chair"})
    code, name, level = item.code(), item.text("name"), item.text("level")
    if level is not None and level not in COMMITTEE_LEVELS:
        item.problem("level", f"'{level}' is not a committee level (expected one of: "
                              f"{', '.join(COMMITTEE_LEVELS)})")
        level = None
    locality = top.text("locality", required=False)
    if locality is None:
        top.problem("locality", "a committee's registry needs its locality")
    optional = {key: item.code(key) if item.raw(key, False) is not MISSING else None
                for key in ("parent", "secretariat", "chair")}
    if code is None or name is None or level is None or locality is None:
        return None
    if code in pending.committees:
        item.problem("code", f"duplicate committee code '{code}'")
        return None
    pending.committees[code] = (Committee(code, name, level, locality, optional["parent"],
                                          optional["secretariat"], optional["chair"]), item)
    return code


def _parse_agencies(top: Fields, sink: FileProblems, pending: _Pending) -> None:
    top.only({"kind", "locality", "committee", "agencies", "groups"})
    committee = _parse_committee(top, pending)
    for node, path in top.items("agencies"):
        item = Fields(node, path, sink)
        item.only({"code", "name", "short_name", "level", "emails", "head", "function",
                   "phone"})
        function = item.code("function") if item.raw("function", False) is not MISSING \
            else None
        code, name = item.code(), item.text("name")
        level = item.text("level")
        if level is not None and level not in LEVELS:
            item.problem("level", f"'{level}' is not a level (expected one of: "
                                  f"{', '.join(sorted(LEVELS))})")
        emails = _emails(item, "emails", required=True)
        head = item.child("head", required=False)
        head_name = head_email = title = salutation = None
        if head is not None and head.ok:
            head.only({"name", "title", "position", "salutation", "email"})
            head_name = head.text("name", required=False)
            title, position = head.text("title", required=False), \
                head.text("position", required=False)
            if title and position:
                head.problem("position", "give the full title or the position, not both")
            salutation = head.text("salutation", required=False)
            head_emails = _emails(head, "email", required=False)
            head_email = head_emails[0] if head_emails else None
            if position and name:
                title = head_title(position, name)
        if code is None or name is None or level is None:
            continue
        if _duplicate(code, pending, item):
            continue
        agency = Agency(code, name, level, tuple(emails), head_name, head_email,
                        item.text("short_name", required=False), title, salutation, committee,
                        function, item.text("phone", required=False))
        pending.agencies[code] = (agency, _Origin(sink.display, item.line()))
    for node, path in top.items("groups", required=False):
        item = Fields(node, path, sink)
        item.only({"code", "name", "members"})
        code, name = item.code(), item.text("name")
        members = item.codes("members", required=False)
        if code is None or name is None:
            continue
        if not members:
            item.problem("members", f"group '{code}' has no members (expected at least one "
                                    "agency code)")
            continue
        if _duplicate(code, pending, item):
            continue
        group = AgencyGroup(code, name, tuple(m for m, _, _ in members))
        refs = [_CodeRef(member, line, path) for member, line, path in members]
        pending.groups[code] = _PendingGroup(group, refs, _Origin(sink.display, item.line()))


def _duplicate(code: str, pending: _Pending, item: Fields) -> bool:
    """Agencies and groups share one code space."""
    if code in pending.agencies:
        origin = pending.agencies[code][1]
    elif code in pending.groups:
        origin = pending.groups[code].origin
    else:
        return False
    item.problem("code", f"duplicate code '{code}' (already defined at {origin})")
    return True


def _emails(item: Fields, key: str, required: bool) -> list[str]:
    value = item.raw(key, required)
    if value is MISSING:
        return []
    values = [value] if isinstance(value, str) else list(value) if isinstance(value, list) \
        else None
    if values is None:
        item.problem(key, "expected an e-mail address or a list of them")
        return []
    good = []
    for entry in values:
        if not isinstance(entry, str) or not EMAIL_PATTERN.match(entry):
            item.problem(key, f"'{entry}' is not an e-mail address (expected name@domain)")
        else:
            good.append(entry)
    if required and not values:
        item.problem(key, "expected at least one e-mail address")
    return good


def _parse_calendar(top: Fields, pending: _Pending) -> None:
    top.only({"kind", "code", "name", "action_months", "report_periods", "observances",
              "reminders"})
    code = top.code()
    months: list[ActionMonth] = []
    seen: set[str] = set()
    for node, path in top.items("action_months"):
        item = Fields(node, path, top.sink)
        item.only({"code", "name", "start", "end", "results_due_days"})
        month_code, name = item.code(), item.text("name")
        start = item.parsed("start", parse_day_month)
        end = item.parsed("end", parse_day_month)
        if start and end and (end[1], end[0]) < (start[1], start[0]):
            item.problem("end", f"ends before it starts (start {start[0]:02d}/{start[1]:02d})")
        elif month_code and name and start and end:
            if _seen(month_code, seen, item):
                continue
            days = item.integer("results_due_days", required=False, high=90)
            months.append(ActionMonth(month_code, name, start, end, 5 if days is None else days))
    periods: list[ReportPeriod] = []
    for node, path in top.items("report_periods"):
        item = Fields(node, path, top.sink)
        item.only({"code", "name", "due"})
        period_code, name = item.code(), item.text("name")
        due = item.parsed("due", parse_day_month)
        if period_code and name and due and not _seen(period_code, seen, item):
            periods.append(ReportPeriod(period_code, name, due))
    observances: list[Observance] = []
    for node, path in top.items("observances", required=False):
        item = Fields(node, path, top.sink)
        item.only({"date", "name"})
        day = item.parsed("date", parse_day_month)
        name = item.text("name")
        if day and name:
            observances.append(Observance(day[0], day[1], name))
    if code is None:
        return
    if code in pending.calendars:
        top.problem("code", f"duplicate calendar code '{code}'")
        return
    reminders = top.child("reminders", required=False)
    policy = _parse_policy(reminders) if reminders is not None and reminders.ok \
        else ReminderPolicy()
    if policy is None:
        return
    pending.calendars[code] = Calendar(code, tuple(months), tuple(periods), tuple(observances),
                                       policy)


def _parse_policy(top: Fields) -> ReminderPolicy | None:
    """The reminder ladder and the scheduler's hours; every field has a default."""
    top.only({"send_at", "rest_days", "national_holidays", "opening_days_ahead", "digest",
              "steps", "extra_working_days", "extra_days_off"})
    before = len(top.sink.problems)
    default = ReminderPolicy()
    send_at = top.parsed("send_at", _parse_clock, required=False) or default.send_at
    rest_days = tuple(top.raw("rest_days", False)) if top.raw("rest_days", False) \
        is not MISSING else default.rest_days
    for day in rest_days:
        if day not in WEEKDAYS:
            top.problem("rest_days", f"'{day}' is not a weekday (expected one of: "
                                     f"{', '.join(WEEKDAYS)})")
    national = top.raw("national_holidays", False)
    if national is not MISSING and not isinstance(national, bool):
        top.problem("national_holidays", "expected true or false")
    opening = top.integer("opening_days_ahead", required=False, high=90)
    digest = top.child("digest", required=False)
    digest_weekday, digest_at = default.digest_weekday, default.digest_at
    stop_after = default.digest_stop_after_days
    if digest is not None and digest.ok:
        digest.only({"weekday", "at", "stop_after_days"})
        stop_after = digest.integer("stop_after_days", required=False, low=7, high=3660) \
            or stop_after
        digest_weekday = digest.text("weekday", required=False) or digest_weekday
        if digest_weekday not in WEEKDAYS:
            digest.problem("weekday", f"'{digest_weekday}' is not a weekday")
        digest_at = digest.parsed("at", _parse_clock, required=False) or digest_at
    steps = tuple(_parse_steps(top)) if top.raw("steps", False) is not MISSING \
        else default.steps
    worked = _parse_moved_days(top, "extra_working_days")
    off = _parse_moved_days(top, "extra_days_off")
    both = {m.day for m in worked} & {m.day for m in off}
    if both:
        top.problem("extra_days_off", "a day cannot be both worked and off: "
                                      + ", ".join(sorted(d.strftime("%d/%m/%Y") for d in both)))
    if len(top.sink.problems) > before:
        return None
    return ReminderPolicy(steps, send_at, rest_days,
                          default.national_holidays if national is MISSING else national,
                          digest_weekday, digest_at,
                          default.opening_days_ahead if opening is None else opening,
                          worked, off, stop_after)


def _parse_moved_days(top: Fields, key: str) -> tuple[MovedDay, ...]:
    """Days moved around holidays, each a full date dd/mm/yyyy (they hold for one year)."""
    days: list[MovedDay] = []
    seen: set[date] = set()
    for node, path in top.items(key, required=False):
        item = Fields(node, path, top.sink)
        item.only({"date", "name"})
        day, name = item.parsed("date", parse_date), item.text("name")
        if day in seen:
            item.problem("date", f"{day:%d/%m/%Y} is listed twice")
        elif day and name:
            seen.add(day)
            days.append(MovedDay(day, name))
    return tuple(days)


def _parse_clock(text: str) -> tuple[int, int]:
    parts = text.strip().split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        hour, minute = int(parts[0]), int(parts[1])
        if hour < 24 and minute < 60:
            return hour, minute
    raise DateFormatError(f"'{text}' is not a time of day (expected HH:MM)")


STEP_KINDS = {"reminder", "overdue", "escalation"}
NOTIFY = {"agency", "head", "chair"}


def _parse_steps(top: Fields) -> list[ReminderStep]:
    steps: list[ReminderStep] = []
    for node, path in top.items("steps"):
        item = Fields(node, path, top.sink)
        item.only({"code", "kind", "days", "working_days", "level", "notify"})
        code, kind = item.code(), item.text("kind")
        if kind is not None and kind not in STEP_KINDS:
            item.problem("kind", f"'{kind}' is not a step kind (expected one of: "
                                 f"{', '.join(sorted(STEP_KINDS))})")
            continue
        notify = item.text("notify", required=False) or "agency"
        if notify not in NOTIFY:
            item.problem("notify", f"'{notify}' is not a recipient (expected one of: "
                                   f"{', '.join(sorted(NOTIFY))})")
        if kind == "reminder":
            days = item.integer("days", low=-90, high=-1)
            step = ReminderStep(code, kind, days=days) if code and days else None
        elif kind == "overdue":
            days = item.integer("days", required=False, low=0, high=90) or 0
            step = ReminderStep(code, kind, days=days) if code else None
        elif kind == "escalation":
            working = item.integer("working_days", low=1, high=90)
            level = item.integer("level", low=1, high=9)
            previous = max((s.level for s in steps if s.kind == "escalation"), default=0)
            if level is not None and level != previous + 1:
                item.problem("level", f"expected level {previous + 1} (levels rise one by one)")
            step = ReminderStep(code, kind, working_days=working or 0, level=level or 0,
                                notify=notify) if code and working and level else None
        else:
            step = None
        if step is not None:
            if any(s.code == step.code for s in steps):
                item.problem("code", f"duplicate step code '{step.code}'")
                continue
            steps.append(step)
    return steps


def _seen(code: str, seen: set[str], item: Fields) -> bool:
    if code in seen:
        item.problem("code", f"duplicate code '{code}'")
        return True
    seen.add(code)
    return False


def _parse_directive(top: Fields, pending: _Pending, display: str) -> None:
    top.only({"kind", "code", "document", "number", "date", "issuer", "title", "year",
              "until_year", "implements", "signer", "secretariat", "chair", "calendar",
              "committee", "tasks"})
    code = top.code()
    document = top.text("document")
    if document is not None and document not in DOCUMENT_KINDS:
        top.problem("document", f"'{document}' is not a document kind (expected one of: "
                                f"{', '.join(sorted(DOCUMENT_KINDS))})")
    number, issuer, title = top.text("number"), top.text("issuer"), top.text("title")
    issued = top.parsed("date", parse_partial_date)
    year = top.integer("year", low=2000, high=2100)
    until_year = top.integer("until_year", required=False, low=2000, high=2100)
    if year and until_year and until_year < year:
        top.problem("until_year", f"{until_year} is before the directive's year {year}")
    if issued and year and issued[0].year > year:
        top.problem("date", f"issued in {issued[0].year}, after the directive's year {year}")
    refs: list[_CodeRef] = []
    secretariat = top.code("secretariat") if top.raw("secretariat", False) is not MISSING \
        else None
    if secretariat:
        refs.append(_CodeRef(secretariat, top.line("secretariat"), top.at("secretariat")))
    chair = top.code("chair") if top.raw("chair", False) is not MISSING else None
    if chair:
        refs.append(_CodeRef(chair, top.line("chair"), top.at("chair")))
    calendar = top.code("calendar") if top.raw("calendar", False) is not MISSING else "default"
    committee = top.code("committee") if top.raw("committee", False) is not MISSING else None
    implements = [_reference(Fields(node, path, top.sink))
                  for node, path in top.items("implements", required=False)]
    tasks: list[TaskSpec] = []
    due_checks: list[_DueCheck] = []
    serving: list[tuple[TaskSpec, Fields]] = []
    if isinstance(top.node.get("tasks"), list) and not top.node["tasks"]:
        top.problem("tasks", "a directive needs at least one task")
    for node, path in top.items("tasks"):
        item = Fields(node, path, top.sink)
        spec = _task_spec(item, refs, due_checks)
        if spec is None:
            continue
        if any(t.code == spec.code for t in tasks):
            item.problem("code", f"duplicate task code '{spec.code}'")
            continue
        tasks.append(spec)
        if spec.serves is not None:
            serving.append((spec, item))
    required = (code, document, number, issuer, title, issued, year, calendar)
    if any(value is None for value in required) or not top.ok:
        return
    assert code and document and number and issuer and title and issued and year and calendar
    directive = Directive(
        code=code, kind=document, number=number, issued_on=issued[0], date_precision=issued[1],
        issuer=issuer, title=title, year=year, until_year=until_year or year,
        implements=tuple(r for r in implements if r is not None), tasks=tuple(tasks),
        signer=top.text("signer", required=False), secretariat=secretariat,
        source_file=display, calendar=calendar, chair=chair, committee=committee,
    )
    pending.directives.append(_PendingDirective(directive, top, refs, calendar, due_checks,
                                                serving))


def _reference(item: Fields) -> Reference | None:
    item.only({"document", "number", "date", "issuer", "title"})
    kind, number, issuer = item.text("document"), item.text("number"), item.text("issuer")
    when = item.parsed("date", parse_date, required=False)
    if kind is None or number is None or issuer is None:
        return None
    return Reference(kind, number, when, issuer, item.text("title", required=False))


def _task_spec(item: Fields, refs: list[_CodeRef], due_checks: list[_DueCheck]
               ) -> TaskSpec | None:
    item.only({"code", "title", "text", "lead", "coordinating", "due", "recurs", "source",
               "serves"})
    code, title = item.code(), item.text("title")
    serves = item.text("serves", required=False)
    if serves is not None and not _is_task_address(serves):
        item.problem("serves", f"'{serves}' is not a task of an upper directive (expected "
                               "DIRECTIVE/TASK, e.g. tm-2026/2)")
        return None
    text = item.text("text", required=False) or title
    lead = item.codes("lead")
    coordinating = item.codes("coordinating", required=False)
    refs.extend(_CodeRef(c, line, path) for c, line, path in lead + coordinating)
    due = None
    if item.raw("due", False) is not MISSING:
        due = _due_rule(item, "due")
        if due is not None:
            due_checks.append(_DueCheck(due, item, "due", code))
    recurs: list[PeriodDue] = []
    for node, path in item.items("recurs", required=False):
        period_due = _period_due(node, path, item, code, due_checks)
        if period_due is not None:
            recurs.append(period_due)
    if due is not None and recurs:
        item.problem("recurs", "a task has either one 'due' or per-period 'recurs', not both")
        return None
    if code is None or title is None or not lead:
        return None
    return TaskSpec(code, title, text or title, tuple(c for c, _, _ in lead),
                    tuple(c for c, _, _ in coordinating), due, tuple(recurs),
                    item.text("source", required=False), serves)


def _is_task_address(value: str) -> bool:
    directive, slash, task = value.partition("/")
    return bool(slash) and all(CODE_PATTERN.match(part) for part in (directive, task))


def _period_due(node: Any, path: str, parent: Fields, spec_code: str | None,
                due_checks: list[_DueCheck]) -> PeriodDue | None:
    if isinstance(node, str):  # a bare period code: problems are reported at the list
        due_checks.append(_DueCheck(None, parent, "recurs", spec_code, node))
        return PeriodDue(node, _CALENDAR_DEFAULT)
    item = Fields(node, path, parent.sink)
    item.only({"period", "due"})
    period = item.code("period")
    if period is None:
        return None
    if item.raw("due", False) is MISSING:
        due_checks.append(_DueCheck(None, item, "period", spec_code, period))
        return PeriodDue(period, _CALENDAR_DEFAULT)
    due = _due_rule(item, "due")
    if due is None:
        return None
    due_checks.append(_DueCheck(due, item, "due", spec_code, period))
    return PeriodDue(period, due)


# Stands for "the calendar period's own deadline" until the calendar is known.
_CALENDAR_DEFAULT = YearlyDue(0, 0)


def _due_rule(item: Fields, key: str) -> DueRule | None:
    value = item.raw(key, True)
    if isinstance(value, date):
        value = value.strftime("%d/%m/%Y")
    if isinstance(value, str):
        if value.count("/") == 1:
            day_month = item.parsed(key, parse_day_month)
            return YearlyDue(*day_month) if day_month else None
        on = item.parsed(key, parse_date)
        return FixedDue(on) if on else None
    if hasattr(value, "keys"):
        sub = Fields(value, item.at(key), item.sink)
        sub.only({"action_month", "anchor", "offset_days"})
        month = sub.code("action_month")
        anchor = sub.text("anchor", required=False) or "end"
        if anchor not in ANCHORS:
            sub.problem("anchor", f"'{anchor}' is not an anchor (expected start or end)")
            return None
        offset = sub.integer("offset_days", required=False, low=-366, high=366)
        return ActionMonthDue(month, anchor, offset or 0) if month else None
    item.problem(key, "expected dd/mm/yyyy, a yearly dd/mm, or "
                      "{action_month: CODE, anchor: start|end, offset_days: N}")
    return None


def _cross_check(pending: _Pending, known: Registry, known_calendars: dict[str, Calendar]
                 ) -> tuple[DefinitionSet, list[Problem]]:
    """Checks that need every file: references, group members, deadlines vs issue dates."""
    problems: list[Problem] = []
    file_registry = Registry({code: entry[0] for code, entry in pending.agencies.items()},
                             {code: entry.group for code, entry in pending.groups.items()})
    agencies = {**known.agencies, **file_registry.agencies}
    groups = {**known.groups, **file_registry.groups}
    committees = {**known.committees,
                  **{code: entry[0] for code, entry in pending.committees.items()}}
    registry = Registry(agencies, groups, committees)
    for committee, fields in pending.committees.values():
        _check_committee(committee, fields, agencies, committees)
    file_registry = Registry(file_registry.agencies, file_registry.groups,
                             {code: entry[0] for code, entry in pending.committees.items()})
    for code, pending_group in pending.groups.items():
        file = pending_group.origin.file
        for ref in pending_group.members:
            if ref.code in groups:
                problems.append(Problem(file, ref.line, ref.path, f"'{ref.code}' is a group; "
                                        "a group's members must be agency codes"))
            elif ref.code not in agencies:
                problems.append(Problem(file, ref.line, ref.path, f"unknown agency code "
                                        f"'{ref.code}' in group '{code}' (expected an agency "
                                        "code from the registry)"))
    calendars = {**known_calendars, **pending.calendars}
    directives: dict[str, Directive] = {}
    for item in pending.directives:
        directive = item.directive
        sink = item.top.sink
        if directive.code in directives:
            item.top.problem("code", f"duplicate directive code '{directive.code}'")
            continue
        directive = _with_committee(directive, item.top, agencies, committees)
        for ref in item.refs:
            if ref.code.startswith(FUNCTION_PREFIX):
                function = ref.code.removeprefix(FUNCTION_PREFIX)
                if not registry.function_holders(function, directive.committee):
                    problems.append(Problem(sink.display, ref.line, ref.path, f"no agency has "
                                            f"the function '{function}' in the communes of "
                                            f"committee '{directive.committee}' (expected a "
                                            "commune registry under it naming that function)"))
            elif not registry.knows(ref.code):
                problems.append(Problem(sink.display, ref.line, ref.path, f"unknown agency code "
                                        f"'{ref.code}' (expected an agency or group code from "
                                        "the registry)"))
        for role in ("secretariat", "chair"):
            if getattr(directive, role) in groups:
                item.top.problem(role, "expected one agency, not a group")
        calendar = calendars.get(item.calendar)
        if calendar is None:
            item.top.problem("calendar", f"unknown calendar '{item.calendar}' (expected one of: "
                                         f"{', '.join(sorted(calendars)) or 'none loaded'})")
            continue
        resolved = _resolve_periods(directive, calendar, item.due_checks)
        if resolved is not None:
            directives[directive.code] = resolved
    for item in pending.directives:
        own = directives.get(item.directive.code)
        for spec, fields in item.serving if own is not None else ():
            served = spec.served
            assert served is not None
            upper = directives.get(served[0])
            if upper is not None:  # the database's directives are checked when storing
                message = serving_problem(own.committee, committees, served,
                                          upper.committee, {t.code for t in upper.tasks})
                if message:
                    fields.problem("serves", message)
    return DefinitionSet(file_registry, dict(pending.calendars), directives), problems


def serving_problem(committee: str | None, committees: dict[str, Committee],
                    served: tuple[str, str], upper_committee: str | None,
                    upper_tasks: set[str]) -> str | None:
    """Why a task may not serve `served`: it must be a task of a directive of the
    committee's parent (a commune carries out its province's tasks, not another's)."""
    directive, task = served
    if task not in upper_tasks:
        return f"directive '{directive}' has no task '{task}'"
    parent = committees[committee].parent if committee in committees else None
    if parent is None or parent != upper_committee:
        return (f"directive '{directive}' belongs to committee '{upper_committee}', not to "
                f"the parent of committee '{committee}' (expected a directive of "
                f"'{parent or 'no parent'}')")
    return None


def _check_committee(committee: Committee, fields: Fields, agencies: dict[str, Agency],
                     committees: dict[str, Committee]) -> None:
    """A committee's parent is a known province committee, and a province has none, so
    the tree is one level deep and cannot loop; its secretariat and chair are its own
    member agencies."""
    if committee.parent is not None:
        parent = committees.get(committee.parent)
        if parent is None:
            fields.problem("parent", f"unknown committee '{committee.parent}' (expected one "
                                     f"of: {', '.join(sorted(committees)) or 'none loaded'})")
        elif parent.level != "province" or committee.level == "province":
            fields.problem("parent", f"a {committee.level} committee cannot sit under the "
                                     f"{parent.level} committee '{parent.code}' (expected a "
                                     "province above a commune or district)")
    for role in ("secretariat", "chair"):
        code = getattr(committee, role)
        if code is None:
            continue
        agency = agencies.get(code)
        if agency is None:
            fields.problem(role, f"unknown agency code '{code}' (expected an agency of this "
                                 "registry)")
        elif agency.committee != committee.code:
            fields.problem(role, f"'{code}' is not a member of committee '{committee.code}'")


def _with_committee(directive: Directive, top: Fields, agencies: dict[str, Agency],
                    committees: dict[str, Committee]) -> Directive:
    """A directive belongs to the committee it names, else to its secretariat's."""
    secretariat = agencies.get(directive.secretariat or "")
    derived = secretariat.committee if secretariat else None
    if directive.committee is None:
        return replace(directive, committee=derived)
    if directive.committee not in committees:
        top.problem("committee", f"unknown committee '{directive.committee}' (expected one "
                                 f"of: {', '.join(sorted(committees)) or 'none loaded'})")
    elif derived is not None and derived != directive.committee:
        top.problem("secretariat", f"'{directive.secretariat}' belongs to committee "
                                   f"'{derived}', not '{directive.committee}'")
    return directive


def _resolve_periods(directive: Directive, calendar: Calendar, checks: list[_DueCheck]
                     ) -> Directive | None:
    """Fills calendar-default deadlines and checks every deadline against the issue date."""
    ok = True
    for check in checks:
        if check.period is not None and check.period not in calendar.period_codes():
            check.fields.problem(check.key, f"unknown period '{check.period}' (expected one of: "
                                            f"{', '.join(sorted(calendar.period_codes()))})")
            ok = False
            continue
        rule = check.rule or period_default_due(check.period or "", calendar)
        if isinstance(rule, ActionMonthDue) and rule.action_month not in {
                m.code for m in calendar.action_months}:
            check.fields.problem(check.key, f"unknown action month '{rule.action_month}' "
                                            f"(expected one of: "
                                            f"{', '.join(m.code for m in calendar.action_months)})")
            ok = False
            continue
        when = due_date(rule, directive.year, calendar)
        if when < directive.issued_on:
            check.fields.problem(check.key, f"deadline {format_date(when)} is before the issue "
                                            f"date {format_date(directive.issued_on)}")
            ok = False
    if not ok:
        return None
    tasks = []
    for spec in directive.tasks:
        recurs = tuple(
            PeriodDue(p.period, period_default_due(p.period, calendar))
            if p.due is _CALENDAR_DEFAULT else p for p in spec.recurs)
        tasks.append(replace(spec, recurs=recurs))
    return replace(directive, tasks=tuple(tasks))
