"""The task state machine, configured from data; one Machine drives every task.

A SQLModel row cannot be a transitions model (pydantic refuses the trigger attributes),
so a plain TaskFlow object carries the state through the machine and the caller
persists what changed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from transitions import EventData, Machine

# Overdue means the agency still owes a report after the deadline: the task is assigned
# or returned. A report awaiting the secretariat's verification is not the agency's delay.
OWED_STATES = ("assigned", "returned")
STATES = ["assigned", "reported", "returned", "verified", "cancelled", "not_done"]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "report", "source": ["assigned", "returned"], "dest": "reported"},
    {"trigger": "verify", "source": "reported", "dest": "verified"},
    {"trigger": "return", "source": "reported", "dest": "returned"},
    {"trigger": "cancel", "source": ["assigned", "reported", "returned"], "dest": "cancelled"},
    # Closing a directive's year ends what was still owed as not done ("không hoàn thành").
    {"trigger": "close", "source": ["assigned", "returned"], "dest": "not_done"},
]
TRIGGERS = [t["trigger"] for t in TRANSITIONS]

# Who may fire each trigger. The secretariat may enter a report received on paper or by
# phone on an agency's behalf; the audit row records who did.
TRIGGER_ROLES: dict[str, frozenset[str]] = {
    "report": frozenset({"agency", "secretariat"}),
    "verify": frozenset({"secretariat"}),
    "return": frozenset({"secretariat"}),
    "cancel": frozenset({"secretariat"}),
    "close": frozenset({"secretariat"}),
}
NEEDS_REASON = {"return", "cancel", "close"}


@dataclass
class TaskFlow:
    """The mutable facts a transition may change; the rest of the row stays put."""

    state: str
    reported_at: datetime | None = None
    verified_at: datetime | None = None
    closed_at: datetime | None = None
    report_text: str | None = None
    last_reason: str | None = None

    def on_enter_reported(self, event: EventData) -> None:
        self.reported_at = event.kwargs["now"]
        self.report_text = event.kwargs.get("text")

    def on_enter_verified(self, event: EventData) -> None:
        self.verified_at = self.closed_at = event.kwargs["now"]

    def on_enter_returned(self, event: EventData) -> None:
        self.last_reason = event.kwargs.get("reason")

    def on_enter_cancelled(self, event: EventData) -> None:
        self.closed_at = event.kwargs["now"]
        self.last_reason = event.kwargs.get("reason")

    def on_enter_not_done(self, event: EventData) -> None:
        self.closed_at = event.kwargs["now"]
        self.last_reason = event.kwargs.get("reason")


_MACHINE = Machine(model=None, states=STATES, transitions=TRANSITIONS, initial=None,
                   auto_transitions=False, send_event=True, ignore_invalid_triggers=False)
_LOCK = threading.Lock()


def allowed_triggers(state: str) -> list[str]:
    return [t for t in TRIGGERS if t in _MACHINE.get_triggers(state)]


def run_trigger(flow: TaskFlow, trigger: str, **kwargs: Any) -> None:
    """Moves `flow` through the shared machine; the caller checked the trigger is allowed."""
    with _LOCK:
        _MACHINE.add_model(flow, initial=flow.state)
        try:
            flow.trigger(trigger, **kwargs)  # type: ignore[attr-defined]
        finally:
            _MACHINE.remove_model(flow)
