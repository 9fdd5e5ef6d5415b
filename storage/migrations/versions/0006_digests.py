"""Digest runs (claimed periods and their posts) and a covering index for the digests' alert scans.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("posted_at", TS),
        sa.Column("channel_id", sa.String(32)),
        sa.Column("ts", sa.String(32)),
        sa.Column("chart_done", sa.Boolean(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_alerts_digest_window", "alerts", ["starts_at", "severity", "alertname", "group_key", "ends_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_alerts_digest_window", table_name="alerts")
    op.drop_table("digest_runs")
