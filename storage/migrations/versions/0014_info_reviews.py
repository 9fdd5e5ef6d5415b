"""Info reviews: each team's daily review of info alerts, claimed once with the window it covers.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "info_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("window_end", TS, nullable=False),
        sa.Column("previous_start", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("posted_at", TS),
        sa.Column("channel_id", sa.String(32)),
        sa.Column("ts", sa.String(32)),
        sa.Column("runs", sa.Integer(), nullable=False),
    )
    op.create_index("ix_info_reviews_team_end", "info_reviews", ["team", "window_end"])


def downgrade() -> None:
    op.drop_index("ix_info_reviews_team_end", table_name="info_reviews")
    op.drop_table("info_reviews")
