"""The review checklist's service on SQLite and PostgreSQL: items stored once per run, open items carried
(keeping their origin) until ticked, ticks of different items kept side by side, "done" marked once, and the
month's tally of weekly reviews."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from bot.deps import Deps
from bot.domain.digest_periods import DigestKind, period_containing
from bot.domain.review_checklist import WEEKLY_ITEMS
from bot.errors import NotFound
from bot.services import digest_runs, review_checklist
from bot.services.outbox import RetryLater
from storage import review_items
from storage.digests import CLAIMED, POSTED, DigestRun, get_run
from storage.outbox import OutboxJob

pytestmark = pytest.mark.own_clock
MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


async def posted(deps: Deps) -> tuple[str, str, str]:
    """Claim and post last week's review; (run key, channel id, ts)."""
    team = digest_runs.team(deps, None)
    found = await digest_runs.request(
        deps, DigestKind.WEEKLY, team, digest_runs.period_for(deps, DigestKind.WEEKLY, team)
    )
    await digest_runs.post_run(deps, found.key)
    run = await get_run(deps.db, found.key)
    assert run is not None and run.channel_id and run.ts and run.payload
    return run.key, run.channel_id, run.ts


async def test_ticks_carry_and_done(deps_at: Callable[[datetime], Deps], sandbox: Any) -> None:
    deps = deps_at(MONDAY)
    key, channel, ts = await posted(deps)
    await digest_runs.post_run(deps, key, retried=True)  # a retried job adds no item twice
    items = await review_items.items_of(deps.db, key)
    assert [i.item_key for i in items] == [spec.key for spec in WEEKLY_ITEMS]

    keys = [spec.key for spec in WEEKLY_ITEMS]
    await asyncio.gather(  # concurrent ticks of different items never lose each other
        *(
            review_checklist.tick(
                deps, channel_id=channel, ts=ts, changes={k: True}, user_id=f"U{n % 2}", name=f"p{n % 2}"
            )
            for n, k in enumerate(keys[:-2])
        )
    )
    states = await review_checklist.states(deps, key)
    assert sum(s.ticked for s in states) == len(keys) - 2
    await review_checklist.tick(
        deps, channel_id=channel, ts=ts, changes={keys[0]: False}, user_id="U9", name="x"
    )
    run = await get_run(deps.db, key)
    assert run is not None and run.review_done_at is None

    later = deps_at(MONDAY + timedelta(days=7))
    next_key, next_channel, next_ts = await posted(later)
    carried = [s for s in await review_checklist.states(later, next_key) if s.carried_since]
    assert [s.key for s in carried] == [f"c-2026-W46-{k}" for k in (keys[0], keys[-2], keys[-1])]
    # ticked on the new run; the one left open carries again, still "since week 46"
    await review_checklist.tick(
        later, channel_id=next_channel, ts=next_ts, changes={carried[0].key: True}, user_id="U1", name="p1"
    )
    third = deps_at(MONDAY + timedelta(days=14))
    preview = await digest_runs.preview(
        third,
        DigestKind.WEEKLY,
        digest_runs.team(third, None),
        digest_runs.period_for(third, DigestKind.WEEKLY, digest_runs.team(third, None)),
    )
    assert "Carried over" in preview and "(open since 2026-W46)" in preview
    third_key, _, _ = await posted(third)
    again = {s.key: s for s in await review_checklist.states(third, third_key) if s.carried_since}
    assert f"c-2026-W46-{keys[-1]}" in again and f"c-2026-W46-{keys[0]}" not in again
    assert again[f"c-2026-W46-{keys[-1]}"].carried_since == "2026-W46"

    # the rest of week 46's items ticked: done once, one "Review done" job
    rest = {keys[0]: True, keys[-2]: True, keys[-1]: True}
    await review_checklist.tick(deps, channel_id=channel, ts=ts, changes=rest, user_id="U1", name="p1")
    await review_checklist.tick(
        deps, channel_id=channel, ts=ts, changes={keys[0]: False}, user_id="U1", name="p1"
    )
    await review_checklist.tick(
        deps, channel_id=channel, ts=ts, changes={keys[0]: True}, user_id="U1", name="p1"
    )
    run = await get_run(deps.db, key)
    assert run is not None and run.review_done_at is not None
    async with deps.db.sessions() as session:
        done_jobs = await session.scalar(
            select(func.count()).select_from(OutboxJob).where(col(OutboxJob.kind) == "review.done")
        )
    assert done_jobs == 1
    november = period_containing(DigestKind.MONTHLY, MONDAY.date(), "UTC")
    tally = await review_checklist.weekly_reviews(deps, digest_runs.team(deps, None), november)
    assert (tally.posted, tally.done, tally.tickets) == (3, 1, 0)  # weeks 46, 47 and 48


