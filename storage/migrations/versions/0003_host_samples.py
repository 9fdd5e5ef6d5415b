"""Host check samples.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "host_samples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_host_samples_metric_key_at", "host_samples", ["metric", "key", "at"])
    op.create_index("ix_host_samples_at", "host_samples", ["at"])


def downgrade() -> None:
    op.drop_index("ix_host_samples_at", table_name="host_samples")
    op.drop_index("ix_host_samples_metric_key_at", table_name="host_samples")
    op.drop_table("host_samples")
