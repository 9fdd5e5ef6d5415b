"""Which team owns an alert, and group keys that keep teams apart."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.alerts import Matcher, group_key, key_labels, parse_matcher
from bot.domain.teams import owning_team


@dataclass(frozen=True)
class Candidate:
    handle: str
    matchers: tuple[Matcher, ...] = ()
    is_default: bool = False


def candidate(handle: str, *texts: str) -> Candidate:
    return Candidate(handle, tuple(parse_matcher(text) for text in texts))


DEFAULT = Candidate("ops", is_default=True)


def test_the_first_matching_team_owns_an_alert_and_the_default_team_the_rest() -> None:
    teams = [DEFAULT, candidate("payments", "team=payments"), candidate("web", 'service=~"web|pay.*"')]
    assert owning_team({"team": "payments", "service": "web"}, teams).handle == "payments"
    assert owning_team({"service": "payment-api"}, teams).handle == "web"
    assert owning_team({"team": "search"}, teams).handle == "ops"


def test_a_team_without_matchers_takes_every_alert_no_earlier_team_took() -> None:
    teams = [DEFAULT, candidate("payments", "team=payments"), candidate("everyone")]
    assert owning_team({"team": "payments"}, teams).handle == "payments"
    assert owning_team({"team": "search"}, teams).handle == "everyone"


def test_a_teams_group_key_carries_its_handle_and_the_label_summary_drops_it() -> None:
    labels = {"alertname": "Down", "service": "a/b"}
    plain = group_key(labels, ["alertname", "service"])
    owned = group_key(labels, ["alertname", "service"], team="payments")
    assert plain == "alertname=Down,service=a/b" and owned == "payments/alertname=Down,service=a/b"
    assert key_labels(owned) == key_labels(plain) == "service=a/b"
