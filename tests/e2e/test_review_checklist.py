"""The posted reviews as working checklists, end to end: ticks shown to everyone in the same message, kept
through a restart, open items carried into the next week, "Review done" once, owners, and tickets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.deps import build_deps
from bot.domain.digest_periods import DigestKind
from bot.domain.review_checklist import WEEKLY_ITEMS
from bot.server import RunningServer, start_server
from bot.services import digest_runs
from sandbox.blockkit import validate_blocks
from sandbox.model import Message
from sandbox.player import SlackPlayer
from storage import review_items
from tests.conftest import SIGNING_SECRET
from tests.e2e.test_digests import wait_for_chart
from tests.support.alert_history import HistoryClock

# A Monday morning: "last week" is ISO week 46 of 2026, "last month" October 2026.
MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)
CHANNEL = "ops-review"
ITEMS = len(WEEKLY_ITEMS)


@asynccontextmanager
async def served(make_settings: Callable[..., Settings], at: datetime) -> AsyncIterator[RunningServer]:
    server = await start_server(build_deps(make_settings(), clock=HistoryClock(at)), host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.close()


def player(sandbox: Any, server: RunningServer) -> SlackPlayer:
    url = f"{server.url}/slack/events"
    return SlackPlayer(sandbox.workspace, bot_url=url, signing_secret=SIGNING_SECRET, sandbox_url=sandbox.url)


async def post_review(sandbox: Any, server: RunningServer, kind: DigestKind, title: str) -> Message:
    """Claim and post the team's last complete period now (the outbox job posts it)."""
    deps = server.deps
    team = digest_runs.team(deps, None)
    await digest_runs.request(deps, kind, team, digest_runs.period_for(deps, kind, team))
    message = await sandbox.workspace.wait_for_message(CHANNEL, contains=title, timeout=30)
    await wait_for_chart(sandbox, message)  # posted after the run stored its message: clicks find it
    return message


def element(message: Message, block_id: str, kind: str = "checkboxes") -> dict[str, Any]:
    block = next(b for b in message.blocks if b.get("block_id") == block_id)
    return next(e for e in block["elements"] if e["type"] == kind)


def ticked(message: Message, block_id: str) -> dict[str, str]:
    """The ticked options of a checkboxes element: {value: description}."""
    chosen = element(message, block_id).get("initial_options") or []
    return {o["value"]: (o.get("description") or {}).get("text", "") for o in chosen}


async def shows(sandbox: Any, message: Message, text: str) -> Message:
    """Wait until the message (the same ts) shows `text`, as everyone in the channel sees it."""
    ws = sandbox.workspace
    return await ws.wait_until(
        lambda: found if text in ws.message_text(found := ws.message(CHANNEL, message.ts)) else None,
        timeout=30,
        describe=lambda: (
            f"{text!r} not in the message: {progress_line(ws.message(CHANNEL, message.ts))} "
            + str([(c.status, c.response.get("error")) for c in ws.calls if c.method == "chat.update"])
            + str(
                [e for e in ws.events if "block_action" in str(e.get("type"))][-4:]
                if hasattr(ws, "events")
                else ""
            )
        ),
    )


def progress_line(message: Message) -> str:
    block = next(b for b in message.blocks if b.get("block_id") == "review-progress")
    return str(block["elements"][0]["text"])


async def tick(slack: SlackPlayer, message: Message, item: str, user: str) -> None:
    block_id = f"review-item:{item}"
    response = await slack.click(message, "review_tick", user=user, block_id=block_id, value=item)
    assert response.status == 200


