"""Immutable spec objects: what the definitions say, validated once, never persisted state.

The loader builds these from YAML; instantiation turns them into task rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    name: str
    level: str
    emails: tuple[str, ...]
    head_name: str | None = None
    head_email: str | None = None
    short_name: str | None = None
    head_title: str | None = None  # full: "Trưởng phòng Nội vụ huyện Hà Quảng"
    head_salutation: str | None = None  # "Ông", "Bà", "Đồng chí"
    committee: str | None = None  # the committee whose registry lists it
    function: str | None = None  # what it does in its commune: "cong-an", "vhxh"…
    phone: str | None = None


# "chuc-nang.cong-an" in a task's agencies: the agencies holding that function in each
# commune of the directive's committee ("Công an các xã").
FUNCTION_PREFIX = "chuc-nang."

COMMITTEE_LEVELS = {"province": "tỉnh", "commune": "xã", "district": "huyện"}


@dataclass(frozen=True, slots=True)
class Committee:
    """A Ban Vì sự tiến bộ của phụ nữ: it issues directives to its member agencies (the
    agencies of its registry file); a commune's parent is its province. District
    committees are kept for the directives of 2022-2025."""

    code: str
    name: str
    level: str  # one of COMMITTEE_LEVELS
    locality: str
    parent: str | None = None
    secretariat: str | None = None  # cơ quan thường trực
    chair: str | None = None  # the agency whose head chairs it


@dataclass(frozen=True, slots=True)
class AgencyGroup:
    code: str
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FixedDue:
    """A deadline on one calendar date."""

    on: date


@dataclass(frozen=True, slots=True)
class YearlyDue:
    """A deadline on the same day every year, e.g. 05/06."""

    day: int
    month: int


@dataclass(frozen=True, slots=True)
class ActionMonthDue:
    """A deadline relative to an action month's start or end."""

    action_month: str
    anchor: str  # "start" | "end"
    offset_days: int = 0


DueRule = FixedDue | YearlyDue | ActionMonthDue


@dataclass(frozen=True, slots=True)
class PeriodDue:
    """One recurrence of a periodic task: the calendar period and its deadline."""

    period: str
    due: DueRule


@dataclass(frozen=True, slots=True)
class TaskSpec:
    code: str
    title: str
    text: str
    lead: tuple[str, ...]
    coordinating: tuple[str, ...] = ()
    due: DueRule | None = None
    recurs: tuple[PeriodDue, ...] = ()
    source: str | None = None
    # The upper committee's task this one carries out, "DIRECTIVE/TASK" (a commune plan's
    # task serving its province's): its verified reports compose the report sent up.
    serves: str | None = None

    @property
    def served(self) -> tuple[str, str] | None:
        """(directive, task) of `serves`."""
        if self.serves is None:
            return None
        directive, _, task = self.serves.partition("/")
        return directive, task


@dataclass(frozen=True, slots=True)
class Reference:
    """An upper directive this one implements ("Thực hiện Công văn số …")."""

    kind: str
    number: str
    date: date | None
    issuer: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Directive:
    code: str
    kind: str
    number: str
    issued_on: date
    date_precision: str
    issuer: str
    title: str
    year: int
    until_year: int
    implements: tuple[Reference, ...]
    tasks: tuple[TaskSpec, ...]
    signer: str | None = None
    secretariat: str | None = None
    source_file: str | None = None
    calendar: str = "default"
    chair: str | None = None  # the agency whose head chairs the committee (escalations)
    committee: str | None = None  # the issuing committee: given, or the secretariat's

    def task(self, code: str) -> TaskSpec:
        for spec in self.tasks:
            if spec.code == code:
                return spec
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class ActionMonth:
    code: str
    name: str
    start: tuple[int, int]  # (day, month)
    end: tuple[int, int]
    results_due_days: int = 5  # the results report is due this many days after the end

    def start_date(self, year: int) -> date:
        return date(year, self.start[1], self.start[0])

    def end_date(self, year: int) -> date:
        return date(year, self.end[1], self.end[0])


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    code: str
    name: str
    due: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Observance:
    day: int
    month: int
    name: str


