"""Alerts keep the value their `value` annotation states, and each firing the value it began with.

- alerts.value: as last received; alert_episodes.value: when the firing began (copied from the alert). The
  weekly threshold review proposes new thresholds from these, one value per firing (before, only an
  alert's latest value was known, so a rule flapping on one instance showed one value a week).
- Rows from before this revision hold NULL (no value known).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TABLES = ("alerts", "alert_episodes")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("value", sa.Float()))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("value")
