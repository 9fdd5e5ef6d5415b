"""Which team owns an alert, and which teams' matchers can both match one (opsbot check-config)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.domain.alerts import Matcher, group_key, key_labels, parse_matcher
from bot.domain.teams import Overlap, Verdict, compare_matchers, overlaps, owning_team, word_clashes


@dataclass(frozen=True)
class FakeTeam:
    handle: str
    matchers: tuple[Matcher, ...] = ()
    is_default: bool = False


def matchers(*texts: str) -> tuple[Matcher, ...]:
    return tuple(parse_matcher(text) for text in texts)


def team(handle: str, *texts: str) -> FakeTeam:
    return FakeTeam(handle, matchers(*texts))


DEFAULT = FakeTeam("ops", is_default=True)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (["team=a"], ["team=b"]),
        (["x=a"], ["x!=a"]),
        (["x=a"], ['x=~"b.*"']),
        (["x=a"], ['x!~"a|c"']),
        (['x=~"a|b"'], ['x=~"c|d"']),
        (['x=~"(pay|bill)"'], ["x=search"]),
        (["x=a", "y=1"], ["x=a", "y=2"]),  # one contradicting label is enough
        (["x="], ["x=~.+"]),  # absent label against one that must be there
        (["x=a", "x=b"], []),  # a set that contradicts itself matches nothing
    ],
)
def test_contradicting_constraints_on_one_label_are_disjoint(a: list[str], b: list[str]) -> None:
    assert compare_matchers(matchers(*a), matchers(*b)).verdict is Verdict.DISJOINT
    assert compare_matchers(matchers(*b), matchers(*a)).verdict is Verdict.DISJOINT


@pytest.mark.parametrize(
    ("a", "b", "example"),
    [
        (["team=a"], ["service=pay"], {"team": "a", "service": "pay"}),
        (["x=a"], ['x=~"a.*"'], {"x": "a"}),
        (["x=a"], ["x!=b"], {"x": "a"}),
        (['x=~"a|b"'], ['x=~"b|c"'], {"x": "b"}),
        (["x!=a"], ["x!=b"], {}),  # the label left out matches both
        (['x=~"pay.*"'], ["x!=pay"], {"x": "payx"}),
        ([], ["x=a"], {"x": "a"}),
    ],
)
def test_an_alert_matching_both_is_given_as_the_example(
    a: list[str], b: list[str], example: dict[str, str]
) -> None:
    found = compare_matchers(matchers(*a), matchers(*b))
    assert found.verdict is Verdict.OVERLAP
    assert found.example == example
    assert all(m.matches(example) for m in matchers(*a, *b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (['x=~"a.*"'], ['x=~"b.*"']),  # truly disjoint, but regex against regex is not decided
        (['x=~"[0-9]+"'], ['x!~"[0-9]{1,3}"']),
    ],
)
def test_regexes_it_cannot_decide_may_overlap(a: list[str], b: list[str]) -> None:
    assert compare_matchers(matchers(*a), matchers(*b)).verdict is Verdict.MAY_OVERLAP


def test_disjoint_teams_report_nothing_and_the_default_team_is_never_compared() -> None:
    teams = [DEFAULT, team("payments", "team=payments"), team("search", "team=search")]
    assert overlaps(teams) == []


def test_overlapping_teams_are_reported_in_config_order_with_the_winner_first() -> None:
    teams = [DEFAULT, team("payments", "service=~pay.*"), team("billing", "team=billing")]
    assert overlaps(teams) == [
        Overlap("payments", "billing", Verdict.OVERLAP, example={"service": "pay", "team": "billing"})
    ]
    alert = {"service": "pay", "team": "billing"}
    assert owning_team(alert, teams).handle == "payments"


def test_a_team_without_matchers_shadows_every_later_team() -> None:
    teams = [DEFAULT, team("everything"), team("payments", "team=payments"), team("search", "team=search")]
    found = overlaps(teams)
    assert [(o.first, o.second, o.shadowed) for o in found] == [
        ("everything", "payments", True),
        ("everything", "search", True),
    ]
    assert owning_team({"team": "search"}, teams).handle == "everything"


def test_a_team_whose_matchers_are_a_subset_of_a_later_ones_shadows_it() -> None:
    teams = [DEFAULT, team("payments", "team=payments"), team("cards", "team=payments", "service=cards")]
    (found,) = overlaps(teams)
    assert (found.first, found.second, found.shadowed) == ("payments", "cards", True)
    # the other way round is an overlap, not a shadow: cards owns its alerts, payments the rest
    (reverse,) = overlaps([DEFAULT, teams[2], teams[1]])
    assert (reverse.first, reverse.second, reverse.shadowed) == ("cards", "payments", False)


def test_undecided_pairs_are_reported_as_may_overlap() -> None:
    teams = [DEFAULT, team("a", 'x=~"a.*"'), team("b", 'x=~"b.*"')]
    assert overlaps(teams) == [Overlap("a", "b", Verdict.MAY_OVERLAP)]


def test_handles_that_are_also_metric_words_clash() -> None:
    assert word_clashes(["ops", "payments", "search"], ["latency_p95", "payments", "cpu"]) == ["payments"]
    assert word_clashes(["ops"], ["cpu"]) == []


def test_the_first_matching_team_owns_an_alert_and_the_default_team_the_rest() -> None:
    teams = [DEFAULT, team("payments", "team=payments"), team("web", 'service=~"web|pay.*"')]
    assert owning_team({"team": "payments", "service": "web"}, teams).handle == "payments"
    assert owning_team({"service": "payment-api"}, teams).handle == "web"
    assert owning_team({"team": "search"}, teams).handle == "ops"


def test_a_team_without_matchers_takes_every_alert_no_earlier_team_took() -> None:
    teams = [DEFAULT, team("payments", "team=payments"), team("everyone")]
    assert owning_team({"team": "payments"}, teams).handle == "payments"
    assert owning_team({"team": "search"}, teams).handle == "everyone"


def test_a_teams_group_key_carries_its_handle_and_the_label_summary_drops_it() -> None:
    labels = {"alertname": "Down", "service": "a/b"}
    plain = group_key(labels, ["alertname", "service"])
    owned = group_key(labels, ["alertname", "service"], team="payments")
    assert plain == "alertname=Down,service=a/b" and owned == "payments/alertname=Down,service=a/b"
    assert key_labels(owned) == key_labels(plain) == "service=a/b"
