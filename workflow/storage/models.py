"""Database tables (SQLModel). Specs live in definitions/; these rows are their stored
snapshot plus the running state: task instances, the audit log and the outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlmodel import Field, SQLModel

from workflow.storage.dbtypes import UTCDateTime, json_type


def _json(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(json_type(), nullable=nullable))


def _utc(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class AgencyRow(SQLModel, table=True):
    __tablename__ = "agency"

    code: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=300)
    short_name: str | None = Field(default=None, max_length=120)
    level: str = Field(max_length=20)
    emails: list[str] = _json()
    head_name: str | None = Field(default=None, max_length=200)
    head_email: str | None = Field(default=None, max_length=200)
    # The head's full title ("Trưởng phòng Nội vụ huyện Hà Quảng") and how to address them.
    head_title: str | None = Field(default=None, max_length=300)
    head_salutation: str | None = Field(default=None, max_length=40)
    # The committee whose registry lists it; none for bodies outside every committee.
    committee_code: str | None = Field(default=None, sa_column=Column(
        String(80), ForeignKey("committee.code", name="fk_agency_committee"), nullable=True,
        index=True))
    # The last day it existed (dissolved, merged or split on the next): no new tasks after.
    valid_until: date | None = None
    function: str | None = Field(default=None, max_length=40)  # "cong-an", "vhxh"…
    # Disabled by the secretariat: kept for its history, given no new task.
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False,
                                                        server_default=true()))
    phone: str | None = Field(default=None, max_length=40)


class CommitteeRow(SQLModel, table=True):
    """A Ban Vì sự tiến bộ của phụ nữ (province, commune; district for history)."""

    __tablename__ = "committee"

    code: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=300)
    level: str = Field(max_length=20)
    locality: str = Field(max_length=300)
    parent_code: str | None = Field(default=None, sa_column=Column(
        String(80), ForeignKey("committee.code", name="fk_committee_parent"), nullable=True))
    # Agency codes, not foreign keys: the agencies are stored after their committee.
    secretariat: str | None = Field(default=None, max_length=80)
    chair: str | None = Field(default=None, max_length=80)


class AgencyGroupRow(SQLModel, table=True):
    __tablename__ = "agency_group"

    code: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=300)


class AgencyGroupMemberRow(SQLModel, table=True):
    __tablename__ = "agency_group_member"

    group_code: str = Field(
        sa_column=Column(String(80), ForeignKey("agency_group.code", ondelete="CASCADE"),
                         primary_key=True))
    agency_code: str = Field(
        sa_column=Column(String(80), ForeignKey("agency.code"), primary_key=True))
    position: int = 0


class CalendarRow(SQLModel, table=True):
    __tablename__ = "calendar"

    code: str = Field(primary_key=True, max_length=80)
    body: dict[str, Any] = _json()


class DirectiveRow(SQLModel, table=True):
    __tablename__ = "directive"

    code: str = Field(primary_key=True, max_length=80)
    kind: str = Field(max_length=40)
    number: str = Field(max_length=80)
    issued_on: date
    date_precision: str = Field(max_length=10)
    issuer: str = Field(max_length=300)
    title: str = Field(sa_column=Column(Text, nullable=False))
    year: int
    until_year: int
    signer: str | None = Field(default=None, max_length=200)
    secretariat: str | None = Field(
        default=None, sa_column=Column(String(80), ForeignKey("agency.code"), nullable=True))
    chair: str | None = Field(
        default=None, sa_column=Column(String(80), ForeignKey(
            "agency.code", name="fk_directive_chair_agency"), nullable=True))
    calendar_code: str = Field(
        sa_column=Column(String(80), ForeignKey("calendar.code"), nullable=False))
    committee_code: str | None = Field(default=None, sa_column=Column(
        String(80), ForeignKey("committee.code", name="fk_directive_committee"),
        nullable=True, index=True))
    implements: list[dict[str, Any]] = _json()
    source_file: str | None = Field(default=None, max_length=500)
    loaded_at: datetime = _utc(nullable=False)


class TaskSpecRow(SQLModel, table=True):
    __tablename__ = "task_spec"

    id: int | None = Field(default=None, primary_key=True)
    directive_code: str = Field(
        sa_column=Column(String(80), ForeignKey("directive.code", ondelete="CASCADE"),
                         nullable=False))
    code: str = Field(max_length=80)
    position: int
    title: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    lead: list[str] = _json()
    coordinating: list[str] = _json()
    due: dict[str, Any] | None = _json(nullable=True)
    recurs: list[dict[str, Any]] = _json()
    source: str | None = Field(default=None, max_length=80)
    # The upper directive's task this one serves (a commune plan implementing its
    # province's): kept apart so the roll-up finds them with an index.
    serves_directive: str | None = Field(default=None, max_length=80)
    serves_task: str | None = Field(default=None, max_length=80)
    # Withdrawn by an amendment: kept so its tasks' history reads, never instantiated.
    withdrawn_at: datetime | None = _utc()
    withdrawn_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    __table_args__ = (UniqueConstraint("directive_code", "code", name="uq_task_spec_code"),
                      Index("ix_task_spec_serves", "serves_directive", "serves_task"))


class TaskRow(SQLModel, table=True):
    """One task instance: a spec, for one agency, for one period."""

    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("directive_code", "spec_code", "agency_code", "period",
                         name="uq_task_instance"),
        Index("ix_task_state_due", "state", "due_at"),
        Index("ix_task_agency_state", "agency_code", "state"),
        Index("ix_task_directive_year", "directive_code", "year"),
        # The overdue sweep looks only at owed tasks not yet marked: keep them in a small
        # partial index so its cost follows what falls due, not the table's size.
        Index("ix_task_unmarked_due", "due_at",
              postgresql_where=text("overdue_since IS NULL AND state IN ('assigned', 'returned')"),
              sqlite_where=text("overdue_since IS NULL AND state IN ('assigned', 'returned')")),
        Index("ix_task_moved", "directive_code", "due_on",
              postgresql_where=text("original_due_on IS NOT NULL"),
              sqlite_where=text("original_due_on IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    directive_code: str = Field(
        sa_column=Column(String(80), ForeignKey("directive.code"), nullable=False))
    spec_code: str = Field(max_length=80)
    agency_code: str = Field(
        sa_column=Column(String(80), ForeignKey("agency.code"), nullable=False))
    role: str = Field(max_length=20)
    year: int
    period: str = Field(max_length=40)
    state: str = Field(max_length=20)
    due_on: date | None = None
    due_at: datetime | None = _utc()
    # The deadline the directive gave, kept when an extension or a change moved it.
    original_due_on: date | None = None
    reported_at: datetime | None = _utc()
    verified_at: datetime | None = _utc()
    closed_at: datetime | None = _utc()
    overdue_since: datetime | None = _utc()
    escalation_level: int = 0
    report_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)


class AuditRow(SQLModel, table=True):
    """Append-only: rows are inserted with their transition and never updated."""

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(
        sa_column=Column(Integer, ForeignKey("task.id"), nullable=False, index=True))
    at: datetime = _utc(nullable=False)
    actor: str = Field(max_length=200)
    role: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    trigger: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    task_version: int


class OutboxRow(SQLModel, table=True):
    """A notification request, written in the transaction that caused it; the notifier
    sends it. `key` makes each request exist once."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    kind: str = Field(max_length=40)
    task_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("task.id"), nullable=True, index=True))
    agency_code: str | None = Field(
        default=None, sa_column=Column(String(80), ForeignKey("agency.code"), nullable=True))
    recipient_role: str = Field(max_length=20)
    payload: dict[str, Any] = _json()
    state: str = Field(default="queued", max_length=20)
    created_at: datetime = _utc(nullable=False)
    attempts: int = 0
    next_attempt_at: datetime | None = _utc()
    sent_at: datetime | None = _utc()
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # A sender's claim, in wall-clock time (not the engine's clock, which a simulation
    # moves by days): while it lasts, no other sender takes the row.
    lease_until: datetime | None = _utc()
    # The first delivery attempt, in the engine's time: the retry window starts here, so a
    # sender that was down for days still gives each message its whole window.
    first_attempt_at: datetime | None = _utc()

    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),
                      Index("ix_outbox_state_sent", "state", "sent_at"))


