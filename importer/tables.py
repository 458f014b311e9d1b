"""Task tables ("Phụ lục: phân công nhiệm vụ"): one task per row, with the agencies,
the partners and the time of the row's own columns.

    | TT | Nội dung | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian thực hiện |

Rows come as "| … |" lines, from a Word table or a markdown one; a row whose cells are
all one text (merged) or whose number is I, II… is a group heading for the rows below.
"""

from __future__ import annotations

import calendar as monthdays
import re
from typing import Any

from importer.textkey import key
from importer.timing import due_text

ROLE_WORDS = (  # checked in this order: "thời gian thực hiện" is a time, not an agency
    ("number", ("tt", "stt", "so tt")),
    ("due", ("thoi gian", "thoi han", "tien do", "han hoan thanh")),
    ("coordinating", ("phoi hop",)),
    ("lead", ("chu tri", "thuc hien", "trach nhiem", "co quan", "don vi")),
    ("content", ("noi dung", "nhiem vu", "cong viec", "hoat dong")),
    ("product", ("san pham", "ket qua")),
)
DATE = re.compile(r"\b(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})(?:\s*[/.\-]\s*(?P<y>\d{4}))?\b")
MONTH = re.compile(r"\btháng\s+(?P<m>\d{1,2})(?:\s*(?:/|năm)\s*(?P<y>\d{4}))?", re.IGNORECASE)
QUARTER = re.compile(r"\bquý\s+(?P<q>I{1,3}|IV|[1-4])\b", re.IGNORECASE)
QUARTER_END = {"1": (31, 3), "2": (30, 6), "3": (30, 9), "4": (31, 12),
               "I": (31, 3), "II": (30, 6), "III": (30, 9), "IV": (31, 12)}


def column_roles(header: list[str]) -> dict[int, str]:
    roles: dict[int, str] = {}
    for index, cell in enumerate(header):
        words = f" {key(cell)} "
        for role, names in ROLE_WORDS:
            if any(f" {name} " in words for name in names) and role not in roles.values():
                roles[index] = role
                break
    return roles


def cells_of(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def is_separator(cells: list[str]) -> bool:
    return all(re.fullmatch(r":?-{2,}:?", cell) for cell in cells if cell)


def row_due(text: str) -> tuple[Any, str | None]:
    """A time cell to a due date: '30/6/2024', 'Trước ngày 15/11', 'Tháng 6/2024' (its last
    day), 'Quý II' (the quarter's last day); 'Thường xuyên', 'Cả năm': none."""
    date = DATE.search(text)
    due = due_text(int(date["d"]), int(date["m"]), date["y"]) if date else None
    if due is not None:
        return due, None
    month_match = MONTH.search(text)
    if month_match and 1 <= int(month_match["m"]) <= 12:
        month = int(month_match["m"])
        last = monthdays.monthrange(int(month_match["y"] or 2001), month)[1]
        return (due_text(last, month, month_match["y"]),
                f"'{month_match.group(0)}' được hiểu là hạn vào ngày cuối tháng")
    quarter = QUARTER.search(text)
    if quarter:
        day, month = QUARTER_END[quarter["q"].upper()]
        return f"{day:02d}/{month:02d}", f"'{quarter.group(0)}' được hiểu là hạn vào ngày cuối quý"
    return None, None
