"""A posted review as a working checklist: its items stored when it posts (with the open ones of the team's
previous review carried over), ticks and owners stored as people click, the message re-rendered for everyone
through the outbox, and "Review done" said once in the thread.

Who may tick: anyone who can click in the review channel (the review is a team meeting; the channel is the
team's own). The stored tick says who it was."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.blocks.review_checklist import apply_states, review_done_text
from bot.config import Team
from bot.deps import Deps
from bot.domain.delivery import Priority
from bot.domain.digest_periods import DigestKind, Period, claim_key
from bot.domain.digests import MonthlyDigest, WeeklyDigest, WeeklyReviews
from bot.domain.review_ticks import (
    MAX_CARRIED,
    ItemState,
    carried_key,
    read_review_ref,
    review_done,
    review_ref,
    weekly_ref_prefix,
)
from bot.errors import NotFound
from bot.services import jobs
from bot.services.outbox import RetryLater
from storage import review_items as store
from storage.digests import POSTED, DigestRun, get_run
from storage.review_items import ReviewItem

log = logging.getLogger(__name__)
POSTING_WAIT = timedelta(seconds=2)
CARRIED_POSITION = 1000  # carried items follow the run's own, in the order they were carried


async def materialize(deps: Deps, run: DigestRun, digest: WeeklyDigest | MonthlyDigest) -> list[ItemState]:
    """Store the run's items (once: a retried post job adds nothing) and return their states."""
    own = [
        ReviewItem(
            run_key=run.key,
            team=run.team,
            kind=run.kind,
            period=run.period,
            item_key=spec.key,
            title=spec.title[:255],
            position=position,
            summary=_summary(digest, spec.key),
        )
        for position, spec in enumerate(digest.checklist)
    ]
    carried = await _carried_rows(deps, run.team, run.kind, run.period, before_day=run.day, into=run.key)
    await store.add_items(deps.db, [*own, *carried])
    return await states(deps, run.key)


def _summary(digest: WeeklyDigest | MonthlyDigest, key: str) -> str:
    found = digest.findings.get(key)
    return found.summary[:300] if found is not None else ""


async def _carried_rows(
    deps: Deps, team: str, kind: str, period: str, *, before_day: str, into: str
) -> list[ReviewItem]:
    """The open items of the team's previous review of this kind (its own and those carried into it), as
    rows of the run `into`: each keeps the period it was first open in and the item it came from. At most
    MAX_CARRIED carry (one checkbox element's worth, so each can be ticked and the review can be done), the
    longest open first."""
    previous = await store.previous_run(deps.db, team=team, kind=kind, before_day=before_day)
    if previous is None:
        return []
    rows = []
    still_open = _oldest_of_each(await store.open_items(deps.db, previous.key))
    if len(still_open) > MAX_CARRIED:
        log.info("review items not carried", extra={"run": into, "dropped": len(still_open) - MAX_CARRIED})
    for position, item in enumerate(still_open[:MAX_CARRIED], CARRIED_POSITION):
        since = item.carried_since or item.period
        origin_item = item.origin_item or item.item_key
        rows.append(
            ReviewItem(
                run_key=into,
                team=team,
                kind=kind,
                period=period,
                item_key=carried_key(since, origin_item),
                title=item.title,
                position=position,
                summary=item.summary,
                owner=item.owner,
                carried_since=since,
                origin_run=item.origin_run or item.run_key,
                origin_item=origin_item,
            )
        )
    return rows


def _oldest_of_each(items: list[ReviewItem]) -> list[ReviewItem]:
    """One row per checklist item, the longest open (an item open last week and carried from the week
    before is one open item, since the earlier week), longest open first."""
    ordered = sorted(items, key=lambda item: item.carried_since or item.period)  # stable: list order next
    oldest: dict[str, ReviewItem] = {}
    for item in ordered:
        oldest.setdefault(item.origin_item or item.item_key, item)
    return list(oldest.values())


async def would_carry(deps: Deps, team: Team, period: Period) -> list[ItemState]:
    """The items a review of `period` would carry over, read only (for `opsbot digest --dry-run`)."""
    kind = period.kind.value
    key = claim_key(period.kind, team.handle, period)
    rows = await _carried_rows(
        deps, team.handle, kind, period.label, before_day=period.first_day.isoformat(), into=key
    )
    return [_state(row, None) for row in rows]


async def states(deps: Deps, run_key: str) -> list[ItemState]:
    """The run's items as the message shows them, with the ticket opened from each, if any."""
    items = await store.items_of(deps.db, run_key)
    tickets = await store.tickets_of(deps.db, review_ref(run_key, ""))
    return [_state(item, tickets.get(item.item_key)) for item in items]


def _state(item: ReviewItem, ticket: int | None) -> ItemState:
    return ItemState(
        key=item.item_key,
        title=item.title,
        summary=item.summary,
        ticked_by=item.ticked_by,
        ticked_name=item.ticked_name,
        ticked_at=item.ticked_at,
        owner=item.owner,
        ticket=ticket,
        carried_since=item.carried_since,
    )


