"""The impact × effort matrix, `/ticket` parsing and the before/after verdict."""

from __future__ import annotations

import pytest

from bot.domain.tickets import (
    Area,
    Quadrant,
    TicketCommand,
    TicketStatus,
    Verdict,
    change,
    parse_area,
    parse_level,
    parse_new,
    parse_ticket_command,
    quadrant,
)


@pytest.mark.parametrize(
    ("impact", "effort", "expected"),
    [
        ("high", "low", Quadrant.QUICK_WIN),
        ("high", "high", Quadrant.MAJOR_PROJECT),
        ("low", "low", Quadrant.FILL_IN),
        ("low", "high", Quadrant.THANKLESS),
        ("5", "1", Quadrant.QUICK_WIN),
        ("3", "3", Quadrant.MAJOR_PROJECT),  # 3 counts as high
        ("2", "2", Quadrant.FILL_IN),
        ("2", "4", Quadrant.THANKLESS),
        ("4", "low", Quadrant.QUICK_WIN),
    ],
)
def test_the_matrix_places_tickets(impact: str, effort: str, expected: Quadrant) -> None:
    assert quadrant(impact, effort) is expected


def test_levels_are_words_or_scores() -> None:
    assert parse_level("HIGH", name="impact") == "high"
    assert parse_level("l", name="impact") == "low"
    assert parse_level("4", name="effort") == "4"
    with pytest.raises(ValueError, match="impact must be `high`, `low` or a score from 1 to 5, not `6`"):
        parse_level("6", name="impact")
    with pytest.raises(ValueError, match="effort must be"):
        parse_level("medium", name="effort")


def test_areas_by_name_or_alias_and_a_bad_one_lists_the_valid_ones() -> None:
    assert parse_area("database") is Area.DATABASE
    assert parse_area("background_jobs") is Area.BACKGROUND_JOBS
    assert parse_area("infra") is Area.INFRASTRUCTURE
    with pytest.raises(ValueError) as error:
        parse_area("kitchen")
    message = str(error.value)
    assert "Unknown area `kitchen`" in message
    for name in ("`database`", "`api`", "`frontend`", "`background_jobs`", "`infrastructure`", "`cost`"):
        assert name in message


