"""An alert group's Slack message: post it once (even across crashes and replicas), keep it up to date, and
tell its thread what changed; a channel that cannot take it pages the on-call by DM instead."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.blocks.alerts import (
    AlertLine,
    GroupView,
    broken_route_page,
    group_marker,
    render_group,
    reply_marker,
    thread_reply,
)
from bot.deps import Deps
from bot.domain.alerts import Severity
from bot.domain.delivery import broken_route
from bot.domain.durations import humanize_duration
from bot.domain.info_review import told_in_review
from bot.errors import NotFound
from bot.secret_urls import public_url
from bot.services.info_reviews import reviews_info
from bot.services.oncall import who_is_on_call
from bot.slack import error_code
from storage import alert_episodes, alert_groups
from storage.models import AlertGroup

log = logging.getLogger(__name__)


def group_view(
    snapshot: alert_groups.GroupSnapshot, *, deps: Deps, previous_url: str | None = None
) -> GroupView:
    """Build the message's view model from the stored group."""
    group = snapshot.group
    assert group.id is not None
    silence_url = None
    if group.silence_id and deps.settings.secrets.alertmanager_url:
        base = public_url(deps.settings.secrets.alertmanager_url).rstrip("/")
        silence_url = f"{base}/#/silences/{group.silence_id}"
    return GroupView(
        group_id=group.id,
        alertname=group.alertname,
        severity=group.severity,
        severity_label=group.severity_label,
        status=group.status,
        firing_count=group.firing_count,
        alert_count=group.alert_count,
        first_fired_at=group.first_fired_at,
        resolved_at=group.resolved_at,
        resolved_by=group.resolved_by,
        acked_by=group.acked_by,
        acked_at=group.acked_at,
        snoozed_until=group.snoozed_until,
        silence_url=silence_url,
        noise_by=group.noise_by,
        flapping=group.flapping,
        alerts=[
            AlertLine(a.labels, a.annotations, a.status, a.starts_at, a.generator_url)
            for a in snapshot.alerts
        ],
        snooze_choices=deps.settings.file.alerts.snooze_choices,
        now=deps.clock(),
        episode_number=snapshot.episode.number if snapshot.episode else 1,
        previous_url=previous_url,
        incident_id=snapshot.episode.incident_id if snapshot.episode else None,
    )


async def sync_group(deps: Deps, group_id: int, *, attempt: int = 1) -> None:
    """Post or update the group's message, then tell the thread what changed (one reply at most)."""
    async with deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, group_id)
    if snapshot is None or (snapshot.group.rollup_id is not None and snapshot.group.slack_ts is None):
        return  # a storm's roll-up lists this group: it has no message of its own to post
    group = snapshot.group
    if told_in_review(
        severity=group.severity,
        has_message=alert_groups.has_message(group),
        reviews_on=reviews_info(deps.settings),
    ):
        return  # an info group the daily review tells: no message of its own (unless it turns worse)
    was_posted = group.slack_ts is not None
    # A crash (or a lost answer) between posting and storing the ts must not post twice. Whether an earlier
    # try may have posted is recorded before the first post, so any retry, on any replica, looks first.
    maybe_posted = not was_posted and group.post_attempted_at is not None
    await _record_attempt(deps, snapshot, first_post=not was_posted and not maybe_posted)
    previous_url = await _previous_message_url(deps, snapshot) if not was_posted else None
    payload = render_group(group_view(snapshot, deps=deps, previous_url=previous_url))
    try:
        channel_id, ts = await deps.gateway.post_or_update(
            channel=group.channel,
            channel_id=group.slack_channel_id,
            ts=group.slack_ts,
            payload=payload,
            marker=group_marker(group_id) if maybe_posted else None,
        )
    except (SlackApiError, NotFound) as error:
        code = error_code(error) if isinstance(error, SlackApiError) else "channel_not_found"
        broken = broken_route(str(code))
        if was_posted or broken is None:
            raise
        await _report_broken_route(deps, group, broken)
        return
    deps.telemetry.alerts_posted.inc()
    if was_posted:
        await _tell_thread(deps, snapshot, channel_id=channel_id, ts=ts, attempt=attempt)
    async with deps.db.transaction() as session:
        fresh = await alert_groups.lock_group(session, group_id)
        if fresh is not None:
            fresh.slack_channel_id, fresh.slack_ts = channel_id, ts
            fresh.announced_firing = group.firing_count
        episode = await alert_episodes.lock_episode(session, group.episode_id)
        if episode is not None and episode.slack_ts is None:
            episode.slack_channel_id, episode.slack_ts = channel_id, ts
        await alert_groups.mark_announced(session, [e.id for e in snapshot.events if e.id is not None])


