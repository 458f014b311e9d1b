"""How far a draft agrees with a reviewed definition of the same directive.

Used by the tests against the hand-written definitions and by the importer benchmark:
number, date, year, issuer, upper directives, deadlines and action months must agree
exactly; (task, agency, role) assignments are scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from importer.textkey import key
from workflow.dates import format_date
from workflow.definitions.deadlines import due_date
from workflow.definitions.specs import ActionMonthDue, Calendar, Directive, TaskSpec


@dataclass
class Agreement:
    fields: dict[str, tuple[object, object]] = field(default_factory=dict)  # name -> (draft, hand)
    implements: tuple[set[tuple[object, ...]], set[tuple[object, ...]]] = (set(), set())
    deadlines: tuple[set[tuple[str, ...]], set[tuple[str, ...]]] = (set(), set())
    action_months: tuple[set[tuple[str, ...]], set[tuple[str, ...]]] = (set(), set())
    assignments: tuple[set[tuple[str, ...]], set[tuple[str, ...]]] = (set(), set())

    def field_mismatches(self) -> list[str]:
        return [f"{name}: draft {draft!r}, definition {hand!r}"
                for name, (draft, hand) in self.fields.items() if draft != hand]

    @staticmethod
    def _differences(pair: tuple[set, set]) -> list[str]:  # type: ignore[type-arg]
        draft, hand = pair
        return [f"only in draft: {item}" for item in sorted(draft - hand, key=str)] + \
            [f"only in definition: {item}" for item in sorted(hand - draft, key=str)]

    def mismatches(self) -> dict[str, list[str]]:
        return {"fields": self.field_mismatches(),
                "implements": self._differences(self.implements),
                "deadlines": self._differences(self.deadlines),
                "action_months": self._differences(self.action_months),
                "assignments": self._differences(self.assignments)}

    @property
    def assignment_score(self) -> float:
        """Shared (task, agency, role) triples over all of either side (Jaccard)."""
        draft, hand = self.assignments
        union = draft | hand
        return len(draft & hand) / len(union) if union else 1.0

    @property
    def assignment_recall(self) -> float:
        draft, hand = self.assignments
        return len(draft & hand) / len(hand) if hand else 1.0


def compare(draft: Directive, hand: Directive, calendar: Calendar) -> Agreement:
    result = Agreement()
    result.fields = {
        "number": (draft.number, hand.number),
        "date": ((format_date(draft.issued_on), draft.date_precision),
                 (format_date(hand.issued_on), hand.date_precision)),
        "year": (draft.year, hand.year),
        "issuer": (key(draft.issuer), key(hand.issuer)),
        "document": (draft.kind, hand.kind),
    }
    result.implements = (_references(draft), _references(hand))
    months = {m.code for m in calendar.action_months}
    result.deadlines = (_deadlines(draft, calendar, months), _deadlines(hand, calendar, months))
    result.action_months = (_months(draft, months), _months(hand, months))
    result.assignments = (_assignments(draft), _assignments(hand))
    return result


def _references(directive: Directive) -> set[tuple[object, ...]]:
    return {(r.kind, r.number, format_date(r.date) if r.date else None, key(r.issuer))
            for r in directive.implements}


def _deadlines(directive: Directive, calendar: Calendar, months: set[str]
               ) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for spec in directive.tasks:
        for period in spec.recurs:
            if period.period not in months:
                found.add((spec.code, period.period,
                           format_date(due_date(period.due, directive.year, calendar))))
        if spec.due is not None and not isinstance(spec.due, ActionMonthDue):
            found.add((spec.code, "due", format_date(due_date(spec.due, directive.year,
                                                              calendar))))
    return found


def _months(directive: Directive, months: set[str]) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for spec in directive.tasks:
        found |= {(spec.code, p.period) for p in spec.recurs if p.period in months}
        if isinstance(spec.due, ActionMonthDue):
            found.add((spec.code, spec.due.action_month, spec.due.anchor))
    return found


def _assignments(directive: Directive) -> set[tuple[str, ...]]:
    return {triple for spec in directive.tasks for triple in _roles(spec)}


def _roles(spec: TaskSpec) -> set[tuple[str, ...]]:
    return {(spec.code, code, "lead") for code in spec.lead} | \
        {(spec.code, code, "coordinating") for code in spec.coordinating}
