"""The outbox's job kinds: one frozen dataclass each, holding what its runner needs and nothing else.

Services queue a job with `queue` (its lane, priority and key say where and how it runs); the worker decodes
the stored row back into its dataclass and calls that kind's one typed runner (bot/services/job_runners.py).
Field names are the stored payload's keys, so rows queued by an earlier release still decode.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.delivery import Priority
from storage import outbox
from storage.digests import POST_JOB
from storage.info_reviews import POST_JOB as POST_INFO_REVIEW


@dataclass(frozen=True)
class Job:
    kind: ClassVar[str]


@dataclass(frozen=True)
class SyncGroup(Job):
    """Post or update an alert group's message (and tell its thread what changed)."""

    kind: ClassVar[str] = "alert_group.sync"
    group_id: int


@dataclass(frozen=True)
class EscalateGroup(Job):
    """Page the next escalation step of a critical group's firing episode, once it is due."""

    kind: ClassVar[str] = "alert_group.escalate"
    group_id: int
    episode_id: int


@dataclass(frozen=True)
class RemindReview(Job):
    """Remind the on-call, once, of a warning group's firing nobody reviewed by its deadline."""

    kind: ClassVar[str] = "alert_group.review_reminder"
    group_id: int
    episode_id: int


@dataclass(frozen=True)
class SendSms(Job):
    """Text one page of a group episode: its opening (to whoever is on call; `user_id` empty) or an
    escalation step (to `user_id`)."""

    kind: ClassVar[str] = "sms.page"
    group_id: int
    episode_id: int
    page: str
    user_id: str = ""


@dataclass(frozen=True)
class EndSnooze(Job):
    kind: ClassVar[str] = "alert_group.snooze_end"
    group_id: int


@dataclass(frozen=True)
class CheckFlapping(Job):
    """Clear a group's flapping mark once it has been stable for the flapping window."""

    kind: ClassVar[str] = "alert_group.check_flapping"
    group_id: int


@dataclass(frozen=True)
class SyncRollup(Job):
    """Post or update a storm's roll-up message."""

    kind: ClassVar[str] = "alert_rollup.sync"
    rollup_id: int


@dataclass(frozen=True)
class PostDigest(Job):
    """Post a claimed digest run (queued by storage.digests.claim_and_enqueue, in the claim's transaction)."""

    kind: ClassVar[str] = POST_JOB
    key: str


@dataclass(frozen=True)
class PostInfoReview(Job):
    """Post a claimed info review (queued by info_reviews.request, in the claim's transaction)."""

    kind: ClassVar[str] = POST_INFO_REVIEW
    key: str


@dataclass(frozen=True)
class RefreshReview(Job):
    """Re-render a posted review's message from its stored payload and its items' current states."""

    kind: ClassVar[str] = "review.refresh"
    key: str


@dataclass(frozen=True)
class PostReviewDone(Job):
    """Say in a review's thread, once, that every item was ticked and who took part."""

    kind: ClassVar[str] = "review.done"
    key: str


@dataclass(frozen=True)
class SetUpIncident(Job):
    """Make Slack match the incident's level: channel, invites, header, checklist, announcements."""

    kind: ClassVar[str] = "incident.setup"
    incident_id: int


@dataclass(frozen=True)
class SyncIncident(Job):
    """Bring the incident's header and announcements up to date."""

    kind: ClassVar[str] = "incident.sync"
    incident_id: int


@dataclass(frozen=True)
class PostInIncident(Job):
    """Post `text` where the incident lives (and, with `announce`, in each announcement's thread)."""

    kind: ClassVar[str] = "incident.post"
    incident_id: int
    text: str
    announce: bool
    post_id: str | None = None


@dataclass(frozen=True)
class DraftPostmortem(Job):
    kind: ClassVar[str] = "incident.postmortem"
    incident_id: int


@dataclass(frozen=True)
class IncidentTimer(Job):
    """A response or resolution clock's warning or breach, due at `due` (ISO 8601)."""

    kind: ClassVar[str] = "incident.timer"
    incident_id: int
    clock: str
    stage: str
    due: str


@dataclass(frozen=True)
class RemindIncident(Job):
    kind: ClassVar[str] = "incident.remind"
    incident_id: int
    post_id: str | None = None


@dataclass(frozen=True)
class DeliverTicketWebhook(Job):
    kind: ClassVar[str] = "ticket_webhook"
    body: dict[str, Any]


@dataclass(frozen=True)
class MeasureBaseline(Job):
    kind: ClassVar[str] = "ticket_baseline"
    ticket_id: int
    at: str


@dataclass(frozen=True)
class MeasureAfter(Job):
    kind: ClassVar[str] = "ticket_after"
    ticket_id: int
    at: str


@dataclass(frozen=True)
class SendPagerDutyEvent(Job):
    """Tell PagerDuty (Events API v2) that a group's firing episode opened, was acknowledged or resolved.

    A group's events take effect in the order they were queued (bot/services/pagerduty.py); the routing key
    is added when it is sent, never stored."""

    kind: ClassVar[str] = "pagerduty.event"
    group_id: int
    episode_id: int
    action: str  # trigger | acknowledge | resolve (bot.domain.pagerduty.EventAction)
    dedup_key: str
    key: str  # its own outbox key: the group's events queued before it go first


KINDS: dict[str, type[Job]] = {
    cls.kind: cls
    for cls in (
        SyncGroup,
        EscalateGroup,
        RemindReview,
        SendSms,
        EndSnooze,
        CheckFlapping,
        SyncRollup,
        PostDigest,
        PostInfoReview,
        RefreshReview,
        PostReviewDone,
        SetUpIncident,
        SyncIncident,
        PostInIncident,
        DraftPostmortem,
        IncidentTimer,
        RemindIncident,
        DeliverTicketWebhook,
        MeasureBaseline,
        MeasureAfter,
        SendPagerDutyEvent,
    )
}


def decode(cls: type[Job], payload: dict[str, Any]) -> Job:
    """The job a stored payload describes (keys it does not know are ignored; missing ones raise)."""
    names = {field.name for field in dataclasses.fields(cls)}
    return cls(**{name: value for name, value in payload.items() if name in names})


async def queue(
    session: AsyncSession,
    job: Job,
    *,
    now: datetime,
    priority: Priority,
    lane: str | None = None,
    key: str | None = None,
    due_at: datetime | None = None,
) -> None:
    """Add `job` in the caller's transaction; a pending job with the same key absorbs it."""
    await outbox.enqueue(
        session,
        kind=job.kind,
        payload=dataclasses.asdict(job),
        now=now,
        channel=lane,
        dedupe_key=key,
        due_at=due_at,
        priority=priority,
    )