class SweepMarkRow(SQLModel, table=True):
    """A scheduler unit of work done once: (kind, key), e.g. ('step', 'overdue:2023-06-05').

    Written in the transaction that did the work, so a crash leaves it undone and the
    next sweep redoes it; unique, so two schedulers cannot both record it.
    """

    __tablename__ = "sweep_mark"

    kind: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=200)
    done_at: datetime = _utc(nullable=False)


class ReportRow(SQLModel, table=True):
    """One report an agency submitted (a returned task gets a second one): text, figures
    and attachments, written in the transaction of its `report` transition."""

    __tablename__ = "report"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(
        sa_column=Column(Integer, ForeignKey("task.id"), nullable=False, index=True))
    submitted_at: datetime = _utc(nullable=False)
    actor: str = Field(max_length=200)
    channel: str = Field(max_length=20)
    text: str = Field(sa_column=Column(Text, nullable=False))
    figures: list[dict[str, str]] | None = _json(nullable=True)
    task_version: int


class AttachmentRow(SQLModel, table=True):
    """A file attached to a report. The bytes live in the attachment folder under
    `stored_name` (their SHA-256); the type was checked from the content."""

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("report.id"), nullable=False, index=True))
    task_id: int = Field(
        sa_column=Column(Integer, ForeignKey("task.id"), nullable=False, index=True))
    filename: str = Field(max_length=255)
    stored_name: str = Field(max_length=100)
    content_type: str = Field(max_length=120)
    size: int
    uploaded_at: datetime = _utc(nullable=False)