async def test_ticks_are_shown_to_everyone_kept_through_a_restart_and_open_items_carry_over(
    sandbox: Any, make_settings: Callable[..., Settings], bot_database_url: str
) -> None:
    ws = sandbox.workspace
    async with served(make_settings, MONDAY) as server:
        slack = player(sandbox, server)
        review = await post_review(sandbox, server, DigestKind.WEEKLY, "Weekly review · ops · week 46")
        assert validate_blocks(review.blocks) == [] and len(review.blocks) <= 50
        assert f"0 of {ITEMS} ticked" in ws.message_text(review)
        await tick(slack, review, "error_logs", "alice")
        await tick(slack, review, "user_feedback", "alice")
        await tick(slack, review, "top_issues", "bob")
        review = await shows(sandbox, review, f"3 of {ITEMS} ticked · by ")  # in the order they were stored
        assert {"alice", "bob"} <= set(progress_line(review).split("by ")[1].split(", "))
        assert ticked(review, "review-item:error_logs")["error_logs"].startswith("✔ alice · Mon ")
        assert ticked(review, "review-item:top_issues")["top_issues"].startswith("✔ bob · Mon ")
        await tick(slack, review, "user_feedback", "alice")  # untick
        review = await shows(sandbox, review, f"2 of {ITEMS} ticked")
        assert ticked(review, "review-item:user_feedback") == {}
        assert validate_blocks(review.blocks) == []
        await slack.close()
    async with served(make_settings, MONDAY + timedelta(hours=1)) as server:  # the same database
        slack = player(sandbox, server)
        await tick(slack, ws.message(CHANNEL, review.ts), "payment_success", "bob")
        review = await shows(sandbox, review, f"3 of {ITEMS} ticked")
        assert set(ticked(review, "review-item:error_logs")) == {"error_logs"}  # alice's, from before
        assert set(ticked(review, "review-item:payment_success")) == {"payment_success"}
        await slack.close()
    async with served(make_settings, MONDAY + timedelta(days=7)) as server:
        slack = player(sandbox, server)
        later = await post_review(sandbox, server, DigestKind.WEEKLY, "Weekly review · ops · week 47")
        assert later.ts != review.ts and validate_blocks(later.blocks) == [] and len(later.blocks) <= 50
        text = ws.message_text(later)
        assert "Carried over" in text and "open since 2026-W46" in text
        carried = [o["value"] for o in element(later, "review-carried")["options"]]
        assert len(carried) == ITEMS - 3 and "c-2026-W46-user_feedback" in carried
        assert "c-2026-W46-error_logs" not in carried  # ticked last week
        response = await slack.click(
            later, "review_tick", user="carol", block_id="review-carried", value="c-2026-W46-user_feedback"
        )
        assert response.status == 200
        later = await shows(sandbox, later, f"1 of {2 * ITEMS - 3} ticked · by carol")
        assert set(ticked(later, "review-carried")) == {"c-2026-W46-user_feedback"}
        stored = {i.item_key: i for i in await review_items.items_of(server.deps.db, "weekly:ops:2026-W47")}
        assert stored["c-2026-W46-user_feedback"].ticked_by == "U0CAROL"
        assert stored["c-2026-W46-user_feedback"].origin_run == "weekly:ops:2026-W46"
        await slack.close()
    assert f"3 of {ITEMS} ticked" in ws.message_text(ws.message(CHANNEL, review.ts))  # last week's as it was


async def test_ticking_every_item_says_review_done_once_in_the_thread(
    sandbox: Any, make_settings: Callable[..., Settings]
) -> None:
    ws = sandbox.workspace
    async with served(make_settings, MONDAY) as server:
        slack = player(sandbox, server)
        review = await post_review(sandbox, server, DigestKind.WEEKLY, "Weekly review · ops · week 46")
        for n, spec in enumerate(WEEKLY_ITEMS):
            await tick(slack, review, spec.key, "alice" if n % 2 else "bob")
        done = await ws.wait_for_message(CHANNEL, contains="✅ Review done", timeout=30)
        assert done.thread_ts == review.ts
        said = ws.message_text(done)
        assert f"all {ITEMS} items ticked by " in said and "alice" in said and "bob" in said
        review = await shows(sandbox, review, f"✅ {ITEMS} of {ITEMS} ticked")
        await tick(slack, review, "thresholds", "alice")  # unticked and ticked again: no second post
        review = await shows(sandbox, review, f"{ITEMS - 1} of {ITEMS} ticked")
        await tick(slack, review, "thresholds", "alice")
        await shows(sandbox, review, f"✅ {ITEMS} of {ITEMS} ticked")
        replies = [m for m in ws.thread(CHANNEL, review.ts) if "Review done" in ws.message_text(m)]
        assert len(replies) == 1
        await slack.close()


