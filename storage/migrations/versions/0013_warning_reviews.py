"""Review deadlines of warnings: each group firing records its deadline, when (and by whom) it was first
reviewed, and when its one reminder went out.

Firings opened before this revision keep no deadline (NULL): the config that would have set it is not the
migration's to read, so the digests' share of warnings reviewed in time counts only later ones.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alert_group_episodes") as batch:
        batch.add_column(sa.Column("review_due_at", TS))
        batch.add_column(sa.Column("reviewed_at", TS))
        batch.add_column(sa.Column("reviewed_by", sa.String(64)))
        batch.add_column(sa.Column("reminded_at", TS))


def downgrade() -> None:
    with op.batch_alter_table("alert_group_episodes") as batch:
        batch.drop_column("reminded_at")
        batch.drop_column("reviewed_by")
        batch.drop_column("reviewed_at")
        batch.drop_column("review_due_at")
