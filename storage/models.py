"""SQLModel tables. Each later feature adds its tables here and a migration under migrations/versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Claim(SQLModel, table=True):
    """A once-only claim: whoever inserts (scope, key) first does the work, everyone else skips it.

    Used for Slack's retried requests, timers that must fire once across replicas, and digest periods.
    """

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_claims_scope_key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=64)
    key: str = Field(max_length=255)
    claimed_by: str = Field(default="", max_length=128)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxJob(SQLModel, table=True):
    """Durable work: a Slack post, a group sync, a timer. Claimed with a lease, retried with backoff.

    `due_at` makes it a timer; `dedupe_key` coalesces (one pending job per key); `channel` paces Slack posts.
    """

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    dedupe_key: str | None = Field(default=None, max_length=255)
    channel: str | None = Field(default=None, max_length=80)  # the lane: one job at a time, paced
    priority: int = 50  # lower runs first (bot/domain/delivery.py)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxLane(SQLModel, table=True):
    """A lane (a Slack channel): which replica runs its one job now, and when its next post may go out.

    Kept in the database, so N replicas together post at Slack's pace, not N times it.
    """

    __tablename__ = "outbox_lanes"

    name: str = Field(primary_key=True, max_length=80)
    next_post_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Alert(SQLModel, table=True):
    """One alert as its source last described it, identified by (source, fingerprint): one source never
    reaches another's alerts, even with the same fingerprint."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("source", "fingerprint", name="uq_alerts_source_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=128)
    source: str = Field(max_length=32)
    alertname: str = Field(max_length=255)
    severity: str = Field(max_length=16)
    status: str = Field(max_length=16)
    group_key: str = Field(max_length=512, index=True)
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    annotations: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    generator_url: str | None = Field(default=None, max_length=2000)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # the channels its routes chose, as ",a,b,": a group (key, channel) holds only the alerts routed to it
    channels: str = Field(default="", max_length=1000)
    # the owning team's handle (bot/config/teams.py); NULL before migration 0017: the default team
    team: str | None = Field(default=None, max_length=40, index=True)
    value: float | None = None  # what its `value` annotation states, as last received


class AlertEpisode(SQLModel, table=True):
    """One firing period of one alert, never overwritten: what the digests count.

    A re-fire after a resolve is a new episode; `end_reason` says how it ended (see bot/domain/episodes.py).
    """

    __tablename__ = "alert_episodes"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alerts.id", index=True)
    group_key: str = Field(max_length=512)
    alertname: str = Field(max_length=255)
    severity: str = Field(max_length=16)
    started_at: datetime = Field(index=True, sa_type=UTCDateTime)  # the source's startsAt, as an instant
    received_at: datetime = Field(sa_type=UTCDateTime)  # when opsbot first heard it fire
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=16)
    value: float | None = None  # the value the alert stated when this firing began (threshold review)


class AlertGroup(SQLModel, table=True):
    """Alerts sharing a group key in one channel: one Slack message, acknowledged and escalated together."""

    __tablename__ = "alert_groups"
    __table_args__ = (UniqueConstraint("group_key", "channel", name="uq_alert_groups_key_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    group_key: str = Field(max_length=512)
    channel: str = Field(max_length=80)
    alertname: str = Field(max_length=255)
    severity: str = Field(max_length=16)
    severity_label: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=16, index=True)
    firing_count: int = 0
    alert_count: int = 0
    first_fired_at: datetime = Field(sa_type=UTCDateTime)
    last_change_at: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=64)
    acked_by: str | None = Field(default=None, max_length=64)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_by: str | None = Field(default=None, max_length=64)
    silence_id: str | None = Field(default=None, max_length=64)
    noise_by: str | None = Field(default=None, max_length=64)
    flapping: bool = False
    changes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    escalation_level: int = 0
    slack_channel_id: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    # set before the first post is tried: a retry (any replica, any job) then looks for it before posting
    post_attempted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    post_error: str | None = Field(default=None, max_length=200)  # the first post failed for good: why
    announced_firing: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When its current firing episode began as opsbot saw it (a new group, or one firing again): storms are
    # counted from this. A group in a storm's roll-up has no message of its own while it stays there.
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rollup_id: int | None = Field(default=None, foreign_key="alert_rollups.id", index=True)
    episode_id: int | None = Field(default=None)  # its current (or last) firing episode
    # the source whose alert opened it, for the cap on new groups per source (None: opened before 0012)
    source: str | None = Field(default=None, max_length=32)
    # PagerDuty: the dedup_key its incidents carry (set when it first pages) and the firing episode it last
    # paged; an acknowledge or resolve goes to PagerDuty only for that episode.
    pagerduty_key: str | None = Field(default=None, max_length=255, index=True)
    pagerduty_episode_id: int | None = Field(default=None)
    # the owning team's handle (bot/config/teams.py); NULL before migration 0017: the default team
    team: str | None = Field(default=None, max_length=40, index=True)


