"""User text in spreadsheet cells: a report that starts with '=' or '-' must stay text when
the file is opened in Excel or LibreOffice, never become a formula (CSV injection)."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """A CSV value that a spreadsheet reads as the text it is: a leading apostrophe is how
    Excel and LibreOffice mark typed text."""
    return "'" + value if is_formula_like(value) else value
