"""Optimization tickets.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_key", sa.String(255), nullable=True, unique=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("area", sa.String(32), nullable=False),
        sa.Column("impact", sa.String(8), nullable=False),
        sa.Column("effort", sa.String(8), nullable=False),
        sa.Column("quadrant", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.String(255), nullable=True),
        sa.Column("source_link", sa.String(2000), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("metric", sa.String(2000), nullable=True),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("baseline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("after_value", sa.Float(), nullable=True),
        sa.Column("after_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("after_final", sa.Boolean(), nullable=False),
        sa.Column("measure_error", sa.String(500), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tickets_area", "tickets", ["area"])
    op.create_index("ix_tickets_quadrant", "tickets", ["quadrant"])
    op.create_index("ix_tickets_status", "tickets", ["status"])
    op.create_index("ix_tickets_owner", "tickets", ["owner"])
    op.create_index("ix_tickets_done_at", "tickets", ["done_at"])


def downgrade() -> None:
    for name in ("done_at", "owner", "status", "quadrant", "area"):
        op.drop_index(f"ix_tickets_{name}", table_name="tickets")
    op.drop_table("tickets")
