"""a commune plan's tasks serve the province tasks they carry out (cascade and roll-up)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_spec", schema=None) as batch_op:
        batch_op.add_column(sa.Column("serves_directive", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("serves_task", sa.String(length=80), nullable=True))
        batch_op.create_index("ix_task_spec_serves", ["serves_directive", "serves_task"])


def downgrade() -> None:
    with op.batch_alter_table("task_spec", schema=None) as batch_op:
        batch_op.drop_index("ix_task_spec_serves")
        batch_op.drop_column("serves_task")
        batch_op.drop_column("serves_directive")
