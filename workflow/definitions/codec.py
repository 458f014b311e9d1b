"""Spec objects to JSON-able dicts and back, for the stored snapshot of definitions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from workflow.definitions.specs import (
    ActionMonth,
    ActionMonthDue,
    Calendar,
    DueRule,
    FixedDue,
    MovedDay,
    Observance,
    PeriodDue,
    Reference,
    ReminderPolicy,
    ReminderStep,
    ReportPeriod,
    YearlyDue,
)


def due_to_dict(rule: DueRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    if isinstance(rule, FixedDue):
        return {"fixed": rule.on.isoformat()}
    if isinstance(rule, YearlyDue):
        return {"yearly": [rule.day, rule.month]}
    return {"action_month": rule.action_month, "anchor": rule.anchor,
            "offset_days": rule.offset_days}


def due_from_dict(data: dict[str, Any] | None) -> DueRule | None:
    if data is None:
        return None
    if "fixed" in data:
        return FixedDue(date.fromisoformat(data["fixed"]))
    if "yearly" in data:
        return YearlyDue(*data["yearly"])
    return ActionMonthDue(data["action_month"], data["anchor"], data["offset_days"])


def recurs_to_list(recurs: tuple[PeriodDue, ...]) -> list[dict[str, Any]]:
    return [{"period": p.period, "due": due_to_dict(p.due)} for p in recurs]


def recurs_from_list(data: list[dict[str, Any]]) -> tuple[PeriodDue, ...]:
    result = []
    for item in data:
        rule = due_from_dict(item["due"])
        assert rule is not None
        result.append(PeriodDue(item["period"], rule))
    return tuple(result)


def reference_to_dict(ref: Reference) -> dict[str, Any]:
    return {"document": ref.kind, "number": ref.number,
            "date": ref.date.isoformat() if ref.date else None,
            "issuer": ref.issuer, "title": ref.title}


def reference_from_dict(data: dict[str, Any]) -> Reference:
    when = date.fromisoformat(data["date"]) if data.get("date") else None
    return Reference(data["document"], data["number"], when, data["issuer"], data.get("title"))


def calendar_to_dict(calendar: Calendar) -> dict[str, Any]:
    return {
        "action_months": [{"code": m.code, "name": m.name, "start": list(m.start),
                           "end": list(m.end), "results_due_days": m.results_due_days}
                          for m in calendar.action_months],
        "report_periods": [{"code": p.code, "name": p.name, "due": list(p.due)}
                           for p in calendar.report_periods],
        "observances": [{"day": o.day, "month": o.month, "name": o.name}
                        for o in calendar.observances],
        "policy": policy_to_dict(calendar.policy),
    }


def policy_to_dict(policy: ReminderPolicy) -> dict[str, Any]:
    return {"steps": [asdict(step) for step in policy.steps], "send_at": list(policy.send_at),
            "rest_days": list(policy.rest_days), "national_holidays": policy.national_holidays,
            "digest_weekday": policy.digest_weekday, "digest_at": list(policy.digest_at),
            "opening_days_ahead": policy.opening_days_ahead,
            "extra_working_days": [_moved_to_dict(m) for m in policy.extra_working_days],
            "extra_days_off": [_moved_to_dict(m) for m in policy.extra_days_off],
            "digest_stop_after_days": policy.digest_stop_after_days}


def _moved_to_dict(moved: MovedDay) -> dict[str, str]:
    return {"day": moved.day.isoformat(), "name": moved.name}


def _moved_from_dict(data: dict[str, Any]) -> MovedDay:
    return MovedDay(date.fromisoformat(data["day"]), data["name"])


def policy_from_dict(data: dict[str, Any] | None) -> ReminderPolicy:
    if data is None:
        return ReminderPolicy()
    return ReminderPolicy(
        steps=tuple(ReminderStep(**step) for step in data["steps"]),
        send_at=tuple(data["send_at"]), rest_days=tuple(data["rest_days"]),  # type: ignore[arg-type]
        national_holidays=data["national_holidays"], digest_weekday=data["digest_weekday"],
        digest_at=tuple(data["digest_at"]),  # type: ignore[arg-type]
        opening_days_ahead=data["opening_days_ahead"],
        extra_working_days=tuple(map(_moved_from_dict, data.get("extra_working_days", []))),
        extra_days_off=tuple(map(_moved_from_dict, data.get("extra_days_off", []))),
        digest_stop_after_days=data.get("digest_stop_after_days",
                                        ReminderPolicy.digest_stop_after_days))


def calendar_from_dict(code: str, data: dict[str, Any]) -> Calendar:
    return Calendar(
        code=code,
        action_months=tuple(ActionMonth(m["code"], m["name"], tuple(m["start"]),
                                        tuple(m["end"]), m["results_due_days"])
                            for m in data["action_months"]),
        report_periods=tuple(ReportPeriod(p["code"], p["name"], tuple(p["due"]))
                             for p in data["report_periods"]),
        observances=tuple(Observance(o["day"], o["month"], o["name"])
                          for o in data["observances"]),
        policy=policy_from_dict(data.get("policy")),
    )
