"""Delivery lanes: job priorities, one lane row per Slack channel (its lease and next post time, shared by
every replica), and each alert group's (and storm roll-up's) record of a first post attempted, or failed
for good.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("outbox", sa.Column("priority", sa.Integer(), nullable=False, server_default="50"))
    op.create_table(
        "outbox_lanes",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("next_post_at", TS),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_until", TS),
    )
    op.add_column("alert_groups", sa.Column("post_attempted_at", TS))
    op.add_column("alert_groups", sa.Column("post_error", sa.String(200)))
    op.add_column("alert_rollups", sa.Column("post_attempted_at", TS))


def downgrade() -> None:
    op.drop_column("alert_rollups", "post_attempted_at")
    op.drop_column("alert_groups", "post_error")
    op.drop_column("alert_groups", "post_attempted_at")
    op.drop_table("outbox_lanes")
    op.drop_column("outbox", "priority")
