"""What a dashboard user may see and do: the directives, agencies and tasks of her own
committee, read always, changed only by a secretariat user. A user of no committee
serves the whole deployment. Every dashboard route, export and download asks here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from workflow.storage.models import DirectiveRow, UserRow


@dataclass(frozen=True)
class Scope:
    committee: str | None  # None: every committee
    role: str

    @classmethod
    def of(cls, user: UserRow) -> Scope:
        return cls(user.committee_code, user.role)

    @property
    def everywhere(self) -> bool:
        return self.committee is None

    def sees(self, committee: str | None) -> bool:
        """A committee's work is read by its own users (and by deployment-wide ones)."""
        return self.everywhere or committee == self.committee

    def acts_on(self, committee: str | None) -> bool:
        """Verifying, returning and the like: the committee's secretariat only."""
        return self.role == "secretariat" and self.sees(committee)

    def directives(self, session: Session) -> set[str] | None:
        """The directive codes this user reads; None: all of them."""
        if self.everywhere:
            return None
        return set(session.scalars(select(DirectiveRow.code).where(
            DirectiveRow.committee_code == self.committee)))
