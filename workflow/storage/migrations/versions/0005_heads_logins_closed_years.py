"""agency heads' titles, login failures shared by all workers, closed directive years

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.storage.dbtypes import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("head_title", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("head_salutation", sa.String(length=40), nullable=True))
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_key", "login_failure", ["key"])
    op.create_table(
        "closed_year",
        sa.Column("directive_code", sa.String(length=80), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["directive_code"], ["directive.code"]),
        sa.PrimaryKeyConstraint("directive_code", "year"),
    )


def downgrade() -> None:
    op.drop_table("closed_year")
    op.drop_index("ix_login_failure_key", table_name="login_failure")
    op.drop_table("login_failure")
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_column("head_salutation")
        batch_op.drop_column("head_title")
