"""agencies' functions in their commune ("Công an các xã" expands through them)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("function", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_column("function")
