"""A local stand-in for PagerDuty: incidents kept by dedup_key as the Events API v2 opens, acknowledges and
resolves them (sandbox/pagerduty_api.py serves it), and PagerDuty's side of v3 webhooks toward the bot: a
person acknowledges or resolves an incident "in PagerDuty" and a signed webhook tells the bot."""

# ruff: noqa: ASYNC109  (a per-call `timeout=` is the documented interface of these test helpers)

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import aiohttp

from sandbox.faults import Fault

if TYPE_CHECKING:
    from sandbox.workspace import Workspace

SITE = "https://sandbox.pagerduty.example"  # where the incidents' html_url and self links point
OPEN = ("triggered", "acknowledged")
EventFault = Literal["429", "500", "lost_answer"]


@dataclass
class ReceivedEvent:
    """One request to the Events API, as answered: the event (routing key left out) and what it did."""

    seq: int
    status: int
    action: str | None
    dedup_key: str | None
    event: dict[str, Any]
    outcome: str  # "created #3", "deduplicated into #3", "acknowledged #3", "dropped: …", "refused: …"
    errors: list[str] = field(default_factory=list)
    incident: int | None = None
    service: str | None = None  # the service whose integration's routing key it carried

    @property
    def accepted(self) -> bool:
        return self.status == 202


@dataclass
class Incident:
    """An incident opened by a trigger; a trigger for its dedup_key after it resolved opens another."""

    id: str
    number: int
    dedup_key: str
    title: str
    severity: str
    created_at: datetime
    status: str = "triggered"
    log: list[str] = field(default_factory=list)

    def to_webhook_data(self) -> dict[str, Any]:
        """The `incident` object a v3 webhook carries in event.data (PagerDuty's documented fields)."""
        return {
            "id": self.id,
            "type": "incident",
            "self": f"https://api.pagerduty.example/incidents/{self.id}",
            "html_url": f"{SITE}/incidents/{self.id}",
            "number": self.number,
            "status": self.status,
            "incident_key": self.dedup_key,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "title": self.title,
            "service": _reference("service", "PSANDBX", "opsbot sandbox service"),
            "assignees": [_reference("user", "PONCALL", "On-call engineer")],
            "escalation_policy": _reference("escalation_policy", "PESCALA", "Default"),
            "teams": [],
            "priority": None,
            "urgency": "high" if self.severity in ("critical", "error") else "low",
            "conference_bridge": None,
            "resolve_reason": None,
        }


@dataclass
class WebhookDelivery:
    """One v3 webhook sent to the bot, with the bot's answer; `replay()` sends the very same bytes again."""

    body: bytes
    headers: dict[str, str]
    status: int
    answer: str


def _reference(kind: str, ident: str, summary: str) -> dict[str, Any]:
    path = {"service": "services", "user": "users", "escalation_policy": "escalation_policies"}[kind]
    return {
        "html_url": f"{SITE}/{path}/{ident}",
        "id": ident,
        "self": f"https://api.pagerduty.example/{path}/{ident}",
        "summary": summary,
        "type": f"{kind}_reference",
    }


