"""PagerDuty's wire formats, pure: the Events API v2 events opsbot sends, and the v3 webhooks it takes in
(their signature and the incident changes it acts on)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.incoming import PayloadError

DEDUP_KEY_LIMIT = 255  # "The maximum permitted length of this property is 255 characters."
SUMMARY_LIMIT = 1024
SIGNATURE_HEADER = "X-PagerDuty-Signature"
CLIENT = "opsbot"
SOURCE_LABELS = ("instance", "host", "job", "service")  # the first one an alert has names its source


class EventAction(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


def dedup_key(group_key: str, channel: str) -> str:
    """A group's dedup_key: its channel and key, the same for every firing (PagerDuty opens a new incident
    for a trigger after a resolve). Past 255 characters the end is a hash of the whole, so it stays unique."""
    whole = f"{channel}/{group_key}"
    if len(whole) <= DEDUP_KEY_LIMIT:
        return whole
    digest = hashlib.sha256(whole.encode()).hexdigest()[:16]
    return f"{whole[: DEDUP_KEY_LIMIT - 17]}#{digest}"


@dataclass(frozen=True)
class PageFacts:
    """What a trigger tells PagerDuty about a group (its first firing alert's labels and annotations)."""

    alertname: str
    severity: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    firing: int
    alerts: int
    channel: str
    fired_at: datetime
    links: Sequence[tuple[str, str]] = ()  # (text, URL)
    team: str | None = None  # the owning team's handle (an Event Orchestration may route on it)


def trigger_event(facts: PageFacts, *, routing_key: str, dedup: str) -> dict[str, Any]:
    """The Events API v2 trigger for a group that opened."""
    payload: dict[str, Any] = {
        "summary": summary(facts),
        "source": next((facts.labels[n] for n in SOURCE_LABELS if facts.labels.get(n)), CLIENT),
        "severity": facts.severity if facts.severity in ("critical", "warning", "info") else "error",
        "timestamp": facts.fired_at.isoformat(),
        "class": facts.alertname,
        "custom_details": _details(facts),
    }
    for field, label in (("component", "job"), ("group", "service")):
        if facts.labels.get(label):
            payload[field] = facts.labels[label]
    event = follow_up_event(EventAction.TRIGGER, routing_key=routing_key, dedup=dedup)
    links = [
        {"href": url, "text": text} for text, url in facts.links if url.startswith(("http://", "https://"))
    ]
    return {**event, "payload": payload, "client": CLIENT, **({"links": links} if links else {})}


def follow_up_event(action: EventAction, *, routing_key: str, dedup: str) -> dict[str, Any]:
    """An event that needs no payload: an acknowledge or a resolve (and the head of a trigger)."""
    return {"routing_key": routing_key, "event_action": action.value, "dedup_key": dedup}


def summary(facts: PageFacts) -> str:
    """One line: the alert's name, its summary annotation and how many of its alerts fire."""
    text = facts.alertname
    if facts.annotations.get("summary"):
        text += f": {facts.annotations['summary']}"
    if facts.alerts > 1:
        text += f" ({facts.firing} of {facts.alerts} firing)"
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def _details(facts: PageFacts) -> dict[str, Any]:
    details: dict[str, Any] = {"slack_channel": f"#{facts.channel}", "firing_alerts": facts.firing}
    if facts.team:
        details["team"] = facts.team
    if facts.annotations.get("description"):
        details["description"] = facts.annotations["description"]
    details["labels"] = dict(facts.labels)
    return details


# v3 webhooks


def signature(secret: str, body: bytes) -> str:
    """One `v1=` signature: the hex HMAC-SHA256 of the raw body, keyed with the subscription's secret."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """True when one of the comma-separated signatures in the header is this body's `v1=` signature (there
    are several while PagerDuty rotates the secret); compared in constant time."""
    if not header:
        return False
    expected = signature(secret, body).encode()
    given = (part.strip().encode("utf-8", "replace") for part in header.split(","))
    return any(hmac.compare_digest(expected, candidate) for candidate in given)


class IncidentChange(StrEnum):
    """The incident events opsbot acts on; the others are accepted and ignored."""

    ACKNOWLEDGED = "incident.acknowledged"
    RESOLVED = "incident.resolved"


@dataclass(frozen=True)
class IncidentEvent:
    """An incident acknowledged or resolved in PagerDuty, as one v3 webhook tells it."""

    event_id: str
    change: IncidentChange
    incident_key: str
    incident_id: str
    agent: str  # who did it (the agent's summary), "PagerDuty" when no person did
    created_at: datetime | None  # when the incident was created: an older incident is not this firing's
    html_url: str | None = None


def read_webhook(body: Any) -> IncidentEvent | None:
    """The incident change a v3 webhook body tells; None for events opsbot does not act on (other types,
    incidents without an incident_key); PayloadError, naming the field, when it is malformed."""
    event = _object(body.get("event") if isinstance(body, dict) else None, "event")
    event_type = _text(event, "event_type", "event")
    if event_type not in {change.value for change in IncidentChange}:
        return None
    data = _object(event.get("data"), "event.data")
    if data.get("type") != "incident":
        raise PayloadError(f'event.data.type: expected "incident" for {event_type}')
    key = data.get("incident_key")
    if key is None:
        return None
    if not isinstance(key, str) or not key:
        raise PayloadError("event.data.incident_key: expected a string")
    agent = event.get("agent")
    who = agent.get("summary") if isinstance(agent, dict) else None
    return IncidentEvent(
        event_id=_text(event, "id", "event"),
        change=IncidentChange(event_type),
        incident_key=key,
        incident_id=_text(data, "id", "event.data"),
        agent=who if isinstance(who, str) and who.strip() else "PagerDuty",
        created_at=_instant(data.get("created_at"), "event.data.created_at"),
        html_url=data["html_url"] if isinstance(data.get("html_url"), str) else None,
    )


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where}: expected an object")
    return value


def _text(container: Mapping[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{where}.{key}: expected a non-empty string")
    return value


def _instant(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise PayloadError(f"{where}: expected an ISO 8601 time, got {str(value)[:40]!r}") from None
    if moment.tzinfo is None:
        raise PayloadError(f"{where}: the time has no zone")
    return moment