class AlertGroupEpisode(SQLModel, table=True):
    """One firing period of one group: its message, acknowledgement, review, escalation and how it ended.

    Escalation counts from `posted_at`, when opsbot first posted (or tried to post) the episode's message.
    """

    __tablename__ = "alert_group_episodes"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="alert_groups.id", index=True)
    number: int = 1  # the group's first firing is 1
    group_key: str = Field(max_length=512)
    channel: str = Field(max_length=80)
    alertname: str = Field(max_length=255)
    severity: str = Field(max_length=16)
    started_at: datetime = Field(sa_type=UTCDateTime)  # the earliest startsAt of its alerts
    opened_at: datetime = Field(index=True, sa_type=UTCDateTime)  # when opsbot saw it start firing
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acked_by: str | None = Field(default=None, max_length=64)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=16)
    ended_by: str | None = Field(default=None, max_length=64)
    noise_by: str | None = Field(default=None, max_length=64)
    escalation_level: int = 0  # steps paged so far
    # the last step's page, or the end of a snooze: the next step waits its own delay from here
    last_escalation_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    incident_id: int | None = Field(default=None)
    slack_channel_id: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)  # the message that told this episode
    follows_ts: str | None = Field(default=None, max_length=32)  # the previous episode's own message
    # A warning's review (bot/domain/reviews.py): its deadline (None: no review deadline — not a warning,
    # listed in a storm's roll-up, or opened before 0013), the first person's acknowledgement, resolve,
    # snooze or noise mark, and its one reminder.
    review_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: str | None = Field(default=None, max_length=64)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AlertRollup(SQLModel, table=True):
    """One storm in one channel: a single message listing its groups, updated in place.

    The storm is open (new groups join it) until `last_joined_at` is a storm window in the past. With a
    `source` it is that source's overflow instead: alerts stored without opening a group, because the source
    opened more new groups within a minute than `alerts.max_new_groups_per_source_per_minute`; `held`
    counts them by alertname.
    """

    __tablename__ = "alert_rollups"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=80)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    last_joined_at: datetime = Field(sa_type=UTCDateTime)
    slack_channel_id: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    post_attempted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # as for AlertGroup
    source: str | None = Field(default=None, max_length=32)
    held: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AlertEvent(SQLModel, table=True):
    """Something that happened to a group: the thread tells it, the digests count it."""

    __tablename__ = "alert_events"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="alert_groups.id", index=True)
    kind: str = Field(max_length=32)
    actor: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    announced: bool = False


class OncallOverride(SQLModel, table=True):
    """A temporary hand-over of on-call duty (/oncall override)."""

    __tablename__ = "oncall_overrides"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(index=True, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # the owning team's handle (bot/config/teams.py); NULL before migration 0017: the default team
    team: str | None = Field(default=None, max_length=40, index=True)
    layer: str | None = Field(default=None, max_length=20)  # NULL: the rotation's first layer


class SmsPage(SQLModel, table=True):
    """One SMS page of one person: a group episode's opening or one of its escalation steps, sent at most
    once (`page_key`) and counted for the person's hourly cap from `created_at`, when its slot was taken."""

    __tablename__ = "sms_pages"
    __table_args__ = (
        UniqueConstraint("page_key", name="uq_sms_pages_page_key"),
        Index("ix_sms_pages_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    page_key: str = Field(max_length=255)  # group:episode:page:user
    group_id: int = Field(index=True)
    episode_id: int
    page: str = Field(max_length=16)  # "open", or "step-<n>" for an escalation step
    user_id: str = Field(max_length=64)
    status: str = Field(max_length=16)  # sending | sent | capped | no_number | refused | cancelled
    to_number: str | None = Field(default=None, max_length=20)
    body: str = Field(default="", max_length=1600)  # fixed at the first try: a retry sends the same text
    sid: str | None = Field(default=None, max_length=64)  # Twilio's message SID
    # why it was not sent: a NoNumber reason, when a capped person has room again, Twilio's refusal
    detail: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
