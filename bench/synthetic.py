"""Synthetic data for the benchmarks: one directive of 2024 whose tasks all go to the
group `b.all`, and agencies added in bulk beside the registry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from workflow.definitions.loader import load_definitions
from workflow.definitions.specs import (
    Agency,
    AgencyGroup,
    DefinitionSet,
    Directive,
    Registry,
    TaskSpec,
    YearlyDue,
)

YEAR = 2024
CALENDAR = Path(__file__).resolve().parent.parent / "definitions" / "calendar.yaml"


def agency_code(index: int) -> str:
    return f"b.{index:07d}"


def agency(index: int) -> Agency:
    return Agency(agency_code(index), f"Ủy ban nhân dân xã số {index}", "xa",
                  (f"xa{index}@bench.example",), short_name=f"UBND xã số {index}")


def task_spec(code: str, title: str, due: date) -> TaskSpec:
    return TaskSpec(code, title, "Nội dung", ("b.all",), due=YearlyDue(due.day, due.month))


def bench_definitions(specs: tuple[TaskSpec, ...], agencies: int) -> DefinitionSet:
    """Directive `bench` with `specs`; its group holds the first `agencies` agencies."""
    members = {agency_code(i): agency(i) for i in range(agencies)}
    directive = Directive("bench", "ke-hoach", "12/KH-UBND", date(YEAR, 1, 2), "day",
                          "Ủy ban nhân dân tỉnh", "Kế hoạch thử", YEAR, YEAR, (), specs)
    return DefinitionSet(Registry(members, {"b.all": AgencyGroup("b.all", "Tất cả",
                                                                  tuple(members))}),
                         load_definitions([CALENDAR]).calendars, {"bench": directive})


def add_agencies(session: Session, start: int, stop: int) -> None:
    """Agencies start..stop-1 with one INSERT executemany (the loader's path is per row)."""
    rows = [agency(i) for i in range(start, stop)]
    session.execute(text("INSERT INTO agency (code, name, short_name, level, emails) VALUES "
                         "(:code, :name, :short_name, :level, :emails)"),
                    [{"code": a.code, "name": a.name, "short_name": a.short_name,
                      "level": a.level, "emails": f'["{a.emails[0]}"]'} for a in rows])
