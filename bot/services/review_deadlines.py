"""Review deadlines of warnings: a warning group's firing nobody reviewed within
`alerts.warning_review_minutes` gets one reminder, in its thread (mentioning the on-call) and by DM.

The reminder is an outbox job due at the deadline, queued in the transaction that opens the firing: it
survives restarts, runs on one replica, and its posts carry a marker, so a retry finds what it sent instead
of reminding twice. Acknowledging, resolving, snoozing or marking as noise first records the review and
cancels it; a job that runs anyway (it was already under way) finds the firing reviewed, ended or
superseded and says nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.review_reminders import review_dm, review_dm_unposted, review_marker, review_reminder
from bot.deps import Deps
from bot.domain.alerts import Severity
from bot.domain.delivery import Priority
from bot.domain.reviews import reminder_wait
from bot.services.jobs import RemindReview, queue
from bot.services.oncall import who_is_on_call
from bot.services.outbox import RetryLater
from storage import alert_episodes, alert_groups
from storage.group_transitions import GroupChange
from storage.models import AlertGroup, AlertGroupEpisode
from storage.outbox import cancel


def review_key(group_id: int, episode_id: int) -> str:
    """One reminder job per group firing: a re-fire is a new firing with a deadline of its own."""
    return f"review:{group_id}:{episode_id}"


async def arm(
    session: AsyncSession, change: GroupChange, *, minutes: float, rollup_id: int | None, now: datetime
) -> None:
    """Give a warning firing that just opened its deadline and the reminder due then. A group listed in a
    storm's roll-up has no buttons to review it with, so it gets none (nor does any with minutes 0)."""
    warning = change.fired and change.severity == Severity.WARNING
    if not warning or rollup_id is not None or not change.episode_id or minutes <= 0:
        return
    episode = await session.get(AlertGroupEpisode, change.episode_id)  # opened in this transaction
    if episode is None or episode.review_due_at is not None:
        return
    episode.review_due_at = due = now + timedelta(minutes=minutes)
    await queue(
        session,
        RemindReview(group_id=change.group_id, episode_id=change.episode_id),
        now=now,
        lane=change.channel,
        priority=Priority.WARNING,
        key=review_key(change.group_id, change.episode_id),
        due_at=due,
    )


async def mark_reviewed(
    session: AsyncSession,
    group: AlertGroup,
    episode: AlertGroupEpisode | None,
    *,
    user_id: str,
    now: datetime,
) -> None:
    """Someone acted on the group's firing (`episode`, locked): it is reviewed, and its reminder is off."""
    alert_episodes.mark_reviewed(episode, at=now, by=user_id)
    if group.id is not None and group.episode_id is not None:
        await cancel(session, dedupe_key=review_key(group.id, group.episode_id))


async def remind(deps: Deps, group_id: int, *, episode_id: int, retried: bool = False) -> None:
    """Remind the on-call in the firing's thread and by DM, once, if nobody reviewed it by its deadline."""
    async with deps.db.sessions() as session:
        group = await session.get(AlertGroup, group_id)
        episode = await session.get(AlertGroupEpisode, episode_id)
    if group is None or episode is None or episode.review_due_at is None:
        return
    if group.episode_id != episode.id or group.severity != Severity.WARNING:
        return  # a later firing has its own reminder; a group turned critical escalates instead
    now = deps.clock()
    wait = reminder_wait(
        due=episode.review_due_at,
        now=now,
        reviewed_at=episode.reviewed_at,
        ended_at=episode.ended_at,
        reminded_at=episode.reminded_at,
    )
    if wait is None:
        return
    if wait > timedelta(0):
        raise RetryLater(wait, f"the review deadline is {episode.review_due_at.isoformat()}")
    oncall = (await who_is_on_call(deps, deps.settings.team_of(group.team)))[0].user
    dm_text = await _remind_in_thread(deps, group, episode, oncall=oncall, now=now, retried=retried)
    if dm_text is None:
        return
    marker = review_marker(group_id, episode_id)
    await deps.gateway.direct_message(user_id=oncall, text=dm_text, marker=marker, look_first=retried)
    await _record(deps, group_id, episode_id, oncall=oncall, now=now)


async def _remind_in_thread(
    deps: Deps,
    group: AlertGroup,
    episode: AlertGroupEpisode,
    *,
    oncall: str,
    now: datetime,
    retried: bool,
) -> str | None:
    """Mention the on-call in the warning's thread; return the DM that links them to it (None: the group
    has no message of its own to review it from)."""
    assert group.id is not None and episode.id is not None and episode.review_due_at is not None
    waited = now - episode.opened_at
    if group.slack_channel_id is None or group.slack_ts is None:
        if group.post_error is not None:  # the channel cannot take the message: the DM says where it failed
            return review_dm_unposted(
                group.alertname, channel=group.channel, reason=group.post_error, waited=waited
            )
        if group.rollup_id is not None:
            return None
        raise RetryLater(timedelta(seconds=2), "the warning's message is not posted yet")
    deadline = episode.review_due_at - episode.opened_at
    await deps.gateway.post_once(
        channel_id=group.slack_channel_id,
        thread_ts=group.slack_ts,
        text=review_reminder(oncall, group.alertname, waited=waited, deadline=deadline),
        marker=review_marker(group.id, episode.id),
        look_first=retried,
    )
    link = await deps.slack.chat_getPermalink(channel=group.slack_channel_id, message_ts=group.slack_ts)
    return review_dm(group.alertname, str(link["permalink"]), waited=waited)


async def _record(deps: Deps, group_id: int, episode_id: int, *, oncall: str, now: datetime) -> None:
    """Note the reminder on the firing (the digests and a late retry read it) and in the group's events."""
    async with deps.db.transaction() as session:
        episode = await alert_episodes.lock_episode(session, episode_id)
        if episode is None or episode.reminded_at is not None:
            return
        episode.reminded_at = now
        await alert_groups.add_event(
            session, group_id, "review_reminded", now=now, detail={"user": oncall}, announced=True
        )
