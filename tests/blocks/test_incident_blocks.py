"""Incident rendering: whatever the input, Slack accepts the blocks and the modals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.blocks.incident import (
    LevelChoice,
    action_items_prompt,
    declare_modal,
    modal_values,
    render_checklist,
    render_header,
    render_list,
    text_modal,
)
from bot.domain.incident_report import ActionItem, IncidentFacts
from sandbox.blockkit import validate_blocks, validate_view
from sandbox.waits import message_text

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def facts(**changes: object) -> IncidentFacts:
    values: dict[str, object] = {
        "number": 12,
        "title": "Payments <down> & out",
        "level": 1,
        "level_name": "Critical",
        "status": "open",
        "declared_at": T0,
        "declared_by": "U0ALICE",
        "respond_due": T0 + timedelta(minutes=5),
        "resolve_due": T0 + timedelta(hours=1),
    }
    values.update(changes)
    return IncidentFacts(**values)  # type: ignore[arg-type]


def buttons(payload: dict[str, object]) -> list[str]:
    blocks = payload["blocks"]
    assert isinstance(blocks, list)
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_the_header_shows_state_targets_and_the_buttons_that_still_make_sense() -> None:
    open_one = render_header(facts(commander="U0BOB"), now=T0 + timedelta(minutes=7))
    assert validate_blocks(open_one["blocks"]) == []
    text = message_text(open_one)
    assert "INC-12 · SEV1 Critical" in text and "&lt;down&gt; &amp; out" in text
    assert "*Commander*\n<@U0BOB>" in text and "*Elapsed*\n7 min" in text
    assert "*Respond*\n:warning: overdue" in text and "*Resolve*\nby <!date^" in text
    assert buttons(open_one) == ["incident_ack", "incident_update", "incident_resolve"]
    acked = render_header(
        facts(acked_at=T0 + timedelta(minutes=2), acked_by="U0BOB", status="acknowledged"), now=T0
    )
    assert "*Respond*\nmet" in message_text(acked)
    assert buttons(acked) == ["incident_update", "incident_resolve"]
    resolved = render_header(
        facts(status="resolved", resolved_at=T0 + timedelta(hours=2), summary="Rolled back"), now=T0
    )
    assert buttons(resolved) == [] and "*Resolve*\nmissed" in message_text(resolved)


def test_long_input_is_clipped_to_slacks_limits() -> None:
    huge = facts(title="x" * 5000, description="y" * 5000, service="z" * 500, summary="w" * 5000)
    assert validate_blocks(render_header(huge, now=T0)["blocks"]) == []
    assert validate_blocks(render_checklist("SEV1", ["do it " * 1000] * 5)["blocks"]) == []
    assert validate_blocks(render_list([huge] * 60, scope="all", now=T0)["blocks"]) == []


def test_the_declaration_form_describes_every_level_and_can_be_prefilled() -> None:
    levels = [
        LevelChoice(1, "Critical", "Platform down, data breach, payments broken, database corruption"),
        LevelChoice(
            2, "High", "Major feature degraded, error rate > 5 %, payment success < 80 %, very slow " * 3
        ),
    ]
    view = declare_modal(
        levels, title="PaymentsDown: success below 50%", level=1, metadata={"alert_group_id": 7}
    )
    assert validate_view(view) == []
    severity = next(b for b in view["blocks"] if b["block_id"] == "incident_severity")["element"]
    assert severity["initial_option"]["value"] == "1"
    assert [o["text"]["text"] for o in severity["options"]] == ["SEV1 · Critical", "SEV2 · High"]
    assert all(len(o["description"]["text"]) <= 75 for o in severity["options"])
    assert validate_view(text_modal(12, resolve=True)) == []


def test_the_team_shows_in_the_header_and_list_only_when_the_facts_name_one() -> None:
    alone = render_header(facts(), now=T0)
    assert "*Team*" not in message_text(alone)
    owned = render_header(facts(team="payments", commander="U0BOB", comms="U0DAVE"), now=T0)
    assert validate_blocks(owned["blocks"]) == [] and "*Team*\npayments" in message_text(owned)
    mixed = message_text(
        render_list([facts(team="payments"), facts(number=13, team="search")], scope="open", now=T0)
    )
    assert "Open incidents" in mixed and "· payments" in mixed and "· search" in mixed
    one_team = message_text(render_list([facts(team="payments")], scope="open", now=T0, team="payments"))
    assert "Open incidents of payments" in one_team and "· payments" not in one_team
    none = message_text(render_list([], scope="all", now=T0, team="search"))
    assert "No incidents of search." in none


def test_the_team_field_appears_with_several_teams_the_given_one_chosen() -> None:
    levels = [LevelChoice(1, "Critical", "down")]
    single = declare_modal(levels, teams=[("ops", "Operations")], team="ops")
    assert "incident_team" not in [b["block_id"] for b in single["blocks"]]
    teams = [("search", "Search"), ("payments", "Payments (payments)")]
    view = declare_modal(levels, teams=teams, team="payments")
    assert validate_view(view) == []
    field = next(b for b in view["blocks"] if b["block_id"] == "incident_team")["element"]
    assert field["initial_option"]["value"] == "payments"
    assert [o["value"] for o in field["options"]] == ["search", "payments"]


def test_submitted_values_are_read_by_block() -> None:
    view = {
        "state": {
            "values": {
                "incident_title": {"value": {"type": "plain_text_input", "value": " Checkout down "}},
                "incident_severity": {"value": {"type": "static_select", "selected_option": {"value": "2"}}},
                "incident_service": {"value": {"type": "plain_text_input", "value": None}},
            }
        }
    }
    assert modal_values(view) == {
        "incident_title": "Checkout down",
        "incident_severity": "2",
        "incident_service": "",
    }


def test_action_items_get_a_button_each_until_they_have_a_ticket_within_limits() -> None:
    items = (ActionItem("Add a canary", item_id=7), ActionItem("Page earlier", ticket="TKT-3", item_id=8))
    prompt = action_items_prompt(facts(action_items=items))
    assert validate_blocks(prompt["blocks"]) == []
    canary, paged = prompt["blocks"][1:3]
    assert '"r": "12/7"' in canary["accessory"]["value"] and "accessory" not in paged
    assert "TKT-3" in message_text({"blocks": [paged]})
    many = tuple(ActionItem("fix <it> & " * 400, item_id=i) for i in range(70))
    crowded = action_items_prompt(facts(action_items=many))
    assert validate_blocks(crowded["blocks"]) == []
    assert "30 more in the postmortem draft" in message_text(crowded)
    none_yet = action_items_prompt(facts())
    assert validate_blocks(none_yet["blocks"]) == [] and "/incident action" in message_text(none_yet)
