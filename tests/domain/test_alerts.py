from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.alerts import (
    Route,
    Severity,
    group_key,
    is_flapping,
    key_labels,
    parse_matcher,
    read_severity,
    route_channels,
    worst,
)

DEFAULTS = {Severity.CRITICAL: "critical-alerts", Severity.WARNING: "ops-alerts", Severity.INFO: "ops-info"}


@pytest.mark.parametrize(
    ("label", "severity", "unknown"),
    [
        ("critical", Severity.CRITICAL, False),
        ("warning", Severity.WARNING, False),
        ("info", Severity.INFO, False),
        ("CRITICAL", Severity.CRITICAL, False),
        (" Warning ", Severity.WARNING, False),
        ("page", Severity.WARNING, True),
        (None, Severity.WARNING, True),
    ],
)
def test_severity_from_label(label: str | None, severity: Severity, unknown: bool) -> None:
    reading = read_severity({"severity": label} if label is not None else {})
    assert reading.severity == severity
    assert reading.was_unknown is unknown


def test_default_channels_by_severity() -> None:
    for severity, channel in DEFAULTS.items():
        assert route_channels({"alertname": "X"}, severity, [], DEFAULTS) == (channel,)


def test_first_matching_route_wins() -> None:
    routes = [
        Route((parse_matcher("team=payments"),), "payments-oncall"),
        Route((parse_matcher("team=~pay.*"),), "never-reached"),
    ]
    assert route_channels({"team": "payments"}, Severity.CRITICAL, routes, DEFAULTS) == ("payments-oncall",)
    assert route_channels({"team": "paywall"}, Severity.INFO, routes, DEFAULTS) == ("never-reached",)
    assert route_channels({"team": "search"}, Severity.INFO, routes, DEFAULTS) == ("ops-info",)


def test_continue_collects_further_routes() -> None:
    routes = [
        Route((parse_matcher("team=payments"),), "payments-oncall", continue_=True),
        Route((parse_matcher('service=~"check.*"'),), "checkout"),
        Route((parse_matcher("team!=search"),), "everyone-else"),
    ]
    labels = {"team": "payments", "service": "checkout-api"}
    assert route_channels(labels, Severity.WARNING, routes, DEFAULTS) == ("payments-oncall", "checkout")


def test_negative_matchers() -> None:
    assert parse_matcher("env!=prod").matches({"env": "staging"})
    assert not parse_matcher("env!~prod|live").matches({"env": "live"})
    assert parse_matcher("env!~prod|live").matches({})


@pytest.mark.parametrize("bad", ["team", "=x", "team=~(unclosed", "9lives=1"])
def test_bad_matchers_are_explained(bad: str) -> None:
    with pytest.raises(ValueError, match=r"matcher|regular expression"):
        parse_matcher(bad)


def test_group_key_uses_only_the_group_labels() -> None:
    a = group_key({"alertname": "HighCPU", "job": "api", "instance": "a"}, ("alertname", "service", "job"))
    b = group_key({"alertname": "HighCPU", "job": "api", "instance": "b"}, ("alertname", "service", "job"))
    assert a == b == "alertname=HighCPU,service=,job=api"


def test_flapping_counts_changes_inside_the_window() -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    changes = [now - timedelta(minutes=m) for m in (70, 50, 20, 5)]
    assert is_flapping(changes, now=now, window=timedelta(hours=1), threshold=3)
    assert not is_flapping(changes, now=now, window=timedelta(minutes=30), threshold=3)


def test_worst_severity() -> None:
    assert worst([Severity.INFO, Severity.CRITICAL, Severity.WARNING]) == Severity.CRITICAL
    assert worst([]) == Severity.INFO


def test_key_labels_leave_out_the_alertname_and_empty_values() -> None:
    assert (
        key_labels(group_key({"alertname": "Down", "job": "api"}, ("alertname", "service", "job")))
        == "job=api"
    )
    assert key_labels("alertname=Down,service=,job=") == ""


def test_a_catastrophic_regex_matches_a_long_hostile_value_and_returns() -> None:
    # `(a+)+$` backtracks exponentially in `re` on "aaa…b"; RE2 answers in time linear in the value
    hostile = parse_matcher('instance=~"(a+)+$"')
    assert not hostile.matches({"instance": "a" * 100_000 + "b"})
    assert hostile.matches({"instance": "aaaa"})


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('team=~"(?=pay)"', "bad regular expression (RE2 syntax)"),  # lookahead: not RE2, not Alertmanager
        ('team=~"(a{1000}){1000}"', "bad regular expression (RE2 syntax)"),
        ('team=~"' + "a" * 1001 + '"', "1001 characters long; at most 1000"),
    ],
)
def test_regexes_outside_re2_or_too_long_are_refused(text: str, said: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_matcher(text)
    assert said in str(caught.value)
