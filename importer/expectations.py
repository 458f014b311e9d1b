"""How far a draft agrees with a reviewed expectation of the same document.

The importer's corpus (tests/data/corpus) holds, beside each document, what a person
who reviewed it says the draft must hold: number, date, kind, issuer, year, signer,
upper directives, report deadlines, action months, and per task the first words of
its title and its lead agencies by name. Each of those is one check; an upper
directive, deadline or action month the draft invents is one failed check, so that
reading more than the document says never scores better than reading it right.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importer.build import Draft, Hints, build_draft
from importer.registry import Directory
from importer.source import ImportProblem
from importer.textkey import key
from importer.writer import write_draft
from workflow.errors import NhiemvuError

DANGLING = {"va", "cua", "ve", "voi", "cho", "cac", "nhung", "trong", "tai", "de", "nham",
            "theo", "tu", "den", "la", "duoc", "co", "hoac", "nhu", "tren", "o"}


@dataclass
class Score:
    name: str
    checks: list[tuple[str, bool, str]] = field(default_factory=list)  # (what, right, detail)

    def add(self, what: str, right: bool, detail: str = "") -> None:
        self.checks.append((what, right, detail))

    @property
    def right(self) -> int:
        return sum(1 for _, ok, _ in self.checks if ok)

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def ratio(self) -> float:
        return self.right / self.total if self.total else 1.0

    def failures(self) -> list[str]:
        return [f"{what}: {detail}" for what, ok, detail in self.checks if not ok]


def hints_of(expected: dict[str, Any]) -> Hints:
    given = expected.get("hints") or {}
    return Hints(year=int(given["year"]) if given.get("year") else None,
                 issuer=given.get("issuer"), kind=given.get("kind"), date=given.get("date"))


def score_document(path: Path, expected: dict[str, Any], directory: Directory) -> Score:
    """Import the document as `nhiemvu import` would and check it against the expectation."""
    score = Score(path.name)
    try:
        draft = build_draft(path, directory, hints=hints_of(expected))
    except (ImportProblem, NhiemvuError) as problem:
        for _ in range(_count(expected)):  # every check the draft would have had fails
            score.add("import", False, str(problem))
        return score
    with tempfile.TemporaryDirectory() as folder:
        try:
            written = write_draft(draft, directory, Path(folder) / "draft.yaml")
            score.add("loads", not written.problems, "; ".join(written.problems))
        except (ImportProblem, NhiemvuError) as problem:
            score.add("loads", False, str(problem))
    _fields(score, draft, expected)
    _sets(score, "implements", {r.found.number for r in draft.references},
          {str(n) for n in expected.get("implements") or []})
    _sets(score, "deadline", _deadlines(draft), set(expected.get("deadlines") or []))
    _sets(score, "action month", _months(draft), set(expected.get("action_months") or []))
    _tasks(score, draft, expected.get("tasks") or [])
    return score


def _count(expected: dict[str, Any]) -> int:
    return 7 + 1 + 2 * len(expected.get("tasks") or []) + sum(
        len(expected.get(name) or []) for name in ("implements", "deadlines", "action_months"))


def _fields(score: Score, draft: Draft, expected: dict[str, Any]) -> None:
    header = draft.header
    number = header.number.value
    if number == "/" and header.number.review:
        number = None  # the placeholder for "no number"
    date = header.date.value
    pairs = {
        "document": (header.kind.value, expected.get("document")),
        "number": (number, expected.get("number")),
        "date": (date, None if expected.get("date") is None else str(expected["date"])),
        "issuer": (key(header.issuer.value or ""), key(str(expected.get("issuer") or ""))),
        "year": (header.year.value, str(expected.get("year"))),
        "signer": (key(header.signer.value or ""), key(str(expected.get("signer") or ""))),
    }
    for name, (got, want) in pairs.items():
        score.add(name, got == want, f"đọc được {got!r}, cần {want!r}")


def _sets(score: Score, what: str, got: set[str], want: set[str]) -> None:
    for item in sorted(want):
        score.add(what, item in got, f"thiếu {item}")
    for item in sorted(got - want):
        score.add(what, False, f"thừa {item}")


def _deadlines(draft: Draft) -> set[str]:
    calendar = draft.calendar
    months = {m.code for m in calendar.action_months}
    year = draft.header.year.value or ""
    found: set[str] = set()
    for task in draft.tasks:
        for entry in task.recurs:
            period = entry.get("period") if isinstance(entry, dict) else entry
            if period in months:
                continue
            due = entry.get("due") if isinstance(entry, dict) else None
            if due is None:
                day, month = next(p.due for p in calendar.report_periods if p.code == period)
                due = f"{day:02d}/{month:02d}"
            found.add(f"{period} {_in_year(due, year)}")
        if isinstance(task.due, str):
            found.add(f"due {_in_year(task.due, year)}")
    return found


def _in_year(due: str, year: str) -> str:
    """'05/06' in 2023 -> '05/06/2023'; a due date with its own year keeps it."""
    return due if due.count("/") == 2 else f"{due}/{year}"


def _months(draft: Draft) -> set[str]:
    months = {m.code for m in draft.calendar.action_months}
    found = {entry for task in draft.tasks for entry in task.recurs
             if isinstance(entry, str) and entry in months}
    found |= {task.due["action_month"] for task in draft.tasks if isinstance(task.due, dict)}
    return found


def _tasks(score: Score, draft: Draft, expected: list[dict[str, Any]]) -> None:
    score.add("tasks", len(draft.tasks) == len(expected),
              f"{len(draft.tasks)} nhiệm vụ, cần {len(expected)}")
    places = _place_words(draft)
    for index, want in enumerate(expected):
        task = draft.tasks[index] if index < len(draft.tasks) else None
        label = f"nhiệm vụ {index + 1}"
        if task is None:
            score.add(f"{label} tiêu đề", False, "không có")
            score.add(f"{label} chủ trì", False, "không có")
            continue
        score.add(f"{label} tiêu đề", title_ok(task.title, task.text, str(want["title"])),
                  f"{task.title!r}, cần bắt đầu bằng {want['title']!r}")
        got = {_agency_key(_name(draft, code), places) for code in task.lead}
        wanted = {_agency_key(name, places) for name in str(want["lead"]).split(";")}
        score.add(f"{label} chủ trì", got == wanted,
                  f"{sorted(_name(draft, c) for c in task.lead)}, cần {want['lead']!r}")


def title_ok(title: str, text: str, start: str) -> bool:
    """The title starts with the expected words and is a complete phrase of the text
    (after the agencies it may open with): cut at a word boundary, never inside a word,
    not ending on a connecting word."""
    folded_title, folded_text = key(title), f" {key(text)} "
    if not folded_title.startswith(key(start)) or title.endswith("…"):
        return False
    if f" {folded_title} " not in folded_text:
        return False  # not a phrase of the text, or cut inside a word
    last = folded_title.rsplit(" ", 1)[-1]
    return last not in DANGLING and len(title) <= 160


def _name(draft: Draft, code: str) -> str:
    for agency in draft.new_agencies:
        if agency.code == code:
            return agency.name
    if draft.registry is not None:
        return draft.registry.name_of(code)
    return code


def _place_words(draft: Draft) -> list[str]:
    places = [draft.header.place.value or ""]
    issuer = key(draft.header.issuer.value or "")
    match = re.search(r"\b(?:xa|phuong|huyen|tinh|thanh pho|thi tran|thi xa|quan) (.+)$",
                      issuer)
    if match:
        places.append(match.group(1))
    return sorted((key(p) for p in places if p), key=len, reverse=True)  # longest first


def _agency_key(name: str, places: list[str]) -> str:
    """An agency's name without the place it is in: 'Công an xã' = 'Công an xã An Bình'."""
    folded = key(name).replace(" viet nam", "")  # "Ủy ban Mặt trận Tổ quốc (Việt Nam) xã"
    for place in places:
        if place and folded.endswith(" " + place):
            folded = folded[: -len(place) - 1]
    return re.sub(r" (?:tinh|huyen|xa|phuong|thi tran|thanh pho|quan|thi xa)$", "", folded)
