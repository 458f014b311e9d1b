"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.storage.dbtypes import UTCDateTime, json_type

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("short_name", sa.String(length=120), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("emails", json_type(), nullable=False),
        sa.Column("head_name", sa.String(length=200), nullable=True),
        sa.Column("head_email", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "agency_group",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "calendar",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("body", json_type(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "agency_group_member",
        sa.Column("group_code", sa.String(length=80), nullable=False),
        sa.Column("agency_code", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agency.code"],
        ),
        sa.ForeignKeyConstraint(["group_code"], ["agency_group.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_code", "agency_code"),
    )
    op.create_table(
        "directive",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("date_precision", sa.String(length=10), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("until_year", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(length=200), nullable=True),
        sa.Column("secretariat", sa.String(length=80), nullable=True),
        sa.Column("calendar_code", sa.String(length=80), nullable=False),
        sa.Column("implements", json_type(), nullable=False),
        sa.Column("source_file", sa.String(length=500), nullable=True),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_code"],
            ["calendar.code"],
        ),
        sa.ForeignKeyConstraint(
            ["secretariat"],
            ["agency.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directive_code", sa.String(length=80), nullable=False),
        sa.Column("spec_code", sa.String(length=80), nullable=False),
        sa.Column("agency_code", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("reported_at", UTCDateTime(), nullable=True),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("overdue_since", UTCDateTime(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("report_text", sa.Text(), nullable=True),
        sa.Column("last_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agency.code"],
        ),
        sa.ForeignKeyConstraint(
            ["directive_code"],
            ["directive.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "directive_code", "spec_code", "agency_code", "period", name="uq_task_instance"
        ),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index("ix_task_agency_state", ["agency_code", "state"], unique=False)
        batch_op.create_index("ix_task_directive_year", ["directive_code", "year"], unique=False)
        batch_op.create_index("ix_task_state_due", ["state", "due_at"], unique=False)

    op.create_table(
        "task_spec",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directive_code", sa.String(length=80), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lead", json_type(), nullable=False),
        sa.Column("coordinating", json_type(), nullable=False),
        sa.Column("due", json_type(), nullable=True),
        sa.Column("recurs", json_type(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["directive_code"], ["directive.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("directive_code", "code", name="uq_task_spec_code"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("task_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_task_id"), ["task_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("agency_code", sa.String(length=80), nullable=True),
        sa.Column("recipient_role", sa.String(length=20), nullable=False),
        sa.Column("payload", json_type(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agency.code"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_state_next", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_task_id"))
        batch_op.drop_index("ix_outbox_state_next")

    op.drop_table("outbox")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_task_id"))

    op.drop_table("audit")
    op.drop_table("task_spec")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_state_due")
        batch_op.drop_index("ix_task_directive_year")
        batch_op.drop_index("ix_task_agency_state")

    op.drop_table("task")
    op.drop_table("directive")
    op.drop_table("agency_group_member")
    op.drop_table("calendar")
    op.drop_table("agency_group")
    op.drop_table("agency")