def test_new_takes_a_quoted_title_and_options_in_any_order() -> None:
    new = parse_new(["Add index on orders.user_id", "impact=high", "effort=low", "area=database"])
    assert new.title == "Add index on orders.user_id"
    assert (new.impact, new.effort, new.area, new.metric) == ("high", "low", Area.DATABASE, None)
    assert new.quadrant is Quadrant.QUICK_WIN
    unquoted = parse_new(["metric=latency", "Cache", "the", "catalog", "impact=4", "effort=5"])
    assert unquoted.title == "Cache the catalog" and unquoted.metric == "latency"
    assert unquoted.quadrant is Quadrant.MAJOR_PROJECT
    promql = parse_new(["Fewer series", "metric=sum(rate(x[5m]))"])
    assert promql.metric == "sum(rate(x[5m]))" and promql.quadrant is Quadrant.FILL_IN  # defaults low/low


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ([], "Give the ticket a title"),
        (["impact=high"], "Give the ticket a title"),
        (["Title", "priority=1"], "Unknown option `priority=`"),
        (["Title", "area=kitchen"], "Unknown area `kitchen`"),
        (["Title", "impact=9"], "impact must be"),
        (["x" * 201], "under 200 characters"),
    ],
)
def test_new_explains_what_is_wrong(args: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_new(args)


def test_new_alone_asks_for_the_form_and_options_without_a_title_for_the_title() -> None:
    assert parse_ticket_command("new", [], user_id="U0ALICE") == TicketCommand("new", form=True)
    with pytest.raises(ValueError, match="or `/ticket new` alone for the form"):
        parse_ticket_command("new", ["impact=high"], user_id="U0ALICE")
    assert not parse_ticket_command("new", ["Cache", "it"], user_id="U0ALICE").form


def test_commands_with_numbers_users_and_filters() -> None:
    assigned = parse_ticket_command("assign", ["3", "<@U0BOB|bob>"], user_id="U0ALICE")
    assert (assigned.action, assigned.number, assigned.user) == ("assign", 3, "U0BOB")
    assert parse_ticket_command("assign", ["TKT-3", "me"], user_id="U0ALICE").user == "U0ALICE"
    done = parse_ticket_command("done", ["4", "shipped", "in", "v2"], user_id="U0ALICE")
    assert (done.number, done.text) == (4, "shipped in v2")
    assert parse_ticket_command("start", ["#5"], user_id="U0ALICE").number == 5
    mine = parse_ticket_command("list", ["mine"], user_id="U0ALICE").filter
    assert mine is not None and mine.owner == "U0ALICE"
    quick = parse_ticket_command("list", ["quickwins"], user_id="U0ALICE").filter
    assert quick is not None and quick.quadrant is Quadrant.QUICK_WIN
    area = parse_ticket_command("list", ["area=api"], user_id="U0ALICE").filter
    assert area is not None and area.area is Area.API
    every = parse_ticket_command("list", [], user_id="U0ALICE").filter
    assert every is not None and every.statuses == (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


def test_a_ticket_names_its_team_and_a_list_narrows_to_one() -> None:
    assert parse_new(["Cache", "the", "catalog", "team=payments"]).team == "payments"
    assert parse_new(["Cache", "the", "catalog"]).team is None
    theirs = parse_ticket_command("list", ["team=payments"], user_id="U0ALICE").filter
    assert theirs is not None and theirs.team == "payments"
    assert theirs.label == "Active tickets of team payments" and theirs.quadrant is None
    mine = parse_ticket_command("list", ["TEAM=Search", "mine"], user_id="U0ALICE").filter
    assert mine is not None and (mine.team, mine.owner) == ("search", "U0ALICE")
    assert mine.label == "Your tickets of team search"
    every = parse_ticket_command("list", ["all"], user_id="U0ALICE").filter
    assert every is not None and every.team is None
    moved = parse_ticket_command("team", ["TKT-4", "search"], user_id="U0ALICE")
    assert (moved.action, moved.number, moved.text) == ("team", 4, "search")


@pytest.mark.parametrize(
    ("subcommand", "args", "problem"),
    [
        ("list", ["team=a", "team=b"], "Name one team"),
        ("list", ["team="], "Name the team after `team=`"),
        ("list", ["mine", "done", "team=a"], "Use one filter"),
        ("team", ["4"], "Name the team: `/ticket team <n> <team>`"),
        ("team", ["search"], "Give the ticket number"),
        ("show", [], "Give the ticket number"),
        ("start", ["abc"], "Give the ticket number"),
        ("assign", ["3"], "Name one person"),
        ("assign", ["3", "bob"], "Name one person"),
        ("drop", ["3"], "Say why"),
        ("list", ["someday"], "Unknown filter `someday`"),
        ("list", ["area=kitchen"], "Unknown area"),
    ],
)
def test_commands_explain_what_is_wrong(subcommand: str, args: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_ticket_command(subcommand, args, user_id="U0ALICE")


def test_change_is_judged_by_the_metrics_direction() -> None:
    faster = change(400.0, 300.0, lower_is_better=True)
    assert faster.percent == pytest.approx(-25.0) and faster.verdict is Verdict.BETTER
    slower = change(400.0, 500.0, lower_is_better=True)
    assert slower.percent == pytest.approx(25.0) and slower.verdict is Verdict.WORSE
    more_uptime = change(99.0, 99.9, lower_is_better=False)
    assert more_uptime.verdict is Verdict.BETTER
    assert change(5.0, 5.0, lower_is_better=True).verdict is Verdict.UNCHANGED
    from_zero = change(0.0, 3.0, lower_is_better=True)
    assert from_zero.percent is None and from_zero.verdict is Verdict.WORSE