async def test_a_click_while_the_review_is_being_posted_is_kept_and_shown_once_it_is(
    deps_at: Callable[[datetime], Deps], sandbox: Any
) -> None:
    deps = deps_at(MONDAY)
    key, channel, ts = await posted(deps)
    await _set_posted(deps, key, ts=None, status=CLAIMED)  # as between the post and storing its ts
    first = WEEKLY_ITEMS[0].key
    with pytest.raises(NotFound):  # no header naming a run: not a review
        await review_checklist.tick(
            deps, channel_id=channel, ts=ts, changes={first: True}, user_id="U1", name="ann"
        )
    await review_checklist.tick(
        deps, channel_id=channel, ts=ts, run_key=key, changes={first: True}, user_id="U1", name="ann"
    )
    assert [s.key for s in await review_checklist.states(deps, key) if s.ticked] == [first]
    with pytest.raises(RetryLater):  # the re-render waits for the message's ts
        await review_checklist.refresh(deps, key)
    await _set_posted(deps, key, ts=ts, status=POSTED)
    await review_checklist.refresh(deps, key)
    row = next(
        b
        for b in sandbox.workspace.message(channel, ts).blocks
        if b.get("block_id") == f"review-item:{first}"
    )
    assert row["elements"][0].get("initial_options"), "the tick is shown once the ts is known"


async def _set_posted(deps: Deps, key: str, *, ts: str | None, status: str) -> None:
    async with deps.db.transaction() as session:
        await session.execute(update(DigestRun).where(col(DigestRun.key) == key).values(ts=ts, status=status))


async def test_an_untouched_checklist_carries_ten_items_the_longest_open_first(
    deps_at: Callable[[datetime], Deps], sandbox: Any
) -> None:
    await posted(deps_at(MONDAY))  # week 46: nothing ticked
    second = deps_at(MONDAY + timedelta(days=7))
    week47, _, _ = await posted(second)  # carries ten of week 46's twelve; its own twelve stay open too
    third = deps_at(MONDAY + timedelta(days=14))
    week48, _, _ = await posted(third)
    carried = [s for s in await review_checklist.states(third, week48) if s.carried_since]
    assert len([s for s in await review_checklist.states(second, week47) if s.carried_since]) == 10
    assert len(carried) == 10  # one element's worth, each tickable, so the review can be done
    # an item open in week 46 and again in week 47 carries once, since week 46
    assert [s.carried_since for s in carried] == ["2026-W46"] * 10
    assert len({s.key.removeprefix("c-2026-W46-") for s in carried}) == 10


async def test_a_crafted_click_changes_nothing_but_real_items(
    deps_at: Callable[[datetime], Deps], sandbox: Any
) -> None:
    deps = deps_at(MONDAY)
    key, channel, ts = await posted(deps)
    first = WEEKLY_ITEMS[0].key
    forged = {"no-such-item": True, "c-2026-W01-<!channel>": True, first: True}
    await review_checklist.tick(deps, channel_id=channel, ts=ts, changes=forged, user_id="U1", name="<!here>")
    assert [s.key for s in await review_checklist.states(deps, key) if s.ticked] == [first]
    with pytest.raises(NotFound):  # a header naming a run that is not being posted is not believed
        await review_checklist.tick(
            deps,
            channel_id=channel,
            ts="1.000001",
            run_key=key,
            changes={first: False},
            user_id="U1",
            name="x",
        )
