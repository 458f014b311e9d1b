"""Definition validation: every problem names file, line, field and what was expected;
any problem means nothing is returned."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import DEFINITIONS
from workflow.definitions.heads import head_title
from workflow.definitions.loader import load_definitions
from workflow.definitions.specs import ActionMonthDue, Agency, FixedDue, YearlyDue
from workflow.errors import DefinitionError, Problem
from workflow.views.labels import greeting

AGENCIES = """\
kind: agencies
agencies:
  - code: x.lao-dong
    name: Phòng Lao động - Thương binh và Xã hội
    level: huyen
    emails: [ldtbxh@x.example]
  - code: x.noi-vu
    name: Phòng Nội vụ
    level: huyen
    emails: [noivu@x.example]
    head: {name: Trưởng phòng, email: tp@x.example}
  - code: x.xa-a
    name: UBND xã A
    level: xa
    emails: [a@x.example]
groups:
  - code: x.xa
    name: UBND các xã
    members: [x.xa-a]
"""

CALENDAR = (DEFINITIONS / "calendar.yaml").read_text(encoding="utf-8")

DIRECTIVE = """\
kind: directive
code: x-2023
document: ke-hoach
number: 12/KH-UBND
date: 10/03/2023
issuer: UBND huyện X
title: Kế hoạch thử
year: 2023
secretariat: x.lao-dong
tasks:
  - code: "1"
    title: Báo cáo
    lead: [x.noi-vu, x.xa]
    recurs: [h1, year]
  - code: "2"
    title: Kế hoạch tháng hành động
    lead: [x.lao-dong]
    due: {action_month: gender-equality, anchor: start}
  - code: "3"
    title: Việc có hạn
    lead: [x.noi-vu]
    due: 20/10/2023
