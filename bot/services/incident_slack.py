"""An incident's Slack side, run from outbox jobs: channel, invites, pinned header and checklist,
announcements, header updates, posts, the postmortem file, and :pushpin:'d messages.

Every step saves its result at once, so a retried job continues where the last attempt stopped.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks.incident import action_items_prompt, render_announcement, render_checklist, render_header
from bot.deps import Deps
from bot.domain.incident_report import postmortem_markdown
from bot.domain.incidents import Space, channel_name, invitees
from bot.services.incident_policy import policy, to_facts
from bot.services.oncall import who_is_on_call
from bot.services.outbox import RetryLater
from bot.slack import error_code
from storage import incidents as store
from storage import tickets as ticket_store
from storage.incidents import Incident
from storage.models import AlertGroup

log = logging.getLogger(__name__)
MAX_NAME_ATTEMPTS = 50
CLOCK_SKEW = timedelta(minutes=10)  # how far Slack's clock may be behind ours when it stamps a channel
UNINVITABLE = frozenset(
    {"already_in_channel", "user_not_found", "cant_invite", "cant_invite_self", "user_is_restricted"}
)


async def _load(deps: Deps, incident_id: int) -> Incident:
    incident = await store.get(deps.db, incident_id)
    if incident is None:
        raise LookupError(f"incident {incident_id} does not exist")
    return incident


async def _save(deps: Deps, incident_id: int, **changes: Any) -> Incident:
    async with deps.db.transaction() as session:
        incident = await store.lock(session, incident_id)
        assert incident is not None
        for name, value in changes.items():
            setattr(incident, name, value)
    return incident


async def set_up(deps: Deps, incident_id: int, *, retried: bool = False) -> None:
    """Make Slack match the incident's level: channel, invites, header, checklist, announcements.

    When `retried`, an earlier attempt may have posted a message and died (or lost Slack's answer) before
    saving its ts: each post then looks for its own marked copy first. A channel such an attempt made is
    found whenever creating it says its name is taken.
    """
    incident = await _load(deps, incident_id)
    rules = policy(deps.settings, incident.level)
    if rules.space == Space.CHANNEL and incident.channel_id is None:
        incident = await _create_channel(deps, incident)
    if incident.channel_id is not None:
        incident = await _invite(deps, incident, rules.invite_oncall)
    incident = await _post_header(deps, incident, retried=retried)
    if rules.checklist and incident.checklist_ts is None and rules.space != Space.NONE:
        incident = await _post_checklist(deps, incident, rules.label, rules.checklist, retried=retried)
    channels = (deps.settings.team_of(incident.team).channels.incidents, *rules.announce)
    await _announce(deps, incident, channels, retried=retried)
    await _link_alert(deps, incident, retried=retried)
    await sync(deps, incident_id)


async def _create_channel(deps: Deps, incident: Incident) -> Incident:
    """Create the incident's channel. A name that is taken may be this incident's own channel, made by an
    attempt that died (or lost Slack's answer) before saving it: that one is adopted, not duplicated."""
    assert incident.id is not None
    prefix = deps.settings.file.incidents.channel_prefix
    for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
        name = channel_name(prefix, incident.id, incident.title, attempt=attempt)
        try:
            created = (await deps.slack.conversations_create(name=name))["channel"]
        except SlackApiError as error:
            if error_code(error) != "name_taken":
                raise
            created = await _made_earlier(deps, incident, name)
            if created is None:
                continue
        channel_id = str(created["id"])
        deps.channels.remember(name, channel_id)
        # a thread's checklist stays there; the new channel gets its own, pinned
        return await _save(deps, incident.id, channel_id=channel_id, channel_name=name, checklist_ts=None)
    raise RuntimeError(f"no free channel name for incident {incident.id} after {MAX_NAME_ATTEMPTS} tries")


async def _made_earlier(deps: Deps, incident: Incident, name: str) -> dict[str, Any] | None:
    """The channel `name` if opsbot itself created it since the incident was declared, else None."""
    channel = await deps.channels.find(name)
    if channel is None:
        return None
    me = str((await deps.slack.auth_test())["user_id"])
    since = incident.declared_at.timestamp() - CLOCK_SKEW.total_seconds()
    return channel if channel.get("creator") == me and int(channel.get("created", 0)) >= since else None


async def wanted_people(deps: Deps, incident: Incident, *, with_oncall: bool) -> list[str]:
    """Who belongs in the incident: its team's on-call, configured users and groups, declarer and role
    holders."""
    rules = policy(deps.settings, incident.level)
    team = deps.settings.team_of(incident.team)
    oncall = (await who_is_on_call(deps, team))[0].user if with_oncall else None
    members: list[str] = []
    for usergroup in rules.invite_usergroups:
        members += (await deps.slack.usergroups_users_list(usergroup=usergroup)).get("users", [])
    roles = (incident.declared_by, incident.commander, incident.comms, incident.scribe)
    extra = tuple(u for u in (*members, *roles) if u)
    return invitees(rules, oncall=oncall, extra=extra)


async def _invite(deps: Deps, incident: Incident, with_oncall: bool) -> Incident:
    assert incident.id is not None and incident.channel_id is not None
    wanted = [
        u for u in await wanted_people(deps, incident, with_oncall=with_oncall) if u not in incident.invited
    ]
    if not wanted:
        return incident
    try:
        await deps.slack.conversations_invite(channel=incident.channel_id, users=",".join(wanted), force=True)
    except SlackApiError as error:
        if error_code(error) not in UNINVITABLE:
            raise
        for user in wanted:  # one at a time, so one ID that cannot be invited keeps nobody else out
            await _invite_one(deps, incident.channel_id, user)
    return await _save(deps, incident.id, invited=[*incident.invited, *wanted])


async def _invite_one(deps: Deps, channel_id: str, user: str) -> None:
    try:
        await deps.slack.conversations_invite(channel=channel_id, users=user)
    except SlackApiError as error:
        if error_code(error) not in UNINVITABLE:
            raise
        log.warning("cannot invite to an incident channel", extra={"user": user, "error": error_code(error)})


async def _post_header(deps: Deps, incident: Incident, *, retried: bool) -> Incident:
    """Post the header where the incident lives (its channel, else its team's incidents channel); pin it in
    a channel."""
    assert incident.id is not None
    home = incident.channel_id
    if incident.header_ts is not None and (home is None or incident.header_channel_id == home):
        return incident
    incidents_channel = deps.settings.team_of(incident.team).channels.incidents
    channel_id = home or await deps.channels.id_for(incidents_channel)
    payload = render_header(to_facts(deps.settings, incident), now=deps.clock())
    marker = f"incident-{incident.id}-header-{channel_id}"
    ts = await deps.gateway.post_once(channel_id=channel_id, marker=marker, look_first=retried, **payload)
    changes: dict[str, Any] = {"header_channel_id": channel_id, "header_ts": ts}
    if home is None:
        changes["announcements"] = [
            *incident.announcements,
            {"channel": incidents_channel, "channel_id": channel_id, "ts": ts},
        ]
    incident = await _save(deps, incident.id, **changes)
    if home is not None:
        await _pin(deps, channel_id, ts)
    return incident


async def _pin(deps: Deps, channel_id: str, ts: str) -> None:
    try:
        await deps.slack.pins_add(channel=channel_id, timestamp=ts)
    except SlackApiError as error:
        if error_code(error) != "already_pinned":
            raise


async def _post_checklist(
    deps: Deps, incident: Incident, label: str, items: tuple[str, ...], *, retried: bool
) -> Incident:
    assert incident.id is not None and incident.header_channel_id is not None
    payload = render_checklist(label, items)
    marker = f"incident-{incident.id}-checklist-{incident.channel_id or incident.header_channel_id}"
    if incident.channel_id:
        ts = await deps.gateway.post_once(
            channel_id=incident.channel_id, marker=marker, look_first=retried, **payload
        )
        await _pin(deps, incident.channel_id, ts)
    else:
        people = " ".join(f"<@{u}>" for u in await wanted_people(deps, incident, with_oncall=True))
        payload["text"] = f"{payload['text']} {people}".strip()
        if people:
            payload["blocks"] = [
                *payload["blocks"],
                {"type": "section", "text": {"type": "mrkdwn", "text": f"cc {people}"}},
            ]
        ts = await deps.gateway.post_once(
            channel_id=incident.header_channel_id,
            thread_ts=incident.header_ts,
            marker=marker,
            look_first=retried,
            **payload,
        )
    return await _save(deps, incident.id, checklist_ts=ts)


async def _announce(deps: Deps, incident: Incident, channels: tuple[str, ...], *, retried: bool) -> None:
    assert incident.id is not None
    done = {a["channel"] for a in incident.announcements}
    for name in dict.fromkeys(channels):
        if name in done:
            continue
        channel_id = await deps.channels.id_for(name)
        payload = render_announcement(to_facts(deps.settings, incident), now=deps.clock())
        marker = f"incident-{incident.id}-announce-{channel_id}"
        ts = await deps.gateway.post_once(channel_id=channel_id, marker=marker, look_first=retried, **payload)
        entry = {"channel": name, "channel_id": channel_id, "ts": ts}
        incident = await _save(deps, incident.id, announcements=[*incident.announcements, entry])


async def _link_alert(deps: Deps, incident: Incident, *, retried: bool) -> None:
    """Link the alert group the incident was declared from (and tell the alert's thread)."""
    if incident.alert_group_id is None or incident.alert_link is not None:
        return
    assert incident.id is not None
    async with deps.db.sessions() as session:
        group = await session.get(AlertGroup, incident.alert_group_id)
    if group is None or group.slack_channel_id is None or group.slack_ts is None:
        return
    link = await deps.slack.chat_getPermalink(channel=group.slack_channel_id, message_ts=group.slack_ts)
    incidents_channel = deps.settings.team_of(incident.team).channels.incidents
    where = f"<#{incident.channel_id}>" if incident.channel_id else "#" + incidents_channel
    text = (
        f":rotating_light: Incident INC-{incident.id} (SEV{incident.level}) declared for this alert: {where}"
    )
    await deps.gateway.post_once(
        channel_id=group.slack_channel_id,
        thread_ts=group.slack_ts,
        text=text,
        marker=f"incident-{incident.id}-alert-link",
        look_first=retried,
    )
    await _save(deps, incident.id, alert_link=str(link["permalink"]))


async def sync(deps: Deps, incident_id: int) -> None:
    """Bring the header and every announcement up to date (severity, status, roles, elapsed, targets)."""
    incident = await _load(deps, incident_id)
    if incident.header_ts is None or incident.header_channel_id is None:
        raise RetryLater(timedelta(seconds=2), "the incident is not set up in Slack yet")
    facts, now = to_facts(deps.settings, incident), deps.clock()
    await deps.slack.chat_update(
        channel=incident.header_channel_id, ts=incident.header_ts, **render_header(facts, now=now)
    )
    for entry in incident.announcements:
        if entry["ts"] == incident.header_ts and entry["channel_id"] == incident.header_channel_id:
            continue
        await deps.slack.chat_update(
            channel=entry["channel_id"], ts=entry["ts"], **render_announcement(facts, now=now)
        )


async def post(
    deps: Deps,
    incident_id: int,
    *,
    text: str,
    announce: bool,
    post_id: str | None = None,
    retried: bool = False,
) -> None:
    """Post in the incident's place; with `announce`, also in each announcement's thread.

    With `post_id` each copy carries a marker, so a retried job (one copy failed, or Slack answered one too
    late) finds the copies already posted instead of repeating them.
    """
    incident = await _load(deps, incident_id)
    if incident.header_ts is None or incident.header_channel_id is None:
        raise RetryLater(timedelta(seconds=2), "the incident is not set up in Slack yet")
    place = (
        (incident.channel_id, None)
        if incident.channel_id
        else (incident.header_channel_id, incident.header_ts)
    )
    assert place[0] is not None
    targets = [place]
    if announce:
        targets += [
            (entry["channel_id"], entry["ts"])
            for entry in incident.announcements
            if (entry["channel_id"], entry["ts"]) != place
        ]
    for copy, (channel_id, thread_ts) in enumerate(targets):
        marker = f"incident-post-{post_id}-{copy}" if post_id else None
        await deps.gateway.post_once(
            channel_id=channel_id, thread_ts=thread_ts, text=text, marker=marker, look_first=retried
        )


async def upload_postmortem(deps: Deps, incident_id: int) -> None:
    """Draft the postmortem as Markdown and upload it where the incident lives."""
    incident = await _load(deps, incident_id)
    if incident.header_ts is None or incident.header_channel_id is None:
        raise RetryLater(timedelta(seconds=2), "the incident is not set up in Slack yet")
    events = await store.events(deps.db, incident_id)
    tickets = await ticket_store.for_action_items(deps.db, incident_id)
    facts = to_facts(deps.settings, incident, events, tickets=tickets)
    now = deps.clock()
    text = postmortem_markdown(facts, now=now)
    target: dict[str, Any] = {"channel": incident.channel_id or incident.header_channel_id}
    if not incident.channel_id:
        target["thread_ts"] = incident.header_ts
    await deps.slack.files_upload_v2(
        content=text,
        filename=f"INC-{incident_id}-postmortem.md",
        title=f"INC-{incident_id} postmortem draft",
        initial_comment=(
            f":page_facing_up: Postmortem draft for INC-{incident_id}: "
            "fill in the root cause and the action items."
        ),
        **target,
    )
    await deps.gateway.post(
        channel_id=target["channel"], thread_ts=target.get("thread_ts"), **action_items_prompt(facts)
    )
    async with deps.db.transaction() as session:
        await store.add_event(session, incident_id, "postmortem", at=now, text="Postmortem draft uploaded")


async def record_pin(deps: Deps, *, channel_id: str, ts: str, user_id: str) -> bool:
    """Add a :pushpin:'d message of an incident's channel or thread to its timeline (once)."""
    found = await deps.slack.conversations_replies(channel=channel_id, ts=ts, inclusive=True, limit=200)
    messages: list[dict[str, Any]] = found.get("messages", [])
    message = next((m for m in messages if m.get("ts") == ts), None)
    if message is None:
        return False
    incident = await store.by_slack_place(deps.db, channel_id=channel_id, thread_ts=message.get("thread_ts"))
    if incident is None or incident.id is None:
        return False
    author = message.get("user") or message.get("bot_id") or user_id
    text = str(message.get("text") or "")[:3000]
    return await store.add_pinned_message(
        deps.db, incident.id, slack_ts=ts, at=deps.clock(), actor=str(author), text=f"📌 {text}"
    )
