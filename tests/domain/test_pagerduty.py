"""PagerDuty's wire formats: the events opsbot sends, and the v3 webhooks it verifies and reads."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.incoming import PayloadError
from bot.domain.pagerduty import (
    EventAction,
    IncidentChange,
    PageFacts,
    dedup_key,
    follow_up_event,
    read_webhook,
    signature,
    signature_matches,
    trigger_event,
)

pytestmark = pytest.mark.calendar_free
KEY = "0123456789abcdef0123456789abcdef"
FIRED = datetime(2026, 3, 29, 0, 50, tzinfo=UTC)


def facts(**changes: Any) -> PageFacts:
    base: dict[str, Any] = {
        "alertname": "ApiDown",
        "severity": "critical",
        "labels": {"alertname": "ApiDown", "job": "api", "instance": "api-1:9100", "service": "checkout"},
        "annotations": {"summary": "API answers 503", "description": "p99 over 5 s"},
        "firing": 2,
        "alerts": 3,
        "channel": "critical-alerts",
        "fired_at": FIRED,
        "links": [("Runbook", "https://runbooks.example/api"), ("Source", "javascript:alert(1)")],
    }
    return PageFacts(**{**base, **changes})


def test_the_dedup_key_is_the_groups_channel_and_key() -> None:
    assert (
        dedup_key("alertname=ApiDown,job=api", "critical-alerts")
        == "critical-alerts/alertname=ApiDown,job=api"
    )
    assert dedup_key("alertname=ApiDown", "a") != dedup_key("alertname=ApiDown", "b")


def test_a_long_dedup_key_keeps_to_255_characters_and_stays_unique() -> None:
    first, second = dedup_key("k=" + "x" * 500, "ops"), dedup_key("k=" + "x" * 499 + "y", "ops")
    assert len(first) == len(second) == 255 and first != second
    assert first.startswith("ops/k=xxx") and first == dedup_key("k=" + "x" * 500, "ops")


def test_a_trigger_carries_what_pagerduty_requires_and_the_links() -> None:
    event = trigger_event(facts(), routing_key=KEY, dedup="critical-alerts/k")
    assert event["routing_key"] == KEY and event["event_action"] == "trigger"
    assert event["dedup_key"] == "critical-alerts/k" and event["client"] == "opsbot"
    payload = event["payload"]
    assert payload["summary"] == "ApiDown: API answers 503 (2 of 3 firing)"
    assert payload["source"] == "api-1:9100" and payload["severity"] == "critical"
    assert payload["timestamp"] == "2026-03-29T00:50:00+00:00"
    assert payload["component"] == "api" and payload["group"] == "checkout" and payload["class"] == "ApiDown"
    assert payload["custom_details"]["description"] == "p99 over 5 s"
    assert payload["custom_details"]["labels"]["job"] == "api"
    assert event["links"] == [{"href": "https://runbooks.example/api", "text": "Runbook"}]  # http(s) only
    json.dumps(event)  # plain JSON all the way down


def test_a_bare_trigger_still_names_a_source_and_keeps_the_summary_short() -> None:
    bare = facts(labels={"alertname": "X"}, annotations={"summary": "s" * 2000}, alerts=1, links=[])
    payload = trigger_event(bare, routing_key=KEY, dedup="d")["payload"]
    assert payload["source"] == "opsbot" and len(payload["summary"]) == 1024
    assert "component" not in payload and "links" not in trigger_event(bare, routing_key=KEY, dedup="d")


def test_acknowledge_and_resolve_name_only_the_alert() -> None:
    assert follow_up_event(EventAction.ACKNOWLEDGE, routing_key=KEY, dedup="d") == {
        "routing_key": KEY, "event_action": "acknowledge", "dedup_key": "d",
    }  # fmt: skip
    assert follow_up_event(EventAction.RESOLVE, routing_key=KEY, dedup="d")["event_action"] == "resolve"


def test_a_signature_is_the_hex_hmac_of_the_raw_body() -> None:
    body = b'{"event":{}}'
    expected = "v1=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert signature("secret", body) == expected
    assert signature_matches("secret", body, expected)


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ("v1=" + "0" * 64 + ",{good}", True),  # PagerDuty rotating its secret lists two
        ("v1=" + "0" * 64 + ", {good}", True),
        ("{good}", True),
        ("v1=" + "0" * 64, False),
        ("v0={hex}", False),
        ("{hex}", False),
        ("", False),
        (None, False),
        ("v1=ünïcödé", False),
    ],
)
def test_one_matching_signature_among_several_is_enough(header: str | None, matches: bool) -> None:
    body = b'{"event":{"id":"1"}}'
    good = signature("secret", body)
    given = header.format(good=good, hex=good.removeprefix("v1=")) if header else header
    assert signature_matches("secret", body, given) is matches


def test_a_signature_of_another_body_or_secret_does_not_match() -> None:
    body = b'{"event":{"id":"1"}}'
    assert not signature_matches("secret", body + b" ", signature("secret", body))
    assert not signature_matches("other", body, signature("secret", body))


def webhook(event_type: str = "incident.resolved", **data: Any) -> dict[str, Any]:
    incident = {
        "id": "PGR0VU2",
        "type": "incident",
        "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
        "status": "resolved",
        "incident_key": "critical-alerts/alertname=ApiDown",
        "created_at": "2020-04-09T15:16:27Z",
        **data,
    }
    agent = {"id": "PLH1HKV", "summary": "Tenex Engineer", "type": "user_reference"}
    event = {"id": "5ac64822", "event_type": event_type, "resource_type": "incident", "agent": agent}
    return {"event": {**event, "occurred_at": "2020-10-02T18:45:22.169Z", "data": incident}}


def test_an_incident_change_is_read_from_a_v3_webhook() -> None:
    event = read_webhook(webhook("incident.acknowledged"))
    assert event is not None and event.change == IncidentChange.ACKNOWLEDGED
    assert (event.event_id, event.incident_id, event.agent) == ("5ac64822", "PGR0VU2", "Tenex Engineer")
    assert event.incident_key == "critical-alerts/alertname=ApiDown"
    assert event.created_at == datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC)
    resolved = read_webhook(webhook())
    assert resolved is not None and resolved.change == IncidentChange.RESOLVED


def test_events_opsbot_does_not_act_on_are_ignored() -> None:
    assert read_webhook(webhook("incident.triggered")) is None
    assert read_webhook(webhook("service.updated")) is None
    assert read_webhook(webhook(incident_key=None)) is None  # an incident opened outside the Events API


def test_an_incident_nobody_acted_on_is_told_as_pagerdutys_doing() -> None:
    body = webhook()
    body["event"]["agent"] = None  # e.g. resolved by an auto-resolve timeout
    event = read_webhook(body)
    assert event is not None and event.agent == "PagerDuty"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "event: expected an object"),
        ({"event": "x"}, "event: expected an object"),
        ({"event": {"id": "1"}}, "event.event_type"),
        ({"event": {"id": "1", "event_type": "incident.resolved"}}, "event.data: expected an object"),
        (webhook(type="incident_note"), "event.data.type"),
        (webhook(incident_key=42), "event.data.incident_key"),
        (webhook(id=""), "event.data.id"),
        (webhook(created_at="yesterday"), "event.data.created_at"),
        (webhook(created_at="2020-04-09T15:16:27"), "no zone"),
    ],
)
def test_a_malformed_webhook_is_refused_naming_the_field(body: Any, problem: str) -> None:
    with pytest.raises(PayloadError, match=problem):
        read_webhook(body)
