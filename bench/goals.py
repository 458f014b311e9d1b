"""The end of every benchmark with goals: under `--check`, name the goals missed and fail."""

from __future__ import annotations


def verdict(missed: list[str], check: bool, separator: str = ", ") -> int:
    """The exit status: 1 when `--check` is given and a goal was missed, printed first."""
    if check and missed:
        print("goals missed: " + separator.join(missed))
        return 1
    return 0
