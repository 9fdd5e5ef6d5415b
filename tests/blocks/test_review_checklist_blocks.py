"""The review checklist as Block Kit: within 50 blocks in the worst case, states applied as a pure function,
and what a click changed read from what the clicking person saw."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from bot.blocks.digests import render_digest, render_text
from bot.blocks.review_checklist import (
    CARRIED_BLOCK,
    ITEM_BLOCK,
    apply_states,
    read_owner,
    read_ticks,
    review_done_text,
)
from bot.domain.digest_periods import DigestKind, month_period
from bot.domain.digests import IncidentStats, MonthlyDigest, TicketSummary, WeeklyReviews, fill_buckets
from bot.domain.review_checklist import checklist
from bot.domain.review_ticks import ItemState, review_done
from sandbox.blockkit import validate_blocks
from tests.blocks.test_digest_blocks import LONG, alerts, weekly

OWN = tuple(f"Own item {i} <@U1> & co {LONG[:60]}" for i in range(5))  # digests.weekly_items holds 5 at most
AT = datetime(2026, 11, 16, 9, 2, tzinfo=UTC)


def carried(n: int) -> list[ItemState]:
    return [
        ItemState(f"c-2026-W45-item{i}", f"{LONG[:200]}{i}", summary=LONG, carried_since="2026-W45")
        for i in range(n)
    ]


def monthly() -> MonthlyDigest:
    month = month_period(date(2026, 10, 1), "UTC")
    return MonthlyDigest(
        team="ops", period=month, alerts=alerts(300),
        incidents=IncidentStats({1: 3}, 7, 9, 6, 8), incidents_before=IncidentStats({}, 0, 0, 0, 0),
        kpis=(), tickets=TicketSummary(False), recurring=(), capacity=(),
        per_week_alerts=fill_buckets(month.week_boundaries()[:-1], []), per_week_incidents=(1, 2, 3, 4, 5),
        kpi_weeks={}, generated_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        checklist=checklist(DigestKind.MONTHLY, OWN), weekly_reviews=WeeklyReviews(4, 3, 2),
    )  # fmt: skip


def all_states(payload: dict[str, object], *, ticked: bool) -> list[ItemState]:
    keys = [
        str(o["value"])
        for b in payload["blocks"]  # type: ignore[attr-defined]
        for e in b.get("elements") or []
        if e.get("type") == "checkboxes"
        for o in e["options"]
    ]
    when = AT if ticked else None
    return [ItemState(k, k, ticked_by="U1", ticked_name="alice <b>", ticked_at=when, ticket=7) for k in keys]


def test_the_worst_case_of_both_kinds_stays_within_50_blocks_ticked_or_not() -> None:
    week = dataclasses.replace(weekly(500), checklist=checklist(DigestKind.WEEKLY, OWN))
    for digest in (week, monthly()):
        for n in (0, 10, 25):
            base = render_digest(
                digest, marker="digest-1-k", run_key="weekly:ops:2026-W47", carried=carried(n)
            )
            for ticked in (False, True):
                payload = apply_states(base, all_states(base, ticked=ticked), zone="Europe/Berlin")
                assert validate_blocks(payload["blocks"]) == [], (n, ticked)
                assert len(payload["blocks"]) <= 50, (type(digest).__name__, n, len(payload["blocks"]))
                assert "more not shown" not in str(payload["blocks"][-1])


def test_each_item_has_a_checkbox_an_open_ticket_button_and_planning_items_an_owner_select() -> None:
    payload = render_digest(monthly(), run_key="monthly:ops:2026-10")
    rows = {b["block_id"]: b for b in payload["blocks"] if str(b.get("block_id", "")).startswith(ITEM_BLOCK)}
    assert len(rows) == len(checklist(DigestKind.MONTHLY, OWN))
    planning = [e["type"] for e in rows[f"{ITEM_BLOCK}budget_review"]["elements"]]
    assert planning == ["checkboxes", "button", "users_select"]
    assert [e["type"] for e in rows[f"{ITEM_BLOCK}churn"]["elements"]] == ["checkboxes", "button"]
    button = rows[f"{ITEM_BLOCK}churn"]["elements"][1]
    assert '"r": "review:monthly:ops:2026-10:churn"' in button["value"]
    text = str(payload)
    assert "3 of 4 completed (every item ticked) · 2 tickets opened from their items" in text


def test_states_are_applied_to_the_stored_payload_and_nothing_else_changes() -> None:
    base = render_digest(weekly(1), run_key="weekly:ops:2026-W47", carried=carried(12))
    states = [
        ItemState("error_logs", "Error logs", ticked_by="U1", ticked_name="alice", ticked_at=AT),
        ItemState("top_issues", "Top", ticket=3),
        ItemState("c-2026-W45-item3", "x", ticked_name="bob", ticked_at=AT + timedelta(hours=1)),
        *(ItemState(f"c-2026-W45-item{i}", "x") for i in (0, 1, 2)),
    ]
    payload = apply_states(base, states, zone="Europe/Berlin")
    assert apply_states(base, states, zone="Europe/Berlin") == payload  # pure
    changed = [i for i, (a, b) in enumerate(zip(base["blocks"], payload["blocks"], strict=True)) if a != b]
    ids = [payload["blocks"][i].get("block_id") for i in changed]
    assert ids == ["review-progress", f"{ITEM_BLOCK}error_logs", f"{ITEM_BLOCK}top_issues", CARRIED_BLOCK]
    logs = next(b for b in payload["blocks"] if b.get("block_id") == f"{ITEM_BLOCK}error_logs")
    chosen = logs["elements"][0]["initial_options"]
    assert [o["description"]["text"] for o in chosen] == ["✔ alice · Mon 10:02"]  # Berlin time
    top = next(b for b in payload["blocks"] if b.get("block_id") == f"{ITEM_BLOCK}top_issues")
    assert top["elements"][0]["options"][0]["description"]["text"] == "🎫 TKT-3"
    assert "initial_options" not in top["elements"][0]
    progress = payload["blocks"][2]["elements"][0]["text"]
    assert progress == "☑️ 2 of 6 ticked · by alice, bob"
    untouched = apply_states(payload, [], zone="UTC")  # unticked again: back to the base's options
    assert "initial_options" not in str(untouched["blocks"][3:])


def test_carried_items_each_get_a_line_and_a_checkbox() -> None:
    payload = render_digest(weekly(1), run_key="weekly:ops:2026-W47", carried=carried(10))
    block = next(b for b in payload["blocks"] if b.get("block_id") == CARRIED_BLOCK)
    assert len(block["elements"][0]["options"]) == 10  # at most ten carry: one element's worth
    assert str(payload).count("open since 2026-W45") == 10
    assert "Carried over" in render_text(weekly(1), carried=carried(2))
    assert render_digest(weekly(1))["blocks"] == render_digest(weekly(1), carried=carried(2))["blocks"]


def test_a_click_changes_only_what_the_clicking_person_flipped() -> None:
    shown = [
        {
            "block_id": CARRIED_BLOCK,
            "elements": [
                {
                    "type": "checkboxes",
                    "options": [{"value": v} for v in ("a", "b", "c")],
                    "initial_options": [{"value": "a"}],
                }
            ],
        }
    ]
    # b ticked while c was ticked by someone else meanwhile (not in this person's view): c stays as it is
    action = {"block_id": CARRIED_BLOCK, "selected_options": [{"value": "a"}, {"value": "b"}]}
    assert read_ticks(action, shown) == {"b": True}
    assert read_ticks({"block_id": CARRIED_BLOCK, "selected_options": []}, shown) == {"a": False}
    assert read_ticks({"block_id": "gone", "selected_options": [{"value": "x"}]}, shown) == {"x": True}
    assert read_owner({"block_id": f"{ITEM_BLOCK}budget_review", "selected_user": "U2"}) == (
        "budget_review",
        "U2",
    )


def test_review_done_names_each_person_once_and_how_long_it_took() -> None:
    states = [
        ItemState("a", "A", ticked_name="bob", ticked_at=AT),
        ItemState("b", "B", ticked_name="alice <!here>", ticked_at=AT + timedelta(minutes=25)),
        ItemState("c", "C", ticked_name="bob", ticked_at=AT + timedelta(minutes=5)),
    ]
    text = review_done_text(review_done(states))
    assert text == "✅ Review done: all 3 items ticked by bob, alice &lt;!here&gt; in 25 min."
