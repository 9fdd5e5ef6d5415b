"""SEV policy, channel names, target clocks and /incident parsing: pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.incident_commands import IncidentCommand, parse_incident_command
from bot.domain.incident_report import IncidentFacts, TimelineEntry, postmortem_markdown, target_line
from bot.domain.incidents import (
    Role,
    SevPolicy,
    Space,
    Sprints,
    add_business_days,
    channel_name,
    end_of_next_sprint,
    invitees,
    parse_level,
    resolve_due,
    respond_due,
    slugify,
    warning_at,
)

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday


def policy(level: int = 1, **changes: object) -> SevPolicy:
    values: dict[str, object] = {
        "level": level,
        "name": "Critical",
        "description": "Platform down",
        "respond": timedelta(minutes=5),
        "respond_business_days": None,
        "resolve": timedelta(hours=1),
        "resolve_next_sprint": False,
        "space": Space.CHANNEL,
        "invite_oncall": True,
        "invite_usergroups": (),
        "invite_users": ("U0CAROL",),
        "announce": ("critical-alerts",),
        "reminder": timedelta(minutes=15),
        "checklist": ("Assign an incident commander",),
    }
    values.update(changes)
    return SevPolicy(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "level"), [("1", 1), ("sev2", 2), ("SEV-3", 3), ("Sev 4", 4), (" sev1 ", 1)]
)
def test_levels_are_read_in_the_usual_spellings(text: str, level: int) -> None:
    assert parse_level(text) == level


@pytest.mark.parametrize("text", ["0", "5", "sev", "p1", "critical", ""])
def test_other_levels_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a SEV level"):
        parse_level(text)


def test_slugs_are_lowercase_ascii_and_dashes() -> None:
    assert slugify("Checkout is slow!") == "checkout-is-slow"
    assert slugify("  Zahlungen: Fehlerrate > 5 % (EU) ") == "zahlungen-fehlerrate-5-eu"
    assert slugify("Café crème") == "cafe-creme"
    assert slugify("!!!") == ""


def test_channel_names_fit_slacks_limit_with_a_suffix_for_taken_names() -> None:
    assert channel_name("inc", 12, "Checkout is slow") == "inc-12-checkout-is-slow"
    assert channel_name("inc", 12, "Checkout is slow", attempt=2) == "inc-12-checkout-is-slow-2"
    long = channel_name("inc", 12345, "word " * 40, attempt=13)
    assert len(long) <= 80 and long.endswith("-13") and "--" not in long
    assert channel_name("inc", 7, "???") == "inc-7"


def test_respond_and_resolve_targets_count_from_the_declaration() -> None:
    sprints = Sprints(date(2026, 1, 5), 14)
    assert respond_due(policy(), T0, timezone="UTC") == T0 + timedelta(minutes=5)
    assert resolve_due(policy(), T0, sprints=sprints) == T0 + timedelta(hours=1)
    assert resolve_due(policy(resolve=None), T0, sprints=sprints) is None


def test_business_days_skip_the_weekend() -> None:
    assert add_business_days(T0, 2, timezone="UTC") == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert add_business_days(monday, 2, timezone="UTC") == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert add_business_days(saturday, 2, timezone="UTC") == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    sev4 = policy(4, respond_business_days=2.0)
    assert respond_due(sev4, T0, timezone="UTC") == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_sev4_is_due_by_the_end_of_the_next_sprint() -> None:
    sprints = Sprints(date(2026, 1, 5), 14)
    # Two-week sprints from 2026-01-05: 2026-11-09 to 11-23 is running, so the next one ends 2026-12-07.
    assert end_of_next_sprint(sprints, T0) == datetime(2026, 12, 7, tzinfo=UTC)
    sev4 = policy(4, resolve=None, resolve_next_sprint=True)
    assert resolve_due(sev4, T0, sprints=sprints) == datetime(2026, 12, 7, tzinfo=UTC)


def test_warnings_come_at_the_configured_share_of_the_target() -> None:
    assert warning_at(T0, T0 + timedelta(minutes=5), 0.8) == T0 + timedelta(minutes=4)


def test_invitees_are_oncall_configured_and_extra_users_once_each() -> None:
    assert invitees(policy(), oncall="U0ALICE", extra=("U0BOB", "U0ALICE")) == ["U0ALICE", "U0CAROL", "U0BOB"]
    assert invitees(policy(invite_oncall=False), oncall="U0ALICE", extra=()) == ["U0CAROL"]


def test_commands_take_an_incident_number_or_the_current_channels() -> None:
    assert (
        parse_incident_command("declare", ("sev2", "Checkout", "is", "slow"), "").text == "Checkout is slow"
    )
    update = parse_incident_command("update", ("12", "Rolled", "back"), "12 Rolled back")
    assert (update.number, update.text) == (12, "Rolled back")
    inside = parse_incident_command(
        "update", ("3", "pods", "restarted"), "3 pods restarted", in_incident=True
    )
    assert (inside.number, inside.text) == (None, "3 pods restarted")
    marked = parse_incident_command("update", ("#3", "pods"), "#3 pods", in_incident=True)
    assert (marked.number, marked.text) == (3, "pods")
    assert parse_incident_command("status", ("INC-7",), "INC-7").number == 7
    assert parse_incident_command("ack", (), "").number is None


def test_declare_and_list_take_a_team() -> None:
    declared = parse_incident_command("declare", ("sev1", "team=Payments", "Card", "declines"), "")
    assert (declared.level, declared.team, declared.text) == (1, "payments", "Card declines")
    trailing = parse_incident_command("declare", ("sev2", "Search", "slow", "team=search"), "")
    assert (trailing.team, trailing.text) == ("search", "Search slow")
    assert parse_incident_command("declare", ("sev3", "No", "team"), "").team is None
    assert parse_incident_command("list", (), "") == IncidentCommand("list", scope="open")
    assert parse_incident_command("list", ("payments",), "").team == "payments"
    listed = parse_incident_command("list", ("team=search", "all"), "")
    assert (listed.scope, listed.team) == ("all", "search")
    with pytest.raises(ValueError, match="Name the team after `team=`"):
        parse_incident_command("list", ("team=",), "")


def test_action_items_take_an_optional_number_and_the_text() -> None:
    numbered = parse_incident_command("action", ("12", "Add", "a", "canary"), "12 Add a canary")
    assert (numbered.action, numbered.number, numbered.text) == ("action", 12, "Add a canary")
    here = parse_incident_command("action", ("Page", "earlier"), "Page earlier", in_incident=True)
    assert (here.number, here.text) == (None, "Page earlier")


def test_sev_tells_a_number_from_a_level() -> None:
    regrade = parse_incident_command("sev", ("1", "payments", "failing"), "1 payments failing")
    assert (regrade.number, regrade.level, regrade.text) == (None, 1, "payments failing")
    other = parse_incident_command("sev", ("12", "sev1", "worse"), "12 sev1 worse")
    assert (other.number, other.level, other.text) == (12, 1, "worse")


def test_assign_needs_a_role_and_a_user() -> None:
    assigned = parse_incident_command("assign", ("commander", "<@U0BOB|bob>"), "commander <@U0BOB|bob>")
    assert (assigned.role, assigned.user) == (Role.COMMANDER, "U0BOB")
    with pytest.raises(ValueError, match=r"commander\|comms\|scribe"):
        parse_incident_command("assign", ("boss", "<@U0BOB>"), "boss <@U0BOB>")
    with pytest.raises(ValueError, match="not a Slack user mention"):
        parse_incident_command("assign", ("scribe", "bob"), "scribe bob")


@pytest.mark.parametrize(
    ("sub", "args", "in_incident", "number"),
    [
        ("resolve", (), True, None),
        ("update", (), True, None),
        ("resolve", ("12",), False, 12),
        ("update", ("#12",), True, 12),
        ("resolve", ("INC-7",), False, 7),
    ],
)
def test_update_and_resolve_without_text_ask_for_the_form(
    sub: str, args: tuple[str, ...], in_incident: bool, number: int | None
) -> None:
    wanted = parse_incident_command(sub, args, " ".join(args), in_incident=in_incident)
    assert wanted == IncidentCommand(sub, number=number, form=True)


def test_without_the_incident_or_a_form_the_text_is_still_asked_for() -> None:
    with pytest.raises(ValueError, match="with a short summary"):
        parse_incident_command("resolve", (), "", in_incident=False)
    with pytest.raises(ValueError, match=r"with the follow-up to do\.$"):  # action items have no form
        parse_incident_command("action", (), "", in_incident=True)
    bare = parse_incident_command("resolve", ("12",), "12", in_incident=True)  # a bare number here is text
    assert (bare.number, bare.text, bare.form) == (None, "12", False)


def test_declare_without_a_title_asks_for_the_form_with_what_it_was_told() -> None:
    assert parse_incident_command("declare", (), "") == IncidentCommand("declare", form=True)
    levelled = parse_incident_command("declare", ("sev2", "team=Payments"), "sev2 team=Payments")
    assert levelled == IncidentCommand("declare", level=2, team="payments", form=True)
    assert not parse_incident_command("declare", ("sev2", "Down"), "sev2 Down").form


@pytest.mark.parametrize(
    ("sub", "args", "message"),
    [
        ("declare", ("Checkout",), "declare <sev1-4> <title>"),
        ("update", (), "with the update. Without the text, in the incident's channel or with its number"),
        ("resolve", (), "short summary"),
        ("action", ("12",), "with the follow-up to do"),
        ("action", (), "with the follow-up to do"),
        ("list", ("open", "all"), "list [open|all] [team]"),
        ("list", ("payments", "team=search"), "list [open|all] [team]"),
        ("declare", ("sev2", "team=a", "team=b", "Down"), "optionally with `team=<team>`"),
        ("sev", (), "sev [number] <1-4>"),
    ],
)
def test_incomplete_commands_say_how_to_use_them(sub: str, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("|", r"\|")):
        parse_incident_command(sub, args, " ".join(args))


def test_postmortem_draft_has_every_section_and_the_targets() -> None:
    facts = IncidentFacts(
        number=12,
        title="Payments down",
        level=1,
        level_name="Critical",
        status="resolved",
        declared_at=T0,
        declared_by="U0ALICE",
        respond_due=T0 + timedelta(minutes=5),
        resolve_due=T0 + timedelta(hours=1),
        acked_at=T0 + timedelta(minutes=3),
        resolved_at=T0 + timedelta(minutes=90),
        summary="Rolled back the deploy",
        commander="U0BOB",
        severity_history=((T0, 2, "declared"), (T0 + timedelta(minutes=10), 1, "payments failing")),
        timeline=(TimelineEntry(T0, "declared", "Declared SEV2", "U0ALICE"),),
    )
    text = postmortem_markdown(facts, now=T0 + timedelta(hours=2))
    for heading in ("# Postmortem: INC-12 Payments down", "## Summary", "## Severity history", "## Impact"):
        assert heading in text
    assert "Time to respond: 3 min (target 5 min, met)" in text
    assert "Time to resolve: 1 h 30 min (target 1 h, missed)" in text
    assert "SEV1 — payments failing" in text and "- [ ] Fix the root cause" in text
    assert "<@U0ALICE> Declared SEV2" in text
    assert target_line("Time to resolve", None, None, T0) == "Time to resolve: not yet (no target)"