class UserRow(SQLModel, table=True):
    """A secretariat user of the dashboard (created with `nhiemvu user add`)."""

    __tablename__ = "web_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(80), nullable=False, unique=True))
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = _utc(nullable=False)
    last_login_at: datetime | None = _utc()
    # The committee the user works for; none: every committee of the deployment.
    committee_code: str | None = Field(default=None, sa_column=Column(
        String(80), ForeignKey("committee.code", name="fk_user_committee"), nullable=True))
    role: str = Field(default="secretariat", sa_column=Column(
        String(20), nullable=False, server_default="secretariat"))


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored,
    so that logging out, a password change or disabling the user ends the session at
    once in every worker."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("web_user.id"), nullable=False, index=True))
    csrf: str = Field(max_length=64)
    created_at: datetime = _utc(nullable=False)
    expires_at: datetime = _utc(nullable=False)
    revoked_at: datetime | None = _utc()


class LinkKeyRow(SQLModel, table=True):
    """A secret that signs links and sessions. The newest active key signs; every active
    key verifies, so rotating keeps links already sent working until the old key is
    revoked."""

    __tablename__ = "link_key"

    id: int | None = Field(default=None, primary_key=True)
    secret: str = Field(max_length=128)
    created_at: datetime = _utc(nullable=False)
    revoked_at: datetime | None = _utc()


class LoginFailureRow(SQLModel, table=True):
    """A failed login, kept in the database so that every web worker counts the same
    failures: `key` is 'user:NAME' or 'ip:ADDRESS', throttled separately."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    at: datetime = _utc(nullable=False)


class AgencyChangeRow(SQLModel, table=True):
    """A rename, dissolution, merge or split, effective on a day, as the secretariat
    recorded it; the tasks it moved are in `task_transfer`."""

    __tablename__ = "agency_change"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # rename | dissolve | merge | split
    effective_on: date
    agency_code: str = Field(
        sa_column=Column(String(80), ForeignKey("agency.code"), nullable=False, index=True))
    successors: list[str] = _json()
    old_name: str | None = Field(default=None, max_length=300)
    new_name: str | None = Field(default=None, max_length=300)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    actor: str = Field(max_length=200)
    at: datetime = _utc(nullable=False)


class TaskTransferRow(SQLModel, table=True):
    """A task moved from an agency to its successor ("chuyển giao"): the old link finds
    where it went."""

    __tablename__ = "task_transfer"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(
        sa_column=Column(Integer, ForeignKey("task.id"), nullable=False, index=True))
    from_agency: str = Field(
        sa_column=Column(String(80), ForeignKey("agency.code"), nullable=False))
    to_agency: str = Field(sa_column=Column(
        String(80), ForeignKey("agency.code", name="fk_transfer_to_agency"), nullable=False))
    change_id: int = Field(
        sa_column=Column(Integer, ForeignKey("agency_change.id"), nullable=False))
    at: datetime = _utc(nullable=False)


class ClosedYearRow(SQLModel, table=True):
    """A directive's year closed by the secretariat: its open tasks ended as not done and
    nothing more is sent for it."""

    __tablename__ = "closed_year"

    directive_code: str = Field(
        sa_column=Column(String(80), ForeignKey("directive.code"), primary_key=True))
    year: int = Field(primary_key=True)
    closed_at: datetime = _utc(nullable=False)
    actor: str = Field(max_length=200)
    reason: str = Field(sa_column=Column(Text, nullable=False))


class DirectiveDraftRow(SQLModel, table=True):
    """A directive being brought in from the browser, not yet live: the document in the
    schema `nhiemvu load` reads, the importer's review notes with their lines, and the
    source text shown beside it. `version` refuses a save made on a stale page."""

    __tablename__ = "directive_draft"

    id: int | None = Field(default=None, primary_key=True)
    committee_code: str | None = Field(default=None, sa_column=Column(
        String(80), ForeignKey("committee.code", name="fk_draft_committee"), nullable=True,
        index=True))
    document: dict[str, Any] = _json()
    notes: list[dict[str, Any]] = _json()
    source_name: str | None = Field(default=None, max_length=255)
    source_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: datetime = _utc(nullable=False)
    updated_by: str = Field(max_length=200)
    updated_at: datetime = _utc(nullable=False)
    published_code: str | None = Field(default=None, max_length=80)
    published_at: datetime | None = _utc()


class DirectiveVersionRow(SQLModel, table=True):
    """One version of a published directive: its whole document, who made it and what
    changed. Version 1 is the publication (or the first load from a file)."""

    __tablename__ = "directive_version"
    __table_args__ = (UniqueConstraint("directive_code", "number",
                                       name="uq_directive_version"),)

    id: int | None = Field(default=None, primary_key=True)
    directive_code: str = Field(sa_column=Column(
        String(80), ForeignKey("directive.code", name="fk_version_directive"),
        nullable=False))
    number: int
    at: datetime = _utc(nullable=False)
    actor: str = Field(max_length=200)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    document: dict[str, Any] = _json()


class ExtensionRequestRow(SQLModel, table=True):
    """An agency's request for more time (gia hạn) and the secretariat's decision."""

    __tablename__ = "extension_request"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(
        sa_column=Column(Integer, ForeignKey("task.id"), nullable=False, index=True))
    requested_at: datetime = _utc(nullable=False)
    proposed_on: date
    reason: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="pending", max_length=20)  # pending | approved | refused
    decided_at: datetime | None = _utc()
    decided_by: str | None = Field(default=None, max_length=200)
    granted_on: date | None = None
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
