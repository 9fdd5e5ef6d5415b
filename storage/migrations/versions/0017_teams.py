"""Alerts, alert groups, incidents, tickets and on-call overrides belong to a team.

- alerts.team, alert_groups.team: the team whose `match` picked the alert when it was last received (the
  group: when it opened); incidents.team, tickets.team: the owning team; oncall_overrides.team and .layer:
  whose rotation, and which of its layers, the override stands in for.
- Rows from before this revision hold NULL, read as the default team's (it was the only one).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OWNED = ("alerts", "alert_groups", "incidents", "tickets", "oncall_overrides")


def upgrade() -> None:
    for table in OWNED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("team", sa.String(40)))
            if table == "oncall_overrides":
                batch.add_column(sa.Column("layer", sa.String(20)))
        op.create_index(f"ix_{table}_team", table, ["team"])


def downgrade() -> None:
    for table in reversed(OWNED):
        op.drop_index(f"ix_{table}_team", table_name=table)
        with op.batch_alter_table(table) as batch:
            if table == "oncall_overrides":
                batch.drop_column("layer")
            batch.drop_column("team")