@dataclass(frozen=True, slots=True)
class ReminderStep:
    """One rung of the reminder ladder, relative to a task's deadline day D.

    reminder: `days` before D (negative); overdue: the notice on D + `days`;
    escalation: `working_days` after D, raising the task to `level` and telling `notify`.
    """

    code: str
    kind: str  # "reminder" | "overdue" | "escalation"
    days: int = 0
    working_days: int = 0
    level: int = 0
    notify: str = "agency"  # "agency" | "head" | "chair"


DEFAULT_STEPS = (
    ReminderStep("before-7", "reminder", days=-7),
    ReminderStep("last-day", "reminder", days=-1),
    ReminderStep("overdue", "overdue", days=0),
    ReminderStep("escalation-1", "escalation", working_days=3, level=1, notify="head"),
    ReminderStep("escalation-2", "escalation", working_days=7, level=2, notify="chair"),
)


@dataclass(frozen=True, slots=True)
class MovedDay:
    """A day the government moves around a holiday: a Saturday worked ("làm bù") or a
    working day given off in exchange; the `holidays` package does not know the former."""

    day: date
    name: str


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """When the scheduler speaks: the ladder, the hour, the days it keeps silent.
    State offices work Monday to Friday, hence the default rest days."""

    steps: tuple[ReminderStep, ...] = DEFAULT_STEPS
    send_at: tuple[int, int] = (8, 0)  # (hour, minute), local time
    rest_days: tuple[str, ...] = ("saturday", "sunday")
    national_holidays: bool = True
    digest_weekday: str = "monday"
    digest_at: tuple[int, int] = (8, 0)
    opening_days_ahead: int = 14
    extra_working_days: tuple[MovedDay, ...] = ()
    extra_days_off: tuple[MovedDay, ...] = ()
    # Digests stop listing a task this long after its deadline, even if the year was never
    # closed: a 2023 plan must not write to agencies every week of 2025.
    digest_stop_after_days: int = 90


@dataclass(frozen=True, slots=True)
class Calendar:
    code: str
    action_months: tuple[ActionMonth, ...]
    report_periods: tuple[ReportPeriod, ...]
    observances: tuple[Observance, ...] = ()
    policy: ReminderPolicy = ReminderPolicy()

    def action_month(self, code: str) -> ActionMonth:
        return next(m for m in self.action_months if m.code == code)

    def find_action_month(self, code: str) -> ActionMonth | None:
        return next((m for m in self.action_months if m.code == code), None)

    def period_codes(self) -> set[str]:
        return {p.code for p in self.report_periods} | {m.code for m in self.action_months}


@dataclass(frozen=True, slots=True)
class Registry:
    """All agencies and groups known to one load."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    groups: dict[str, AgencyGroup] = field(default_factory=dict)
    committees: dict[str, Committee] = field(default_factory=dict)

    def knows(self, code: str) -> bool:
        return code in self.agencies or code in self.groups

    def function_holders(self, function: str, committee: str | None) -> tuple[str, ...]:
        """The agencies holding `function` in the committees under `committee`."""
        children = {c.code for c in self.committees.values()
                    if committee is not None and c.parent == committee}
        return tuple(sorted(a.code for a in self.agencies.values()
                            if a.function == function and a.committee in children))

    def expand(self, codes: tuple[str, ...], committee: str | None = None) -> tuple[str, ...]:
        """Agency, group and function codes to distinct agency codes, in first-seen
        order; a function expands within the communes of `committee`."""
        seen: dict[str, None] = {}
        for code in codes:
            if code.startswith(FUNCTION_PREFIX):
                members = self.function_holders(code.removeprefix(FUNCTION_PREFIX), committee)
            else:
                members = self.groups[code].members if code in self.groups else (code,)
            for member in members:
                seen.setdefault(member, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class DefinitionSet:
    """Everything one `load` produced, validated as a whole."""

    registry: Registry
    calendars: dict[str, Calendar]
    directives: dict[str, Directive]
