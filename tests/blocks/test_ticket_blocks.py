"""Ticket rendering: the measured-impact line, long input within Block Kit limits, the Open ticket button."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.blocks.tickets import (
    TicketView,
    impact_text,
    open_ticket_button,
    read_open_ticket_value,
    render_list,
    render_ticket,
    ticket_line,
    ticket_modal,
)
from bot.domain.tickets import Impact, SourceKind, change

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def impact(before: float | None, after: float | None, *, final: bool = True, lower: bool = True) -> Impact:
    moved = None if before is None or after is None else change(before, after, lower_is_better=lower)
    return Impact("latency", "API latency p95", "ms", lower, before, after, final, moved)


def view(**fields: object) -> TicketView:
    values: dict[str, object] = {
        "number": 7,
        "title": "Cache the catalog",
        "description": "",
        "area": "api",
        "team": None,
        "impact": "high",
        "effort": "low",
        "quadrant": "Quick Win",
        "status": "open",
        "owner": None,
        "created_by": "U0ALICE",
        "source_kind": "manual",
        "source_link": None,
        "metric": None,
        "measured": None,
        "measure_error": None,
        "note": "",
        "created_at": T0,
        "updated_at": T0,
        **fields,
    }
    return TicketView(**values)  # type: ignore[arg-type]


def test_impact_line_says_before_after_change_and_verdict() -> None:
    assert impact_text(impact(400, 300)) == "before 400 ms → after 300 ms: -25 % ✅ better"
    assert (
        impact_text(impact(400, 500, final=False)) == "before 400 ms → after 500 ms (so far): +25 % 🔴 worse"
    )
    assert impact_text(impact(99, 99.5, lower=False)).endswith("✅ better")
    assert impact_text(impact(2, None)) == "before 2 ms · after: measured once the ticket is done"
    assert impact_text(None).startswith("not measured yet")


def test_long_input_stays_within_block_kit_limits() -> None:
    rendered = render_ticket(
        view(
            title="t" * 400, description="d" * 5000, metric="m" * 2000, measured=impact(1, 2), note="n" * 4000
        ),
        headline="h" * 4000,
    )
    for block in rendered["blocks"]:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= (150 if block["type"] == "header" else 3000)
    assert len(rendered["text"]) <= 3000
    listed = render_list([view(number=n, title="x" * 300) for n in range(60)], label="All tickets")
    assert len(listed["blocks"]) <= 50


def test_open_ticket_button_round_trips_its_source() -> None:
    link = "https://slack.example/archives/C1/p1"
    button = open_ticket_button(SourceKind.DIGEST, link, "Weekly: " + "x" * 3000)
    assert button["action_id"] == "ticket_open" and len(button["value"]) <= 2000
    kind, ref, title = read_open_ticket_value(button["value"])
    assert (kind, ref) == ("digest", link) and title.startswith("Weekly: ")
    assert read_open_ticket_value("garbage") == ("manual", "", "")


def test_the_form_notes_its_source_and_keeps_metadata() -> None:
    form = ticket_modal(
        title="SlowCheckout", source_kind="alert", source_link="https://x/p1", metadata={"channel": "C1"}
    )
    assert form["blocks"][0]["elements"][0]["text"] == "From <https://x/p1|alert group>"
    assert json.loads(form["private_metadata"]) == {"channel": "C1"}
    assert [b["block_id"] for b in form["blocks"][1:]] == [
        "ticket_title",
        "ticket_description",
        "ticket_area",
        "ticket_impact",
        "ticket_effort",
        "ticket_metric",
    ]


def test_the_form_asks_for_the_team_only_when_there_are_several() -> None:
    single = ticket_modal(teams=["ops"], team="ops")
    assert "ticket_team" not in [b.get("block_id") for b in single["blocks"]]
    form = ticket_modal(teams=["ops", "payments", "search"], team="payments")
    select = next(b for b in form["blocks"] if b.get("block_id") == "ticket_team")["element"]
    assert [o["value"] for o in select["options"]] == ["ops", "payments", "search"]
    assert select["initial_option"]["value"] == "payments"


def test_a_ticket_shows_its_team_when_one_is_given() -> None:
    def fields(shown: TicketView) -> list[str]:
        return [f["text"] for b in render_ticket(shown)["blocks"] for f in b.get("fields", [])]

    assert "*Team*\npayments" in fields(view(team="payments"))
    assert not [f for f in fields(view()) if f.startswith("*Team*")]
    assert ticket_line(view(team="search")).endswith("· open · api · team search")
    assert "team" not in ticket_line(view())
