"""Alert episodes: each firing period of each alert and of each group is its own row, never overwritten.

Backfills one episode per stored alert and per group from their current state, records which channels
each alert was routed to (all its key's groups, as opsbot treated them so far), and moves pending
escalation jobs from the old text episode to the group episode's id.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_episodes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("group_key", sa.String(512), nullable=False),
        sa.Column("alertname", sa.String(255), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("end_reason", sa.String(16)),
    )
    op.create_index("ix_alert_episodes_alert_id", "alert_episodes", ["alert_id"])
    op.create_index("ix_alert_episodes_started_at", "alert_episodes", ["started_at"])
    op.create_table(
        "alert_group_episodes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("alert_groups.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(512), nullable=False),
        sa.Column("channel", sa.String(80), nullable=False),
        sa.Column("alertname", sa.String(255), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("posted_at", TS),
        sa.Column("acked_at", TS),
        sa.Column("acked_by", sa.String(64)),
        sa.Column("ended_at", TS),
        sa.Column("end_reason", sa.String(16)),
        sa.Column("ended_by", sa.String(64)),
        sa.Column("noise_by", sa.String(64)),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("last_escalation_at", TS),
        sa.Column("incident_id", sa.Integer()),
        sa.Column("slack_channel_id", sa.String(32)),
        sa.Column("slack_ts", sa.String(32)),
        sa.Column("follows_ts", sa.String(32)),
    )
    op.create_index("ix_alert_group_episodes_group_id", "alert_group_episodes", ["group_id"])
    op.create_index("ix_alert_group_episodes_opened_at", "alert_group_episodes", ["opened_at"])
    op.add_column("alerts", sa.Column("channels", sa.String(1000), nullable=False, server_default=""))
    op.add_column("alert_groups", sa.Column("episode_id", sa.Integer()))
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO alert_episodes (alert_id, group_key, alertname, severity, started_at, received_at,"
            " ended_at, end_reason)"
            " SELECT id, group_key, alertname, severity, starts_at, received_at,"
            " CASE WHEN status = 'resolved' THEN COALESCE(ends_at, updated_at) END,"
            " CASE WHEN status = 'resolved' THEN 'resolved' END FROM alerts"
        )
    )
    channels: dict[str, list[str]] = defaultdict(list)
    for key, channel in bind.execute(sa.text("SELECT group_key, channel FROM alert_groups")):
        channels[key].append(channel)
    update = sa.text("UPDATE alerts SET channels = :channels WHERE group_key = :key")
    rows = [{"key": key, "channels": "," + ",".join(names) + ","} for key, names in channels.items()]
    if rows:
        bind.execute(update, rows)
    bind.execute(
        sa.text(
            "INSERT INTO alert_group_episodes (group_id, number, group_key, channel, alertname, severity,"
            " started_at, opened_at, posted_at, acked_at, acked_by, ended_at, end_reason, ended_by, noise_by,"
            " escalation_level, slack_channel_id, slack_ts)"
            " SELECT id, 1, group_key, channel, alertname, severity, first_fired_at,"
            " COALESCE(opened_at, first_fired_at),"
            " CASE WHEN slack_ts IS NOT NULL THEN COALESCE(post_attempted_at, first_fired_at)"
            " ELSE post_attempted_at END,"
            " acked_at, acked_by, resolved_at,"
            " CASE WHEN resolved_at IS NULL THEN NULL WHEN resolved_by = 'source' THEN 'resolved'"
            " ELSE 'by_hand' END,"
            " CASE WHEN resolved_by = 'source' THEN NULL ELSE resolved_by END,"
            " noise_by, escalation_level, slack_channel_id, slack_ts FROM alert_groups"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE alert_groups SET episode_id ="
            " (SELECT MAX(e.id) FROM alert_group_episodes e WHERE e.group_id = alert_groups.id)"
        )
    )
    _move_pending_escalations(bind)


def _move_pending_escalations(bind: sa.Connection) -> None:
    """Pending escalation jobs named their episode by its start time as text; now by the episode's id."""
    jobs = bind.execute(
        sa.text("SELECT id, payload FROM outbox WHERE kind = 'alert_group.escalate' AND status = 'pending'")
    ).all()
    episodes: dict[int, int | None] = dict(
        bind.execute(sa.text("SELECT id, episode_id FROM alert_groups")).all()
    )
    for job_id, payload in jobs:
        data = payload if isinstance(payload, dict) else json.loads(payload)
        episode_id = episodes.get(int(data.get("group_id", 0)))
        if episode_id is None:
            bind.execute(sa.text("UPDATE outbox SET status = 'done' WHERE id = :id"), {"id": job_id})
            continue
        moved = {"group_id": data["group_id"], "episode_id": episode_id}
        bind.execute(
            sa.text("UPDATE outbox SET payload = :payload, dedupe_key = :key WHERE id = :id"),
            {"id": job_id, "payload": json.dumps(moved), "key": f"escalate:{data['group_id']}:{episode_id}"},
        )


def downgrade() -> None:
    op.drop_column("alert_groups", "episode_id")
    op.drop_column("alerts", "channels")
    op.drop_table("alert_group_episodes")
    op.drop_table("alert_episodes")
