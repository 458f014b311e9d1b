"""Each agency's timeliness for a directive's year and its on-time rate (tỉ lệ đúng
hạn): the share of tasks done on time among those whose outcome is known (done on time,
done late, overdue, not done), against the extended deadline where one was granted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.views.timeliness import timeliness

DECIDED = ("on_time", "late", "overdue", "not_done")


@dataclass
class AgencyTimeliness:
    name: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def tasks(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "cancelled")

    @property
    def rate(self) -> float | None:
        decided = sum(self.counts[k] for k in DECIDED)
        return self.counts["on_time"] / decided if decided else None


def by_agency(rows: Iterable[tuple[Any, Any]], now: datetime) -> list[AgencyTimeliness]:
    """(task, agency) pairs to one line per agency, lowest on-time rate first."""
    lines: dict[str, AgencyTimeliness] = {}
    for task, agency in rows:
        line = lines.setdefault(agency.code, AgencyTimeliness(agency.name))
        line.counts[timeliness(task, now)] += 1
    return sorted(lines.values(), key=lambda a: (a.rate if a.rate is not None else 2,
                                                 a.name))


def rate_label(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%".replace(".", ",")
