"""Alert groups remember how they page PagerDuty.

- alert_groups.pagerduty_key: the Events API dedup_key its incidents carry ("<channel>/<group key>", hashed
  past 255 characters), set when it first pages; a v3 webhook finds the group by it (indexed).
- alert_groups.pagerduty_episode_id: the firing episode it last paged; acknowledging or resolving that
  episode is told to PagerDuty, any other is not. Groups from before this revision never paged: NULL.

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_groups") as batch:
        batch.add_column(sa.Column("pagerduty_key", sa.String(255)))
        batch.add_column(sa.Column("pagerduty_episode_id", sa.Integer()))
    op.create_index("ix_alert_groups_pagerduty_key", "alert_groups", ["pagerduty_key"])


def downgrade() -> None:
    op.drop_index("ix_alert_groups_pagerduty_key", table_name="alert_groups")
    with op.batch_alter_table("alert_groups") as batch:
        batch.drop_column("pagerduty_episode_id")
        batch.drop_column("pagerduty_key")
