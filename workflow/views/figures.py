"""Report figures ("Số lớp tập huấn: 12") read as numbers and summed by label, the way a
secretariat adds up what her agencies or communes reported."""

from __future__ import annotations

import re
from collections.abc import Iterable

NUMBER = re.compile(r"^\s*(\d{1,3}(?:[.\s]\d{3})+|\d+)(?:,(\d+))?\s*(\S.*)?$")

Figures = list[dict[str, str]]


def figure_number(value: str) -> float | None:
    """'1.250', '12', '3,5 %' -> a number (Vietnamese '.' thousands, ',' decimals)."""
    match = NUMBER.match(value)
    if not match:
        return None
    whole = re.sub(r"[.\s]", "", match.group(1))
    return float(f"{whole}.{match.group(2)}" if match.group(2) else whole)


def format_number(value: float) -> str:
    """12 -> '12', 1250 -> '1.250', 3.5 -> '3,5': as Vietnamese documents write them."""
    whole, _, fraction = f"{value:.2f}".rstrip("0").rstrip(".").partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{grouped},{fraction}" if fraction else grouped


def sum_figures(reports: Iterable[Figures | None]) -> tuple[dict[str, float], list[str]]:
    """Numeric figures summed by label, in first-seen order, and the labels of figures
    that are not numbers (kept out of the sums, and said so)."""
    totals: dict[str, float] = {}
    skipped: dict[str, None] = {}
    for figures in reports:
        for figure in figures or []:
            number = figure_number(figure["value"])
            if number is None:
                skipped.setdefault(figure["label"], None)
            else:
                totals[figure["label"]] = totals.get(figure["label"], 0) + number
    return totals, [label for label in skipped if label not in totals]
