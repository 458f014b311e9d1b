"""an index on the sent messages by sending time, for pruning them after the retention

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_state_sent", "outbox", ["state", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_state_sent", table_name="outbox")
