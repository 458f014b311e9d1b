"""directives brought in from the browser: drafts, versions of published directives,
withdrawn tasks, agencies that are disabled or have a phone number

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.storage.dbtypes import UTCDateTime, json_type

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directive_draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("committee_code", sa.String(80),
                  sa.ForeignKey("committee.code", name="fk_draft_committee"), nullable=True,
                  index=True),
        sa.Column("document", json_type(), nullable=False),
        sa.Column("notes", json_type(), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=True),
        sa.Column("source_text", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("published_code", sa.String(80), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True))
    op.create_table(
        "directive_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("directive_code", sa.String(80),
                  sa.ForeignKey("directive.code", name="fk_version_directive"),
                  nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("document", json_type(), nullable=False),
        sa.UniqueConstraint("directive_code", "number", name="uq_directive_version"))
    with op.batch_alter_table("task_spec", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column("phone", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_column("phone")
        batch_op.drop_column("active")
    with op.batch_alter_table("task_spec", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
    op.drop_table("directive_version")
    op.drop_table("directive_draft")
