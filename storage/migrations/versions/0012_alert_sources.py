"""Alerts are identified per source; groups remember the source that opened them; roll-ups can hold a
source's overflow.

- alerts: unique (source, fingerprint) instead of unique fingerprint, so a webhook payload carrying the
  fingerprint of one of opsbot's host-check alerts (fingerprints are label hashes, shown in "details")
  reaches an alert of its own, never the host check's.
- alert_groups.source: the source whose alert opened the group, counted for
  `alerts.max_new_groups_per_source_per_minute`. Groups opened before this revision get NULL (no migration
  can know it); they are older than a minute, so no count misses them.
- alert_rollups.source / held: a roll-up with a source lists the alerts that source sent over the cap
  (alertname -> count) instead of groups.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# SQLite keeps the unique constraint of 0002 unnamed: batch mode names it by this convention to drop it.
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique_name() -> str:
    return "uq_alerts_fingerprint" if op.get_bind().dialect.name == "sqlite" else "alerts_fingerprint_key"


def upgrade() -> None:
    with op.batch_alter_table("alerts", naming_convention=SQLITE_NAMES) as batch:
        batch.drop_constraint(_old_unique_name(), type_="unique")
        batch.create_unique_constraint("uq_alerts_source_fingerprint", ["source", "fingerprint"])
    with op.batch_alter_table("alert_groups") as batch:
        batch.add_column(sa.Column("source", sa.String(32)))
    op.create_index("ix_alert_groups_source_created", "alert_groups", ["source", "created_at"])
    with op.batch_alter_table("alert_rollups") as batch:
        batch.add_column(sa.Column("source", sa.String(32)))
        batch.add_column(sa.Column("held", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    op.create_index("ix_alert_rollups_source_joined", "alert_rollups", ["source", "last_joined_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_rollups_source_joined", table_name="alert_rollups")
    with op.batch_alter_table("alert_rollups") as batch:
        batch.drop_column("held")
        batch.drop_column("source")
    op.drop_index("ix_alert_groups_source_created", table_name="alert_groups")
    with op.batch_alter_table("alert_groups") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("alerts", naming_convention=SQLITE_NAMES) as batch:
        batch.drop_constraint("uq_alerts_source_fingerprint", type_="unique")
        batch.create_unique_constraint(_old_unique_name(), ["fingerprint"])
