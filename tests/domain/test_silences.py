from __future__ import annotations

from bot.domain.silences import group_silence_matchers

GROUP_BY = ("alertname", "service", "job")


def test_every_group_label_is_pinned_and_an_absent_one_to_empty() -> None:
    alerts = [{"alertname": "DiskFull", "job": "node", "instance": "db-1", "severity": "critical"}]
    matchers = group_silence_matchers(alerts, group_by=GROUP_BY, route_labels=())
    assert matchers == {
        "alertname": ("DiskFull",),
        "service": ("",),
        "job": ("node",),
        "severity": ("critical",),
    }


def test_labels_routes_test_are_pinned_to_the_values_the_group_carries() -> None:
    alerts = [
        {"alertname": "Slow", "team": "web", "severity": "warning"},
        {"alertname": "Slow", "team": "api", "severity": "page"},  # both routed to the group's channel
    ]
    matchers = group_silence_matchers(alerts, group_by=("alertname",), route_labels=("team", "severity"))
    assert matchers == {"alertname": ("Slow",), "severity": ("page", "warning"), "team": ("api", "web")}
