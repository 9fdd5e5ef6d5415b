"""Review checklists: a row per item of a posted digest run, and what re-renders its message.

- review_items: one row per checklist item of a digest run (its own items and the open ones carried over from
  the team's previous review of the same kind): who ticked it and when, its owner (planning items), and for
  a carried item the period and the run/item it came from. (run_key, item_key) is unique, so a retried post
  job never adds an item twice.
- digest_runs.payload: the posted message without its ticks (JSON text), so a tick re-renders it in place
  without rebuilding the digest; digest_runs.review_done_at: when every item was first ticked (the "Review
  done" post happens once, whichever replica sees it).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_key", sa.String(255), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("item_key", sa.String(80), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("ticked_by", sa.String(32)),
        sa.Column("ticked_name", sa.String(80)),
        sa.Column("ticked_at", TS),
        sa.Column("owner", sa.String(32)),
        sa.Column("carried_since", sa.String(16)),
        sa.Column("origin_run", sa.String(255)),
        sa.Column("origin_item", sa.String(80)),
        sa.UniqueConstraint("run_key", "item_key", name="uq_review_items_run_item"),
    )
    op.create_index("ix_review_items_team_kind", "review_items", ["team", "kind"])
    with op.batch_alter_table("digest_runs") as batch:
        batch.add_column(sa.Column("payload", sa.Text()))
        batch.add_column(sa.Column("review_done_at", TS))


def downgrade() -> None:
    with op.batch_alter_table("digest_runs") as batch:
        batch.drop_column("review_done_at")
        batch.drop_column("payload")
    op.drop_index("ix_review_items_team_kind", table_name="review_items")
    op.drop_table("review_items")
