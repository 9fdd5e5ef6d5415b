"""Escalation of unacknowledged critical alerts: page each step of the chain in the alert's thread and by
DM, once per step and episode, each step its own delay after the one before."""

from __future__ import annotations

from datetime import timedelta

from bot.blocks.alerts import broken_route_page, escalation_dm, escalation_page
from bot.config import Team
from bot.deps import Deps
from bot.domain.episodes import escalation_due
from bot.domain.oncall import EscalationStep, EscalationTarget
from bot.services import sms
from bot.services.alerts import queue_escalation
from bot.services.oncall import escalation_chain, who_is_on_call
from bot.services.outbox import RetryLater
from storage import alert_episodes, alert_groups
from storage.models import AlertGroup, AlertGroupEpisode


async def escalate(deps: Deps, group_id: int, *, episode_id: int, retried: bool = False) -> None:
    """Page the next step of the chain for an unacknowledged critical episode once it is due; arm the next.

    Steps count from when the episode's message was first posted (or tried), one step per delay at most.
    The page and the DMs carry a marker, so a retried job (a DM failed, or Slack answered too late) finds
    what it already sent instead of paging twice."""
    async with deps.db.sessions() as session:
        group = await session.get(AlertGroup, group_id)
        episode = await session.get(AlertGroupEpisode, episode_id)
    now = deps.clock()
    if group is None or episode is None or not alert_episodes.unattended(group, episode, now=now):
        return
    team = deps.settings.team_of(group.team)
    chain = escalation_chain(team)
    level = episode.escalation_level
    if episode.posted_at is None:
        raise RetryLater(timedelta(seconds=2), "the alert message is not posted yet")
    due = escalation_due(
        [step.after for step in chain],
        level,
        posted_at=episode.posted_at,
        last_step_at=episode.last_escalation_at,
    )
    if due is None:
        return
    if due > now:
        raise RetryLater(due - now, f"escalation step {level + 1} is due at {due.isoformat()}")
    users = await _targets(deps, chain[level], team)
    marker = f"alert-group-{group_id}-page-{level}-episode-{episode_id}"
    if group.slack_ts is not None and group.slack_channel_id is not None:
        dm_text = await _page_in_thread(deps, group, users=users, marker=marker, retried=retried)
    elif group.post_error is not None:  # the channel cannot take the message: the DM is the page
        dm_text = broken_route_page(
            group.alertname, channel=group.channel, reason=group.post_error, firing=group.firing_count
        )
    else:
        raise RetryLater(timedelta(seconds=2), "the alert message is not posted yet")
    for user in users:
        await deps.gateway.direct_message(user_id=user, text=dm_text, marker=marker, look_first=retried)
    await _record_escalation(deps, group, episode_id=episode_id, level=level, users=users, chain=chain)


async def record_next_step(deps: Deps, group_id: int) -> bool:
    """Record the next step of an unacknowledged group's escalation as paged, without paging anyone: the
    sandbox's sample history tells pages of the past. False when nothing was due (acknowledged, ended)."""
    async with deps.db.sessions() as session:
        group = await session.get(AlertGroup, group_id)
        episode = await session.get(AlertGroupEpisode, group.episode_id) if group else None
    now = deps.clock()
    if group is None or episode is None or not alert_episodes.unattended(group, episode, now=now):
        return False
    team = deps.settings.team_of(group.team)
    chain = escalation_chain(team)
    level = episode.escalation_level
    if level >= len(chain):
        return False
    users = await _targets(deps, chain[level], team)
    assert episode.id is not None
    await _record_escalation(deps, group, episode_id=episode.id, level=level, users=users, chain=chain)
    return True


async def _page_in_thread(
    deps: Deps, group: AlertGroup, *, users: list[str], marker: str, retried: bool
) -> str:
    """Mention the step's people in the alert's thread; return the DM that links them to it."""
    assert group.slack_channel_id is not None and group.slack_ts is not None
    mentions = " ".join(f"<@{u}>" for u in users) or "nobody is on call"
    minutes = int((deps.clock() - group.first_fired_at).total_seconds() // 60)
    text = escalation_page(mentions, group.alertname, minutes=minutes)
    await deps.gateway.post_once(
        channel_id=group.slack_channel_id,
        thread_ts=group.slack_ts,
        text=text,
        marker=marker,
        look_first=retried,
    )
    link = await deps.slack.chat_getPermalink(channel=group.slack_channel_id, message_ts=group.slack_ts)
    return escalation_dm(group.alertname, str(link["permalink"]))


async def _record_escalation(
    deps: Deps,
    group: AlertGroup,
    *,
    episode_id: int,
    level: int,
    users: list[str],
    chain: list[EscalationStep],
) -> None:
    assert group.id is not None
    now = deps.clock()
    async with deps.db.transaction() as session:
        locked = await alert_groups.lock_group(session, group.id)
        episode = await alert_episodes.lock_episode(session, episode_id)
        if locked is None or episode is None or episode.escalation_level != level:
            return  # a retry of a step recorded already
        episode.escalation_level = locked.escalation_level = level + 1
        episode.last_escalation_at = now
        await alert_groups.add_event(
            session,
            group.id,
            "escalated",
            now=now,
            detail={"level": level + 1, "users": users},
            announced=True,
        )
        if chain[level].sms:
            await sms.queue_step_pages(
                session, deps.settings, group_id=group.id, episode_id=episode_id, level=level, users=users,
                now=now,
            )  # fmt: skip
        if level + 1 < len(chain):
            await queue_escalation(
                session, group_id=group.id, channel=group.channel, episode_id=episode_id,
                due=now + chain[level + 1].after, now=now,
            )  # fmt: skip


async def _targets(deps: Deps, step: EscalationStep, team: Team) -> list[str]:
    if step.target in (EscalationTarget.ONCALL, EscalationTarget.NEXT_ONCALL):
        now_shift, next_shift = await who_is_on_call(deps, team, layer=step.layer)
        return [(now_shift if step.target == EscalationTarget.ONCALL else next_shift).user]
    if step.target == EscalationTarget.USERS:
        return list(step.ids)
    members: list[str] = []
    for usergroup in step.ids:
        members += (await deps.slack.usergroups_users_list(usergroup=usergroup)).get("users", [])
    return members
