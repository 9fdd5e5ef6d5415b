"""Host samples carry their host, so replicas (or hosts) sharing a database keep separate series.

Samples stored before this revision get the host "" (not recorded): no migration can know which machine
took them, and a guessed name would merge one host's history into another's. Per-host reads skip them;
the purge removes them after `host_checks.retention_days` like any other sample.

The series index now leads with the host: every read names one host, metric and key and a range of times.
`ix_host_samples_at` stays for the purge, which removes old samples of every host (a host that stopped
reporting has no checker left to purge its own).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "host_samples", sa.Column("host", sa.String(255), nullable=False, server_default=sa.text("''"))
    )
    op.drop_index("ix_host_samples_metric_key_at", table_name="host_samples")
    op.create_index("ix_host_samples_host_metric_key_at", "host_samples", ["host", "metric", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_host_samples_host_metric_key_at", table_name="host_samples")
    op.create_index("ix_host_samples_metric_key_at", "host_samples", ["metric", "key", "at"])
    with op.batch_alter_table("host_samples") as batch:
        batch.drop_column("host")