"""


def write_set(folder: Path, agencies: str = AGENCIES, directive: str = DIRECTIVE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agencies.yaml").write_text(agencies, encoding="utf-8")
    (folder / "calendar.yaml").write_text(CALENDAR, encoding="utf-8")
    (folder / "directive.yaml").write_text(directive, encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(DefinitionError) as info:
        load_definitions([folder])
    return list(info.value.problems)


def only_problem(folder: Path) -> Problem:
    problems = problems_of(folder)
    assert len(problems) == 1, problems
    return problems[0]


def test_valid_set_loads_with_rules(tmp_path: Path) -> None:
    loaded = load_definitions([write_set(tmp_path)])
    directive = loaded.directives["x-2023"]
    report, plan, fixed = directive.tasks
    assert [p.period for p in report.recurs] == ["h1", "year"]
    assert report.recurs[0].due == YearlyDue(5, 6)  # from the calendar
    assert plan.due == ActionMonthDue("gender-equality", "start", 0)
    assert fixed.due is not None and isinstance(fixed.due, FixedDue)
    assert loaded.registry.groups["x.xa"].members == ("x.xa-a",)


def test_shipped_definitions_load(shipped) -> None:  # type: ignore[no-untyped-def]
    assert set(shipped.directives) == {"hq-2022", "th-2023", "hp-2022"}
    hq = shipped.directives["hq-2022"]
    assert hq.number == "/KH-UBND" and hq.date_precision == "month"
    assert hq.implements[0].number == "864/KH-UBND"
    assert len(shipped.registry.groups["hq.xa-thi-tran"].members) == 21


def test_unknown_agency_code_names_line_and_field(tmp_path: Path) -> None:
    folder = write_set(tmp_path, directive=DIRECTIVE.replace("lead: [x.noi-vu, x.xa]",
                                                              "lead: [x.noi-vu, x.tu-phap]"))
    problem = only_problem(folder)
    assert problem.file.endswith("directive.yaml")
    assert problem.line == 13
    assert problem.field == "tasks[0].lead[1]"
    assert "unknown agency code 'x.tu-phap'" in problem.message


def test_impossible_date(tmp_path: Path) -> None:
    folder = write_set(tmp_path, directive=DIRECTIVE.replace("due: 20/10/2023", "due: 31/02/2023"))
    problem = only_problem(folder)
    assert (problem.line, problem.field) == (22, "tasks[2].due")
    assert "'31/02/2023' is not a real date" in problem.message


def test_deadline_before_issue_date(tmp_path: Path) -> None:
    folder = write_set(tmp_path, directive=DIRECTIVE.replace("due: 20/10/2023", "due: 01/03/2023"))
    problem = only_problem(folder)
    assert (problem.line, problem.field) == (22, "tasks[2].due")
    assert problem.message == "deadline 01/03/2023 is before the issue date 10/03/2023"


def test_yearly_period_deadline_before_issue_date(tmp_path: Path) -> None:
    late_issue = DIRECTIVE.replace("date: 10/03/2023", "date: 10/07/2023")
    problem = only_problem(write_set(tmp_path, directive=late_issue))
    assert problem.field == "tasks[0].recurs"
    assert "deadline 05/06/2023 is before the issue date 10/07/2023" in problem.message


def test_group_with_no_members(tmp_path: Path) -> None:
    folder = write_set(tmp_path, agencies=AGENCIES.replace("members: [x.xa-a]", "members: []"))
    problems = problems_of(folder)
    assert any(p.field == "groups[0].members" and "has no members" in p.message and p.line == 19
               for p in problems), problems


def test_group_member_must_be_a_known_agency(tmp_path: Path) -> None:
    folder = write_set(tmp_path, agencies=AGENCIES.replace("members: [x.xa-a]",
                                                           "members: [x.xa-a, x.xa-b]"))
    problem = only_problem(folder)
    assert (problem.field, problem.line) == ("groups[0].members[1]", 19)
    assert "unknown agency code 'x.xa-b'" in problem.message


def test_duplicate_agency_code(tmp_path: Path) -> None:
    folder = write_set(tmp_path, agencies=AGENCIES.replace("code: x.xa-a", "code: x.noi-vu"))
    problems = problems_of(folder)
    duplicate = [p for p in problems if "duplicate code 'x.noi-vu'" in p.message]
    assert duplicate and duplicate[0].line == 12 and duplicate[0].field == "agencies[2].code"
    assert "already defined at" in duplicate[0].message


def test_duplicate_task_code(tmp_path: Path) -> None:
    folder = write_set(tmp_path, directive=DIRECTIVE.replace('code: "3"', 'code: "2"'))
    problem = only_problem(folder)
    assert (problem.field, problem.line) == ("tasks[2].code", 19)
    assert "duplicate task code '2'" in problem.message


def test_duplicate_directive_code_across_files(tmp_path: Path) -> None:
    folder = write_set(tmp_path)
    (folder / "again.yaml").write_text(DIRECTIVE, encoding="utf-8")
    problems = problems_of(folder)
    assert any("duplicate directive code 'x-2023'" in p.message for p in problems)


def test_duplicate_yaml_key_is_a_problem(tmp_path: Path) -> None:
    folder = write_set(tmp_path, directive=DIRECTIVE.replace("year: 2023\n",
                                                              "year: 2023\nyear: 2024\n"))
    problem = only_problem(folder)
    assert problem.line == 9 and "duplicate" in problem.message


def test_unknown_field_is_refused_by_name(tmp_path: Path) -> None:
    folder = write_set(tmp_path, directive=DIRECTIVE.replace("    due: 20/10/2023",
                                                              "    deadline: 20/10/2023"))
    problem = only_problem(folder)
    assert problem.field == "tasks[2].deadline" and problem.line == 22
    assert "unknown field" in problem.message and "due" in problem.message


def test_missing_required_field(tmp_path: Path) -> None:
    folder = write_set(tmp_path, directive=DIRECTIVE.replace("issuer: UBND huyện X\n", ""))
    problem = only_problem(folder)
    assert problem.field == "issuer" and problem.message == "missing required field"


def test_unknown_period_and_action_month(tmp_path: Path) -> None:
    text = DIRECTIVE.replace("recurs: [h1, year]", "recurs: [h1, quy-3]").replace(
        "action_month: gender-equality", "action_month: july")
    problems = problems_of(write_set(tmp_path, directive=text))
    messages = " | ".join(p.message for p in problems)
    assert "unknown period 'quy-3'" in messages
    assert "unknown action month 'july'" in messages


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    folder = write_set(tmp_path, directive=DIRECTIVE.replace("title: Kế hoạch thử",
                                                              "title: [unclosed"))
    problem = only_problem(folder)
    assert problem.field == "(yaml)" and problem.line is not None and problem.line >= 8


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = DIRECTIVE.replace("due: 20/10/2023", "due: 31/02/2023").replace(
        "lead: [x.lao-dong]", "lead: [x.nobody]")
    problems = problems_of(write_set(tmp_path, directive=text))
    assert len(problems) == 2


def test_validates_against_registry_already_stored(tmp_path: Path) -> None:
    base = load_definitions([write_set(tmp_path / "base")])
    only_directive = tmp_path / "later"
    only_directive.mkdir()
    (only_directive / "d.yaml").write_text(DIRECTIVE.replace("x-2023", "x-2023b"),
                                           encoding="utf-8")
    with pytest.raises(DefinitionError) as alone:
        load_definitions([only_directive])
    assert any("unknown agency code" in p.message for p in alone.value.problems)
    assert any("unknown calendar 'default'" in p.message for p in alone.value.problems)
    later = load_definitions([only_directive], base.registry, base.calendars)
    assert set(later.directives) == {"x-2023b"}
    assert later.registry.agencies == {}  # only what the files defined is returned


def test_no_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"no \.yaml files"):
        load_definitions([tmp_path])


def test_moved_days_are_checked(tmp_path: Path) -> None:
    folder = write_set(tmp_path)
    calendar = folder / "calendar.yaml"
    text = CALENDAR.replace('- {date: "26/04/2025"', '- {date: "31/04/2025"')
    text = text.replace('- {date: "22/08/2026", name: "Làm bù cho ngày nghỉ thứ Hai 31/08/2026"}',
                        '- {date: "31/08/2026", name: "Làm bù"}')
    calendar.write_text(text, encoding="utf-8")
    problems = problems_of(folder)
    assert [(p.field, p.message) for p in problems][:2] == [
        ("reminders.extra_working_days[1].date", "'31/04/2025' is not a real date "
                                                 "(day is out of range for month)"),
        ("reminders.extra_days_off", "a day cannot be both worked and off: 31/08/2026")]


def test_heads_are_greeted_by_name_and_title_once() -> None:
    office = Agency("x.noi-vu", "Phòng Nội vụ huyện X", "huyen", ("a@x.example",),
                    head_title=head_title("Trưởng phòng", "Phòng Nội vụ huyện X"))
    assert greeting(office) == "Trưởng phòng Nội vụ huyện X"
    named = replace(office, head_name="Nguyễn Thị Lan", head_salutation="Bà")
    assert greeting(named) == "Bà Nguyễn Thị Lan, Trưởng phòng Nội vụ huyện X"
    assert greeting(replace(named, head_salutation=None)) == \
        "Ông/Bà Nguyễn Thị Lan, Trưởng phòng Nội vụ huyện X"
    assert greeting(replace(office, head_title=None)) == "Lãnh đạo Phòng Nội vụ huyện X"
    assert head_title("Chủ tịch", "Hội Nông dân xã Y") == "Chủ tịch Hội Nông dân xã Y"
    assert head_title("Trưởng", "Công an xã Y") == "Trưởng Công an xã Y"


def test_shipped_heads_have_full_titles(shipped) -> None:  # type: ignore[no-untyped-def]
    agencies = shipped.registry.agencies
    assert agencies["hq.noi-vu"].head_title == "Trưởng phòng Nội vụ huyện Hà Quảng"
    assert agencies["hq.cong-an"].head_title == "Trưởng Công an huyện Hà Quảng"
    assert all(a.head_title for a in agencies.values() if a.head_email)
