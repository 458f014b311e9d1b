"""extension requests (gia hạn): an agency asks for more time, the secretariat decides;
a task keeps its original deadline when it moves

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.storage.dbtypes import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extension_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("task.id"), nullable=False,
                  index=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("granted_on", sa.Date(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_due_on", sa.Date(), nullable=True))
    # The sweep looks for the deadlines of moved tasks: few, in a small partial index.
    op.create_index("ix_task_moved", "task", ["directive_code", "due_on"],
                    postgresql_where=sa.text("original_due_on IS NOT NULL"),
                    sqlite_where=sa.text("original_due_on IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_task_moved", table_name="task")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("original_due_on")
    op.drop_table("extension_request")
