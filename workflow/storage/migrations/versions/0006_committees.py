"""committees: the Ban VSTBPN of a province, a commune (or a district, for history); the
agencies, directives and users that belong to one; users' roles

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "committee",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("locality", sa.String(length=300), nullable=False),
        sa.Column("parent_code", sa.String(length=80), nullable=True),
        sa.Column("secretariat", sa.String(length=80), nullable=True),
        sa.Column("chair", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["parent_code"], ["committee.code"],
                                name="fk_committee_parent"),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee_code", sa.String(length=80), nullable=True))
        batch_op.create_foreign_key("fk_agency_committee", "committee", ["committee_code"],
                                    ["code"])
        batch_op.create_index("ix_agency_committee_code", ["committee_code"])
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee_code", sa.String(length=80), nullable=True))
        batch_op.create_foreign_key("fk_directive_committee", "committee", ["committee_code"],
                                    ["code"])
        batch_op.create_index("ix_directive_committee_code", ["committee_code"])
    with op.batch_alter_table("web_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee_code", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=False,
                                      server_default="secretariat"))
        batch_op.create_foreign_key("fk_user_committee", "committee", ["committee_code"],
                                    ["code"])


def downgrade() -> None:
    with op.batch_alter_table("web_user", schema=None) as batch_op:
        batch_op.drop_constraint("fk_user_committee", type_="foreignkey")
        batch_op.drop_column("role")
        batch_op.drop_column("committee_code")
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.drop_index("ix_directive_committee_code")
        batch_op.drop_constraint("fk_directive_committee", type_="foreignkey")
        batch_op.drop_column("committee_code")
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_index("ix_agency_committee_code")
        batch_op.drop_constraint("fk_agency_committee", type_="foreignkey")
        batch_op.drop_column("committee_code")
    op.drop_table("committee")
