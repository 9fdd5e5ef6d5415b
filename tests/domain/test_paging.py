"""Paging destinations per severity, and people who acted outside Slack."""

from __future__ import annotations

import pytest

from bot.domain.paging import Destination, destinations_for, outside_actor, read_outside_actor

pytestmark = pytest.mark.calendar_free
TABLE = {"critical": ["pagerduty", "sms", "pagerduty"], "warning": ["sms"], "info": []}
BOTH = frozenset({Destination.PAGERDUTY, Destination.SMS})


def test_a_severity_pages_what_it_lists_in_order_once_each() -> None:
    assert destinations_for("critical", TABLE, configured=BOTH) == [Destination.PAGERDUTY, Destination.SMS]
    assert destinations_for("warning", TABLE, configured=BOTH) == [Destination.SMS]
    assert destinations_for("info", TABLE, configured=BOTH) == []


def test_a_destination_without_credentials_is_skipped() -> None:
    only_pagerduty = frozenset({Destination.PAGERDUTY})
    assert destinations_for("critical", TABLE, configured=only_pagerduty) == [Destination.PAGERDUTY]
    assert destinations_for("warning", TABLE, configured=only_pagerduty) == []
    assert destinations_for("critical", TABLE, configured=frozenset()) == []


def test_someone_in_pagerduty_is_stored_with_their_name_and_read_back() -> None:
    actor = outside_actor(Destination.PAGERDUTY, "Tenex Engineer")
    assert actor == "pagerduty:Tenex Engineer"
    assert read_outside_actor(actor) == (Destination.PAGERDUTY, "Tenex Engineer")
    assert outside_actor(Destination.PAGERDUTY, "  ") == "pagerduty:PagerDuty"
    long = outside_actor(Destination.PAGERDUTY, "x" * 100)
    assert len(long) == 64 and read_outside_actor(long) == (Destination.PAGERDUTY, "x" * 54)


@pytest.mark.parametrize("actor", ["U0ALICE", "source", None, "", "slack:U0ALICE"])
def test_slack_users_and_sources_are_not_outside_actors(actor: str | None) -> None:
    assert read_outside_actor(actor) is None
