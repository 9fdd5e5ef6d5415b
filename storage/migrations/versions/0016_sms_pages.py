"""SMS pages: each SMS opsbot sends (or decided not to send) to a person for a group episode, once per
page and person, and counted for `paging.sms.max_per_person_per_hour`.

Revision ID: 0016
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sms_pages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("page_key", sa.String(255), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("to_number", sa.String(20)),
        sa.Column("body", sa.String(1600), nullable=False, server_default=""),
        sa.Column("sid", sa.String(64)),
        sa.Column("detail", sa.String(300)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.UniqueConstraint("page_key", name="uq_sms_pages_page_key"),
    )
    op.create_index("ix_sms_pages_group_id", "sms_pages", ["group_id"])
    op.create_index("ix_sms_pages_user_created", "sms_pages", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_sms_pages_user_created", table_name="sms_pages")
    op.drop_index("ix_sms_pages_group_id", table_name="sms_pages")
    op.drop_table("sms_pages")
