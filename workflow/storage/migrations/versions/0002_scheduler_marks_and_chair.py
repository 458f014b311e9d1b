"""scheduler marks and chair

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.storage.dbtypes import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_mark",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"),
    )
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chair", sa.String(length=80), nullable=True))
        batch_op.create_foreign_key("fk_directive_chair_agency", "agency", ["chair"], ["code"])

    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_unmarked_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("overdue_since IS NULL AND state IN ('assigned', 'returned')"),
            sqlite_where=sa.text("overdue_since IS NULL AND state IN ('assigned', 'returned')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_task_unmarked_due",
            postgresql_where=sa.text("overdue_since IS NULL AND state IN ('assigned', 'returned')"),
            sqlite_where=sa.text("overdue_since IS NULL AND state IN ('assigned', 'returned')"),
        )

    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.drop_constraint("fk_directive_chair_agency", type_="foreignkey")
        batch_op.drop_column("chair")

    op.drop_table("sweep_mark")