def sign(secret: str, body: bytes) -> str:
    """PagerDuty's `v1=` signature: hex HMAC-SHA256 of the raw body keyed with a subscription secret."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class PagerDutyStandIn:
    """PagerDuty as opsbot meets it; it announces every change on the workspace's event stream."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self.routing_keys: dict[str, str] = {}  # routing key -> the name of its integration's service
        self.incidents: list[Incident] = []
        self.events: list[ReceivedEvent] = []
        self.deliveries: list[WebhookDelivery] = []
        self.faults: list[Fault] = []
        self.webhook_url: str | None = None
        self.webhook_secrets: list[str] = []
        self._numbers = itertools.count(1)

    def add_routing_key(self, key: str | None = None, *, service: str = "opsbot sandbox service") -> str:
        """Create an Events API v2 integration on `service`; return its 32-character routing key."""
        key = key or secrets.token_hex(16)
        self.routing_keys[key] = service
        return key

    def connect_bot(self, webhook_url: str, *, signing_secrets: Sequence[str]) -> None:
        """Subscribe the bot's webhook URL (v3), signing with each secret (several while one rotates)."""
        self.webhook_url, self.webhook_secrets = webhook_url, list(signing_secrets)

    def inject_faults(self, count: int, *, kind: EventFault = "429") -> None:
        """Answer the next `count` events with 429 or 500 without taking them, or ("lost_answer") take them
        and answer 500 all the same."""
        self.faults.append(Fault(remaining=count, kind=kind))

    def next_fault(self) -> Fault | None:
        for fault in self.faults:
            if fault.matches("pagerduty.enqueue"):
                fault.remaining -= 1
                return fault
        return None

    def open_incident(self, dedup_key: str) -> Incident | None:
        return next((i for i in self.incidents if i.dedup_key == dedup_key and i.status in OPEN), None)

    def incident(self, ref: int | str) -> Incident:
        """An incident by number, id or dedup_key (the latest with that key); LookupError when none."""
        for found in reversed(self.incidents):
            if ref in (found.number, found.id, found.dedup_key):
                return found
        raise LookupError(f"no PagerDuty incident {ref!r}")

    def record(self, event: ReceivedEvent) -> None:
        self.events.append(event)
        self._workspace.emit(
            {"type": "pagerduty_event", "status": event.status, "action": event.action, "ok": event.accepted}
        )

    def apply(self, event: dict[str, Any], dedup_key: str) -> tuple[str, int | None]:
        """Carry out an accepted event; say what it did, and to which incident."""
        action, found = event["event_action"], self.open_incident(dedup_key)
        if action == "trigger" and found is None:
            payload = event["payload"]
            number = next(self._numbers)
            found = Incident(
                id="P" + secrets.token_hex(3).upper(), number=number, dedup_key=dedup_key,
                title=payload["summary"], severity=payload["severity"], created_at=datetime.now(UTC),
            )  # fmt: skip
            self.incidents.append(found)
            found.log.append("triggered")
            return f"created #{number}", number
        if found is None:
            return "dropped: no open incident has this dedup_key", None
        found.log.append(action)
        if action == "trigger":
            return f"deduplicated into #{found.number}", found.number
        if action == "acknowledge" and found.status == "triggered":
            found.status = "acknowledged"
        elif action == "resolve":
            found.status = "resolved"
        return f"{found.status} #{found.number}", found.number

    async def act(
        self,
        ref: int | str,
        change: str,
        *,
        user: str = "Pat Oncall",
        signed_with: Sequence[str] | None = None,
        signature: str | None = None,
    ) -> WebhookDelivery:
        """Acknowledge or resolve an incident as `user` in PagerDuty, and send the bot the v3 webhook.

        `signed_with` replaces the subscription's secrets; `signature` replaces the header outright (""
        leaves it out): how a test plays a forger."""
        incident = self.incident(ref)
        if change not in ("acknowledge", "resolve"):
            raise ValueError(f"unknown change {change!r}: use acknowledge or resolve")
        if incident.status == "resolved":
            raise ValueError(f"incident #{incident.number} is resolved already")
        incident.status = "acknowledged" if change == "acknowledge" else "resolved"
        incident.log.append(f"{incident.status} by {user}")
        body = json.dumps(_webhook(incident, user=user), separators=(",", ":")).encode()
        keys = self.webhook_secrets if signed_with is None else list(signed_with)
        header = ",".join(sign(key, body) for key in keys) if signature is None else signature
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "PagerDuty-Webhook/V3.0",
            "X-Webhook-Id": str(uuid.uuid4()),
            "X-Webhook-Subscription": "PSUBSCR",
        }
        if header:
            headers["X-PagerDuty-Signature"] = header
        return await self._deliver(body, headers)

    async def replay(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Send an earlier webhook again, byte for byte (PagerDuty delivers at least once)."""
        return await self._deliver(delivery.body, delivery.headers)

    async def _deliver(self, body: bytes, headers: dict[str, str]) -> WebhookDelivery:
        if self.webhook_url is None:
            raise LookupError("no bot webhook is subscribed: connect_bot(url, signing_secrets=[…]) first")
        timeout = aiohttp.ClientTimeout(total=5)  # PagerDuty waits 5 s for a 2xx
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.post(self.webhook_url, data=body, headers=headers) as response,
        ):
            delivery = WebhookDelivery(body, headers, response.status, await response.text())
        self.deliveries.append(delivery)
        self._workspace.emit({"type": "pagerduty_webhook", "status": delivery.status})
        return delivery

    async def wait_for_event(
        self, check: Callable[[ReceivedEvent], bool], *, timeout: float = 10.0
    ) -> ReceivedEvent:
        """The first event received that passes `check` (waiting for it); a timeout lists what came."""

        def found() -> ReceivedEvent | None:
            return next((e for e in self.events if check(e)), None)

        def describe() -> str:
            seen = [f"{e.status} {e.action} {e.dedup_key!r}: {e.outcome}" for e in self.events]
            return f"no such PagerDuty event; received: {seen or 'nothing'}"

        return await self._workspace.wait_until(found, timeout=timeout, describe=describe)

    def snapshot(self) -> dict[str, Any]:
        """What the page's "Paged" section shows: incidents and the events received, newest first."""
        return {
            "connected": bool(self.routing_keys),
            "incidents": [_shown_incident(i) for i in reversed(self.incidents[-50:])],
            "events": [_shown_event(e) for e in reversed(self.events[-50:])],
        }


def _shown_incident(incident: Incident) -> dict[str, Any]:
    keys = ("number", "id", "dedup_key", "title", "severity", "status", "log")
    return {key: getattr(incident, key) for key in keys}


def _shown_event(event: ReceivedEvent) -> dict[str, Any]:
    keys = ("seq", "status", "action", "dedup_key", "outcome", "errors")
    return {key: getattr(event, key) for key in keys}


def _webhook(incident: Incident, *, user: str) -> dict[str, Any]:
    change = "incident.acknowledged" if incident.status == "acknowledged" else "incident.resolved"
    return {
        "event": {
            "id": str(uuid.uuid4()),
            "event_type": change,
            "resource_type": "incident",
            "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "agent": _reference("user", "PSANDBOX", user),
            "client": None,
            "data": incident.to_webhook_data(),
        }
    }
