"""SMS pages through Twilio: the on-call when a group opens at a severity that pages by SMS
(`paging.destinations`), and an escalation step's people when the step says `sms: true`.

Each page is an outbox job queued with the state change. It is sent once per group episode, page and person
(a row in sms_pages under that key; a retry whose earlier try Twilio may have taken looks for it first), at
most `paging.sms.max_per_person_per_hour` per person across replicas, and when it cannot go out (no usable
number, the cap, Twilio refusing it) the alert's thread says so.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.sms import capped_note, no_number_note, refused_note
from bot.clients.twilio import Sender, TwilioClient, TwilioRefused
from bot.config import Settings
from bot.deps import Deps
from bot.domain.delivery import Priority
from bot.domain.sms import CAP_WINDOW, NoNumber, cap_frees_at, number_for, page_text, safe_link, within_cap
from bot.services.jobs import SendSms, queue
from bot.services.oncall import who_is_on_call
from bot.services.outbox import GiveUp, RetryLater
from bot.slack import error_code
from storage import alert_episodes, sms_pages
from storage.models import AlertGroup, AlertGroupEpisode, SmsPage

log = logging.getLogger(__name__)
OPEN = "open"
POST_WAIT = timedelta(seconds=0.5)  # the alert's message is usually being posted as the page starts
LINK_WAIT = timedelta(seconds=30)  # but the page goes without its link rather than wait out a Slack outage


def step_page(level: int) -> str:
    """The page name of escalation step `level` (0-based): step-1, step-2, …"""
    return f"step-{level + 1}"


def off_notice(settings: Settings) -> str | None:
    """What start-up says when SMS pages are configured but cannot go out (nothing fails for it)."""
    wanted = any("sms" in settings.file.paging.destinations.of(s) for s in ("critical", "warning", "info"))
    wanted = wanted or any(step.sms for step in settings.file.alerts.escalation)
    if settings.sms_enabled or not wanted:
        return None
    return (
        "SMS pages are off: set OPSBOT_TWILIO_ACCOUNT_SID, OPSBOT_TWILIO_AUTH_TOKEN and "
        "paging.sms.from_number (or paging.sms.messaging_service_sid) to send them"
    )


async def queue_open_page(session: AsyncSession, *, group_id: int, episode_id: int, now: datetime) -> None:
    """Queue the on-call's SMS for a group episode that just opened (bot/services/paging.py decides)."""
    await _queue(session, SendSms(group_id=group_id, episode_id=episode_id, page=OPEN), now=now)


async def queue_step_pages(
    session: AsyncSession, settings: Settings, *, group_id: int, episode_id: int, level: int,
    users: list[str], now: datetime,
) -> None:  # fmt: skip
    """Queue an SMS to each of an escalation step's people (a step with `sms: true`)."""
    if not settings.sms_enabled:
        return
    for user in dict.fromkeys(users):
        job = SendSms(group_id=group_id, episode_id=episode_id, page=step_page(level), user_id=user)
        await _queue(session, job, now=now)


async def _queue(session: AsyncSession, job: SendSms, *, now: datetime) -> None:
    key = f"sms:{job.group_id}:{job.episode_id}:{job.page}:{job.user_id or 'oncall'}"
    await queue(session, job, now=now, priority=Priority.PAGE, key=key)


async def send_page(deps: Deps, job: SendSms, *, retried: bool) -> None:
    """Text one page to its person once; say in the alert's thread when it cannot go out."""
    if not deps.settings.sms_enabled:
        return  # switched off since the job was queued
    async with deps.db.sessions() as session:
        group = await session.get(AlertGroup, job.group_id)
        episode = await session.get(AlertGroupEpisode, job.episode_id)
    if group is None or episode is None:
        return
    user = job.user_id or await _oncall_for(deps, job, group)
    key = sms_pages.page_key(job.group_id, job.episode_id, job.page, user)
    page = await sms_pages.find(deps.db, key)
    wanted = alert_episodes.unattended(group, episode, now=deps.clock())
    if page is None:
        if not wanted:
            return  # acknowledged, snoozed or resolved before the page went out
        page = await _decide(deps, job, group, episode, user=user, key=key)
        earlier_try = False
    else:
        earlier_try = True
    if page.status == sms_pages.SENDING and not wanted:
        await sms_pages.settle(deps.db, key, status=sms_pages.CANCELLED, now=deps.clock())
        return
    await _carry_out(deps, group, page, look_first=earlier_try, retried=retried)


async def _oncall_for(deps: Deps, job: SendSms, group: AlertGroup) -> str:
    """The on-call to text for an opening page: the one an earlier try chose, else who is on call now in
    the group's team."""
    chosen = await sms_pages.recipient(
        deps.db, group_id=job.group_id, episode_id=job.episode_id, page=job.page
    )
    return chosen or (await who_is_on_call(deps, deps.settings.team_of(group.team)))[0].user


