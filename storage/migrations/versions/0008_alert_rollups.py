"""Storm roll-ups: one message per channel and storm listing its alert groups.

Adds alert_rollups, and to alert_groups when their firing episode began (storms are counted from it) and the
roll-up that lists them. Both new indexes serve only new or re-firing groups, never each alert.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_rollups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("last_joined_at", TS, nullable=False),
        sa.Column("slack_channel_id", sa.String(32)),
        sa.Column("slack_ts", sa.String(32)),
    )
    op.create_index("ix_alert_rollups_channel_joined", "alert_rollups", ["channel", "last_joined_at"])
    with op.batch_alter_table("alert_groups") as batch:
        batch.add_column(sa.Column("opened_at", TS))
        batch.add_column(sa.Column("rollup_id", sa.Integer()))
        batch.create_foreign_key("fk_alert_groups_rollup", "alert_rollups", ["rollup_id"], ["id"])
    op.create_index("ix_alert_groups_rollup_id", "alert_groups", ["rollup_id"])
    op.create_index("ix_alert_groups_channel_opened", "alert_groups", ["channel", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_groups_channel_opened", table_name="alert_groups")
    op.drop_index("ix_alert_groups_rollup_id", table_name="alert_groups")
    with op.batch_alter_table("alert_groups") as batch:
        batch.drop_constraint("fk_alert_groups_rollup", type_="foreignkey")
        batch.drop_column("rollup_id")
        batch.drop_column("opened_at")
    op.drop_index("ix_alert_rollups_channel_joined", table_name="alert_rollups")
    op.drop_table("alert_rollups")