async def _record_attempt(deps: Deps, snapshot: alert_groups.GroupSnapshot, *, first_post: bool) -> None:
    """Before the message goes out: note a first post attempt, and when the episode's message was first
    posted or updated (its escalation counts from then)."""
    episode = snapshot.episode
    needs_episode = episode is not None and episode.posted_at is None and snapshot.group.status == "firing"
    if not first_post and not needs_episode:
        return
    now = deps.clock()
    async with deps.db.transaction() as session:
        if first_post:
            await alert_groups.record_post_attempt(session, snapshot.group.id or 0, at=now)
        if needs_episode and episode is not None and episode.id is not None:
            await alert_groups.record_episode_posted(session, episode.id, at=now)


async def _previous_message_url(deps: Deps, snapshot: alert_groups.GroupSnapshot) -> str | None:
    """The link to the last episode's message, for a new message of a group firing again."""
    episode, channel_id = snapshot.episode, snapshot.group.slack_channel_id
    if episode is None or episode.follows_ts is None or channel_id is None:
        return None
    try:
        found = await deps.slack.chat_getPermalink(channel=channel_id, message_ts=episode.follows_ts)
    except SlackApiError:
        return None  # the old message is gone: the new one simply does not link it
    return str(found["permalink"])


async def _tell_thread(
    deps: Deps, snapshot: alert_groups.GroupSnapshot, *, channel_id: str, ts: str, attempt: int
) -> None:
    """One quiet reply for what changed since the last sync. Changes while a group flaps are stored as told
    already, so a flapping group's thread stays quiet (joining alerts are not counted either)."""
    group = snapshot.group
    events = [
        (e.kind, _detail(e.kind, e.detail, e.actor, group.first_fired_at, e.at)) for e in snapshot.events
    ]
    joined = 0 if group.flapping else group.firing_count - group.announced_firing
    reply = thread_reply(events, joined=joined, firing=group.firing_count)
    if reply:
        last_event = max((e.id or 0 for e in snapshot.events), default=0)
        await deps.gateway.post_once(
            channel_id=channel_id,
            thread_ts=ts,
            text=reply,
            marker=reply_marker(group.id or 0, last_event=last_event, firing=group.firing_count),
            look_first=attempt > 1,
        )


async def _report_broken_route(deps: Deps, group: AlertGroup, reason: str) -> None:
    """The group's channel cannot take its message (archived, renamed, opsbot not invited …): record why,
    count it on /metrics, and DM the on-call engineer so a critical alert still pages someone. Escalation
    then goes on by DM (see escalation.escalate)."""
    assert group.id is not None
    now = deps.clock()
    async with deps.db.transaction() as session:
        fresh = await alert_groups.lock_group(session, group.id)
        if fresh is not None:
            fresh.post_error = reason[:200]
        detail = {"channel": group.channel, "error": reason}
        await alert_groups.add_event(
            session, group.id, "route_broken", now=now, detail=detail, announced=True
        )
    deps.telemetry.alert_post_failures.labels(group.channel, reason).inc()
    log.error("an alert's channel cannot take its message", extra={"group": group.id, **detail})
    if group.severity != Severity.CRITICAL:
        return
    oncall = (await who_is_on_call(deps, deps.settings.team_of(group.team)))[0].user
    text = broken_route_page(group.alertname, channel=group.channel, reason=reason, firing=group.firing_count)
    await deps.gateway.direct_message(
        user_id=oncall, text=text, marker=f"alert-group-{group.id}-route-broken", look_first=True
    )


def _detail(
    kind: str, detail: dict[str, object], actor: str | None, fired_at: object, at: object
) -> dict[str, object]:
    shown = dict(detail)
    if actor:
        shown.setdefault("who", detail.get("name") or actor)
    if kind in {"resolved", "resolved_by_hand", "acked"}:
        shown["after"] = f" after {humanize_duration(at - fired_at)}"  # type: ignore[operator]
    return shown
