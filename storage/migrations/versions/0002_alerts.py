"""Alerts, alert groups and their events, the outbox, on-call overrides.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("dedupe_key", sa.String(255)),
        sa.Column("channel", sa.String(80)),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_until", TS),
        sa.Column("last_error", sa.String(1000)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS),
    )
    op.create_index("ix_outbox_status_due", "outbox", ["status", "due_at"])
    op.create_index(
        "uq_outbox_pending_key",
        "outbox",
        ["dedupe_key"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(128), nullable=False, unique=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("alertname", sa.String(255), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("group_key", sa.String(512), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS),
        sa.Column("generator_url", sa.String(2000)),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_alerts_group_key", "alerts", ["group_key"])
    op.create_index("ix_alerts_starts_at", "alerts", ["starts_at"])
    op.create_table(
        "alert_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_key", sa.String(512), nullable=False),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("alertname", sa.String(255), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("severity_label", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("firing_count", sa.Integer(), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("first_fired_at", TS, nullable=False),
        sa.Column("last_change_at", TS, nullable=False),
        sa.Column("resolved_at", TS),
        sa.Column("resolved_by", sa.String(64)),
        sa.Column("acked_by", sa.String(64)),
        sa.Column("acked_at", TS),
        sa.Column("snoozed_until", TS),
        sa.Column("snoozed_by", sa.String(64)),
        sa.Column("silence_id", sa.String(64)),
        sa.Column("noise_by", sa.String(64)),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("slack_channel_id", sa.String(32)),
        sa.Column("slack_ts", sa.String(32)),
        sa.Column("announced_firing", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("group_key", "channel", name="uq_alert_groups_key_channel"),
    )
    op.create_index("ix_alert_groups_status", "alert_groups", ["status"])
    op.create_index("ix_alert_groups_first_fired_at", "alert_groups", ["first_fired_at"])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("alert_groups.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_alert_events_group_id", "alert_events", ["group_id"])
    op.create_index("ix_alert_events_at_kind", "alert_events", ["at", "kind"])
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_oncall_overrides_ends_at", "oncall_overrides", ["ends_at"])


def downgrade() -> None:
    for table in ("oncall_overrides", "alert_events", "alert_groups", "alerts", "outbox"):
        op.drop_table(table)
