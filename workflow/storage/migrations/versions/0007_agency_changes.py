"""agencies that change: the last day an agency existed, its renames, dissolutions,
merges and splits, and the tasks moved to successors

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.storage.dbtypes import UTCDateTime, json_type

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
    op.create_table(
        "agency_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("agency_code", sa.String(length=80), nullable=False),
        sa.Column("successors", json_type(), nullable=False),
        sa.Column("old_name", sa.String(length=300), nullable=True),
        sa.Column("new_name", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency_code"], ["agency.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agency_change_agency_code", "agency_change", ["agency_code"])
    op.create_table(
        "task_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("from_agency", sa.String(length=80), nullable=False),
        sa.Column("to_agency", sa.String(length=80), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.ForeignKeyConstraint(["from_agency"], ["agency.code"]),
        sa.ForeignKeyConstraint(["to_agency"], ["agency.code"], name="fk_transfer_to_agency"),
        sa.ForeignKeyConstraint(["change_id"], ["agency_change.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_transfer_task_id", "task_transfer", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_task_transfer_task_id", table_name="task_transfer")
    op.drop_table("task_transfer")
    op.drop_index("ix_agency_change_agency_code", table_name="agency_change")
    op.drop_table("agency_change")
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_column("valid_until")
