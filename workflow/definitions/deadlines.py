"""Due rules to concrete dates for one year; used by validation and instantiation."""

from __future__ import annotations

from datetime import date, timedelta

from workflow.definitions.specs import (
    ActionMonthDue,
    Calendar,
    Directive,
    DueRule,
    FixedDue,
    YearlyDue,
)


def due_date(rule: DueRule, year: int, calendar: Calendar) -> date:
    if isinstance(rule, FixedDue):
        return rule.on
    if isinstance(rule, YearlyDue):
        return date(year, rule.month, rule.day)
    month = calendar.action_month(rule.action_month)
    anchor = month.start_date(year) if rule.anchor == "start" else month.end_date(year)
    return anchor + timedelta(days=rule.offset_days)


def period_default_due(period: str, calendar: Calendar) -> DueRule:
    """The deadline of a calendar period when a task names the period without one."""
    for report in calendar.report_periods:
        if report.code == period:
            return YearlyDue(report.due[0], report.due[1])
    month = calendar.action_month(period)
    return ActionMonthDue(month.code, "end", month.results_due_days)


def deadline_days(directive: Directive, calendar: Calendar, year: int) -> set[date]:
    """Every deadline day the directive's tasks have in `year`."""
    rules = [spec.due for spec in directive.tasks if spec.due is not None]
    rules += [period.due for spec in directive.tasks for period in spec.recurs]
    return {due_date(rule, year, calendar) for rule in rules}