async def _decide(
    deps: Deps, job: SendSms, group: AlertGroup, episode: AlertGroupEpisode, *, user: str, key: str
) -> SmsPage:
    """Find the number, word the text and take a slot under the cap (or record why there is none)."""
    link = await _message_link(deps, group, episode)
    number = await _number(deps, user)
    now = deps.clock()
    page = SmsPage(
        page_key=key, group_id=job.group_id, episode_id=job.episode_id, page=job.page, user_id=user,
        status=sms_pages.SENDING, created_at=now,
    )  # fmt: skip
    if isinstance(number, NoNumber):
        page.status, page.detail = sms_pages.NO_NUMBER, number.value
        return await sms_pages.record(deps.db, page)
    unacked = None if job.page == OPEN else int((now - episode.opened_at).total_seconds() // 60)
    page.to_number = number
    page.body = page_text(severity=group.severity, name=group.alertname, link=link, unacked_minutes=unacked)
    limit = deps.settings.file.paging.sms.max_per_person_per_hour

    def over_cap(counted: list[datetime]) -> str | None:
        """None while the person has room; else when they will (ISO 8601), for the thread note."""
        if within_cap(counted, now=now, limit=limit):
            return None
        frees_at = cap_frees_at(counted, now=now, limit=limit)
        return frees_at.isoformat() if frees_at else ""

    page = await sms_pages.take_slot(deps.db, page, window=CAP_WINDOW, over_cap=over_cap)
    if page.status == sms_pages.CAPPED:
        log.warning("SMS page over the hourly cap", extra={"page": key, "user": user})
    return page


async def _message_link(deps: Deps, group: AlertGroup, episode: AlertGroupEpisode) -> str | None:
    """The link to the alert's Slack message. The page waits a little for its post, but not for a Slack
    outage: past LINK_WAIT from the opening it goes without (as when its channel refused the message, or a
    storm's roll-up lists it instead of a message of its own)."""
    waited_enough = deps.clock() - episode.opened_at >= LINK_WAIT
    if group.slack_channel_id is not None and group.slack_ts is not None:
        try:
            answer = await deps.slack.chat_getPermalink(
                channel=group.slack_channel_id, message_ts=group.slack_ts
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError):
            if not waited_enough:
                raise
            log.warning("SMS page goes without its link: Slack did not give it", extra={"group": group.id})
            return None
        return safe_link(str(answer.get("permalink") or ""))
    if group.post_error is not None or group.rollup_id is not None or waited_enough:
        return None
    raise RetryLater(POST_WAIT, "the alert message is not posted yet")


async def _number(deps: Deps, user: str) -> str | NoNumber:
    """`paging.sms.phones` first, else the Slack profile's phone."""
    configured = deps.settings.file.paging.sms.phones.get(user)
    if configured:
        return configured
    try:
        return number_for(None, await deps.gateway.profile_phone(user))
    except SlackApiError as error:
        if error_code(error) == "missing_scope":
            return NoNumber.PROFILE_UNREADABLE
        raise


async def _carry_out(
    deps: Deps, group: AlertGroup, page: SmsPage, *, look_first: bool, retried: bool
) -> None:
    """Send a page that holds a slot; tell the thread about one that cannot go out."""
    if page.status == sms_pages.SENDING:
        await _deliver(deps, group, page, look_first=look_first, retried=retried)
    elif page.status == sms_pages.NO_NUMBER:
        reason = NoNumber(page.detail or NoNumber.MISSING)
        await _note(deps, group, page, no_number_note(page.user_id, reason), retried=retried)
    elif page.status == sms_pages.CAPPED and not await sms_pages.capped_before(deps.db, page):
        limit = deps.settings.file.paging.sms.max_per_person_per_hour
        frees_at = datetime.fromisoformat(page.detail) if page.detail else None
        note = capped_note(page.user_id, limit=limit, frees_at=frees_at)
        await _note(deps, group, page, note, retried=retried)
    elif page.status == sms_pages.REFUSED:  # the thread note failed last time
        await _note(deps, group, page, refused_note(page.user_id, page.detail or ""), retried=retried)
        raise GiveUp(f"Twilio refused SMS page {page.page_key}: {page.detail}")


async def _deliver(deps: Deps, group: AlertGroup, page: SmsPage, *, look_first: bool, retried: bool) -> None:
    """Send the SMS (unless an earlier try's is found at Twilio); a refusal fails the job for good."""
    assert page.to_number is not None
    try:
        async with deps.outbound_http() as http:
            client = _client(deps.settings, http)
            sid = await client.find_sent(to=page.to_number, body=page.body) if look_first else None
            if sid is None:
                sender = _sender(deps.settings)
                sid = (await client.send(to=page.to_number, body=page.body, sender=sender)).sid
    except TwilioRefused as refusal:
        await sms_pages.settle(
            deps.db, page.page_key, status=sms_pages.REFUSED, now=deps.clock(), detail=str(refusal)
        )
        log.error("Twilio refused an SMS page", extra={"page": page.page_key, "code": refusal.code})
        await _note(deps, group, page, refused_note(page.user_id, str(refusal)), retried=retried)
        raise GiveUp(f"Twilio refused SMS page {page.page_key}: {refusal}") from None
    await sms_pages.settle(deps.db, page.page_key, status=sms_pages.SENT, now=deps.clock(), sid=sid)
    log.info("SMS page sent", extra={"page": page.page_key, "sid": sid})


async def _note(deps: Deps, group: AlertGroup, page: SmsPage, text: str, *, retried: bool) -> None:
    """Say it in the alert's thread, once."""
    if group.slack_channel_id is None or group.slack_ts is None:
        log.warning("an SMS page did not go out and its alert has no thread", extra={"page": page.page_key})
        return
    await deps.gateway.post_once(
        channel_id=group.slack_channel_id, thread_ts=group.slack_ts, text=text,
        marker=f"sms-{page.page_key}", look_first=retried,
    )  # fmt: skip


def _client(settings: Settings, http: aiohttp.ClientSession) -> TwilioClient:
    sid, token = settings.secrets.twilio_account_sid, settings.secrets.twilio_auth_token
    assert sid is not None and token is not None  # settings.sms_enabled
    config = settings.file.paging.sms
    return TwilioClient(
        http, api_url=config.api_url, account_sid=sid.get_secret_value(), auth_token=token.get_secret_value(),
        timeout=config.timeout_seconds,
    )  # fmt: skip


def _sender(settings: Settings) -> Sender:
    config = settings.file.paging.sms
    return Sender(from_number=config.from_number, messaging_service_sid=config.messaging_service_sid)
