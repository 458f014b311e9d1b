"""Who fires a trigger, in which role, through which channel (recorded in the audit log)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = {"agency", "secretariat", "scheduler", "system"}
# "rollup": a commune secretariat's report up, composed from its own bodies' reports.
# "paper", "phone", "document", "email": a report the agency sent another way, entered
# by the secretariat.
CHANNELS = {"cli", "web", "link", "scheduler", "rollup", "paper", "phone", "document",
            "email"}


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    channel: str
    agency_code: str | None = None  # set for role "agency": the only agency it acts for

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if self.role == "agency" and not self.agency_code:
            raise ValueError("an agency actor needs its agency code")