async def test_the_monthly_planning_items_take_an_owner(
    sandbox: Any, make_settings: Callable[..., Settings]
) -> None:
    ws = sandbox.workspace
    async with served(make_settings, MONDAY) as server:
        slack = player(sandbox, server)
        review = await post_review(sandbox, server, DigestKind.MONTHLY, "Monthly deep dive · ops · October")
        assert validate_blocks(review.blocks) == [] and len(review.blocks) <= 50
        assert "Weekly reviews" in ws.message_text(review)
        block_id = "review-item:prioritize_work"
        assert "initial_user" not in element(review, block_id, "users_select")
        await slack.click(
            review, "review_owner", user="alice", block_id=block_id, selected_option_value="bob"
        )
        owner = await ws.wait_until(
            lambda: element(ws.message(CHANNEL, review.ts), block_id, "users_select").get("initial_user"),
            timeout=30,
            describe=lambda: "the owner select shows nobody",
        )
        assert owner == "U0BOB"
        await slack.close()


async def test_open_ticket_on_an_item_prefills_the_form_and_the_item_shows_the_ticket(
    sandbox: Any, make_settings: Callable[..., Settings]
) -> None:
    ws = sandbox.workspace
    async with served(make_settings, MONDAY) as server:
        slack = player(sandbox, server)
        review = await post_review(sandbox, server, DigestKind.WEEKLY, "Weekly review · ops · week 46")
        await slack.click(review, "ticket_open", user="carol", block_id="review-item:error_logs")
        form = await ws.wait_for_view(user="carol", callback_id="ticket_new")
        title = next(b for b in form.blocks if b.get("block_id") == "ticket_title")
        assert title["element"]["initial_value"] == "Error logs from the past week"
        await slack.submit_view(
            form,
            {
                "ticket_title": "Cut the error logs of checkout",
                "ticket_area": "api",
                "ticket_impact": "high",
                "ticket_effort": "low",
            },
        )
        review = await shows(sandbox, review, "🎫 TKT-1")
        option = element(review, "review-item:error_logs")["options"][0]
        assert option["description"]["text"] == "🎫 TKT-1"
        assert validate_blocks(review.blocks) == []
        await slack.close()


async def test_two_replicas_with_slack_failing_show_every_tick_and_say_review_done_once(
    sandbox: Any, make_settings: Callable[..., Settings]
) -> None:
    """A bad day: two replicas on one database take the clicks while chat.update fails (500s, then a rate
    limit); every tick is kept, the message ends up showing all of them, and "Review done" is said once."""
    ws = sandbox.workspace
    async with served(make_settings, MONDAY) as first, served(make_settings, MONDAY) as second:
        review = await post_review(sandbox, first, DigestKind.WEEKLY, "Weekly review · ops · week 46")
        ws.inject_faults(3, kind="500", methods={"chat.update"})
        ws.inject_faults(1, kind="429", methods={"chat.update"})
        slacks = (player(sandbox, first), player(sandbox, second))
        for n, spec in enumerate(WEEKLY_ITEMS):
            await tick(slacks[n % 2], review, spec.key, "alice" if n % 2 else "bob")
        review = await shows(sandbox, review, f"✅ {ITEMS} of {ITEMS} ticked")
        done = await ws.wait_for_message(CHANNEL, contains="✅ Review done", timeout=30)
        assert done.thread_ts == review.ts
        assert [m for m in ws.thread(CHANNEL, review.ts) if "Review done" in ws.message_text(m)] == [done]
        assert all(ticked(review, f"review-item:{spec.key}") for spec in WEEKLY_ITEMS)
        failed = [c.status for c in ws.calls if c.method == "chat.update" and c.status != 200]
        assert {500, 429} <= set(failed), failed  # the faults were met, and retried past
        for slack in slacks:
            await slack.close()
