"""Delivery rules: priorities, backoff, pacing, giving up, broken routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.delivery import (
    TICKET_WEBHOOKS,
    Priority,
    alert_priority,
    backoff,
    broken_route,
    gives_up,
    next_post_at,
)

NOW = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_critical_alerts_go_before_incidents_warnings_info_digests_and_tickets() -> None:
    order = [alert_priority("critical"), Priority.INCIDENT, alert_priority("warning"), alert_priority("info")]
    assert order == sorted(order)
    assert alert_priority("info") < Priority.DIGEST < Priority.BACKGROUND
    assert alert_priority("something-new") == Priority.INFO


def test_backoff_doubles_up_to_its_cap() -> None:
    cap = timedelta(minutes=5)
    assert [backoff(n, cap=cap).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(10, cap=cap) == cap
    assert backoff(10_000, cap=cap) == cap  # no overflow however long the outage


def test_slack_lanes_are_paced_and_others_are_not() -> None:
    pace = timedelta(seconds=1)
    assert next_post_at("ops-info", now=NOW, pace=pace) == NOW + pace
    assert next_post_at(TICKET_WEBHOOKS, now=NOW, pace=pace) is None
    assert next_post_at(None, now=NOW, pace=pace) is None
    assert next_post_at("ops-info", now=NOW, pace=timedelta(0)) is None


def test_a_job_is_given_up_after_hours_not_after_a_number_of_attempts() -> None:
    horizon = timedelta(hours=12)
    assert not gives_up(NOW - timedelta(hours=11, minutes=59), now=NOW, horizon=horizon)
    assert gives_up(NOW - horizon, now=NOW, horizon=horizon)


def test_only_errors_of_the_route_itself_are_broken_routes() -> None:
    assert broken_route("is_archived") == "is_archived"
    assert broken_route("channel_not_found") == "channel_not_found"
    assert broken_route("ratelimited") is None
    assert broken_route("internal_error") is None