async def tick(
    deps: Deps,
    *,
    channel_id: str,
    ts: str,
    changes: Mapping[str, bool],
    user_id: str,
    name: str,
    run_key: str | None = None,
) -> None:
    """Store the ticks one click made and re-render the message; the first time every item is ticked,
    queue "Review done" (the run's row is locked, so concurrent last ticks still see each other)."""
    run = await _run_at(deps, channel_id=channel_id, ts=ts, run_key=run_key)
    if not changes:
        return
    now = deps.clock()
    async with deps.db.transaction() as session:
        await _lock(session, run.key)
        await store.set_ticks(session, run.key, changes, user_id=user_id, name=name, now=now)
        await _queue_refresh(deps, session, run)
        if await store.all_ticked(session, run.key) and await store.mark_done(session, run.key, now=now):
            await jobs.queue(
                session,
                jobs.PostReviewDone(run.key),
                now=now,
                priority=Priority.DIGEST,
                lane=run.channel,
                key=f"review-done:{run.key}",
            )
    deps.wake_outbox()
    log.info("review ticked", extra={"key": run.key, "changes": len(changes)})


async def assign(
    deps: Deps, *, channel_id: str, ts: str, item_key: str, owner: str | None, run_key: str | None = None
) -> None:
    """Store the owner chosen for a planning item and re-render the message."""
    run = await _run_at(deps, channel_id=channel_id, ts=ts, run_key=run_key)
    async with deps.db.transaction() as session:
        await store.set_owner(session, run.key, item_key, owner)
        await _queue_refresh(deps, session, run)
    deps.wake_outbox()


async def ticket_opened(deps: Deps, session: AsyncSession, source_ref: str | None) -> None:
    """In a new ticket's transaction: when it came from a review item, re-render that review (it shows the
    ticket on the item)."""
    found = read_review_ref(source_ref)
    if found is None:
        return
    run = await session.scalar(select(DigestRun).where(col(DigestRun.key) == found[0]))
    if run is not None:
        await _queue_refresh(deps, session, run)


async def _run_at(deps: Deps, *, channel_id: str, ts: str, run_key: str | None) -> DigestRun:
    """The run posted as this message; or, in the moment between posting it and storing its ts, the run its
    header names (a click then is not lost; the re-render waits for the ts)."""
    run = await store.run_of_message(deps.db, channel_id=channel_id, ts=ts)
    if run is None and run_key is not None:
        found = await get_run(deps.db, run_key)
        run = found if found is not None and found.ts is None else None
    if run is None:
        raise NotFound("This message is not a review opsbot keeps a checklist for.")
    return run


async def _posted_run(deps: Deps, key: str) -> DigestRun | None:
    """The run when its message is stored; while it is still being posted, a re-render or "Review done"
    waits for it (a click can come between the post and the stored ts)."""
    run = await get_run(deps.db, key)
    if run is not None and (run.ts is None or run.channel_id is None):
        if run.status != POSTED:
            raise RetryLater(POSTING_WAIT, "the review is still being posted")
        return None
    return run


async def _lock(session: AsyncSession, key: str) -> None:
    await session.execute(select(col(DigestRun.id)).where(col(DigestRun.key) == key).with_for_update())


async def _queue_refresh(deps: Deps, session: AsyncSession, run: DigestRun) -> None:
    """Re-rendering has a lane of its own per review: one at a time (a slower, older one never overwrites a
    newer one), and not behind the review's chart, which can take a while to draw."""
    await jobs.queue(
        session,
        jobs.RefreshReview(run.key),
        now=deps.clock(),
        priority=Priority.INFO,
        lane=f"review:{run.id}",
        key=f"review-refresh:{run.key}",
    )


async def refresh(deps: Deps, key: str) -> None:
    """The outbox job: the message again, from its stored payload and the items' states now."""
    run = await _posted_run(deps, key)
    if run is None or run.ts is None or run.channel_id is None or run.payload is None:
        return
    zone = deps.settings.team_of(run.team).timezone
    payload = apply_states(json.loads(run.payload), await states(deps, key), zone=zone)
    await deps.slack.chat_update(channel=run.channel_id, ts=run.ts, **payload)


async def post_done(deps: Deps, key: str, *, retried: bool = False) -> None:
    """The outbox job: "Review done" in the review's thread, with who took part and how long it took."""
    run = await _posted_run(deps, key)
    if run is None or run.ts is None or run.channel_id is None:
        return
    done = review_done(await states(deps, key))
    await deps.gateway.post_once(
        channel_id=run.channel_id,
        text=review_done_text(done),
        marker=f"review-done-{key}"[:255],
        look_first=retried,
        thread_ts=run.ts,
    )


async def weekly_reviews(deps: Deps, team: Team, period: Period) -> WeeklyReviews:
    """How the month's weekly reviews went: posted, completed, and tickets opened from their items."""
    posted, done = await store.review_tally(
        deps.db,
        team=team.handle,
        kind=DigestKind.WEEKLY.value,
        first_day=period.first_day,
        last_day=period.last_day,
    )
    tickets = await store.tickets_opened(
        deps.db, weekly_ref_prefix(team.handle), start=period.start, end=period.end
    )
    return WeeklyReviews(posted=posted, done=done, tickets=tickets)
